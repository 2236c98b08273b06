package actions

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/isotop/isotop/actions/early"
	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// lockdownEnv hands TestLockdownChild, in a re-executed test binary, what its parent made.
const lockdownEnv = "ISOTOP_TEST_LOCKDOWN_CHILD"

// lockdownChild is what the parent made for the child to try to change.
type lockdownChild struct {
	Dir         string // a directory of the parent's, holding one file, "existing"
	Cgroup      string // a test cgroup with pids.max 1000
	PIDsFile    string
	Plan        *LimitPlan // the parent's plan: pids.max 1000 → 5
	Mounts      []string   // the plan's writes' hierarchies (unexported in Write)
	Groups      []string
	Victim      int    // a sleep the parent started
	MountSource string // the name of the tmpfs the child tries to mount on Dir
}

// TestLockdownKernelRefuses re-executes this test binary with ISOTOP_READONLY=1, so that early.c
// locks it down before its Go runtime starts, and has it try, through the real Host actor and
// directly, to change the host. Then it checks that nothing changed.
func TestLockdownKernelRefuses(t *testing.T) {
	probetest.Live(t)
	if !early.Built {
		t.Skip("built without cgo: early.c, the lockdown, is not linked in")
	}
	name := probetest.Name(t)
	cg := probetest.NewCgroup(t, name, "pids")
	cg.SetPIDsMax(t, 1000)
	pidsFile := filepath.Join(cg.Dirs["pids"], "pids.max")
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	if err := os.WriteFile(existing, []byte("before"), 0o644); err != nil {
		t.Fatal(err)
	}
	victim := probetest.Start(t, exec.Command("sleep", "86395"))

	five := Setting{N: 5}
	plan, err := (&Host{FS: probe.DefaultFS()}).PlanLimit(LimitRequest{Cgroup: cg.Path, PIDs: &five})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Writes) != 1 || plan.Writes[0].File != pidsFile || plan.Writes[0].Old != "1000" || plan.Writes[0].New != "5" {
		t.Fatalf("plan %+v, want pids.max 1000 → 5 in %s", plan.Writes, pidsFile)
	}
	cfg := lockdownChild{Dir: dir, Cgroup: cg.Path, PIDsFile: pidsFile, Plan: plan, Victim: victim.Process.Pid, MountSource: name}
	for _, w := range plan.Writes {
		cfg.Mounts, cfg.Groups = append(cfg.Mounts, w.mount), append(cfg.Groups, w.group)
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestLockdownChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "ISOTOP_READONLY=1", lockdownEnv+"="+string(data))
	r := runWithStdin(t, "", cmd)
	if r.code != 0 || !strings.Contains(r.stdout, "--- PASS: TestLockdownChild") {
		t.Errorf("the locked-down child: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Nothing changed.
	if v := readValueOf(t, pidsFile); v != "1000" {
		t.Errorf("%s is %q after the locked-down ApplyLimit, want 1000 unchanged", pidsFile, v)
	}
	if b, err := os.ReadFile(existing); err != nil || string(b) != "before" {
		t.Errorf("%s: %q, %v; want \"before\" unchanged", existing, b, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the locked-down child changed %s: %v", dir, ents)
	}
	if err := unix.Kill(victim.Process.Pid, 0); err != nil || processState(victim.Process.Pid) == "Z" {
		t.Errorf("the locked-down child killed the parent's sleep %d: %v", victim.Process.Pid, err)
	}
	if mi, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mi), name) {
		t.Errorf("the locked-down child mounted %s", name)
	}
}

func readValueOf(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// processState is the state letter of /proc/PID/stat, "" when it cannot be read.
func processState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+3 > len(b) {
		return ""
	}
	return string(b[i+2 : i+3])
}

// TestLockdownChild runs only in the process TestLockdownKernelRefuses starts: locked down by
// early.c (ISOTOP_READONLY=1), it tries the changes read-only mode exists to prevent.
func TestLockdownChild(t *testing.T) {
	data := os.Getenv(lockdownEnv)
	if data == "" {
		t.Skip("a helper of TestLockdownKernelRefuses: runs only in the locked-down process that test starts")
	}
	var cfg lockdownChild
	if err := json.Unmarshal([]byte(data), &cfg); err != nil {
		t.Fatal(err)
	}
	l, err := early.Current()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Enforced(); err != nil {
		t.Fatalf("the lockdown is not in force in the child: %v (%+v)", err, l)
	}
	if _, err := strconv.Atoi(l.Landlock); err != nil {
		t.Errorf("Landlock is not in force: %q", l.Landlock)
	}
	// CAP_DAC_READ_SEARCH (2), CAP_SYS_PTRACE (19), CAP_SYS_ADMIN (21) only.
	if l.CapEffHex != "0000000000280004" || l.CapBoundHex != "0000000000280004" {
		t.Errorf("capabilities effective %s, bounding %s; want 0000000000280004", l.CapEffHex, l.CapBoundHex)
	}
	refused := func(what string, err error, errnos ...syscall.Errno) {
		t.Helper()
		if !slices.ContainsFunc(errnos, func(e syscall.Errno) bool { return errors.Is(err, e) }) {
			t.Errorf("%s in read-only mode: %v; want the kernel's %v", what, err, errnos)
		}
	}

	// The real Host actor, which would write: the kernel refuses.
	plan := cfg.Plan
	for i := range plan.Writes {
		plan.Writes[i].mount, plan.Writes[i].group = cfg.Mounts[i], cfg.Groups[i]
	}
	h := &Host{FS: probe.DefaultFS()}
	res, err := h.ApplyLimit(plan)
	refused("Host.ApplyLimit of the parent's plan", err, syscall.EACCES, syscall.EPERM)
	if res == nil || res.Written != 0 || len(res.ReadBack) != 1 || res.ReadBack[0].Value != "1000" {
		t.Errorf("Host.ApplyLimit result %+v; want no write and pids.max read back as 1000", res)
	}
	// Planning reads only: it works, and plans the same writes as the parent's.
	five := Setting{N: 5}
	own, err := h.PlanLimit(LimitRequest{Cgroup: cfg.Cgroup, PIDs: &five})
	if err != nil {
		t.Fatalf("PlanLimit (reading only) in read-only mode: %v", err)
	}
	if len(own.Writes) != 1 || own.Writes[0] != plan.Writes[0] {
		t.Errorf("the child's plan %+v, the parent's %+v", own.Writes, plan.Writes)
	}
	_, err = h.ApplyLimit(own)
	refused("Host.ApplyLimit of the child's plan", err, syscall.EACCES, syscall.EPERM)
	// With an audit log, the log cannot be opened: refused before any write.
	ha := &Host{FS: probe.DefaultFS(), Audit: &AuditLog{Path: filepath.Join(cfg.Dir, "audit", "audit.jsonl")}}
	_, err = ha.ApplyLimit(own)
	refused("Host.ApplyLimit with an audit log", err, syscall.EACCES, syscall.EPERM)
	if !errors.Is(err, ErrRefused) {
		t.Errorf("Host.ApplyLimit with an unwritable audit log: %v, want ErrRefused", err)
	}

	// Files: no creation, no directory, no truncation, no removal, no link.
	existing := filepath.Join(cfg.Dir, "existing")
	refused("creating a file", os.WriteFile(filepath.Join(cfg.Dir, "new"), []byte("x"), 0o644), syscall.EACCES)
	refused("mkdir", os.Mkdir(filepath.Join(cfg.Dir, "dir"), 0o755), syscall.EACCES)
	if f, err := os.OpenFile(existing, os.O_WRONLY|os.O_TRUNC, 0); err == nil {
		f.Close()
		t.Errorf("opened %s for writing in read-only mode", existing)
	} else {
		refused("opening a file for writing", err, syscall.EACCES)
	}
	refused("removing a file", os.Remove(existing), syscall.EACCES)
	refused("a symlink", os.Symlink(existing, filepath.Join(cfg.Dir, "link")), syscall.EACCES)

	// Mounts and namespace changes: seccomp's EPERM (without it, setns(CLONE_NEWNS) of a
	// multithreaded process is EINVAL, and mount would succeed).
	refused("mount", unix.Mount(cfg.MountSource, cfg.Dir, "tmpfs", 0, ""), syscall.EPERM)
	refused("unshare(CLONE_NEWNS)", unix.Unshare(unix.CLONE_NEWNS), syscall.EPERM)
	fd, err := unix.Open("/proc/self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open /proc/self/ns/mnt: %v", err)
	}
	refused("setns(mnt, CLONE_NEWNS)", unix.Setns(fd, unix.CLONE_NEWNS), syscall.EPERM)
	refused("setns(mnt, 0)", unix.Setns(fd, 0), syscall.EPERM)
	unix.Close(fd)
	// setns into a network namespace stays allowed: the probe's netlink sockets need it.
	func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatalf("open /proc/thread-self/ns/net: %v", err)
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			t.Errorf("setns(net, CLONE_NEWNET) in read-only mode: %v; the probe needs it", err)
		}
	}()

	// Signals: only to itself.
	refused("kill of the parent's process", unix.Kill(cfg.Victim, unix.SIGKILL), syscall.EPERM)
	if err := unix.Kill(os.Getpid(), 0); err != nil {
		t.Errorf("kill(self, 0) in read-only mode: %v", err)
	}

	// Reading still works: /proc, and /sys/fs/cgroup.
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cfg.Victim)); err != nil || string(b) != "sleep\x0086395\x00" {
		t.Errorf("reading /proc/%d/cmdline: %q, %v", cfg.Victim, b, err)
	}
	if ents, err := os.ReadDir("/proc"); err != nil || len(ents) < 10 {
		t.Errorf("reading /proc: %d entries, %v", len(ents), err)
	}
	if b, err := os.ReadFile(cfg.PIDsFile); err != nil || strings.TrimSpace(string(b)) != "1000" {
		t.Errorf("reading %s: %q, %v", cfg.PIDsFile, b, err)
	}
	if ents, err := os.ReadDir("/sys/fs/cgroup"); err != nil || len(ents) == 0 {
		t.Errorf("reading /sys/fs/cgroup: %v, %v", ents, err)
	}
	if _, err := probe.DefaultFS().Snapshot(); err != nil {
		t.Errorf("a snapshot in read-only mode: %v", err)
	}
}

// straceSet is what the traces record: every way to open, create a directory, mount or change
// namespace, and the lockdown and the runtime's threads, to order them.
const straceSet = "trace=open,openat,openat2,creat,mkdir,mkdirat,mount,setns,unshare,pivot_root," +
	"prctl,landlock_restrict_self,seccomp,clone,clone3"

func straceArgs(out string) []string {
	return []string{"-f", "-qq", "-e", straceSet, "-o", out}
}

// sysCall is one system call of an strace -f trace.
type sysCall struct {
	seq        int // its place in the trace (of its start, for one strace split)
	pid        int
	name, args string
	ret        string // "0", "3", "-1 EACCES (Permission denied)", "?"
}

func (c sysCall) ok() bool { return !strings.HasPrefix(c.ret, "-") && !strings.HasPrefix(c.ret, "?") }

func (c sysCall) String() string { return fmt.Sprintf("%d %s(%s) = %s", c.pid, c.name, c.args, c.ret) }

var straceResumed = regexp.MustCompile(`^<\.\.\. ([a-z0-9_]+) resumed>(.*)$`)

// parseStrace reads an strace -f trace, joining calls strace split into "<unfinished ...>" and
// "<... resumed>".
func parseStrace(text string) ([]sysCall, error) {
	type pending struct {
		seq  int
		text string
	}
	open := map[int]pending{}
	var calls []sysCall
	for i, line := range strings.Split(text, "\n") {
		pidStr, body, ok := strings.Cut(line, " ")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil {
			continue
		}
		body = strings.TrimLeft(body, " ")
		seq := i
		if m := straceResumed.FindStringSubmatch(body); m != nil {
			p, ok := open[pid]
			if !ok {
				return nil, fmt.Errorf("line %d: resumed call without its start: %s", i+1, line)
			}
			delete(open, pid)
			body, seq = p.text+m[2], p.seq
		} else if b, ok := strings.CutSuffix(body, " <unfinished ...>"); ok {
			open[pid] = pending{i, b}
			continue
		}
		if strings.HasPrefix(body, "---") || strings.HasPrefix(body, "+++") {
			continue
		}
		// strace pads short calls: "prctl(…)      = 0".
		lp, eq := strings.IndexByte(body, '('), strings.LastIndex(body, " = ")
		if lp < 0 || eq < lp {
			continue // a call the tracee did not return from (exit), or a note
		}
		call := strings.TrimRight(body[:eq], " ")
		if !strings.HasSuffix(call, ")") {
			return nil, fmt.Errorf("line %d: cannot read %q", i+1, line)
		}
		calls = append(calls, sysCall{seq: seq, pid: pid, name: body[:lp], args: call[lp+1 : len(call)-1], ret: strings.TrimSpace(body[eq+3:])})
	}
	slices.SortStableFunc(calls, func(a, b sysCall) int { return a.seq - b.seq })
	return calls, nil
}

var (
	straceWriteFlags = regexp.MustCompile(`\bO_(WRONLY|RDWR|CREAT|TRUNC|TMPFILE)\b`)
	straceQuoted     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
)

// traceReport is what a trace of read-only isotop must not have.
type traceReport struct {
	wrote     []string // opens for writing that succeeded
	refused   []string // opens for writing the kernel refused
	forbidden []string // mkdir, mount, unshare, pivot_root, setns other than CLONE_NEWNET: any
	lockdown  []string // what is wrong with the lockdown: missing, failed, or after a clone
}

// checkCalls checks a trace of isotop in read-only mode: no open for writing that succeeded, no
// mkdir, mount, unshare, pivot_root, no setns but into a network namespace; and the lockdown
// (no_new_privs, Landlock, seccomp) made by the first thread before the first clone.
func checkCalls(calls []sysCall) traceReport {
	var r traceReport
	for _, c := range calls {
		switch c.name {
		case "open", "openat", "openat2", "creat":
			if c.name == "creat" || straceWriteFlags.MatchString(straceQuoted.ReplaceAllString(c.args, `""`)) {
				if c.ok() {
					r.wrote = append(r.wrote, c.String())
				} else {
					r.refused = append(r.refused, c.String())
				}
			}
		case "mkdir", "mkdirat", "mount", "unshare", "pivot_root":
			r.forbidden = append(r.forbidden, c.String())
		case "setns":
			if _, kind, _ := strings.Cut(c.args, ", "); kind != "CLONE_NEWNET" {
				r.forbidden = append(r.forbidden, c.String())
			}
		}
	}
	if len(calls) == 0 {
		r.lockdown = append(r.lockdown, "an empty trace")
		return r
	}
	first := calls[0].pid
	clone := slices.IndexFunc(calls, func(c sysCall) bool { return c.name == "clone" || c.name == "clone3" })
	if clone < 0 {
		r.lockdown = append(r.lockdown, "no clone: no Go runtime threads traced")
		return r
	}
	for _, step := range []struct {
		what  string
		match func(c sysCall) bool
	}{
		{"prctl(PR_SET_NO_NEW_PRIVS, 1)", func(c sysCall) bool {
			return c.name == "prctl" && strings.HasPrefix(c.args, "PR_SET_NO_NEW_PRIVS, 1")
		}},
		{"landlock_restrict_self", func(c sysCall) bool { return c.name == "landlock_restrict_self" }},
		{"the seccomp filter", func(c sysCall) bool {
			return (c.name == "prctl" && strings.HasPrefix(c.args, "PR_SET_SECCOMP, SECCOMP_MODE_FILTER")) ||
				(c.name == "seccomp" && strings.HasPrefix(c.args, "SECCOMP_SET_MODE_FILTER"))
		}},
	} {
		i := slices.IndexFunc(calls, step.match)
		switch {
		case i < 0:
			r.lockdown = append(r.lockdown, "no "+step.what)
		case !calls[i].ok() || calls[i].pid != first:
			r.lockdown = append(r.lockdown, fmt.Sprintf("%s (the first thread is %d)", calls[i], first))
		case i > clone:
			r.lockdown = append(r.lockdown, fmt.Sprintf("%s after the first thread was made (%s)", calls[i], calls[clone]))
		}
	}
	return r
}

// checkReadOnlyTrace reads an strace -f -o file of isotop in read-only mode and fails the test on
// what checkCalls finds.
func checkReadOnlyTrace(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	calls, err := parseStrace(string(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(calls) < 100 || !slices.ContainsFunc(calls, func(c sysCall) bool { return c.name == "openat" && strings.Contains(c.args, `"/proc"`) && c.ok() }) {
		t.Fatalf("%s has %d calls and no reading of /proc: not a trace of isotop reading the host", path, len(calls))
	}
	r := checkCalls(calls)
	if len(r.wrote) > 0 {
		t.Errorf("read-only isotop opened %d files for writing:\n%s\n(and was refused %d:\n%s)", len(r.wrote),
			strings.Join(r.wrote, "\n"), len(r.refused), strings.Join(r.refused, "\n"))
	} else if len(r.refused) > 0 {
		t.Logf("opens for writing tried and refused by the kernel:\n%s", strings.Join(r.refused, "\n"))
	}
	if len(r.forbidden) > 0 {
		t.Errorf("read-only isotop made calls it must not make:\n%s", strings.Join(r.forbidden, "\n"))
	}
	if len(r.lockdown) > 0 {
		t.Errorf("%s: the lockdown before the Go runtime:\n%s", path, strings.Join(r.lockdown, "\n"))
	}
	netns := 0
	for _, c := range calls {
		if c.name == "setns" && c.ok() {
			netns++
		}
	}
	t.Logf("%s: %d calls, %d setns(CLONE_NEWNET)", filepath.Base(path), len(calls), netns)
}

// TestStraceChecker checks the trace checker itself on a made-up trace: it must see a write that
// succeeded (split by strace), a refused one, the forbidden calls, and a lockdown out of order.
func TestStraceChecker(t *testing.T) {
	good := `100 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3
100 prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) = 0
100 landlock_restrict_self(3, 0)      = 0
100 prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, {len=102, filter=0x7ffd}) = 0
100 clone3({flags=CLONE_VM|CLONE_FS, child_tid=0x7f} => {parent_tid=[101]}, 88) = 101
101 openat(AT_FDCWD, "/sys/fs/cgroup/pids/x/pids.max", O_WRONLY|O_CLOEXEC <unfinished ...>
100 openat(AT_FDCWD, "/tmp/O_RDWR", O_RDONLY) = 4
100 --- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=100, si_uid=0} ---
101 <... openat resumed>)             = 7
100 openat(AT_FDCWD, "/var/log/isotop/audit.jsonl", O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC, 0640) = -1 EACCES (Permission denied)
101 setns(7, CLONE_NEWNET)            = 0
101 setns(8, CLONE_NEWNS) = -1 EPERM (Operation not permitted)
100 mkdirat(AT_FDCWD, "/var/log/isotop", 0750) = -1 EACCES (Permission denied)
100 exit_group(0)                     = ?
`
	calls, err := parseStrace(good)
	if err != nil {
		t.Fatal(err)
	}
	r := checkCalls(calls)
	if len(r.wrote) != 1 || !strings.Contains(r.wrote[0], "pids.max") || !strings.HasSuffix(r.wrote[0], "= 7") {
		t.Errorf("writes that succeeded: %q", r.wrote)
	}
	if len(r.refused) != 1 || !strings.Contains(r.refused[0], "audit.jsonl") {
		t.Errorf("writes refused: %q", r.refused)
	}
	if len(r.forbidden) != 2 || !strings.Contains(r.forbidden[0], "CLONE_NEWNS") || !strings.HasPrefix(r.forbidden[1], "100 mkdirat(") {
		t.Errorf("forbidden calls: %q", r.forbidden)
	}
	if len(r.lockdown) != 0 {
		t.Errorf("lockdown: %q", r.lockdown)
	}

	// The runtime's first thread before the lockdown, and a failed seccomp.
	late := strings.Replace(good, "100 landlock_restrict_self(3, 0)      = 0\n", "", 1)
	late = strings.Replace(late, "(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, {len=102, filter=0x7ffd}) = 0", "(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, {len=102, filter=0x7ffd}) = -1 EINVAL (Invalid argument)", 1)
	late = strings.Replace(late, "100 clone3(", "100 landlock_restrict_self(3, 0) = 0\n100 clone3(", 1)
	late = strings.Replace(late, "100 prctl(PR_SET_NO_NEW_PRIVS", "100 clone(child_stack=NULL, flags=CLONE_VM) = 99\n100 prctl(PR_SET_NO_NEW_PRIVS", 1)
	calls, err = parseStrace(late)
	if err != nil {
		t.Fatal(err)
	}
	if r := checkCalls(calls); len(r.lockdown) != 3 {
		t.Errorf("a lockdown after the first clone, with seccomp failed: %q", r.lockdown)
	}
}

func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (make test installs it)", tool)
		}
	}
}

// TestLockdownStraceSnapshot traces ISOTOP_READONLY=1 isotop snapshot --json.
func TestLockdownStraceSnapshot(t *testing.T) {
	probetest.Live(t) // strace of a process that drops capabilities
	requireTools(t, "strace")
	bin := builtIsotop(t)
	trace := filepath.Join(t.TempDir(), "snapshot.strace")
	cmd := exec.Command("strace", append(straceArgs(trace), bin, "snapshot", "--json")...)
	cmd.Env = append(os.Environ(), "ISOTOP_READONLY=1")
	r := runWithStdin(t, "", cmd)
	if r.code != 0 {
		t.Fatalf("isotop snapshot --json under strace: exit %d\n%s", r.code, r.stderr)
	}
	var s probe.Snapshot
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || len(s.Processes) == 0 {
		t.Fatalf("isotop snapshot --json in read-only mode: %v, %d processes", err, len(s.Processes))
	}
	checkReadOnlyTrace(t, trace)

	// The control: without read-only mode, the same trace shows no lockdown.
	plain := filepath.Join(t.TempDir(), "plain.strace")
	cmd = exec.Command("strace", append(straceArgs(plain), bin, "snapshot", "--json")...)
	cmd.Env = append(os.Environ(), "ISOTOP_READONLY=")
	if r := runWithStdin(t, "", cmd); r.code != 0 {
		t.Fatalf("isotop snapshot --json under strace: exit %d\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	calls, err := parseStrace(string(data))
	if err != nil {
		t.Fatal(err)
	}
	if r := checkCalls(calls); len(r.lockdown) != 3 {
		t.Errorf("the trace of isotop not in read-only mode passes the lockdown check: %q", r.lockdown)
	}
}

// TestLockdownStraceTUI traces isotop --read-only in tmux through three refreshes, then q.
func TestLockdownStraceTUI(t *testing.T) {
	probetest.Live(t)
	requireTools(t, "strace", "tmux")
	bin := builtIsotop(t)
	dir := t.TempDir()
	trace := filepath.Join(dir, "tui.strace")
	session := probetest.Name(t)
	// A tmux server of the test's own, its socket in the test's directory.
	socket := filepath.Join(dir, "tmux")
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-S", socket}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	args := append([]string{"new-session", "-d", "-s", session, "-x", "120", "-y", "40", "env", "NO_COLOR=1", "ISOTOP_READONLY=", "strace"},
		straceArgs(trace)...)
	tmux(append(args, bin, "--read-only", "--interval", "200ms")...)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", socket, "kill-server").Run() })

	// Each snapshot lists /proc once: the first, and three refreshes. strace slows the reading
	// down a lot; the deadline only keeps a stuck TUI from hanging the run.
	snapshots := func() int {
		b, _ := os.ReadFile(trace)
		return strings.Count(string(b), `openat(AT_FDCWD, "/proc", `)
	}
	var screen string
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		screen = tmux("capture-pane", "-p", "-t", session)
		if strings.Contains(screen, "[READ-ONLY]") && strings.Contains(screen, " procs") && snapshots() >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for 3 refreshes (%d snapshots in the trace); the screen:\n%s", snapshots(), screen)
		}
	}
	tmux("send-keys", "-t", session, "q")
	for deadline := time.Now().Add(2 * time.Minute); exec.Command("tmux", "-S", socket, "has-session", "-t", session).Run() == nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("isotop did not quit on q; the screen:\n%s", tmux("capture-pane", "-p", "-t", session))
		}
	}
	checkReadOnlyTrace(t, trace)
}
