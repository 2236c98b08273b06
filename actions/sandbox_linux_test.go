package actions

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
	"github.com/isotop/isotop/sandbox"
)

// The sandbox tests make real sandboxes on this host, as root: each under a cgroup parent of its
// own (isotop-test-…, in every hierarchy a sandbox uses), with bridges and dummy links named
// itt<8 hex>, and check after each that the sandbox left nothing behind.

// sbxSafety is how long a test waits for a sandbox before failing: only a guard against a hang,
// nothing is measured against it.
const sbxSafety = 2 * time.Minute

// sbxApplets are the busybox applets of the test root filesystem.
var sbxApplets = []string{"sh", "ls", "cat", "ip", "ping", "ps", "sleep", "mkdir", "hostname", "echo", "id", "head",
	"dd", "tail", "readlink", "mkfifo", "grep", "rm", "usleep", "tr"}

func sbxHex(t *testing.T) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// sbxRootfs makes a tiny root filesystem: busybox-static and its applets, /etc/marker ("orig").
func sbxRootfs(t *testing.T) string {
	t.Helper()
	const busybox = "/bin/busybox"
	if _, err := os.Stat(busybox); err != nil {
		t.Skip("needs busybox-static at /bin/busybox (make test installs it)")
	}
	root := filepath.Join(t.TempDir(), "rootfs")
	for _, d := range []string{"bin", "etc", "tmp", "proc", "sys", "dev", "mnt"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sbxCopy(t, busybox, filepath.Join(root, "bin/busybox"))
	for _, a := range sbxApplets {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "etc/marker"), []byte("orig\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func sbxCopy(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// sbxBuildEscape builds testdata/escape, static, to dst.
func sbxBuildEscape(t *testing.T, dst string) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs go to build testdata/escape")
	}
	cmd := exec.Command("go", "build", "-o", dst, "./testdata/escape")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/escape: %v\n%s", err, out)
	}
}

// sbxCgroups is a test's cgroup parent for its sandboxes.
type sbxCgroups struct {
	path string // "/isotop-test-…"
	cg   *probetest.Cgroup
	dirs []string // its directory in every hierarchy a sandbox uses (the v1 controllers' and the unified one)
}

func sbxParent(t *testing.T) sbxCgroups {
	t.Helper()
	probetest.Live(t)
	name := probetest.Name(t)
	cg := probetest.NewCgroup(t, name, sandboxControllers...)
	p := sbxCgroups{path: "/" + name, cg: cg}
	for _, d := range cg.Dirs {
		if !slices.Contains(p.dirs, d) {
			p.dirs = append(p.dirs, d)
		}
	}
	mounts, _, err := probe.DefaultFS().CgroupMounts()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mounts {
		if m.Version != 2 {
			continue
		}
		d := filepath.Join(m.MountPoint, name)
		if slices.Contains(p.dirs, d) {
			continue
		}
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatalf("create cgroup: %v", err)
		}
		t.Cleanup(func() { sbxRmdir(t, d) })
		p.dirs = append(p.dirs, d)
	}
	// First of the cleanups: whatever a sandbox left under this parent (reported by the test) goes,
	// so that the parent can.
	t.Cleanup(func() {
		for _, d := range p.dirs {
			entries, _ := os.ReadDir(d)
			for _, e := range entries {
				if e.IsDir() {
					sbxKillAll(filepath.Join(d, e.Name()))
					sbxRmdir(t, filepath.Join(d, e.Name()))
				}
			}
		}
	})
	return p
}

func sbxLstat(path string) error {
	_, err := os.Lstat(path)
	return err
}

// sbxKillAll kills the processes of a cgroup under a test's parent: a sandbox's, hence the test's.
func sbxKillAll(dir string) {
	data, _ := os.ReadFile(dir + "/cgroup.procs")
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func sbxRmdir(t *testing.T, dir string) {
	var err error
	for range 500 {
		if err = syscall.Rmdir(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("could not remove test cgroup %s: %v", dir, err)
}

// scopes are the sandbox's cgroup directories, one per hierarchy.
func (p sbxCgroups) scopes(id string) []string {
	var out []string
	for _, d := range p.dirs {
		out = append(out, filepath.Join(d, "isotop-"+id+".scope"))
	}
	return out
}

// children are the cgroups under the parent, in any hierarchy.
func (p sbxCgroups) children(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, d := range p.dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				out = append(out, filepath.Join(d, e.Name()))
			}
		}
	}
	return out
}

// pids reads the sandbox's processes from its cgroup, checking that every hierarchy has them all.
func (p sbxCgroups) pids(t *testing.T, id string) []int {
	t.Helper()
	var first []int
	for i, d := range p.scopes(id) {
		data, err := os.ReadFile(d + "/cgroup.procs")
		if err != nil {
			t.Fatalf("the sandbox's cgroup: %v", err)
		}
		var pids []int
		for _, f := range strings.Fields(string(data)) {
			n, _ := strconv.Atoi(f)
			pids = append(pids, n)
		}
		slices.Sort(pids)
		if i == 0 {
			first = pids
		} else if !slices.Equal(pids, first) {
			t.Errorf("%s/cgroup.procs = %v, but %s has %v: the sandbox is not in every hierarchy", d, pids, p.scopes(id)[0], first)
		}
	}
	if len(first) == 0 {
		t.Fatalf("no process in the sandbox's cgroup %s", p.scopes(id)[0])
	}
	return first
}

// sbxInitPID is the host pid of the sandbox's pid 1, among its cgroup's processes.
func sbxInitPID(t *testing.T, pids []int) int {
	t.Helper()
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			if f := strings.Fields(l); len(f) > 2 && f[0] == "NSpid:" && f[len(f)-1] == "1" {
				return pid
			}
		}
	}
	t.Fatalf("none of the sandbox's processes %v is its pid 1", pids)
	return 0
}

// sbxStartTime is a process's start time (field 22 of /proc/PID/stat), "" when it is gone.
func sbxStartTime(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(data, ')')
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// checkSandboxGone checks that nothing of sandbox id is left: no cgroup under the parent in any
// hierarchy, no veth or bridge of its (nor the links named), no work directory, no mount.
func checkSandboxGone(t *testing.T, p sbxCgroups, id string, links ...string) {
	t.Helper()
	if id == "" {
		t.Fatal("no sandbox id")
	}
	if left := p.children(t); len(left) > 0 {
		t.Errorf("cgroups left behind: %v", left)
	}
	for _, l := range append([]string{"isv-" + id, "isb-" + id}, links...) {
		link, err := netlink.LinkByName(l)
		var nf netlink.LinkNotFoundError
		if !errors.As(err, &nf) {
			t.Errorf("link %s left behind (netlink: %v)", l, err)
			if err == nil {
				netlink.LinkDel(link) // this sandbox's, named for its id (or by the test)
			}
		}
	}
	for _, f := range []string{"/run/isotop/sandbox-" + id, "/run/isotop/sandbox-" + id + ".json"} {
		if _, err := os.Lstat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind (%v)", f, err)
			os.Remove(f)
		}
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(mi), "\n") {
		if strings.Contains(l, id) {
			t.Errorf("mount left behind on the host: %s", l)
		}
	}
}

// sbxState is what a sandbox could leave on the host outside its cgroup parent.
type sbxState struct{ links, work []string }

func sbxSnapshot(t *testing.T) sbxState {
	t.Helper()
	var s sbxState
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if n := l.Attrs().Name; strings.HasPrefix(n, "isv-") || strings.HasPrefix(n, "isb-") {
			s.links = append(s.links, n)
		}
	}
	entries, _ := os.ReadDir("/run/isotop")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "sandbox-") {
			s.work = append(s.work, e.Name())
		}
	}
	return s
}

// checkNothingNew checks that a refused sandbox made nothing: no cgroup under the parent, no veth or
// bridge, no work directory that was not there before.
func checkNothingNew(t *testing.T, p sbxCgroups, before sbxState) {
	t.Helper()
	if left := p.children(t); len(left) > 0 {
		t.Errorf("cgroups made: %v", left)
	}
	after := sbxSnapshot(t)
	for _, l := range after.links {
		if !slices.Contains(before.links, l) {
			t.Errorf("link %s made", l)
		}
	}
	for _, w := range after.work {
		if !slices.Contains(before.work, w) {
			t.Errorf("/run/isotop/%s made", w)
		}
	}
}

// sbxLines collects output, line by line, for a test to wait on.
type sbxLines struct {
	mu      sync.Mutex
	all     strings.Builder
	partial []byte
	lines   []string
	more    chan struct{} // closed (and replaced) when a line comes
}

func newSbxLines() *sbxLines { return &sbxLines{more: make(chan struct{})} }

func (w *sbxLines) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.partial = append(w.partial, p...)
	n := 0
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.lines = append(w.lines, string(w.partial[:i]))
		w.partial = w.partial[i+1:]
		n++
	}
	if n > 0 {
		close(w.more)
		w.more = make(chan struct{})
	}
	return len(p), nil
}

func (w *sbxLines) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// values are the lines "key=value" as a map of key to values.
func (w *sbxLines) values() map[string][]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := map[string][]string{}
	for _, l := range w.lines {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = append(m[k], v)
		}
	}
	return m
}

// wait returns the first line that match accepts, waiting for it; it fails the test when the
// sandbox ends (ended closes) without one.
func (w *sbxLines) wait(t *testing.T, what string, ended <-chan struct{}, match func(string) bool) string {
	t.Helper()
	timeout := time.After(sbxSafety)
	over := false
	for {
		w.mu.Lock()
		for _, l := range w.lines {
			if match(l) {
				w.mu.Unlock()
				return l
			}
		}
		more := w.more
		w.mu.Unlock()
		if over {
			t.Fatalf("waiting for %s: the sandbox ended first; output:\n%s", what, w.String())
		}
		select {
		case <-more:
		case <-ended:
			over = true
		case <-timeout:
			t.Fatalf("waiting for %s: nothing after %v (safety timeout); output:\n%s", what, sbxSafety, w.String())
		}
	}
}

func (w *sbxLines) waitLine(t *testing.T, line string, ended <-chan struct{}) {
	t.Helper()
	w.wait(t, "line "+strconv.Quote(line), ended, func(l string) bool { return l == line })
}

// sbxRun is a sandbox run through the Go API, in the background.
type sbxRun struct {
	run       *SandboxRun
	p         sbxCgroups
	stdin     *os.File // its write end: closing it ends a script waiting in read
	out, errs *sbxLines
	ended     chan struct{}
	err       error // Run's, once ended is closed
}

func sbxStart(t *testing.T, h *Host, p sbxCgroups, req SandboxRequest) *sbxRun {
	t.Helper()
	req.CgroupParent = p.path
	run, err := h.Sandbox(req)
	if err != nil {
		t.Fatalf("Sandbox(%+v): %v", req, err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &sbxRun{run: run, p: p, stdin: w, out: newSbxLines(), errs: newSbxLines(), ended: make(chan struct{})}
	run.SetStdin(r)
	run.SetStdout(s.out)
	run.SetStderr(s.errs)
	go func() {
		s.err = run.Run()
		r.Close()
		close(s.ended)
	}()
	t.Cleanup(func() {
		s.stdin.Close()
		select {
		case <-s.ended:
			return
		case <-time.After(sbxSafety):
		}
		// Hung: kill the sandbox's processes (only they are in its cgroup), and report it.
		for _, d := range p.scopes(run.ID()) {
			sbxKillAll(d)
		}
		t.Errorf("sandbox %s did not end (safety timeout); stderr:\n%s", run.ID(), s.errs.String())
		<-s.ended
	})
	return s
}

// finish ends the sandbox's input and waits for Run to return.
func (s *sbxRun) finish(t *testing.T) error {
	t.Helper()
	s.stdin.Close()
	select {
	case <-s.ended:
	case <-time.After(sbxSafety):
		t.Fatalf("sandbox %s did not end after its input closed (safety timeout); output:\n%s\nstderr:\n%s", s.run.ID(), s.out.String(), s.errs.String())
	}
	return s.err
}

// sbxOne runs a sandbox to its end with no input and returns it.
func sbxOne(t *testing.T, h *Host, p sbxCgroups, req SandboxRequest) *sbxRun {
	t.Helper()
	s := sbxStart(t, h, p, req)
	if err := s.finish(t); err != nil {
		t.Fatalf("Run: %v\nstderr:\n%s", err, s.errs.String())
	}
	return s
}

func sbxHost(t *testing.T) (*Host, string) {
	t.Helper()
	audit := filepath.Join(t.TempDir(), "a.jsonl")
	return &Host{FS: probe.DefaultFS(), Audit: &AuditLog{Path: audit}}, audit
}

// sbxSummary is the line isotop sandbox prints once the sandbox is ready.
type sbxSummary struct{ id, hostname, cgroup, addr, hostVeth, hostAddr string }

var sbxSummaryRE = regexp.MustCompile(`^isotop sandbox ([0-9a-f]{8}): hostname (\S+)(?:, cgroup (\S+))?(?:, eth0 (\S+) ↔ (\S+) \(host (\S+)\))?$`)

func sbxWaitSummary(t *testing.T, errs *sbxLines, ended <-chan struct{}) sbxSummary {
	t.Helper()
	l := errs.wait(t, "the summary line", ended, sbxSummaryRE.MatchString)
	m := sbxSummaryRE.FindStringSubmatch(l)
	return sbxSummary{m[1], m[2], m[3], m[4], m[5], m[6]}
}

// sbxCLI is isotop sandbox run as a command, in the background.
type sbxCLI struct {
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	out, errs *sbxLines
	ended     chan struct{}
}

func sbxStartCLI(t *testing.T, args ...string) *sbxCLI {
	t.Helper()
	probetest.Live(t)
	c := &sbxCLI{out: newSbxLines(), errs: newSbxLines(), ended: make(chan struct{})}
	c.cmd = exec.Command(builtIsotop(t), append([]string{"sandbox"}, args...)...)
	c.cmd.Env = append(os.Environ(), "ISOTOP_READONLY=0")
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.errs
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.cmd.Wait()
		close(c.ended)
	}()
	t.Cleanup(func() {
		c.stdin.Close()
		select {
		case <-c.ended:
		case <-time.After(sbxSafety):
			c.cmd.Process.Kill() // ours; the sandbox's pid 1 dies with it (Pdeathsig)
			t.Errorf("isotop sandbox did not end (safety timeout); stderr:\n%s", c.errs.String())
			<-c.ended
		}
	})
	return c
}

func (c *sbxCLI) wait(t *testing.T) {
	t.Helper()
	select {
	case <-c.ended:
	case <-time.After(sbxSafety):
		t.Fatalf("isotop sandbox did not exit (safety timeout); stderr:\n%s", c.errs.String())
	}
}

func sbxAudit(t *testing.T, path string) []AuditRecord {
	t.Helper()
	recs, bad, err := ReadAudit(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("audit log %s: %d bad lines", path, bad)
	}
	return recs
}

// checkSandboxAudit checks that the audit log has the sandbox's "started" record, then its result.
func checkSandboxAudit(t *testing.T, path, id, cgroup string, command []string, result string) {
	t.Helper()
	var got []AuditRecord
	for _, r := range sbxAudit(t, path) {
		if r.Target == "sandbox "+id {
			got = append(got, r)
		}
	}
	if len(got) != 2 {
		t.Fatalf("audit log: %d records for sandbox %s, want started and %q: %+v", len(got), id, result, got)
	}
	for i, want := range []string{"started", result} {
		r := got[i]
		if r.Action != "sandbox" || r.Result != want || !slices.Equal(r.Command, command) || r.UID != 0 || r.PID == 0 {
			t.Errorf("audit record %d = %+v, want action sandbox, result %q, command %q", i, r, want, command)
		}
	}
	if got[1].Cgroup != cgroup {
		t.Errorf("audit result record's cgroup = %q, want %q", got[1].Cgroup, cgroup)
	}
}

// TestSandboxInside checks the inside of a sandbox on a busybox root: the command is pid 1, the
// hostname is the one given, /proc shows only the sandbox, no_new_privs is set, and the chroot
// escape (chroot into a subdirectory, chdir("..") past the root, chroot(".")) does not reach the
// host's root.
func TestSandboxInside(t *testing.T) {
	p := sbxParent(t)
	root := sbxRootfs(t)
	sbxBuildEscape(t, filepath.Join(root, "escape"))
	hostMarker := filepath.Join(t.TempDir(), "isotop-test-host-"+sbxHex(t))
	if err := os.WriteFile(hostMarker, []byte("host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sandboxMarker := "/isotop-test-sandbox-" + sbxHex(t)
	if err := os.WriteFile(root+sandboxMarker, []byte("sandbox\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostname := probetest.Name(t)
	script := `echo "pid=$$"
echo "hostname=$(hostname)"
echo "pidns=$(readlink /proc/self/ns/pid)"
echo "nnp=$(grep NoNewPrivs /proc/self/status | tr -d ' \t')"
for d in /proc/[0-9]*; do echo "proc=${d#/proc/}:$(cat $d/comm)"; done
/escape "$1" "$2"
`
	h, audit := sbxHost(t)
	command := []string{"sh", "-c", script, "sh", hostMarker, sandboxMarker}
	s := sbxOne(t, h, p, SandboxRequest{Rootfs: root, Hostname: hostname, Command: command})
	out, id := s.out.String(), s.run.ID()
	t.Logf("output:\n%s", out)
	v := s.out.values()
	if got := v["pid"]; !slices.Equal(got, []string{"1"}) {
		t.Errorf("$$ = %v, want 1 (the command is the sandbox's pid 1)", got)
	}
	if got := v["hostname"]; !slices.Equal(got, []string{hostname}) {
		t.Errorf("hostname inside = %v, want %s", got, hostname)
	}
	hostPidns, _ := os.Readlink("/proc/self/ns/pid")
	if got := v["pidns"]; len(got) != 1 || !strings.HasPrefix(got[0], "pid:[") || got[0] == hostPidns {
		t.Errorf("pid namespace inside = %v, want one of its own (the host's is %s)", got, hostPidns)
	}
	if got := v["nnp"]; !slices.Equal(got, []string{"NoNewPrivs:1"}) {
		t.Errorf("inside: %v, want NoNewPrivs:1", got)
	}
	// The glob ran in pid 1 with nothing else running: /proc has the shell only.
	if got := v["proc"]; !slices.Equal(got, []string{"1:sh"}) {
		t.Errorf("/proc inside lists %d processes %.300v, want only the sandbox's shell (1:sh)", len(got), got)
	}
	if !strings.Contains(out, "escape: chroot ok") {
		t.Errorf("the escape's chroot steps did not run (CAP_SYS_CHROOT is a container's default): %s", out)
	}
	if !strings.Contains(out, "missing "+hostMarker) || strings.Contains(out, "found "+hostMarker) {
		t.Errorf("after the chroot escape the host's %s is reachable: the sandbox's root is escapable", hostMarker)
	}
	if !strings.Contains(out, "found "+sandboxMarker) {
		t.Errorf("after the chroot escape attempt, the sandbox's own %s is not there: not on the sandbox's root", sandboxMarker)
	}
	for _, hostOnly := range []string{"usr", "var", "home", "boot"} {
		if _, err := os.Stat("/" + hostOnly); err == nil && regexp.MustCompile(`(?m)^root: .*\b`+hostOnly+`\b`).MatchString(out) {
			t.Errorf("after the chroot escape, / has the host's %s", hostOnly)
		}
	}
	if s.run.ExitCode != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", s.run.ExitCode, s.errs.String())
	}
	if want := p.path + "/isotop-" + id + ".scope"; s.run.Cgroup != want {
		t.Errorf("Cgroup = %q, want %q", s.run.Cgroup, want)
	}
	checkSandboxGone(t, p, id)
	checkSandboxAudit(t, audit, id, s.run.Cgroup, command, "exit 0")
}

// sbxTree is a directory tree's every entry: type, mode, size, content or link target.
func sbxTree(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%v %d", info.Mode(), info.Size())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			desc += " -> " + target
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %x", sha256.Sum256(data))
		}
		m[path] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func checkTreeUnchanged(t *testing.T, when string, before, after map[string]string) {
	t.Helper()
	for p, d := range before {
		if after[p] != d {
			t.Errorf("%s: %s changed: %q, was %q", when, p, after[p], d)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s: %s appeared", when, p)
		}
	}
}

// TestSandboxWritesVanish checks that what the sandbox writes goes to its tmpfs: not to the host's
// / (the default root), not to the --rootfs directory, neither while it runs nor after.
func TestSandboxWritesVanish(t *testing.T) {
	t.Run("host root", func(t *testing.T) {
		p := sbxParent(t)
		file := "/etc/isotop-test-" + sbxHex(t)
		t.Cleanup(func() { os.Remove(file) }) // only if it leaked: the test made the name
		script := `echo inside > "$1" && echo "read=$(cat "$1")" && echo written; read x; echo "end=$(cat "$1")"`
		h, _ := sbxHost(t)
		s := sbxStart(t, h, p, SandboxRequest{Command: []string{"/bin/sh", "-c", script, "sh", file}})
		s.out.waitLine(t, "written", s.ended)
		if _, err := os.Lstat(file); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("while the sandbox runs, its write to %s is on the host (%v)", file, err)
		}
		if err := s.finish(t); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if v := s.out.values(); !slices.Equal(v["read"], []string{"inside"}) || !slices.Equal(v["end"], []string{"inside"}) {
			t.Errorf("inside, %s read %v then %v, want inside both times", file, v["read"], v["end"])
		}
		if _, err := os.Lstat(file); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after the sandbox, its write to %s is on the host (%v)", file, err)
		}
		checkSandboxGone(t, p, s.run.ID())
	})
	t.Run("rootfs", func(t *testing.T) {
		p := sbxParent(t)
		root := sbxRootfs(t)
		before := sbxTree(t, root)
		script := `echo changed > /etc/marker; echo new > /isotop-new; rm /bin/ls; mkdir /newdir; echo x >> /bin/busybox
echo "marker=$(cat /etc/marker)"; [ -e /bin/ls ] || echo ls=gone; echo "new=$(cat /isotop-new)"
echo written; read x`
		h, _ := sbxHost(t)
		s := sbxStart(t, h, p, SandboxRequest{Rootfs: root, Command: []string{"sh", "-c", script}})
		s.out.waitLine(t, "written", s.ended)
		v := s.out.values()
		if !slices.Equal(v["marker"], []string{"changed"}) || !slices.Equal(v["ls"], []string{"gone"}) || !slices.Equal(v["new"], []string{"new"}) {
			t.Errorf("inside, the writes did not take: %v", v)
		}
		checkTreeUnchanged(t, "while the sandbox runs", before, sbxTree(t, root))
		if err := s.finish(t); err != nil {
			t.Fatalf("Run: %v", err)
		}
		checkTreeUnchanged(t, "after the sandbox", before, sbxTree(t, root))
		checkSandboxGone(t, p, s.run.ID())
	})
}

// sbxCgFile reads a file of the sandbox's cgroup in the controller's hierarchy.
func sbxCgFile(t *testing.T, p sbxCgroups, id, ctrl, v1, v2 string) string {
	t.Helper()
	file := v1
	if p.cg.IsV2(ctrl) {
		file = v2
	}
	return readCgFile(t, filepath.Join(p.cg.Dirs[ctrl], "isotop-"+id+".scope", file))
}

// TestSandboxMemoryLimit checks that the limits are set on the sandbox's cgroup and that a process
// that needs more memory than --memory is OOM-killed.
func TestSandboxMemoryLimit(t *testing.T) {
	p := sbxParent(t)
	root := sbxRootfs(t)
	mem, err := ParseSize("--memory", "32M")
	if err != nil {
		t.Fatal(err)
	}
	pids, err := ParseCount("--pids", "64")
	if err != nil {
		t.Fatal(err)
	}
	cpus, err := ParseCPUs("--cpus", "0.5")
	if err != nil {
		t.Fatal(err)
	}
	// tail -c keeps the last 200 MB of its input in memory: far more than the 32 MB allowed. Made
	// the OOM killer's first choice, it is killed and the shell (pid 1) reports how it ended.
	script := `dd if=/dev/zero bs=1M count=200 2>/dev/null | (echo 1000 > /proc/self/oom_score_adj; exec tail -c 200000000) >/dev/null
echo "status=$?"; echo measured; read x`
	h, _ := sbxHost(t)
	s := sbxStart(t, h, p, SandboxRequest{Rootfs: root, Memory: &mem, PIDs: &pids, CPUs: &cpus, Command: []string{"sh", "-c", script}})
	s.out.waitLine(t, "measured", s.ended)
	id := s.run.ID()
	if got := sbxCgFile(t, p, id, "memory", "memory.limit_in_bytes", "memory.max"); got != "33554432" {
		t.Errorf("the sandbox's memory limit = %s, want 33554432", got)
	}
	oomKills := -1
	events := sbxCgFile(t, p, id, "memory", "memory.oom_control", "memory.events")
	for _, l := range strings.Split(events, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "oom_kill" {
			oomKills, _ = strconv.Atoi(f[1])
		}
	}
	if oomKills < 1 {
		t.Errorf("the sandbox's memory cgroup counts no OOM kill:\n%s", events)
	}
	if got := sbxCgFile(t, p, id, "pids", "pids.max", "pids.max"); got != "64" {
		t.Errorf("the sandbox's pids.max = %s, want 64", got)
	}
	var quota, period float64
	if p.cg.IsV2("cpu") {
		fmt.Sscan(sbxCgFile(t, p, id, "cpu", "", "cpu.max"), &quota, &period)
	} else {
		fmt.Sscan(sbxCgFile(t, p, id, "cpu", "cpu.cfs_quota_us", ""), &quota)
		fmt.Sscan(sbxCgFile(t, p, id, "cpu", "cpu.cfs_period_us", ""), &period)
	}
	if period == 0 || quota/period != 0.5 {
		t.Errorf("the sandbox's CPU quota = %v per %v, want half a CPU", quota, period)
	}
	if err := s.finish(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := s.out.values()["status"]; !slices.Equal(got, []string{"137"}) {
		t.Errorf("the process over the memory limit ended with %v, want 137 (SIGKILL by the OOM killer)", got)
	}
	checkSandboxGone(t, p, id)
}

// sbxPing pings addr once from the host.
func sbxPing(addr string) error {
	out, err := exec.Command("ping", "-c1", "-W2", addr).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ping -c1 -W2 %s: %v\n%s", addr, err, out)
	}
	return nil
}

// sbxLink makes a link (named itt<hex> by the caller), removed in t.Cleanup.
func sbxLink(t *testing.T, link netlink.Link) netlink.Link {
	t.Helper()
	if err := netlink.LinkAdd(link); err != nil {
		t.Fatalf("ip link add %s: %v", link.Attrs().Name, err)
	}
	name := link.Attrs().Name
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(name); err == nil {
			netlink.LinkDel(l)
		}
	})
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestSandboxVeth checks --net veth: the host pings the sandbox's address and the sandbox pings
// the host's, through a bridge isotop makes (and removes) or one that exists (and stays).
func TestSandboxVeth(t *testing.T) {
	if _, err := exec.LookPath("ping"); err != nil {
		t.Skip("needs ping on the host")
	}
	script := `ip -4 -o addr show dev eth0 | while read n dev fam addr rest; do echo "inet=$addr"; done
echo ready; read h
ping -c1 -W2 "$h" >/dev/null 2>&1 && echo host=reachable || echo host=unreachable
echo pinged; read x`
	run := func(t *testing.T, bridge string) (*sbxRun, sbxCgroups) {
		p := sbxParent(t)
		root := sbxRootfs(t)
		h, _ := sbxHost(t)
		s := sbxStart(t, h, p, SandboxRequest{Rootfs: root, Net: "veth", Bridge: bridge, Command: []string{"sh", "-c", script}})
		sum := sbxWaitSummary(t, s.errs, s.ended)
		s.out.waitLine(t, "ready", s.ended)
		id := s.run.ID()
		if sum.id != id || sum.hostVeth != "isv-"+id || net.ParseIP(sum.addr) == nil || net.ParseIP(sum.hostAddr) == nil {
			t.Fatalf("summary %+v: want id %s, veth isv-%s and two addresses", sum, id, id)
		}
		if got := s.out.values()["inet"]; len(got) != 1 || !strings.HasPrefix(got[0], sum.addr+"/") {
			t.Errorf("eth0 inside has %v, want %s", got, sum.addr)
		}
		br, err := netlink.LinkByName(bridge)
		if err != nil || br.Type() != "bridge" {
			t.Fatalf("bridge %s while the sandbox runs: %v %v", bridge, br, err)
		}
		veth, err := netlink.LinkByName(sum.hostVeth)
		if err != nil {
			t.Fatalf("the host end %s: %v", sum.hostVeth, err)
		}
		if veth.Attrs().MasterIndex != br.Attrs().Index {
			t.Errorf("%s is not on the bridge %s", sum.hostVeth, bridge)
		}
		if err := sbxPing(sum.addr); err != nil {
			t.Errorf("the host cannot reach the sandbox: %v", err)
		}
		fmt.Fprintln(s.stdin, sum.hostAddr)
		s.out.waitLine(t, "pinged", s.ended)
		if got := s.out.values()["host"]; !slices.Equal(got, []string{"reachable"}) {
			t.Errorf("the sandbox pinging the host's %s: %v", sum.hostAddr, got)
		}
		if err := s.finish(t); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if s.run.Addr != sum.addr || s.run.HostAddr != sum.hostAddr || s.run.HostVeth != sum.hostVeth {
			t.Errorf("SandboxRun says %s ↔ %s (host %s), the summary %+v", s.run.Addr, s.run.HostVeth, s.run.HostAddr, sum)
		}
		return s, p
	}
	t.Run("bridge isotop makes", func(t *testing.T) {
		bridge := "itt" + sbxHex(t)
		t.Cleanup(func() { // only if it leaked: the test chose the name
			if l, err := netlink.LinkByName(bridge); err == nil {
				netlink.LinkDel(l)
			}
		})
		s, p := run(t, bridge)
		checkSandboxGone(t, p, s.run.ID(), bridge)
	})
	t.Run("existing bridge", func(t *testing.T) {
		probetest.Live(t)
		bridge := "itt" + sbxHex(t)
		var b [1]byte
		rand.Read(b[:])
		subnet := &net.IPNet{IP: net.IPv4(10, 254, b[0], 1).To4(), Mask: net.CIDRMask(24, 32)}
		routes, _ := netlink.RouteList(nil, netlink.FAMILY_V4)
		for _, r := range routes {
			if r.Dst == nil {
				continue
			}
			if ones, _ := r.Dst.Mask.Size(); ones == 0 {
				continue // the default route
			}
			if r.Dst.Contains(subnet.IP) || subnet.Contains(r.Dst.IP) {
				t.Skipf("%s overlaps the host's route %s", subnet, r.Dst)
			}
		}
		br := sbxLink(t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: bridge}})
		if err := netlink.AddrAdd(br, &netlink.Addr{IPNet: subnet}); err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetUp(br); err != nil {
			t.Fatal(err)
		}
		s, p := run(t, bridge)
		if s.run.HostAddr != subnet.IP.String() || !subnet.Contains(net.ParseIP(s.run.Addr)) {
			t.Errorf("on the bridge %s (%s) the sandbox got %s, host %s", bridge, subnet, s.run.Addr, s.run.HostAddr)
		}
		checkSandboxGone(t, p, s.run.ID())
		l, err := netlink.LinkByName(bridge)
		if err != nil {
			t.Fatalf("the bridge %s, not isotop's, was removed: %v", bridge, err)
		}
		addrs, _ := netlink.AddrList(l, netlink.FAMILY_V4)
		if len(addrs) != 1 || addrs[0].IPNet.String() != subnet.String() {
			t.Errorf("the bridge %s's addresses changed: %v", bridge, addrs)
		}
	})
}

// TestSandboxInit checks --init: the command is not pid 1, its parent is the init (pid 1, not a
// shell), and an orphan that exits is reaped.
func TestSandboxInit(t *testing.T) {
	p := sbxParent(t)
	root := sbxRootfs(t)
	// The orphan: started by a shell that exits at once, it is reparented to pid 1, then waits on a
	// FIFO; released, it exits, and only pid 1 can reap it.
	script := `echo "pid=$$"
set -- $(cat /proc/$$/stat); echo "ppid=$4"
echo "comm1=$(cat /proc/1/comm)"
mkfifo /tmp/f
o=$(sh -c 'sh -c "read x < /tmp/f" >/dev/null 2>&1 & echo $!')
set -- $(cat /proc/$o/stat); echo "orphan=$o"; echo "orphanppid=$4"
echo go > /tmp/f
while [ -e /proc/$o ]; do usleep 1000; done
echo reaped
exit 3`
	h, audit := sbxHost(t)
	command := []string{"sh", "-c", script}
	s := sbxStart(t, h, p, SandboxRequest{Rootfs: root, Init: true, Command: command})
	err := s.finish(t)
	t.Logf("output:\n%s", s.out.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	v := s.out.values()
	if got := v["pid"]; len(got) != 1 || got[0] == "1" {
		t.Errorf("with --init the command's pid is %v, want not 1", got)
	}
	if got := v["ppid"]; !slices.Equal(got, []string{"1"}) {
		t.Errorf("the command's parent is %v, want pid 1 (the init)", got)
	}
	if got := v["comm1"]; len(got) != 1 || got[0] == "sh" || got[0] == "" {
		t.Errorf("pid 1 is %v, want the init, not the command", got)
	}
	if got := v["orphanppid"]; !slices.Equal(got, []string{"1"}) {
		t.Errorf("the orphan's parent is %v, want pid 1", got)
	}
	if !strings.Contains(s.out.String(), "\nreaped\n") {
		t.Errorf("the orphan was not reaped")
	}
	if s.run.ExitCode != 3 {
		t.Errorf("exit code %d, want the command's 3", s.run.ExitCode)
	}
	checkSandboxGone(t, p, s.run.ID())
	checkSandboxAudit(t, audit, s.run.ID(), s.run.Cgroup, command, "exit 3")
}

// TestSandboxBind checks --bind: a :ro bind is readable and not writable inside, a plain one is
// writable and its writes land on the host; neither mount shows on the host.
func TestSandboxBind(t *testing.T) {
	p := sbxParent(t)
	root := sbxRootfs(t)
	ro, rw := t.TempDir(), t.TempDir()
	if err := os.WriteFile(ro+"/file", []byte("shared-"+sbxHex(t)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := sbxTree(t, ro)
	content, err := os.ReadFile(ro + "/file")
	if err != nil {
		t.Fatal(err)
	}
	script := `echo "read=$(cat /mnt/ro/file)"
echo x > /mnt/ro/new 2>/dev/null && echo create=ok || echo create=refused
echo y >> /mnt/ro/file 2>/dev/null && echo append=ok || echo append=refused
rm /mnt/ro/file 2>/dev/null && echo rm=ok || echo rm=refused
echo z > /mnt/rw/new && echo rw=ok`
	h, _ := sbxHost(t)
	binds := []sandbox.Bind{{Src: ro, Dst: "/mnt/ro", ReadOnly: true}, {Src: rw, Dst: "/mnt/rw"}}
	s := sbxOne(t, h, p, SandboxRequest{Rootfs: root, Binds: binds, Command: []string{"sh", "-c", script}})
	v := s.out.values()
	if got := v["read"]; !slices.Equal(got, []string{strings.TrimSpace(string(content))}) {
		t.Errorf("inside, /mnt/ro/file reads %v, want %q", got, content)
	}
	for _, k := range []string{"create", "append", "rm"} {
		if got := v[k]; !slices.Equal(got, []string{"refused"}) {
			t.Errorf("%s in the read-only bind: %v, want refused", k, got)
		}
	}
	checkTreeUnchanged(t, "the read-only bind's source", before, sbxTree(t, ro))
	if got := v["rw"]; !slices.Equal(got, []string{"ok"}) {
		t.Errorf("writing to the read-write bind: %v", got)
	}
	if data, err := os.ReadFile(rw + "/new"); err != nil || string(data) != "z\n" {
		t.Errorf("the write to the read-write bind is not on the host: %q %v", data, err)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(mi), "\n") {
		if strings.Contains(l, ro) || strings.Contains(l, rw) {
			t.Errorf("a bind shows on the host: %s", l)
		}
	}
	checkSandboxGone(t, p, s.run.ID())
}

// TestSandboxBindThroughRootfsSymlink checks that a --bind's destination is resolved inside the
// sandbox's root: a --rootfs whose /mnt is a symlink to a host directory, or whose /etc/planted is
// a dangling symlink into it, must not make isotop create anything in that host directory.
func TestSandboxBindThroughRootfsSymlink(t *testing.T) {
	p := sbxParent(t)
	root := sbxRootfs(t)
	hostDir := t.TempDir()
	if err := os.Remove(filepath.Join(root, "mnt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(hostDir, filepath.Join(root, "mnt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(hostDir+"/dangling", filepath.Join(root, "etc/planted")); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, []byte("bound\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srcDir := t.TempDir()
	h, _ := sbxHost(t)
	binds := []sandbox.Bind{{Src: src, Dst: "/mnt/file"}, {Src: srcDir, Dst: "/mnt/dir/sub"}, {Src: src, Dst: "/etc/planted"}}
	s := sbxStart(t, h, p, SandboxRequest{Rootfs: root, Binds: binds, Command: []string{"sh", "-c", "cat /etc/planted"}})
	s.finish(t)
	entries, err := os.ReadDir(hostDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("the bind made %s/%s on the host, through a symlink of the rootfs", hostDir, e.Name())
	}
	checkSandboxGone(t, p, s.run.ID())
}

// TestSandboxAudit checks the audit log of a sandbox run through the Go API: "started", then how
// it ended, with its cgroup.
func TestSandboxAudit(t *testing.T) {
	p := sbxParent(t)
	root := sbxRootfs(t)
	h, audit := sbxHost(t)
	command := []string{"sh", "-c", "exit 7"}
	s := sbxOne(t, h, p, SandboxRequest{Rootfs: root, Command: command})
	if s.run.ExitCode != 7 {
		t.Errorf("exit code %d, want 7", s.run.ExitCode)
	}
	checkSandboxAudit(t, audit, s.run.ID(), p.path+"/isotop-"+s.run.ID()+".scope", command, "exit 7")
	checkSandboxGone(t, p, s.run.ID())
}

// TestSandboxCLISignals checks that isotop sandbox ends the sandbox and removes everything it made
// when it gets SIGTERM or SIGINT, or when the sandbox's pid 1 is killed with SIGKILL.
func TestSandboxCLISignals(t *testing.T) {
	for _, tc := range []struct {
		name string
		init bool
		kill func(t *testing.T, c *sbxCLI, initPID int)
		code int
	}{
		// sleep as pid 1 has no handler for SIGTERM: isotop kills it.
		{"SIGTERM", false, func(t *testing.T, c *sbxCLI, _ int) { c.cmd.Process.Signal(syscall.SIGTERM) }, 137},
		{"SIGINT", false, func(t *testing.T, c *sbxCLI, _ int) { c.cmd.Process.Signal(syscall.SIGINT) }, 137},
		// the init forwards SIGTERM to sleep, which dies of it.
		{"SIGTERM with init", true, func(t *testing.T, c *sbxCLI, _ int) { c.cmd.Process.Signal(syscall.SIGTERM) }, 143},
		{"SIGKILL of the sandbox's init", false, func(t *testing.T, c *sbxCLI, pid int) {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}, 137},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := sbxParent(t)
			root := sbxRootfs(t)
			audit := filepath.Join(t.TempDir(), "a.jsonl")
			hostname := "h" + sbxHex(t)
			args := []string{"--rootfs", root, "--cgroup-parent", p.path, "--audit-log", audit, "--hostname", hostname,
				"--net", "veth", "--memory", "64M"}
			if tc.init {
				args = append(args, "--init")
			}
			command := []string{"sh", "-c", "echo ready; exec sleep 100000"}
			c := sbxStartCLI(t, append(append(args, "--"), command...)...)
			sum := sbxWaitSummary(t, c.errs, c.ended)
			c.out.waitLine(t, "ready", c.ended)
			if sum.hostname != hostname || sum.cgroup != p.path+"/isotop-"+sum.id+".scope" || sum.hostVeth != "isv-"+sum.id {
				t.Errorf("summary %+v: want hostname %s, cgroup %s/isotop-%s.scope, veth isv-%s", sum, hostname, p.path, sum.id, sum.id)
			}
			if err := sbxPing(sum.addr); err != nil {
				t.Errorf("the host cannot reach the sandbox: %v", err)
			}
			if _, err := netlink.LinkByName("isb-" + sum.id); err != nil {
				t.Errorf("isotop's bridge isb-%s: %v", sum.id, err)
			}
			pids := p.pids(t, sum.id)
			initPID := sbxInitPID(t, pids)
			started := map[int]string{}
			for _, pid := range pids {
				started[pid] = sbxStartTime(pid)
			}
			tc.kill(t, c, initPID)
			c.wait(t)
			ps := c.cmd.ProcessState
			t.Logf("isotop: %v; stderr:\n%s", ps, c.errs.String())
			if !ps.Exited() {
				t.Errorf("isotop did not exit by itself: %v", ps)
			}
			if ps.ExitCode() != tc.code {
				t.Errorf("isotop exited %d, want %d", ps.ExitCode(), tc.code)
			}
			if tc.name != "SIGKILL of the sandbox's init" && !strings.Contains(c.errs.String(), "stopping the sandbox") {
				t.Errorf("isotop did not say it stopped the sandbox")
			}
			for pid, st := range started {
				if st != "" && sbxStartTime(pid) == st {
					t.Errorf("the sandbox's process %d is still running", pid)
				}
			}
			checkSandboxGone(t, p, sum.id)
			checkSandboxAudit(t, audit, sum.id, sum.cgroup, command, "exit "+strconv.Itoa(tc.code))
		})
	}
}

// TestSandboxCLIExitCode checks that isotop sandbox exits as the command did.
func TestSandboxCLIExitCode(t *testing.T) {
	p := sbxParent(t)
	root := sbxRootfs(t)
	audit := filepath.Join(t.TempDir(), "a.jsonl")
	r := runIsotop(t, "", "sandbox", "--rootfs", root, "--cgroup-parent", p.path, "--audit-log", audit, "--", "sh", "-c", "echo out; exit 5")
	if r.code != 5 || r.stdout != "out\n" {
		t.Errorf("isotop sandbox: exit %d, stdout %q; want 5 and \"out\\n\"; stderr:\n%s", r.code, r.stdout, r.stderr)
	}
	m := sbxSummaryRE.FindStringSubmatch(strings.Split(r.stderr, "\n")[0])
	if m == nil {
		t.Fatalf("no summary line in %q", r.stderr)
	}
	checkSandboxGone(t, p, m[1])
	checkSandboxAudit(t, audit, m[1], p.path+"/isotop-"+m[1]+".scope", []string{"sh", "-c", "echo out; exit 5"}, "exit 5")
}

// TestSandboxBadInput checks that what cannot make a sandbox is refused with a clear error and
// makes nothing: no cgroup, no link, no work directory.
func TestSandboxBadInput(t *testing.T) {
	p := sbxParent(t)
	root := sbxRootfs(t)
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "bin/bash")); err == nil {
		t.Fatal("the test root has bash")
	}
	// A link that is not a bridge: a dummy, or an ifb where the kernel has no dummy driver.
	dummyName := "itt" + sbxHex(t)
	var dummy netlink.Link = &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: dummyName}}
	if err := netlink.LinkAdd(dummy); errors.Is(err, syscall.EOPNOTSUPP) {
		dummy = &netlink.Ifb{LinkAttrs: netlink.LinkAttrs{Name: dummyName}}
	} else if err == nil {
		netlink.LinkDel(dummy)
	}
	dummy = sbxLink(t, dummy)
	dummyType := dummy.Type()
	missing := "isotop-test-nosuch-" + sbxHex(t)
	audit := filepath.Join(t.TempDir(), "a.jsonl")
	h := &Host{FS: probe.DefaultFS(), Audit: &AuditLog{Path: audit}}
	for _, tc := range []struct {
		name string
		req  SandboxRequest
		args []string // the same through the CLI
		code int
		want []string // in the error
		cli  bool     // only through the CLI: the Go API takes parsed values
	}{
		{"rootfs not a directory", SandboxRequest{Rootfs: notDir}, []string{"--rootfs", notDir}, 1, []string{notDir, "not a directory"}, false},
		{"rootfs missing", SandboxRequest{Rootfs: notDir + "-missing"}, []string{"--rootfs", notDir + "-missing"}, 1, []string{notDir + "-missing"}, false},
		{"command with a path not in the rootfs", SandboxRequest{Rootfs: root, Command: []string{"/bin/bash"}},
			[]string{"--rootfs", root, "--", "/bin/bash"}, 1, []string{"/bin/bash", "does not exist"}, false},
		{"command not on the rootfs's PATH", SandboxRequest{Rootfs: root, Command: []string{missing}},
			[]string{"--rootfs", root, "--", missing}, 1, []string{missing, "not found"}, false},
		{"bridge taken by a dummy", SandboxRequest{Rootfs: root, Net: "veth", Bridge: dummyName, Command: []string{"sh"}},
			[]string{"--rootfs", root, "--net", "veth", "--bridge", dummyName, "--", "sh"}, 1, []string{dummyName, dummyType, "not a bridge"}, false},
		{"memory that does not parse", SandboxRequest{}, []string{"--rootfs", root, "--memory", "12XB", "--", "sh"}, 2, []string{"--memory", "12XB"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.cli {
				before := sbxSnapshot(t)
				tc.req.CgroupParent = p.path
				run, err := h.Sandbox(tc.req)
				if err == nil {
					t.Fatalf("Sandbox(%+v) = %v, want an error", tc.req, run.ID())
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				if !errors.Is(err, ErrRefused) {
					t.Errorf("error %q is not a refusal", err)
				}
				checkNothingNew(t, p, before)
			}
			before := sbxSnapshot(t)
			args := append([]string{"sandbox", "--cgroup-parent", p.path, "--audit-log", audit}, tc.args...)
			r := runIsotop(t, "", args...)
			if r.code != tc.code {
				t.Errorf("isotop %s: exit %d, want %d; stderr %q", strings.Join(args, " "), r.code, tc.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("isotop's error %q does not mention %q", r.stderr, w)
				}
			}
			if sbxSummaryRE.MatchString(strings.Split(r.stderr, "\n")[0]) || r.stdout != "" {
				t.Errorf("a refused sandbox ran: stdout %q stderr %q", r.stdout, r.stderr)
			}
			checkNothingNew(t, p, before)
			if l, err := netlink.LinkByName(dummyName); err != nil || l.Type() != dummyType {
				t.Errorf("the dummy link %s: %v %v", dummyName, l, err)
			}
		})
	}
	for _, r := range sbxAudit(t, audit) {
		if r.Result == "started" {
			t.Errorf("a refused sandbox was started: %+v", r)
		}
	}
}

// TestSandboxCleanupOnSetupFailure checks that a sandbox that fails while being made removes what
// it made so far: a cgroup parent that exists in the v1 hierarchies but not in the unified one lets
// isotop make the sandbox's cgroup in those, then fails.
func TestSandboxCleanupOnSetupFailure(t *testing.T) {
	probetest.Live(t)
	root := sbxRootfs(t)
	name := probetest.Name(t)
	// In every v1 hierarchy the sandbox uses, not in the unified one (last in the mount table).
	cg := probetest.NewCgroup(t, name, sandboxControllers...)
	for c := range cg.Dirs {
		if cg.IsV2(c) {
			t.Skip("needs a hybrid (v1) host: with one hierarchy a missing parent fails before anything is made")
		}
	}
	h, audit := sbxHost(t)
	run, err := h.Sandbox(SandboxRequest{Rootfs: root, CgroupParent: "/" + name, Command: []string{"sh", "-c", "echo ran"}})
	if err != nil {
		t.Fatal(err)
	}
	var out, errs strings.Builder
	run.SetStdin(strings.NewReader(""))
	run.SetStdout(&out)
	run.SetStderr(&errs)
	err = run.Run()
	if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "/"+name) {
		t.Errorf("Run with a parent missing in some hierarchies: %v, want it refused as not existing", err)
	}
	if out.Len() != 0 {
		t.Errorf("the command ran: %q", out.String())
	}
	for _, d := range cg.Dirs {
		if scope := filepath.Join(d, "isotop-"+run.ID()+".scope"); !errors.Is(sbxLstat(scope), os.ErrNotExist) {
			t.Errorf("the sandbox's cgroup %s was left behind", scope)
			sbxRmdir(t, scope) // so that the test's parent can go
		}
	}
	if work := "/run/isotop/sandbox-" + run.ID(); !errors.Is(sbxLstat(work), os.ErrNotExist) {
		t.Errorf("%s left behind", work)
		os.Remove(work)
	}
	recs := sbxAudit(t, audit)
	if len(recs) != 2 || recs[0].Result != "started" || !strings.HasPrefix(recs[1].Result, "failed: ") {
		t.Errorf("audit: %+v, want started then failed", recs)
	}
}

// TestSandboxRootless runs the sandbox in a user namespace: as root with --rootless, and as an
// unprivileged user (nobody), where it is always rootless. Inside, the command is root of its own
// user namespace (uid 0 mapped to one host uid), pid 1, and what it writes to a copy of the
// host's / vanishes.
func TestSandboxRootless(t *testing.T) {
	probetest.Live(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux)")
	}
	// A directory nobody can reach (t.TempDir's parent is root's only).
	dir, err := os.MkdirTemp("", probetest.Prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "isotop")
	sbxCopy(t, builtIsotop(t), bin)
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	marker := "/etc/" + probetest.Name(t)
	script := "echo pid=$$; cat /proc/self/uid_map; echo x > " + marker + " && echo wrote; id -u"
	for _, c := range []struct {
		name string
		cmd  *exec.Cmd
		host string // the host uid the sandbox's root is
	}{
		{"root --rootless", exec.Command(bin, "sandbox", "--rootless", "--audit-log", dir+"/root.jsonl", "--", "sh", "-c", script), "65534"},
		{"nobody", exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/", "XDG_RUNTIME_DIR=",
			bin, "sandbox", "--audit-log", dir+"/nobody.jsonl", "--", "sh", "-c", script), "65534"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cmd.Env = append(os.Environ(), "ISOTOP_READONLY=0")
			r := runWithStdin(t, "", c.cmd)
			if r.code != 0 {
				t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
			}
			fields := strings.Fields(r.stdout)
			if !strings.Contains(r.stdout, "pid=1\n") || len(fields) < 6 || fields[1] != "0" || fields[2] != c.host || fields[3] != "1" ||
				!strings.Contains(r.stdout, "wrote\n0\n") {
				t.Errorf("inside: %q (want pid 1, uid map 0 %s 1, root, the write done)", r.stdout, c.host)
			}
			if _, err := os.Stat(marker); !os.IsNotExist(err) {
				os.Remove(marker)
				t.Errorf("the sandbox's write of %s reached the host: %v", marker, err)
			}
		})
	}
	if ents, _ := os.ReadDir("/run/isotop"); len(ents) > 0 {
		t.Errorf("left in /run/isotop: %v", ents)
	}
	if _, err := os.Stat(filepath.Join(os.TempDir(), "isotop-65534")); err == nil {
		if ents, _ := os.ReadDir(filepath.Join(os.TempDir(), "isotop-65534")); len(ents) > 0 {
			t.Errorf("left in %s: %v", filepath.Join(os.TempDir(), "isotop-65534"), ents)
		}
	}
}
