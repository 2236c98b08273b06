package actions

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/cgroups/v3/cgroup2"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/sandbox"
)

// SandboxRequest is what `isotop sandbox` and the TUI's sandbox action ask for.
type SandboxRequest struct {
	Rootfs   string // "" runs on an ephemeral copy of the host's /
	Memory   *Setting
	CPUs     *CPUs
	PIDs     *Setting
	Hostname string // "" is sandbox-<short id>
	Net      string // "none" (loopback only) or "veth"
	Bridge   string // with veth: an existing bridge to use, or the name of the one isotop makes
	Binds    []sandbox.Bind
	Explain  bool
	Init     bool
	Rootless bool // a user namespace too (always when not root)
	Command  []string
	// CgroupParent is the cgroup under which the sandbox's own (isotop-<id>.scope) is made.
	CgroupParent string
}

// SandboxRun is a validated sandbox, ready to Run. It satisfies Bubble Tea's ExecCommand, so the
// TUI gives it the terminal as it would any program.
type SandboxRun struct {
	req            SandboxRequest
	id             string
	fs             probe.FS
	audit          *AuditLog
	stdin          io.Reader
	stdout, stderr io.Writer
	mounts         []probe.CgroupMount // the host's cgroup hierarchies, read once by Run
	mode           string
	// ExitCode is the command's exit status after Run (128+N for signal N).
	ExitCode int
	// Events says what the limits did to the command (OOM kills, forks refused), after Run.
	Events string
	// Cgroup and HostVeth are the sandbox's cgroup and the host end of its veth, once made.
	Cgroup   string
	HostVeth string
	Addr     string // the sandbox's address on the veth
	HostAddr string // the host's address on the bridge
}

// ID is the sandbox's id (the container id the probe shows, runtime "isotop").
func (r *SandboxRun) ID() string { return r.id }

// SetStdin sets the sandbox's standard input (tea.ExecCommand).
func (r *SandboxRun) SetStdin(in io.Reader) { r.stdin = in }

// SetStdout sets its standard output.
func (r *SandboxRun) SetStdout(out io.Writer) { r.stdout = out }

// SetStderr sets its standard error (and where --explain writes).
func (r *SandboxRun) SetStderr(out io.Writer) { r.stderr = out }

func randomID() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// minSandboxMemory is the smallest --memory. The command's limit is set as it starts, when
// nothing of isotop's setup runs in the sandbox any more; what the setup left charged to the cgroup
// then is 300K-500K (measured on Linux 6.1, v1 and v2, with and without --init): 512K killed a
// busybox sh at once, 1M ran it.
const minSandboxMemory = 1 << 20

// validIfName reports whether s can name a network interface.
func validIfName(s string) bool {
	return s != "" && len(s) <= 15 && s != "." && s != ".." && !strings.ContainsAny(s, "/: \t\n\x00")
}

// Sandbox validates a request and returns it ready to run. Nothing is created until Run. A
// refusal of a well-formed request is audited.
func (h *Host) Sandbox(req SandboxRequest) (*SandboxRun, error) {
	run, err := h.sandbox(req)
	if err != nil && errors.Is(err, ErrRefused) {
		h.Audit.Append(AuditRecord{Action: "sandbox", Target: "sandbox", Command: req.Command, Result: "refused: " + err.Error()})
	}
	return run, err
}

func (h *Host) sandbox(req SandboxRequest) (*SandboxRun, error) {
	if req.Net == "" {
		req.Net = "none"
	}
	if os.Geteuid() != 0 {
		req.Rootless = true
	}
	switch {
	case req.Net != "none" && req.Net != "veth":
		return nil, badValuef("--net %q: use none (loopback only) or veth", cut(req.Net))
	case req.Bridge != "" && req.Net != "veth":
		return nil, badValuef("--bridge %s: a bridge is for --net veth", req.Bridge)
	case req.Bridge != "" && !validIfName(req.Bridge):
		return nil, badValuef("--bridge %q: not an interface name (at most 15 characters, no '/', ':' or spaces)", cut(req.Bridge))
	case req.Hostname != "" && (len(req.Hostname) > 64 || strings.ContainsAny(req.Hostname, "/ \t\n\x00")):
		return nil, badValuef("--hostname %q: at most 64 characters, no '/' or spaces", cut(req.Hostname))
	case req.Memory != nil && !req.Memory.Max && req.Memory.N < minSandboxMemory:
		return nil, badValuef("--memory %s: below the %s a sandbox needs: as its command starts, the sandbox's cgroup already holds about 400K (page cache and page tables its making left charged), and the command needs its own",
			probe.FormatBytes(req.Memory.N), probe.FormatBytes(minSandboxMemory))
	case req.PIDs != nil && !req.PIDs.Max && req.PIDs.N < 1:
		return nil, badValuef("--pids 0: the command is a process itself: at least 1")
	case req.PIDs != nil && !req.PIDs.Max && req.PIDs.N < 2 && req.Init:
		return nil, badValuef("--pids %d with --init: the init is a process and the command another: at least 2", req.PIDs.N)
	case req.Rootless && os.Geteuid() != 0 && (req.Memory != nil || req.CPUs != nil || req.PIDs != nil):
		return nil, refusedf("limits need root: isotop makes the sandbox's cgroup")
	case req.Rootless && os.Geteuid() != 0 && req.Net == "veth":
		return nil, refusedf("--net veth needs root: isotop makes the veth and the bridge on the host")
	}
	if req.Rootfs != "" {
		st, err := os.Stat(req.Rootfs)
		switch {
		case err != nil:
			return nil, refusedf("--rootfs %s: %v", req.Rootfs, errors.Unwrap(err))
		case !st.IsDir():
			return nil, refusedf("--rootfs %s: not a directory (give the root of a tree such as a busybox or debootstrap root)", req.Rootfs)
		}
		abs, _ := filepath.Abs(req.Rootfs)
		req.Rootfs = abs
		// overlayfs takes its layers in one option string: a ',' or ':' in the path would be read
		// as another option or another layer (lowerdir=/a,upperdir=/etc).
		if strings.ContainsAny(abs, ",:\\\n") {
			return nil, refusedf("--rootfs %s: the path holds ',' ':' or '\\', which overlayfs would read as more of its options: give a path without them (a bind mount or a symlink to it)", cut(abs))
		}
	}
	for _, b := range req.Binds {
		if _, err := os.Stat(b.Src); err != nil {
			return nil, refusedf("--bind %s: %s: %v", b, b.Src, errors.Unwrap(err))
		}
	}
	if req.CgroupParent == "" {
		req.CgroupParent = "/"
	}
	for _, p := range strings.Split(req.CgroupParent, "/") {
		if p == ".." {
			return nil, refusedf("--cgroup-parent %q: \"..\" would leave the cgroup hierarchy", cut(req.CgroupParent))
		}
	}
	req.CgroupParent = path.Clean("/" + req.CgroupParent)
	if len(req.Command) == 0 {
		req.Command = []string{"/bin/sh"}
	}
	// The command must exist in the sandbox's root, looked up as it will be there.
	lower := req.Rootfs
	if lower == "" {
		lower = "/"
	}
	root, err := os.Open(lower)
	if err != nil {
		return nil, refusedf("root %s: %v", lower, err)
	}
	defer root.Close()
	if strings.Contains(req.Command[0], "/") {
		if !existsIn(root, req.Command[0]) {
			return nil, refusedf("command %s does not exist in the sandbox's root (%s)", req.Command[0], lower)
		}
	} else if _, err := lookIn(root, req.Command[0]); err != nil {
		return nil, refusedf("command %s: not found in the sandbox's root (%s) on its PATH %s", req.Command[0], lower, defaultPath)
	}
	if req.Net == "veth" && req.Bridge != "" {
		if l, err := netlink.LinkByName(req.Bridge); err == nil && l.Type() != "bridge" {
			return nil, refusedf("--bridge %s: that name is taken by a %s link, not a bridge", req.Bridge, l.Type())
		}
	}
	id := randomID()
	if req.Hostname == "" {
		req.Hostname = "sandbox-" + id[:4]
	}
	return &SandboxRun{req: req, id: id, fs: h.FS, audit: h.Audit, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, nil
}

func (r *SandboxRun) explain(cmd, why string) {
	if r.req.Explain {
		sandbox.Explain(r.stderr, cmd, why)
	}
}

// Run makes the sandbox, runs the command in it with the terminal, and removes everything it made
// when the command ends: by itself, killed (even with SIGKILL), or because isotop got SIGINT,
// SIGTERM or SIGHUP. It returns an error only when the sandbox could not be made or cleaned up;
// the command's own exit status is ExitCode.
func (r *SandboxRun) Run() (err error) {
	// The child's Pdeathsig belongs to the thread that starts it: keep that thread for the whole run.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// Write-ahead: the intent in the audit log, and what will be made in the state file, before
	// anything is made; the result after. Nothing is made that cannot be audited.
	if err := r.audit.Writable(); err != nil {
		return err
	}
	op := NewOp()
	if err := r.audit.Append(AuditRecord{Action: "sandbox", Target: "sandbox " + r.id, Command: r.req.Command, Result: "started", Op: op}); err != nil {
		return refusedf("%w; no sandbox was made", err)
	}
	cleanupLeftovers(r.stderr) // a crash's leftovers first: their bridges and subnets, for one
	base := sandboxBase()
	if err := os.MkdirAll(base, 0o700); err != nil {
		return fmt.Errorf("making %s: %w", base, err)
	}
	st := &sandboxState{ID: r.id, Op: op, Owner: refOf(os.Getpid()), Base: base, Command: r.req.Command, path: filepath.Join(base, "sandbox-"+r.id+".json")}
	if r.audit != nil {
		st.AuditLog = r.audit.Path
	}
	var cmd *exec.Cmd
	var reaper *os.File
	done := make(chan struct{})
	defer func() {
		if cmd != nil { // the sandbox must be gone before its cgroup and links can be: reaped here
			cmd.Process.Kill()
			<-done
		}
		if cerr := st.cleanup(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("cleanup: %w", cerr))
		}
		res := "exit " + strconv.Itoa(r.ExitCode)
		if r.Events != "" {
			res += "; " + r.Events
		}
		if err != nil {
			res = "failed: " + err.Error()
		}
		r.audit.Append(AuditRecord{Action: "sandbox", Target: "sandbox " + r.id, Cgroup: r.Cgroup, Command: r.req.Command, Result: res, Op: op})
		if reaper != nil {
			reaper.Close() // after the cleanup: the reaper wakes to find nothing left (or what failed)
		}
	}()
	if err := st.save(); err != nil {
		return err
	}
	if reaper, err = startReaper(st); err != nil {
		return err
	}
	if err := st.save(); err != nil {
		return err
	}
	// Signals to isotop while the sandbox is being made or runs end it, and then the cleanup runs.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP)
	defer signal.Stop(sigs)

	if r.mounts, r.mode, err = r.fs.CgroupMounts(); err != nil {
		return err
	}
	work, err := r.workDir(st)
	if err != nil {
		return err
	}
	dirs, err := r.makeCgroup(st)
	if err != nil {
		return err
	}
	c, statusR, goW, err := r.start(work)
	if err != nil {
		return err
	}
	cmd = c
	pid := cmd.Process.Pid
	st.Init = refOf(pid)
	st.save()
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	if IsTerminal(r.stdin) {
		defer takeTerminalBack()
	}
	ready := func() error {
		for _, d := range dirs {
			r.explain("echo "+strconv.Itoa(pid)+" > "+d+"/cgroup.procs", "the sandbox's first process joins its cgroup; its children will too")
			if err := os.WriteFile(d+"/cgroup.procs", []byte(strconv.Itoa(pid)), 0); err != nil {
				return fmt.Errorf("moving the sandbox into %s: %w", d, err)
			}
		}
		if r.req.Net == "veth" {
			return r.network(pid, st)
		}
		return nil // --net none: the sandbox brings its loopback up itself
	}
	if err := ready(); err != nil {
		goW.Close()
		statusR.Close()
		return err
	}
	summary := fmt.Sprintf("isotop sandbox %s: hostname %s", r.id, r.req.Hostname)
	if r.Cgroup != "" {
		summary += ", cgroup " + r.Cgroup
	}
	if r.HostVeth != "" {
		summary += fmt.Sprintf(", eth0 %s ↔ %s (host %s)", r.Addr, r.HostVeth, r.HostAddr)
	}
	fmt.Fprintln(r.stderr, summary)
	goW.Write([]byte{1})
	status := make(chan sandbox.Sync, 4)
	go func() {
		sandbox.ReadSyncs(statusR, status)
		statusR.Close()
	}()
	var setupErr error
	failed := false // isotop could not finish the sandbox and killed it
	var stopping <-chan time.Time
	for {
		select {
		case s, ok := <-status:
			switch {
			case !ok:
				status = nil // the command started (or the child ended: done says)
			case s.Type == sandbox.SyncExec:
				if err := r.commandLimits(); err != nil {
					setupErr = fmt.Errorf("the command's limits: %w", err)
					failed = true
					cmd.Process.Kill()
				} else {
					goW.Write([]byte{1})
				}
				goW.Close()
			case setupErr == nil:
				setupErr = childFailure(s)
			}
		case sig := <-sigs:
			fmt.Fprintf(r.stderr, "isotop sandbox: %v: stopping the sandbox\n", sig)
			cmd.Process.Signal(unix.SIGTERM) // an --init forwards it; a plain pid 1 without a handler ignores it
			stopping = time.After(3 * time.Second)
		case <-stopping:
			cmd.Process.Kill()
		case <-done:
			cmd = nil // reaped
			goW.Close()
			r.ExitCode, _ = ExitStatus(waitErr)
			if failed {
				r.ExitCode = 125 // as docker run: the sandbox could not be made, no command ran
			}
			for status != nil { // the child's end is closed now: its report, if any, is there
				s, ok := <-status
				if !ok {
					break
				}
				if s.Type != sandbox.SyncExec && setupErr == nil {
					setupErr = childFailure(s)
				}
			}
			r.Events = r.limitEvents(dirs)
			if r.Events != "" {
				fmt.Fprintf(r.stderr, "isotop sandbox: %s\n", r.Events)
			}
			return setupErr
		}
	}
}

// childFailure is the error a message of the sandbox's first process reports.
func childFailure(s sandbox.Sync) error {
	if s.Type == sandbox.SyncNoCommand {
		return refusedf("%s", s)
	}
	return errors.New(s.String())
}

// limitEvents says what the sandbox's limits did to its command, from its cgroup's counters
// before the cgroup goes: OOM kills (memory.events, or v1 memory.oom_control) and forks refused at
// pids.max (pids.events). "" when they did nothing.
func (r *SandboxRun) limitEvents(dirs []string) string {
	var out []string
	for _, d := range dirs {
		for _, f := range []struct{ file, key, what string }{
			{"memory.events", "oom_kill", "process(es) killed by the kernel's OOM killer: the sandbox reached its memory limit"},
			{"memory.oom_control", "oom_kill", "process(es) killed by the kernel's OOM killer: the sandbox reached its memory limit"},
			{"pids.events", "max", "fork(s) refused: the sandbox reached its pids limit"},
		} {
			data, err := os.ReadFile(filepath.Join(d, f.file))
			if err != nil {
				continue
			}
			for _, l := range strings.Split(string(data), "\n") {
				k, v, _ := strings.Cut(l, " ")
				if n, err := strconv.ParseUint(v, 10, 64); err == nil && k == f.key && n > 0 {
					limit := ""
					switch {
					case f.key == "oom_kill" && r.req.Memory != nil && !r.req.Memory.Max:
						limit = " of " + probe.FormatBytes(r.req.Memory.N)
					case f.key == "max" && r.req.PIDs != nil:
						limit = " of " + r.req.PIDs.String()
					}
					out = append(out, fmt.Sprintf("%d %s%s (%s %s %d)", n, f.what, limit, f.file, k, n))
				}
			}
		}
	}
	return strings.Join(out, "; ")
}

// IsTerminal reports whether r is a terminal (a file the terminal ioctls answer on).
func IsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// takeTerminalBack makes isotop's process group the terminal's foreground again after the
// sandbox had it (SIGTTOU, sent to a background group that does this, is ignored meanwhile).
func takeTerminalBack() {
	signal.Ignore(unix.SIGTTOU)
	defer signal.Reset(unix.SIGTTOU)
	unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, unix.Getpgrp())
}

// workDir makes the empty directory the sandbox mounts its tmpfs on (in its own mount namespace:
// on the host it stays empty) and removes it afterwards.
func (r *SandboxRun) workDir(st *sandboxState) (string, error) {
	dir := st.Base + "/sandbox-" + r.id
	st.WorkDir = dir
	if err := st.save(); err != nil {
		return "", err
	}
	r.explain("mkdir "+dir, "where the sandbox's tmpfs goes (mounted in its own mount namespace only)")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", err
	}
	if r.req.Rootless && os.Geteuid() == 0 {
		// The sandbox's root is nobody on the host: it must reach its directory to mount on it.
		os.Chmod(st.Base, 0o711)
		os.Chown(dir, 65534, 65534)
	}
	return dir, nil
}

// sandboxControllers are the v1 hierarchies the sandbox's cgroup is made in.
var sandboxControllers = []string{"memory", "cpu", "cpuacct", "pids", "blkio", "devices"}

// allowedDevices are the devices a sandbox may read and write (runc's defaults, the OCI runtime
// spec's): null, zero, full, random, urandom, tty, console, ptmx and the pseudo-terminals, tun.
// Any device may be made with mknod (a root may need it to unpack a tree), none other opened: a
// node for the host's kernel log (c 1:11) or console (c 4:1) made inside cannot be used.
// The rules are in the devices cgroup's order: the last that matches decides (-1 is any number).
var allowedDevices = []specs.LinuxDeviceCgroup{
	devRule(false, "a", -1, -1, "rwm"),
	devRule(true, "c", -1, -1, "m"), devRule(true, "b", -1, -1, "m"),
	devRule(true, "c", 1, 3, "rwm"), devRule(true, "c", 1, 5, "rwm"), devRule(true, "c", 1, 7, "rwm"),
	devRule(true, "c", 1, 8, "rwm"), devRule(true, "c", 1, 9, "rwm"),
	devRule(true, "c", 5, 0, "rwm"), devRule(true, "c", 5, 1, "rwm"), devRule(true, "c", 5, 2, "rwm"),
	devRule(true, "c", 136, -1, "rwm"), devRule(true, "c", 10, 200, "rwm"),
}

func devRule(allow bool, typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	return specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Major: &major, Minor: &minor, Access: access}
}

// deviceRule is a rule as the v1 devices cgroup reads it: "c 1:3 rwm", "c 136:* rwm", "a".
func deviceRule(d specs.LinuxDeviceCgroup) string {
	if d.Type == "a" {
		return "a"
	}
	n := func(p *int64) string {
		if *p < 0 {
			return "*"
		}
		return strconv.FormatInt(*p, 10)
	}
	return d.Type + " " + n(d.Major) + ":" + n(d.Minor) + " " + d.Access
}

// restrictDevices keeps the sandbox to allowedDevices: on v1 through the devices cgroup
// (devices.deny, then devices.allow), on v2 through a BPF device program that containerd's
// cgroups/v3 attaches to the sandbox's cgroup.
func (r *SandboxRun) restrictDevices(dirs []string) error {
	for _, m := range r.mounts {
		if m.Version == 2 {
			group := path.Join(path.Clean("/"+strings.TrimPrefix(r.Cgroup, path.Clean(m.Root))), "")
			r.explain("(bpf) attach a BPF_CGROUP_DEVICE program to "+filepath.Join(m.MountPoint, group),
				"v2 has no devices files: a BPF program decides each open and mknod of a device")
			mgr, err := cgroup2.Load(group, cgroup2.WithMountpoint(m.MountPoint))
			if err == nil {
				err = mgr.Update(&cgroup2.Resources{Devices: allowedDevices})
			}
			if err != nil {
				return fmt.Errorf("the sandbox's device program: %w", err)
			}
			continue
		}
		if !slices.Contains(m.Controllers, "devices") {
			continue
		}
		dir := filepath.Join(m.MountPoint, r.req.CgroupParent, "isotop-"+r.id+".scope")
		for _, d := range allowedDevices {
			file := "devices.allow"
			if !d.Allow {
				file = "devices.deny"
			}
			r.explain("echo '"+deviceRule(d)+"' > "+dir+"/"+file, "")
			if err := os.WriteFile(filepath.Join(dir, file), []byte(deviceRule(d)), 0); err != nil {
				return fmt.Errorf("the sandbox's devices cgroup: %s %q: %w", file, deviceRule(d), err)
			}
		}
	}
	return nil
}

// makeCgroup makes isotop-<id>.scope under the cgroup parent in each hierarchy that matters, sets
// the limits through the same plan and writes as isotop limit, and removes it afterwards.
func (r *SandboxRun) makeCgroup(st *sandboxState) ([]string, error) {
	if r.req.Rootless && os.Geteuid() != 0 {
		return nil, nil
	}
	r.Cgroup = path.Join(r.req.CgroupParent, "isotop-"+r.id+".scope")
	var dirs []string
	v2 := false
	for _, m := range r.mounts {
		use := m.Version == 2
		for _, c := range sandboxControllers {
			use = use || slices.Contains(m.Controllers, c)
		}
		if !use {
			continue
		}
		v2 = v2 || m.Version == 2
		parent := filepath.Join(m.MountPoint, r.req.CgroupParent)
		if _, err := os.Stat(parent); err != nil {
			return nil, refusedf("--cgroup-parent %s does not exist in %s", r.req.CgroupParent, m.MountPoint)
		}
		dir := filepath.Join(parent, "isotop-"+r.id+".scope")
		st.Cgroups, st.Cgroup = append(st.Cgroups, dir), r.Cgroup
		if err := st.save(); err != nil {
			return nil, err
		}
		r.explain("mkdir "+dir, "the sandbox's cgroup")
		if err := os.Mkdir(dir, 0o755); err != nil {
			return nil, fmt.Errorf("making the sandbox's cgroup: %w", err)
		}
		dirs = append(dirs, dir)
	}
	if err := r.restrictDevices(dirs); err != nil {
		return nil, err
	}
	// The CPU limit from the start; the memory and pids limits are the command's (commandLimits).
	return dirs, r.setLimits(LimitRequest{CPUs: r.req.CPUs}, "")
}

// commandLimits sets the limits that are the command's alone, once the sandbox is made and the
// command is next (the first process's SyncExec): its pids.max (the first process's own threads,
// up to five of the Go runtime's, go at the exec) and its memory limit (the setup's memory goes
// too). A memory limit is a limit on memory: no swap to escape to (as docker run --memory with
// --memory-swap equal to it).
func (r *SandboxRun) commandLimits() error {
	return r.setLimits(LimitRequest{Memory: r.req.Memory, PIDs: r.req.PIDs, NoSwap: true},
		"the command's own limits, set as it starts: the sandbox's setup is isotop's, not the command's")
}

// setLimits sets some of the sandbox's limits through the same plan and writes as isotop limit.
func (r *SandboxRun) setLimits(req LimitRequest, why string) error {
	if req.Empty() || r.Cgroup == "" {
		return nil
	}
	req.Cgroup, req.Target, req.Force = r.Cgroup, "sandbox "+r.id, true
	plan, err := planLimitIn(r.mounts, r.mode, r.Cgroup, req)
	if err != nil {
		return err
	}
	for _, w := range plan.Writes {
		r.explain("echo "+w.New+" > "+w.File, strings.TrimSuffix(w.NewHuman+"; "+why, "; "))
	}
	_, err = applyLimit(plan, r.mounts)
	return err
}

// removeCgroup removes a cgroup the sandbox made, once its last process is gone: the kernel
// kills a pid namespace's processes when its init dies, but reaping them takes a moment.
func removeCgroup(dir string) error {
	var err error
	for i := 0; i < 200; i++ {
		if err = unix.Rmdir(dir); err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if i == 20 { // still busy: what is left in it is the sandbox's, and only the sandbox's
			if data, rerr := os.ReadFile(dir + "/cgroup.procs"); rerr == nil {
				for _, f := range strings.Fields(string(data)) {
					if pid, perr := strconv.Atoi(f); perr == nil {
						unix.Kill(pid, unix.SIGKILL)
					}
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("rmdir %s: %w", dir, err)
}

// start re-executes isotop in new namespaces; package sandbox's init takes over there and waits
// for the go byte.
func (r *SandboxRun) start(work string) (*exec.Cmd, *os.File, *os.File, error) {
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, err
	}
	goR, goW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, err
	}
	lower := r.req.Rootfs
	if lower == "" {
		lower = "/"
	}
	env := []string{"PATH=" + sandbox.DefaultPath, "HOME=/root", "container=isotop", "HOSTNAME=" + r.req.Hostname}
	for _, k := range []string{"TERM", "LANG", "COLORTERM", "NO_COLOR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	cfg := sandbox.ChildConfig{Lower: lower, WorkDir: work, Hostname: r.req.Hostname, Binds: r.req.Binds, Command: r.req.Command,
		Env: env, Init: r.req.Init, Explain: r.req.Explain, CgroupV2: r.mode == "v2", Rootless: r.req.Rootless}
	data, _ := json.Marshal(cfg)
	flags := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWNET)
	how := "unshare --mount --pid --fork --uts --ipc --net"
	attr := &syscall.SysProcAttr{Cloneflags: flags, Pdeathsig: unix.SIGKILL}
	if r.req.Rootless {
		attr.Cloneflags |= unix.CLONE_NEWUSER
		uid, gid := os.Getuid(), os.Getgid()
		if uid == 0 { // root asking for --rootless: the sandbox's root is nobody on the host
			uid, gid = 65534, 65534
		}
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
		attr.GidMappingsEnableSetgroups = false
		// Become the namespace's root (the one id mapped) before the exec, so that the exec keeps
		// the namespace's capabilities: root's own uid is not mapped in it.
		attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
		how += " --user --map-user=" + strconv.Itoa(uid) + " --map-group=" + strconv.Itoa(gid)
	}
	if IsTerminal(r.stdin) {
		attr.Foreground, attr.Ctty = true, 0 // the sandbox gets the terminal: ^C is for it
	}
	r.explain(how+" isotop-sandbox", "new mount, pid, uts, ipc and network namespaces; the first process is pid 1 there")
	procEnv := append(slices.Clone(env), sandbox.ChildEnv+"="+string(data))
	if r.req.Init {
		procEnv = append(procEnv, "_ISOTOP_INIT=1") // actions/early/init.c takes pid 1
	}
	cmd := &exec.Cmd{Path: "/proc/self/exe", Args: []string{"isotop-sandbox"}, Env: procEnv,
		Stdin: r.stdin, Stdout: r.stdout, Stderr: r.stderr, ExtraFiles: []*os.File{statusW, goR}, SysProcAttr: attr}
	err = cmd.Start()
	statusW.Close()
	goR.Close()
	if err != nil {
		statusR.Close()
		goW.Close()
		return nil, nil, nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	return cmd, statusR, goW, nil
}

// inNetns runs f with a netlink handle inside pid's network namespace.
func inNetns(pid int, f func(*netlink.Handle) error) error {
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		return fmt.Errorf("the sandbox's network namespace: %w", err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("netlink in the sandbox's network namespace: %w", err)
	}
	defer h.Close()
	return f(h)
}

// network wires the sandbox to the host: a bridge (the one named, or one isotop makes), a veth
// pair with the host end on the bridge and the other end as the sandbox's eth0, and an address on
// each side from a private /24 that no address or route of the host's overlaps. No default route
// and no NAT: the host reaches the sandbox and nothing leaves the machine.
func (r *SandboxRun) network(pid int, st *sandboxState) error {
	brName := r.req.Bridge
	if brName == "" {
		brName = "isb-" + r.id
	}
	var br netlink.Link
	var subnet *net.IPNet
	// One sandbox at a time picks a subnet and an address: two that ran in parallel could pick the
	// same (the host's addresses and neighbours are what they choose by).
	lock, err := os.Open(st.Base) // the directory's descriptor carries the lock: no file to leave
	if err != nil {
		return fmt.Errorf("the sandboxes' network lock: %w", err)
	}
	defer lock.Close() // and with it the lock
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("the sandboxes' network lock: %w", err)
	}
	br, err = netlink.LinkByName(brName)
	if err == nil {
		if br.Type() != "bridge" {
			return refusedf("--bridge %s: that name is taken by a %s link, not a bridge", brName, br.Type())
		}
		addrs, _ := netlink.AddrList(br, netlink.FAMILY_V4)
		if len(addrs) == 0 {
			return refusedf("--bridge %s has no IPv4 address to reach the sandbox by: give it one, or name a bridge for isotop to make", brName)
		}
		subnet = addrs[0].IPNet
		r.HostAddr = subnet.IP.String()
	} else {
		subnet, err = freeSubnet()
		if err != nil {
			return err
		}
		st.Bridge = brName
		if err := st.save(); err != nil {
			return err
		}
		r.explain("ip link add "+brName+" type bridge", "a bridge of isotop's own, removed with the sandbox")
		if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: brName}}); err != nil {
			return fmt.Errorf("ip link add %s type bridge: %w", brName, err)
		}
		if br, err = netlink.LinkByName(brName); err != nil {
			return err
		}
		hostIP := &net.IPNet{IP: nthIP(subnet, 1), Mask: subnet.Mask}
		r.HostAddr = hostIP.IP.String()
		r.explain("ip addr add "+hostIP.String()+" dev "+brName, "the host's side: a private /24 that no host address or route overlaps")
		if err := netlink.AddrAdd(br, &netlink.Addr{IPNet: hostIP}); err != nil {
			return fmt.Errorf("ip addr add %s dev %s: %w", hostIP, brName, err)
		}
		if err := netlink.LinkSetUp(br); err != nil {
			return err
		}
	}
	sbIP := &net.IPNet{IP: freeHost(subnet, r.HostAddr), Mask: subnet.Mask}
	r.Addr = sbIP.IP.String()
	r.HostVeth = "isv-" + r.id
	st.HostVeth = r.HostVeth
	if err := st.save(); err != nil {
		return err
	}
	r.explain(fmt.Sprintf("ip link add %s type veth peer name eth0 netns %d", r.HostVeth, pid), "a veth pair: one end on the host, the other the sandbox's eth0")
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: r.HostVeth, MasterIndex: br.Attrs().Index}, PeerName: "eth0", PeerNamespace: netlink.NsPid(pid)}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("ip link add %s type veth: %w", r.HostVeth, err)
	}
	r.explain("ip link set "+r.HostVeth+" master "+brName+" up", "the host end joins the bridge")
	host, err := netlink.LinkByName(r.HostVeth)
	if err == nil {
		err = netlink.LinkSetUp(host)
	}
	if err != nil {
		return err
	}
	r.explain(fmt.Sprintf("nsenter -t %d -n sh -c 'ip link set lo up; ip addr add %s dev eth0; ip link set eth0 up'", pid, sbIP), "the sandbox's side")
	return inNetns(pid, func(h *netlink.Handle) error {
		for _, name := range []string{"lo", "eth0"} {
			l, err := h.LinkByName(name)
			if err != nil {
				return err
			}
			if name == "eth0" {
				if err := h.AddrAdd(l, &netlink.Addr{IPNet: sbIP}); err != nil {
					return fmt.Errorf("address %s on the sandbox's eth0: %w", sbIP, err)
				}
			}
			if err := h.LinkSetUp(l); err != nil {
				return err
			}
		}
		return nil
	})
}

func nthIP(n *net.IPNet, i int) net.IP {
	ip := slices.Clone(n.IP.Mask(n.Mask).To4())
	ip[3] += byte(i)
	return ip
}

// freeHost picks an address in subnet for the sandbox: not the network, broadcast or the host's
// own, nor one the host's neighbour table has seen on it.
func freeHost(subnet *net.IPNet, hostAddr string) net.IP {
	used := map[string]bool{hostAddr: true}
	if neigh, err := netlink.NeighList(0, netlink.FAMILY_V4); err == nil {
		for _, n := range neigh {
			used[n.IP.String()] = true
		}
	}
	ones, _ := subnet.Mask.Size()
	size := 1 << (32 - ones)
	for i := 0; i < 64; i++ {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(max(1, size-2))))
		ip := nthIP(subnet, 1+int(k.Int64()))
		if !used[ip.String()] && subnet.Contains(ip) {
			return ip
		}
	}
	return nthIP(subnet, 2)
}

// freeSubnet picks a 10.x.y.0/24 that overlaps no address or route of the host.
func freeSubnet() (*net.IPNet, error) {
	var taken []*net.IPNet
	if addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4); err == nil {
		for _, a := range addrs {
			taken = append(taken, a.IPNet)
		}
	}
	if routes, err := netlink.RouteList(nil, netlink.FAMILY_V4); err == nil {
		for _, rt := range routes {
			if rt.Dst != nil && rt.Dst.IP.To4() != nil {
				if ones, _ := rt.Dst.Mask.Size(); ones > 0 {
					taken = append(taken, rt.Dst)
				}
			}
		}
	}
	for i := 0; i < 256; i++ {
		var b [2]byte
		rand.Read(b[:])
		cand := &net.IPNet{IP: net.IPv4(10, 64+b[0]%190, b[1], 0).To4(), Mask: net.CIDRMask(24, 32)}
		if !slices.ContainsFunc(taken, func(t *net.IPNet) bool { return t.Contains(cand.IP) || cand.Contains(t.IP) }) {
			return cand, nil
		}
	}
	return nil, errors.New("no free private /24 in 10.64.0.0-10.253.255.0 for the sandbox's veth")
}
