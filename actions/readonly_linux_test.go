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
	// The main process: not root, CAP_SYS_PTRACE (19) only, no Landlock (it would blind
	// /proc/PID/ns). The namespace helper: the same uid, CAP_SYS_ADMIN (21) only. The files helper:
	// the same uid, CAP_DAC_READ_SEARCH (2) only.
	if l.Main.UID == 0 || l.Main.CapEff != 1<<19 || l.Main.CapBnd != 1<<19 {
		t.Errorf("main process: uid %d, capabilities effective %#x, bounding %#x; want not root, 0x80000", l.Main.UID, l.Main.CapEff, l.Main.CapBnd)
	}
	if l.Helper == nil || l.Helper.UID != l.Main.UID || l.Helper.CapEff != 1<<21 || !l.Helper.Seccomp || !l.Helper.NoNewPrivs {
		t.Errorf("the namespace helper: %+v", l.Helper)
	}
	if l.Files == nil || l.Files.UID != l.Main.UID || l.Files.CapEff != 1<<2 || !l.Files.Seccomp || !l.Files.NoNewPrivs {
		t.Errorf("the files helper: %+v", l.Files)
	}
	if _, err := strconv.Atoi(l.HelperLandlock); err != nil {
		t.Errorf("the helper is in no Landlock domain: %q", l.HelperLandlock)
	}
	helper, err := early.NewHelper()
	if err != nil {
		t.Fatal(err)
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
		plan.Writes[i].mount, plan.Writes[i].group, plan.Writes[i].name = cfg.Mounts[i], cfg.Groups[i], filepath.Base(plan.Writes[i].File)
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
	refused("creating a file", os.WriteFile(filepath.Join(cfg.Dir, "new"), []byte("x"), 0o644), syscall.EPERM)
	refused("mkdir", os.Mkdir(filepath.Join(cfg.Dir, "dir"), 0o755), syscall.EPERM)
	if f, err := os.OpenFile(existing, os.O_WRONLY|os.O_TRUNC, 0); err == nil {
		f.Close()
		t.Errorf("opened %s for writing in read-only mode", existing)
	} else {
		refused("opening a file for writing", err, syscall.EPERM)
	}
	refused("removing a file", os.Remove(existing), syscall.EPERM)
	refused("a symlink", os.Symlink(existing, filepath.Join(cfg.Dir, "link")), syscall.EPERM)

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
	// No setns at all here, not even into a network namespace: the helper makes the probe's
	// netlink sockets.
	func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatalf("open /proc/thread-self/ns/net: %v", err)
		}
		defer unix.Close(fd)
		refused("setns(net, CLONE_NEWNET) in the main process", unix.Setns(fd, unix.CLONE_NEWNET), syscall.EPERM)
		if nl, err := helper.NetlinkSocket(fd); err != nil {
			t.Errorf("the helper's netlink socket: %v", err)
		} else {
			unix.Close(nl)
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
	fs := probe.DefaultFS()
	fs.Opener = helper
	if s, err := fs.Snapshot(); err != nil {
		t.Errorf("a snapshot in read-only mode: %v", err)
	} else if len(s.NetNamespaces) == 0 || len(s.NetNamespaces[0].Links) == 0 {
		t.Errorf("a snapshot in read-only mode has no network links: %+v", s.NetNamespaces)
	}
}

// straceSet is what the traces record: every way to open, create a directory, mount, change
// namespace or run a program, and the lockdown's steps and the processes and threads made, to
// order them.
const straceSet = "trace=open,openat,openat2,creat,mkdir,mkdirat,mount,setns,unshare,pivot_root,execve," +
	"prctl,setresuid,landlock_restrict_self,seccomp,clone,clone3,fork,vfork"

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
	forbidden []string // mkdir, mount, unshare, pivot_root, an exec after the first, a setns but the helper's into a network or UTS namespace
	lockdown  []string // what is wrong with the lockdown: a step missing, failed, by the wrong process, or after the runtime's first thread
	helper    int      // the helper's pid, 0 if none was found
}

// isThread tells a clone that makes a thread from one that makes a process (fork).
func isThread(c sysCall) bool {
	return c.name == "clone3" || (c.name == "clone" && strings.Contains(c.args, "CLONE_THREAD"))
}

// checkCalls checks a trace of isotop in read-only mode: no open for writing that succeeded, no
// mkdir, mount, unshare or pivot_root, no exec but the first, setns only by the helper and only
// into a network or UTS namespace; and the lockdown made before the Go runtime's first thread: the
// first process forks the helper, which drops to another uid, sets no_new_privs, enters Landlock
// and loads its filter, and then drops to that uid, sets no_new_privs and loads its own filter.
func checkCalls(calls []sysCall) traceReport {
	var r traceReport
	if len(calls) == 0 {
		r.lockdown = append(r.lockdown, "an empty trace")
		return r
	}
	first := calls[0].pid
	thread := slices.IndexFunc(calls, isThread)
	if thread < 0 {
		r.lockdown = append(r.lockdown, "no thread made: no Go runtime traced")
		return r
	}
	if fork := slices.IndexFunc(calls[:thread], func(c sysCall) bool {
		return c.pid == first && !isThread(c) && (c.name == "clone" || c.name == "fork" || c.name == "vfork") && c.ok()
	}); fork >= 0 {
		r.helper, _ = strconv.Atoi(calls[fork].ret)
	}
	execs := 0
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
		case "execve":
			if execs++; execs > 1 {
				r.forbidden = append(r.forbidden, c.String())
			}
		case "setns":
			_, kind, _ := strings.Cut(c.args, ", ")
			if c.pid != r.helper || (kind != "CLONE_NEWNET" && kind != "CLONE_NEWUTS") {
				r.forbidden = append(r.forbidden, c.String())
			}
		}
	}
	dropped := func(c sysCall) bool {
		return c.name == "setresuid" && c.ok() && !strings.HasPrefix(c.args, "0,")
	}
	nnp := func(c sysCall) bool { return c.name == "prctl" && strings.HasPrefix(c.args, "PR_SET_NO_NEW_PRIVS, 1") }
	// libseccomp first asks the kernel what it supports with a NULL filter (EFAULT): not the load.
	filter := func(c sysCall) bool {
		return !strings.HasSuffix(c.args, "NULL") && ((c.name == "prctl" && strings.HasPrefix(c.args, "PR_SET_SECCOMP, SECCOMP_MODE_FILTER")) ||
			(c.name == "seccomp" && strings.HasPrefix(c.args, "SECCOMP_SET_MODE_FILTER")))
	}
	landlock := func(c sysCall) bool { return c.name == "landlock_restrict_self" }
	type step struct {
		what  string
		match func(sysCall) bool
	}
	check := func(who string, pid int, steps []step) {
		for _, st := range steps {
			i := slices.IndexFunc(calls, func(c sysCall) bool { return c.pid == pid && st.match(c) })
			switch {
			case i < 0:
				r.lockdown = append(r.lockdown, fmt.Sprintf("%s (pid %d): no %s", who, pid, st.what))
			case !calls[i].ok():
				r.lockdown = append(r.lockdown, fmt.Sprintf("%s: %s", who, calls[i]))
			case calls[i].seq > calls[thread].seq:
				r.lockdown = append(r.lockdown, fmt.Sprintf("%s: %s after the first thread was made (%s)", who, calls[i], calls[thread]))
			}
		}
	}
	check("the main process", first, []step{{"setresuid to another user", dropped}, {"prctl(PR_SET_NO_NEW_PRIVS, 1)", nnp}, {"seccomp filter", filter}})
	if r.helper == 0 {
		r.lockdown = append(r.lockdown, "no helper forked before the first thread")
	} else {
		check("the helper", r.helper, []step{{"setresuid to another user", dropped}, {"prctl(PR_SET_NO_NEW_PRIVS, 1)", nnp},
			{"landlock_restrict_self", landlock}, {"seccomp filter", filter}})
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
	if netns == 0 {
		t.Errorf("%s: the helper entered no namespace: read-only isotop read no other network namespace", path)
	}
	t.Logf("%s: %d calls, %d setns by the helper (pid %d)", filepath.Base(path), len(calls), netns, r.helper)
}

// TestStraceChecker checks the trace checker itself on a made-up trace: it must see a write that
// succeeded (split by strace), a refused one, the forbidden calls, and a lockdown out of order.
func TestStraceChecker(t *testing.T) {
	good := `100 execve("/usr/bin/isotop", ["isotop", "--read-only"], 0x7ffc /* 20 vars */) = 0
100 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3
100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 101
101 setresuid(65534, 65534, 65534) = 0
100 setresuid(65534, 65534, 65534) = 0
101 prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) = 0
100 prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) = 0
101 landlock_restrict_self(3, 0)      = 0
101 seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, NULL) = -1 EFAULT (Bad address)
101 seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=40, filter=0x5}) = 0
100 seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, NULL) = -1 EFAULT (Bad address)
100 seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=200, filter=0x6}) = 0
100 clone(child_stack=0x7f, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, tls=0x7f) = 102
102 openat(AT_FDCWD, "/sys/fs/cgroup/pids/x/pids.max", O_WRONLY|O_CLOEXEC <unfinished ...>
100 openat(AT_FDCWD, "/tmp/O_RDWR", O_RDONLY) = 4
100 --- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=100, si_uid=0} ---
102 <... openat resumed>)             = 7
100 openat(AT_FDCWD, "/var/log/isotop/audit.jsonl", O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC, 0640) = -1 EPERM (Operation not permitted)
101 setns(7, CLONE_NEWNET)            = 0
101 setns(8, CLONE_NEWUTS) = 0
102 setns(8, CLONE_NEWNET) = -1 EPERM (Operation not permitted)
101 setns(9, CLONE_NEWNS) = -1 EPERM (Operation not permitted)
100 mkdirat(AT_FDCWD, "/var/log/isotop", 0750) = -1 EPERM (Operation not permitted)
100 execve("/bin/sh", ["sh"], 0x7ffc /* 20 vars */) = -1 EPERM (Operation not permitted)
100 exit_group(0)                     = ?
`
	calls, err := parseStrace(good)
	if err != nil {
		t.Fatal(err)
	}
	r := checkCalls(calls)
	if r.helper != 101 {
		t.Errorf("helper pid %d, want 101", r.helper)
	}
	if len(r.wrote) != 1 || !strings.Contains(r.wrote[0], "pids.max") || !strings.HasSuffix(r.wrote[0], "= 7") {
		t.Errorf("writes that succeeded: %q", r.wrote)
	}
	if len(r.refused) != 1 || !strings.Contains(r.refused[0], "audit.jsonl") {
		t.Errorf("writes refused: %q", r.refused)
	}
	want := []string{"102 setns(8, CLONE_NEWNET)", "101 setns(9, CLONE_NEWNS)", "100 mkdirat(", "100 execve(\"/bin/sh\""}
	if len(r.forbidden) != len(want) {
		t.Errorf("forbidden calls: %q", r.forbidden)
	}
	for i := range min(len(want), len(r.forbidden)) {
		if !strings.HasPrefix(r.forbidden[i], want[i]) {
			t.Errorf("forbidden call %d: %q, want %q…", i, r.forbidden[i], want[i])
		}
	}
	if len(r.lockdown) != 0 {
		t.Errorf("lockdown: %q", r.lockdown)
	}

	// The main process's filter after the runtime's first thread, a failed Landlock, and a
	// helper that stayed root.
	late := strings.Replace(good, "100 seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=200, filter=0x6}) = 0\n", "", 1)
	late = strings.Replace(late, "100 openat(AT_FDCWD, \"/tmp/O_RDWR\"", "100 seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=200, filter=0x6}) = 0\n100 openat(AT_FDCWD, \"/tmp/O_RDWR\"", 1)
	late = strings.Replace(late, "101 landlock_restrict_self(3, 0)      = 0", "101 landlock_restrict_self(3, 0) = -1 EPERM (Operation not permitted)", 1)
	late = strings.Replace(late, "101 setresuid(65534, 65534, 65534) = 0", "101 setresuid(0, 0, 0) = 0", 1)
	calls, err = parseStrace(late)
	if err != nil {
		t.Fatal(err)
	}
	if r := checkCalls(calls); len(r.lockdown) != 3 {
		t.Errorf("a late filter, a failed Landlock, a helper still root: %q", r.lockdown)
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
	cmd.Env = append(os.Environ(), "ISOTOP_READONLY=0")
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
	if r := checkCalls(calls); len(r.lockdown) == 0 {
		t.Errorf("the trace of isotop not in read-only mode passes the lockdown check")
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
	args := append([]string{"new-session", "-d", "-s", session, "-x", "120", "-y", "40", "env", "NO_COLOR=1", "ISOTOP_READONLY=0", "strace"},
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
