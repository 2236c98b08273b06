package actions

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// startUnshareTree starts `unshare … sh -c script` in new pid, mount, uts, ipc and net namespaces (killed
// with the whole tree in t.Cleanup) and returns the pid of its init, once that init's command line
// is wantCmdline (the script exec'd its last command, so everything before it has been done).
func startUnshareTree(t *testing.T, unshareArgs []string, script, wantCmdline string) int {
	t.Helper()
	args := append([]string{"--fork", "--pid", "--mount", "--uts", "--ipc", "--net", "--kill-child"}, unshareArgs...)
	un := probetest.Start(t, exec.Command("unshare", append(args, "sh", "-c", script)...))
	var init int
	probetest.WaitFor(t, "the unshare'd tree to start", func() bool {
		f := probetest.Children(un.Process.Pid)
		if len(f) != 1 {
			return false
		}
		init = f[0]
		cl, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", init))
		return string(cl) == wantCmdline
	})
	return init
}

func nsLinkOf(t *testing.T, pid any, kind string) string {
	t.Helper()
	l, err := os.Readlink(fmt.Sprintf("/proc/%v/ns/%s", pid, kind))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// outputSections splits a script's output at the lines "--".
func outputSections(out string) []string {
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n--\n")
}

// wantEnter is an enter the audit log must have: a "started" line and an "exit N" line.
type wantEnter struct {
	target    string // a prefix of the record's target
	kinds     []string
	command   []string // nil: any single shell
	cmdResult string
}

// checkEnterAudit checks that the audit log holds exactly the enters want, each as a "started" line
// followed by its cmdResult line, with namespaces and command.
func checkEnterAudit(t *testing.T, path string, want []wantEnter) {
	t.Helper()
	recs, bad, err := ReadAudit(path)
	if err != nil || bad != 0 {
		t.Fatalf("audit log %s: %v, %d bad lines", path, err, bad)
	}
	var enters []AuditRecord
	for _, r := range recs {
		if r.Action != "enter" {
			t.Errorf("audit record of another action: %+v", r)
		}
		if !strings.HasPrefix(r.Result, "refused") {
			enters = append(enters, r)
		}
	}
	if len(enters) != 2*len(want) {
		t.Fatalf("audit log has %d enter records, want %d (started and ended for each of %d enters): %+v", len(enters), 2*len(want), len(want), enters)
	}
	for i, w := range want {
		for j, res := range []string{"started", w.cmdResult} {
			r := enters[2*i+j]
			okCmd := slices.Equal(r.Command, w.command) ||
				(w.command == nil && len(r.Command) == 1 && strings.HasSuffix(r.Command[0], "sh"))
			if r.Result != res || !strings.HasPrefix(r.Target, w.target) || !slices.Equal(r.Namespaces, w.kinds) || !okCmd ||
				r.PID == 0 || r.Time.IsZero() {
				t.Errorf("audit record %d: %+v\nwant cmdResult %q, target %q…, namespaces %v, command %q", 2*i+j, r, res, w.target, w.kinds, w.command)
			}
		}
	}
}

// TestEnterUnsharedTree enters a tree made by unshare(1), by pid, with the real binary: its
// hostname, its pid namespace (its init is pid 1, the shell's own pid is small), its mount
// namespace (a tmpfs mounted only there), and its exit status.
func TestEnterUnsharedTree(t *testing.T) {
	probetest.Live(t)
	builtIsotop(t)
	name := probetest.Name(t)
	mnt := t.TempDir() // exists on the host; the tmpfs on it only in the tree's mount namespace
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	init := startUnshareTree(t, []string{"--mount-proc"},
		fmt.Sprintf("hostname %s && mount -t tmpfs %s %s && echo own-%s > %s/f && exec sleep 86399", name, name, mnt, name, mnt),
		"sleep\x0086399\x00")

	// The mount is the tree's alone: nothing on the host.
	if ents, err := os.ReadDir(mnt); err != nil || len(ents) != 0 {
		t.Fatalf("the tree's mount reached the host: %s holds %v (%v)", mnt, ents, err)
	}
	if mi, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mi), name) {
		t.Fatalf("the host's mountinfo has the tree's tmpfs %s", name)
	}

	script := "hostname; echo --; tr '\\0' ' ' < /proc/1/cmdline; echo; echo --; echo $$; echo --; cat " + mnt + "/f; echo --; " +
		"readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/net /proc/self/ns/uts /proc/self/ns/ipc"
	r := runIsotop(t, "", "enter", strconv.Itoa(init), "--audit-log", audit, "--", "sh", "-c", script)
	if r.code != 0 {
		t.Fatalf("isotop enter %d: exit %d\nstdout %s\nstderr %s", init, r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "entering ipc,uts,net,pid,mnt, running sh -c") {
		t.Errorf("stderr does not say what is entered: %q", r.stderr)
	}
	s := outputSections(r.stdout)
	if len(s) != 5 {
		t.Fatalf("output: %q", r.stdout)
	}
	if s[0] != name {
		t.Errorf("hostname inside %q, want %q", s[0], name)
	}
	if s[1] != "sleep 86399 " {
		t.Errorf("pid 1 inside is %q, want the tree's init (sleep 86399)", s[1])
	}
	// The tree has its init (1); the entered shell is one of the next few pids of that namespace.
	if pid, err := strconv.Atoi(s[2]); err != nil || pid <= 1 || pid > 20 {
		t.Errorf("the entered shell's pid is %q: not one of the tree's pid namespace", s[2])
	}
	if s[3] != "own-"+name {
		t.Errorf("the file only in the tree's mount namespace reads %q", s[3])
	}
	var want []string
	for _, k := range []string{"mnt", "pid", "net", "uts", "ipc"} {
		want = append(want, nsLinkOf(t, init, k))
	}
	if got := strings.Fields(s[4]); !slices.Equal(got, want) {
		t.Errorf("the entered shell's namespaces %v, the tree's %v", got, want)
	}
	if own := nsLinkOf(t, "self", "mnt"); own == want[0] {
		t.Fatal("the tree shares the test's mount namespace")
	}

	// The exit status is the command's.
	if r := runIsotop(t, "", "enter", strconv.Itoa(init), "--audit-log", audit, "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("sh -c 'exit 7': isotop exit %d, stderr %q", r.code, r.stderr)
	}
	// No command: the target's shell, reading its commands from isotop's stdin.
	if r := runIsotop(t, "hostname\n", "enter", strconv.Itoa(init), "--audit-log", audit); r.code != 0 || r.stdout != name+"\n" {
		t.Errorf("the default shell: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	kinds := []string{"ipc", "uts", "net", "pid", "mnt"}
	target := fmt.Sprintf("pid %d (sleep)", init)
	checkEnterAudit(t, audit, []wantEnter{
		{target, kinds, []string{"sh", "-c", script}, "exit 0"},
		{target, kinds, []string{"sh", "-c", "exit 7"}, "exit 7"},
		{target, kinds, nil, "exit 0"},
	})
}

// TestEnterPodmanByName enters a Podman container by its name (the CLI finds it in a snapshot):
// its hostname, its init, a file made inside it, and its own root.
func TestEnterPodmanByName(t *testing.T) {
	image := probetest.PodmanImage(t)
	builtIsotop(t)
	name := probetest.Name(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	id := probetest.PodmanRun(t, name, "--hostname", name, image, "sleep", "86398")
	probetest.Run(t, "podman", "exec", name, "sh", "-c", "echo inside-"+name+" > /tmp/isotop-test-file")
	var c *probe.Container
	probetest.WaitFor(t, "the container in a snapshot", func() bool {
		s, err := probe.DefaultFS().Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if c, err = FindContainer(s, name); err != nil {
			return false
		}
		_, err = ContainerInit(s, c)
		return err == nil
	})
	if c.ID != id {
		t.Fatalf("the snapshot's %s has id %s, podman's %s", name, c.ID, id)
	}
	// The container's root as the host sees it.
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/root", c.PID))
	if err != nil {
		t.Fatal(err)
	}
	var rootList []string
	for _, e := range ents {
		rootList = append(rootList, "/"+e.Name())
	}

	// busybox has no tr or ls here: the shell's builtins and cat.
	script := "hostname; echo --; cat /proc/1/cmdline; echo; echo --; echo $$; echo --; cat /tmp/isotop-test-file; echo --; " +
		"echo /*; echo --; echo /bin/*"
	r := runIsotop(t, "", "enter", name, "--audit-log", audit, "--", "sh", "-c", script)
	if r.code != 0 {
		t.Fatalf("isotop enter %s: exit %d\nstdout %s\nstderr %s", name, r.code, r.stdout, r.stderr)
	}
	s := outputSections(r.stdout)
	if len(s) != 6 {
		t.Fatalf("output: %q", r.stdout)
	}
	if s[0] != name {
		t.Errorf("hostname inside %q, want the container's %q", s[0], name)
	}
	if s[1] != "sleep\x0086398\x00" {
		t.Errorf("pid 1 inside is %q, want the container's init (sleep 86398)", s[1])
	}
	if pid, err := strconv.Atoi(s[2]); err != nil || pid <= 1 || pid > 20 {
		t.Errorf("the entered shell's pid is %q: not one of the container's pid namespace", s[2])
	}
	if s[3] != "inside-"+name {
		t.Errorf("the file made inside the container reads %q", s[3])
	}
	if s[4] != strings.Join(rootList, " ") || !slices.Contains(rootList, "/bin") || slices.Contains(rootList, "/usr") {
		t.Errorf("root listing inside %q, the container's root from the host %q (busybox: /bin, no /usr)", s[4], rootList)
	}
	if !strings.Contains(" "+s[5]+" ", " /bin/busybox ") {
		t.Errorf("/bin inside %q lacks busybox", s[5])
	}

	// A command the host has but the container's root does not.
	if _, err := exec.LookPath("bash"); err == nil {
		r := runIsotop(t, "", "enter", name, "--audit-log", audit, "--", "bash", "-c", "true")
		if r.code != 1 || !strings.Contains(r.stderr, "no bash in the target's root") {
			t.Errorf("bash, absent in the container: exit %d, stderr %q", r.code, r.stderr)
		}
	}
	if r := runIsotop(t, "", "enter", name, "--audit-log", audit, "--", "sh", "-c", "exit 3"); r.code != 3 {
		t.Errorf("sh -c 'exit 3': isotop exit %d, stderr %q", r.code, r.stderr)
	}

	recs, _, _ := ReadAudit(audit)
	if len(recs) == 0 {
		t.Fatal("no audit records")
	}
	kinds := recs[0].Namespaces
	for _, k := range []string{"ipc", "uts", "net", "pid", "mnt"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("enter of a container did not enter its %s namespace: %v", k, kinds)
		}
	}
	target := "container " + name + " (podman:" + id
	checkEnterAudit(t, audit, []wantEnter{
		{target, kinds, []string{"sh", "-c", script}, "exit 0"},
		{target, kinds, []string{"sh", "-c", "exit 3"}, "exit 3"},
	})
}

// TestEnterErrors: the CLI's refusals and their exit statuses.
func TestEnterErrors(t *testing.T) {
	probetest.Live(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	init := startUnshareTree(t, nil, "exec sleep 86397", "sleep\x0086397\x00")
	pid := strconv.Itoa(init)

	// pid_max is never a pid.
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	gone := strings.TrimSpace(string(b))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{gone}, 1, "pid " + gone + ": no such process"},
		{[]string{pid, "--", "isotop-test-nosuch"}, 1, "no isotop-test-nosuch in the target's root"},
		{[]string{pid, "--", "/isotop-test-nosuch/cmd"}, 1, "/isotop-test-nosuch/cmd does not exist in the target's root"},
		{[]string{pid, "--ns", "net,bogus"}, 2, `unknown namespace kind "bogus"`},
		{[]string{pid, "--ns", "net", "--host-shell"}, 2, "give one or the other"},
		{[]string{"0"}, 2, "not a process id"},
		{nil, 2, "which process?"},
	} {
		args := append([]string{"enter", "--audit-log", audit}, tc.args...)
		r := runIsotop(t, "", args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("isotop %q: exit %d, stderr %q; want exit %d and %q", args, r.code, r.stderr, tc.code, tc.want)
		}
		if r.stdout != "" {
			t.Errorf("isotop %q wrote to stdout: %q", args, r.stdout)
		}
	}
	// Nothing ran: no "started" record, only refusals.
	recs, _, _ := ReadAudit(audit)
	for _, r := range recs {
		if !strings.HasPrefix(r.Result, "refused: ") {
			t.Errorf("audit record of a refused enter: %+v", r)
		}
	}
	if len(recs) != 3 {
		t.Errorf("%d audit records, want the 3 refusals of well-formed requests: %+v", len(recs), recs)
	}
}

// startNoShell starts a tree in its own namespaces whose root is a directory holding only a
// static busybox (/busybox): no /bin/sh. It returns its init's pid and hostname.
func startNoShell(t *testing.T) (int, string) {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs busybox-static (make test installs it)")
	}
	root := t.TempDir()
	probetest.Run(t, "cp", "/bin/busybox", filepath.Join(root, "busybox"))
	name := probetest.Name(t)
	args := []string{"--fork", "--pid", "--mount", "--uts", "--ipc", "--net", "--kill-child", "--root=" + root,
		"/busybox", "sh", "-c", "/busybox hostname " + name + " && exec /busybox sleep 86396"}
	un := probetest.Start(t, exec.Command("unshare", args...))
	var init int
	probetest.WaitFor(t, "the shell-less tree to start", func() bool {
		f := probetest.Children(un.Process.Pid)
		if len(f) != 1 {
			return false
		}
		init = f[0]
		cl, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", init))
		return string(cl) == "/busybox\x00sleep\x0086396\x00"
	})
	return init, name
}

// TestEnterNoShell: a target whose root has no shell is refused with ErrNoShell, naming
// --host-shell; with HostShell the host's shell runs in its net, pid, uts and ipc namespaces and
// stays in the host's mount namespace.
func TestEnterNoShell(t *testing.T) {
	probetest.Live(t)
	init, name := startNoShell(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	h := &Host{FS: probe.DefaultFS(), Audit: &AuditLog{Path: audit}}

	e, err := h.Enter(EnterRequest{PID: init})
	if !errors.Is(err, ErrNoShell) || !strings.Contains(err.Error(), "--host-shell") || e != nil {
		t.Fatalf("Enter of a target without /bin/sh: %v, want ErrNoShell naming --host-shell", err)
	}
	// A refused start time: the pid now belongs to another process.
	if _, err := h.Enter(EnterRequest{PID: init, StartTicks: 1}); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "now belongs to another process") {
		t.Errorf("Enter with another start time: %v", err)
	}

	e, err = h.Enter(EnterRequest{PID: init, HostShell: true})
	if err != nil {
		t.Fatalf("Enter with HostShell: %v", err)
	}
	if got := KindNames(e.Kinds); !slices.Equal(got, []string{"ipc", "uts", "net", "pid"}) {
		t.Errorf("HostShell enters %v, want ipc, uts, net, pid", got)
	}
	if len(e.Command) != 1 || !strings.HasSuffix(e.Command[0], "sh") {
		t.Errorf("HostShell runs %q, want the host's shell", e.Command)
	}
	var out, errb strings.Builder
	e.Cmd.Stdin = strings.NewReader("hostname; readlink /proc/self/ns/mnt /proc/self/ns/net /proc/self/ns/pid /proc/self/ns/uts /proc/self/ns/ipc; test -x /busybox || echo host-root\n")
	e.Cmd.Stdout, e.Cmd.Stderr = &out, &errb
	runErr := e.Cmd.Run()
	if res := e.Finished(runErr); res != "exit 0" {
		t.Fatalf("the host shell: %s, stderr %q", res, errb.String())
	}
	lines := strings.Fields(out.String())
	want := []string{name, nsLinkOf(t, "self", "mnt")}
	for _, k := range []string{"net", "pid", "uts", "ipc"} {
		want = append(want, nsLinkOf(t, init, k))
	}
	want = append(want, "host-root")
	if !slices.Equal(lines, want) {
		t.Errorf("the host shell saw %q, want %q (hostname, the host's mnt, the target's net, pid, uts, ipc, the host's root)", lines, want)
	}
	if want[1] == nsLinkOf(t, init, "mnt") {
		t.Fatal("the shell-less tree shares the test's mount namespace")
	}
	checkEnterAudit(t, audit, []wantEnter{{fmt.Sprintf("pid %d (busybox)", init), []string{"ipc", "uts", "net", "pid"}, e.Command, "exit 0"}})

	// The CLI, with no terminal to ask on, refuses and names --host-shell.
	r := runIsotop(t, "", "enter", strconv.Itoa(init), "--audit-log", filepath.Join(t.TempDir(), "audit.jsonl"))
	if r.code != 1 || !strings.Contains(r.stderr, "no shell") || !strings.Contains(r.stderr, "--host-shell") {
		t.Errorf("isotop enter of a target without a shell: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runIsotop(t, "", "enter", strconv.Itoa(init), "--host-shell", "--audit-log", filepath.Join(t.TempDir(), "audit.jsonl"), "--", "hostname"); r.code != 0 || r.stdout != name+"\n" {
		t.Errorf("isotop enter --host-shell -- hostname: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestEnterCgroup: where the entered command runs. In a tree of its own (a container's
// namespaces), it joins the target's cgroups by default, so that its work counts against the
// target's limits; with --cgroup stay it stays in isotop's. A process of the host is entered
// without moving into its cgroup unless --cgroup join. A cgroup at its pids.max is refused (the
// shell could not start a command there). The audit records where.
func TestEnterCgroup(t *testing.T) {
	probetest.Live(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	name := probetest.Name(t)
	cg := probetest.NewCgroup(t, name, "pids", "memory")
	init := startUnshareTree(t, nil, "exec sleep 86388", "sleep\x0086388\x00")
	cg.Add(t, init)
	mine, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	host := probetest.Start(t, exec.Command("sleep", "86387")).Process.Pid
	cg.Add(t, host) // a process of the host, in the test's cgroup

	// cat /proc/self/cgroup from inside: the memory and pids lines.
	inCg := func(out string) bool {
		return strings.Contains(out, ":pids:/"+name+"\n") || strings.Contains(out, "::/"+name+"\n")
	}
	for _, tc := range []struct {
		name   string
		args   []string
		joined bool
	}{
		{"container-like tree, default", []string{strconv.Itoa(init)}, true},
		{"container-like tree, --cgroup stay", []string{strconv.Itoa(init), "--cgroup", "stay"}, false},
		{"host process, default", []string{strconv.Itoa(host), "--ns", "uts"}, false},
		{"host process, --cgroup join", []string{strconv.Itoa(host), "--ns", "uts", "--cgroup", "join"}, true},
	} {
		args := append([]string{"enter", "--audit-log", audit}, tc.args...)
		r := runIsotop(t, "", append(args, "--", "cat", "/proc/self/cgroup")...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", tc.name, r.code, r.stderr)
		}
		if inCg(r.stdout) != tc.joined {
			t.Errorf("%s: in the target's cgroup %v, want %v:\n%s\n(isotop's: %s)", tc.name, inCg(r.stdout), tc.joined, r.stdout, mine)
		}
		where := "in isotop's cgroup"
		if tc.joined {
			where = "in its cgroup /" + name
		}
		if !strings.Contains(r.stderr, where) {
			t.Errorf("%s: isotop does not say %q:\n%s", tc.name, where, r.stderr)
		}
		recs, _, _ := ReadAudit(audit)
		last := recs[len(recs)-1]
		if last.CgroupJoined == nil || *last.CgroupJoined != tc.joined || (tc.joined && last.Cgroup != "/"+name) {
			t.Errorf("%s: audit record %+v", tc.name, last)
		}
	}

	// At its pids.max: refused with the reason, and nothing ran.
	cg.SetPIDsMax(t, 2) // init and the host sleep
	r := runIsotop(t, "", "enter", "--audit-log", audit, strconv.Itoa(init), "--", "true")
	if r.code == 0 || !strings.Contains(r.stderr, "is at its pids.max (2 of 2)") || !strings.Contains(r.stderr, "--cgroup stay") {
		t.Errorf("a cgroup at its pids.max: exit %d, %q", r.code, r.stderr)
	}
	if r := runIsotop(t, "", "enter", "--audit-log", audit, strconv.Itoa(init), "--cgroup", "stay", "--", "true"); r.code != 0 {
		t.Errorf("--cgroup stay at the target's pids.max: exit %d, %q", r.code, r.stderr)
	}
	if r := runIsotop(t, "", "enter", strconv.Itoa(init), "--cgroup", "maybe", "--", "true"); r.code != 2 || !strings.Contains(r.stderr, "--cgroup") {
		t.Errorf("--cgroup maybe: exit %d, %q", r.code, r.stderr)
	}
}

// TestContainerdByName: a containerd container run with ctr under an id that is a name, in a
// namespace of its own, is found by that name by isotop enter and isotop limit, as a ctr user
// would give it.
func TestContainerdByName(t *testing.T) {
	addr := probetest.Containerd(t)
	id := "web-" + strings.TrimPrefix(probetest.Name(t), probetest.Prefix)
	ns := probetest.CtrRun(t, addr, id, "sleep", "86383")
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	var r cmdResult
	probetest.WaitFor(t, "isotop enter to find "+id, func() bool {
		r = runIsotop(t, "", "enter", id, "--audit-log", audit, "--", "cat", "/proc/1/cmdline")
		return r.code == 0
	})
	if r.stdout != "sleep\x0086383\x00" || !strings.Contains(r.stderr, "container "+id+" (containerd:"+id) {
		t.Errorf("isotop enter %s: stdout %q, stderr %q", id, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "in its cgroup /"+ns+"/"+id) {
		t.Errorf("isotop enter %s did not run in the container's cgroup: %q", id, r.stderr)
	}
	r = runIsotop(t, "", "limit", id, "--pids", "55", "--yes", "--audit-log", audit)
	if r.code != 0 || !strings.Contains(r.stdout, "cgroup /"+ns+"/"+id) || !strings.Contains(r.stdout, "pids.max") {
		t.Fatalf("isotop limit %s --pids 55: exit %d\n%s%s", id, r.code, r.stdout, r.stderr)
	}
	for _, p := range []string{"/sys/fs/cgroup/pids/" + ns + "/" + id + "/pids.max", "/sys/fs/cgroup/" + ns + "/" + id + "/pids.max"} {
		if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) != "55" {
			t.Errorf("%s: %q after isotop limit --pids 55", p, b)
		}
	}
}

// TestAmbiguousContainerName runs a Docker and a Podman container of one name: isotop enter and
// isotop limit refuse the name, listing both as runtime:id, and take either by runtime:id.
func TestAmbiguousContainerName(t *testing.T) {
	podmanImage := probetest.PodmanImage(t)
	d := probetest.Docker(t)
	dockerImage := d.Import(t, sbxRootfs(t))
	name := probetest.Name(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	dockerID := d.Run(t, name, dockerImage, "sleep", "86397")
	podmanID := probetest.PodmanRun(t, name, podmanImage, "sleep", "86397")
	probetest.WaitFor(t, "both containers, named, in a snapshot", func() bool {
		s, err := probe.DefaultFS().Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range s.Containers {
			if c.Name == name && (c.Key() == "docker:"+dockerID || c.Key() == "podman:"+podmanID) {
				n++
			}
		}
		return n == 2
	})
	want := fmt.Sprintf("%q names 2 containers: docker:%s (%s), podman:%s (%s); give runtime:id", name, dockerID, name, podmanID, name)
	for _, args := range [][]string{
		{"enter", name, "--audit-log", audit, "--", "hostname"},
		{"limit", name, "--memory", "64M", "--yes", "--audit-log", audit},
	} {
		r := runIsotop(t, "", args...)
		if r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("isotop %s: exit %d, stderr %q; want exit 1 and %q", strings.Join(args, " "), r.code, r.stderr, want)
		}
	}
	for _, key := range []string{"docker:" + dockerID, "podman:" + podmanID} {
		r := runIsotop(t, "", "limit", key, "--pids", "50", "--dry-run", "--audit-log", audit)
		if r.code != 0 || !strings.Contains(r.stdout, "pids.max") {
			t.Errorf("isotop limit %s --dry-run: exit %d\n%s%s", key, r.code, r.stdout, r.stderr)
		}
	}
}
