package actions

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/isotop/isotop/actions/early"
	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/sandbox"
)

// EnterKinds are the namespace kinds isotop enter can enter, in the order it enters them: the user
// namespace first, so that the others (owned by it) are joined with the capabilities it gives,
// and mnt last among the descriptors (then the target's root and working directory).
var EnterKinds = []probe.NSKind{probe.NSUser, probe.NSIPC, probe.NSUTS, probe.NSNet, probe.NSPID, probe.NSCgroup, probe.NSTime, probe.NSMnt}

// EnterRequest is what `isotop enter` and the TUI ask for.
type EnterRequest struct {
	PID int
	// StartTicks is the process's start time as the caller saw it: if the pid now belongs to
	// another process, Enter refuses. 0 skips the check.
	StartTicks uint64
	Target     string // "pid 4242 (nginx)", "container podman:web", for messages and the audit
	// Kinds to enter; nil enters every kind in which the target's namespace differs from
	// isotop's own (the host's, when isotop runs on the host).
	Kinds []probe.NSKind
	// Command to run; nil runs the target's $SHELL if it has one, else /bin/sh.
	Command []string
	// HostShell runs the host's shell in the target's net, pid, uts and ipc namespaces, not its
	// mount namespace: for a target that has no shell of its own (a distroless image).
	HostShell bool
	// Cgroup says whether the command joins the target's cgroups, as docker exec and podman exec
	// do (its work then counts against the container's memory and pids limits).
	Cgroup CgroupPolicy
}

// CgroupPolicy is whether an entered command joins the target's cgroups.
type CgroupPolicy string

const (
	// CgroupAuto joins the target's cgroups unless the target is a process of the host (in all of
	// isotop's namespaces): a shell does not belong in a host service's accounting.
	CgroupAuto CgroupPolicy = ""
	// CgroupJoin joins them whatever the target.
	CgroupJoin CgroupPolicy = "join"
	// CgroupStay leaves the command in isotop's own cgroups.
	CgroupStay CgroupPolicy = "stay"
)

// ParseCgroupPolicy reads --cgroup.
func ParseCgroupPolicy(s string) (CgroupPolicy, error) {
	switch p := CgroupPolicy(s); p {
	case CgroupAuto, CgroupJoin, CgroupStay:
		return p, nil
	case "auto":
		return CgroupAuto, nil
	}
	return "", badValue("--cgroup", s, "use join (the target's cgroups), stay (isotop's own) or auto (join unless the target is a process of the host)")
}

// ErrNoShell is returned when the target has no shell to run: Enter's error says what to do
// instead (EnterRequest.HostShell).
var ErrNoShell = errors.New("no shell in the target")

// HostShellKinds are the kinds entered with EnterRequest.HostShell.
var HostShellKinds = []probe.NSKind{probe.NSIPC, probe.NSUTS, probe.NSNet, probe.NSPID}

// EnterCmd is a prepared enter: Cmd re-executes isotop, whose early code (package early) enters
// the namespaces before the Go runtime starts and then executes Command.
type EnterCmd struct {
	Cmd     *exec.Cmd
	Kinds   []probe.NSKind
	Command []string
	Target  string
	// Cgroup is the target's cgroup the command joins ("" when it stays in isotop's), and
	// CgroupWhy says why, for the status line and the audit.
	Cgroup, CgroupWhy string
	files             []*os.File
	audit             *AuditLog
	op                string // the audit's id of this enter: its started and its result records
	done              bool
}

// Run runs the command with the terminal and, when it has the terminal, makes isotop's process
// group its foreground again afterwards: an interactive shell puts itself in a group of its own
// and leaves the terminal to it when it exits, and the next read of a program in a background
// group fails (the TUI would end on "input/output error"). EnterCmd satisfies Bubble Tea's
// ExecCommand: the TUI runs it through tea.Exec. Finished is still the caller's to call.
func (e *EnterCmd) Run() error {
	err := e.Cmd.Run()
	if IsTerminal(e.Cmd.Stdin) {
		takeTerminalBack()
	}
	return err
}

// SetStdin sets the command's standard input (tea.ExecCommand).
func (e *EnterCmd) SetStdin(r io.Reader) { e.Cmd.Stdin = r }

// SetStdout sets its standard output.
func (e *EnterCmd) SetStdout(w io.Writer) { e.Cmd.Stdout = w }

// SetStderr sets its standard error.
func (e *EnterCmd) SetStderr(w io.Writer) { e.Cmd.Stderr = w }

// Where says, in a few words, where the command ran: "in its cgroup /x" or "in isotop's cgroup".
func (e *EnterCmd) Where() string {
	if e.Cgroup != "" {
		return "in its cgroup " + e.Cgroup
	}
	return "in isotop's cgroup (" + e.CgroupWhy + ")"
}

// Finished closes what Enter held open and audits how the command ended (err as Cmd.Run or
// tea.ExecProcess gives it). It returns that result ("exit 0", "signal killed", "failed: …").
func (e *EnterCmd) Finished(err error) string {
	for _, f := range e.files {
		f.Close()
	}
	e.files = nil
	_, res := ExitStatus(err)
	if !e.done {
		e.done = true
		e.audit.Append(e.record(res))
	}
	return res
}

// ExitStatus is how a command ended, from the error of its Wait: the shell's exit status (128+N
// for signal N, 1 when it did not run) and the audit's words for it ("exit 0", "signal killed",
// "failed: …").
func ExitStatus(err error) (int, string) {
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), "signal " + ws.Signal().String()
		}
		return ee.ExitCode(), "exit " + strconv.Itoa(ee.ExitCode())
	case err != nil:
		return 1, "failed: " + err.Error()
	}
	return 0, "exit 0"
}

// KindNames are the kinds as words, for the audit and messages.
func KindNames(ks []probe.NSKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// ParseKinds reads a --ns list ("net,pid,mnt").
func ParseKinds(s string) ([]probe.NSKind, error) {
	var out []probe.NSKind
	for _, f := range strings.Split(s, ",") {
		k := probe.NSKind(strings.TrimSpace(f))
		if k == "mount" {
			k = probe.NSMnt
		}
		if !slices.Contains(EnterKinds, k) {
			return nil, badValue("--ns", s, fmt.Sprintf("unknown namespace kind %q (use mnt, uts, ipc, net, pid, cgroup, user, time)", cut(f)))
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// defaultPath is the PATH used to find a command inside the target's root: the sandbox's.
const defaultPath = sandbox.DefaultPath

func (h *Host) enter(req EnterRequest) (*EnterCmd, error) {
	if !early.Built {
		return nil, refusedf("this isotop was built without cgo, so without the code that enters namespaces before the Go runtime starts")
	}
	if req.PID <= 0 {
		return nil, badValuef("pid %d: not a process id", req.PID)
	}
	proc := h.FS.Proc + "/" + strconv.Itoa(req.PID)
	target := req.Target
	if target == "" {
		target = "pid " + strconv.Itoa(req.PID)
	}
	start, comm, err := h.FS.ProcessStart(req.PID)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
			return nil, refusedf("%s: no such process (it may have exited)", target)
		}
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	if req.StartTicks != 0 && start != req.StartTicks {
		return nil, refusedf("%s: pid %d now belongs to another process (%s), started after the one shown", target, req.PID, comm)
	}
	if req.Target == "" {
		target += " (" + comm + ")"
	}
	isolated, err := differingKinds(h.FS.Proc, proc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	kinds := req.Kinds
	if req.HostShell {
		kinds = HostShellKinds
	}
	if kinds == nil {
		kinds = isolated
		if len(kinds) == 0 {
			return nil, refusedf("%s shares every namespace with isotop: nothing to enter (--ns names kinds to enter anyway)", target)
		}
	}
	// Enter in EnterKinds' order, whatever order the caller gave.
	kinds = slices.DeleteFunc(slices.Clone(EnterKinds), func(k probe.NSKind) bool { return !slices.Contains(kinds, k) })

	e := &EnterCmd{Kinds: kinds, Target: target, audit: h.Audit}
	join := req.Cgroup == CgroupJoin || (req.Cgroup == CgroupAuto && len(isolated) > 0)
	switch {
	case req.Cgroup == CgroupStay:
		e.CgroupWhy = "--cgroup stay"
	case !join:
		e.CgroupWhy = "a process of the host: --cgroup join joins its cgroup"
	}
	ok := false
	defer func() {
		if !ok {
			for _, f := range e.files {
				f.Close()
			}
		}
	}()
	var spec []string
	var nsfds []string
	add := func(p string, flags int) (int, error) {
		fd, err := unix.Open(p, flags|unix.O_CLOEXEC, 0)
		if err != nil {
			return 0, &os.PathError{Op: "open", Path: p, Err: err}
		}
		e.files = append(e.files, os.NewFile(uintptr(fd), p))
		return 2 + len(e.files), nil // ExtraFiles start at descriptor 3 in the child
	}
	for _, k := range kinds {
		n, err := add(proc+"/ns/"+string(k), unix.O_RDONLY)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", target, nsErr(err))
		}
		nsfds = append(nsfds, strconv.Itoa(n))
	}
	spec = append(spec, "ns="+strings.Join(nsfds, ","))
	mnt := slices.Contains(kinds, probe.NSMnt)
	var root *os.File
	if mnt {
		n, err := add(proc+"/root", unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", target, nsErr(err))
		}
		root = e.files[len(e.files)-1]
		spec = append(spec, "root="+strconv.Itoa(n))
		if n, err := add(proc+"/cwd", unix.O_PATH|unix.O_DIRECTORY); err == nil {
			spec = append(spec, "cwd="+strconv.Itoa(n))
		}
	}
	if slices.Contains(kinds, probe.NSUser) {
		spec = append(spec, "user=1")
	}
	if slices.Contains(kinds, probe.NSPID) {
		spec = append(spec, "fork=1")
	}
	if join {
		procs, where, err := h.cgroupProcs(req.PID, target)
		if err != nil {
			return nil, err
		}
		var fds []string
		for _, p := range procs {
			n, err := add(p, unix.O_WRONLY)
			if err != nil {
				return nil, fmt.Errorf("%s: joining its cgroup: %w", target, err)
			}
			fds = append(fds, strconv.Itoa(n))
		}
		if len(fds) > 0 {
			spec = append(spec, "cgroup="+strings.Join(fds, ","))
		}
		e.Cgroup = where
	}
	// The descriptors are open: if the pid is still the same process now, they are its.
	if again, _, err := h.FS.ProcessStart(req.PID); err != nil || again != start {
		return nil, refusedf("%s: the process exited while isotop opened its namespaces", target)
	}

	env := environ(proc)
	cmd := req.Command
	if len(cmd) == 0 {
		cmd, err = h.shell(target, env, root, mnt)
		if err != nil {
			return nil, err
		}
	} else if mnt && !strings.Contains(cmd[0], "/") {
		if _, err := lookIn(root, cmd[0]); err != nil {
			return nil, refusedf("%s: no %s in the target's root (its PATH %s)", target, cmd[0], defaultPath)
		}
	} else if mnt {
		if !existsIn(root, cmd[0]) {
			return nil, refusedf("%s: %s does not exist in the target's root", target, cmd[0])
		}
	}
	e.Command = cmd

	// /proc/self/exe: this very binary, even if its file was replaced since it started.
	c := &exec.Cmd{Path: "/proc/self/exe", Args: append([]string{"isotop-enter"}, cmd...)}
	c.Env = append(childEnv(mnt), early.EnterEnv+"="+strings.Join(spec, " "))
	c.ExtraFiles = e.files
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	e.Cmd = c
	// Write-ahead: the record of what is about to run, before it runs; no record, no enter.
	e.op = NewOp()
	if err := h.Audit.Writable(); err != nil {
		return nil, err
	}
	if err := h.Audit.Append(e.record("started")); err != nil {
		return nil, refusedf("%w; nothing was run", err)
	}
	ok = true
	return e, nil
}

func (e *EnterCmd) record(result string) AuditRecord {
	joined := e.Cgroup != ""
	return AuditRecord{Action: "enter", Target: e.Target, Namespaces: KindNames(e.Kinds), Command: e.Command, Cgroup: e.Cgroup,
		CgroupJoined: &joined, Result: result, Op: e.op}
}

// differingKinds are the kinds in which the process at proc is in another namespace than isotop.
func differingKinds(procRoot, proc string) ([]probe.NSKind, error) {
	var kinds []probe.NSKind
	for _, k := range EnterKinds {
		mine, err1 := nsInode(procRoot+"/self", k)
		theirs, err2 := nsInode(proc, k)
		if err2 != nil {
			return nil, nsErr(err2)
		}
		if err1 == nil && mine != theirs {
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

// cgroupProcs finds the target's cgroup in each hierarchy isotop can see (/proc/PID/cgroup, mapped
// onto the mounts) and returns each one's cgroup.procs, for early.c to write itself into before it
// enters anything (the command it forks is then born there), and the path that stands for them.
// It refuses what the kernel would refuse or what would leave a shell unable to run a command: a
// v2 cgroup with controllers enabled for its children (v2 keeps processes in leaves, the write
// gives EBUSY), and a cgroup at its pids.max.
func (h *Host) cgroupProcs(pid int, target string) ([]string, string, error) {
	mounts, _, err := h.FS.CgroupMounts()
	if err != nil {
		return nil, "", err
	}
	member, err := h.FS.ProcessCgroups(pid)
	if err != nil {
		return nil, "", refusedf("%s: its cgroups: %v", target, err)
	}
	var procs []string
	where := ""
	for _, m := range member {
		dir, ok := probe.CgroupDir(mounts, m)
		if !ok {
			continue // a hierarchy isotop's mount namespace does not have
		}
		// The path that stands for them, as the probe's Process.Cgroup: memory's on v1 and hybrid.
		if where == "" || slices.Contains(m.Controllers, "memory") {
			where = m.Path
		}
		if sub, err := readTrim(filepath.Join(dir, "cgroup.subtree_control")); err == nil && sub != "" && m.Path != "/" {
			return nil, "", refusedf("%s: its cgroup %s hands controllers (%s) to child cgroups, and v2 keeps processes in leaves only "+
				"(the kernel would refuse the move); --cgroup stay runs the command in isotop's cgroup", target, m.Path, sub)
		}
		cur, err1 := readTrim(filepath.Join(dir, "pids.current"))
		max, err2 := readTrim(filepath.Join(dir, "pids.max"))
		if n, m2 := atoi(cur), atoi(max); err1 == nil && err2 == nil && max != "max" && n >= m2 {
			return nil, "", refusedf("%s: its cgroup %s is at its pids.max (%s of %s): a shell there could not start a single command; "+
				"--cgroup stay runs it in isotop's cgroup", target, m.Path, cur, max)
		}
		procs = append(procs, filepath.Join(dir, "cgroup.procs"))
	}
	if len(procs) == 0 {
		return nil, "", refusedf("%s: none of its cgroups is in a hierarchy mounted here; --cgroup stay runs the command in isotop's cgroup", target)
	}
	return procs, where, nil
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// childEnv is the environment of the entered command: isotop's own (the operator's TERM, LANG …),
// with a PATH that fits the target's root when its mount namespace is entered, and without
// isotop's own variables.
func childEnv(mnt bool) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == early.EnterEnv || (mnt && k == "PATH") {
			continue
		}
		env = append(env, kv)
	}
	if mnt {
		env = append(env, "PATH="+defaultPath)
	}
	return env
}

// shell picks the command to run when none was given: the target's $SHELL if it exists in its
// root, else /bin/sh.
func (h *Host) shell(target string, env map[string]string, root *os.File, mnt bool) ([]string, error) {
	if !mnt {
		if s := os.Getenv("SHELL"); s != "" {
			return []string{s}, nil
		}
		return []string{"/bin/sh"}, nil
	}
	for _, s := range []string{env["SHELL"], "/bin/sh"} {
		if s != "" && existsIn(root, s) {
			return []string{s}, nil
		}
	}
	return nil, noShellf("%s has no shell: /bin/sh does not exist in its root (a distroless image?); "+
		"the host's shell can run in its net, pid, uts and ipc namespaces instead (isotop enter --host-shell)", target)
}

// existsIn reports whether an executable p exists inside the directory root, resolving symlinks as
// the target would (an absolute link inside a container's root points into that root).
func existsIn(root *os.File, p string) bool {
	fd, err := unix.Openat2(int(root.Fd()), strings.TrimPrefix(path.Clean("/"+p), "/"), &unix.OpenHow{
		Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT})
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Mode&0o111 != 0
}

func lookIn(root *os.File, name string) (string, error) {
	for _, dir := range strings.Split(defaultPath, ":") {
		if p := dir + "/" + name; existsIn(root, p) {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

// environ reads a process's environment (/proc/PID/environ); empty when it cannot be read.
func environ(proc string) map[string]string {
	out := map[string]string{}
	data, err := os.ReadFile(proc + "/environ")
	if err != nil {
		return out
	}
	for _, kv := range bytes.Split(data, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok {
			out[k] = v
		}
	}
	return out
}

func nsInode(proc string, k probe.NSKind) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(proc+"/ns/"+string(k), &st); err != nil {
		return 0, &os.PathError{Op: "stat", Path: proc + "/ns/" + string(k), Err: err}
	}
	return st.Ino, nil
}

func nsErr(err error) error {
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ESRCH):
		return refusedf("%w (the process exited)", err)
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return refusedf("%w (entering another user's process takes root)", err)
	}
	return err
}

// Enter prepares the command; see EnterRequest.
func (h *Host) Enter(req EnterRequest) (*EnterCmd, error) {
	e, err := h.enter(req)
	if err != nil && !errors.Is(err, ErrNoShell) && !errors.Is(err, ErrBadValue) {
		target := req.Target
		if target == "" && req.PID > 0 {
			target = "pid " + strconv.Itoa(req.PID)
		}
		h.Audit.Append(AuditRecord{Action: "enter", Target: target, Namespaces: KindNames(req.Kinds), Command: req.Command, Result: "refused: " + err.Error()})
	}
	return e, err
}
