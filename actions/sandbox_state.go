package actions

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/isotop/isotop/probe"
)

// A sandbox writes down what it makes on the host before it makes it (write-ahead), in
// BASE/sandbox-ID.json, and removes each thing and then the file when it ends. Whoever finds the
// file of a sandbox whose isotop is gone removes what it lists: the sandbox's reaper, a process
// started with the sandbox in a session of its own, which outlives isotop and acts the moment
// isotop's end closes the pipe it waits on (SIGKILL included); or, when the reaper was killed
// too, the next isotop sandbox (or isotop sandbox --cleanup).

// ReaperName is argv[0] of the reaper: any binary that links package actions (isotop, its tests)
// becomes the reaper when started under that name.
const ReaperName = "isotop-sandbox-reaper"

func init() {
	if filepath.Base(os.Args[0]) == ReaperName {
		os.Exit(Reap(os.Args[1:]))
	}
}

// procRef names a process across pid reuse: its pid and start time.
type procRef struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start_ticks"`
}

func refOf(pid int) procRef {
	start, _, err := probe.DefaultFS().ProcessStart(pid)
	if err != nil {
		return procRef{}
	}
	return procRef{pid, start}
}

// alive reports whether the process is still the one named, and not a zombie.
func (p procRef) alive() bool {
	return p.PID > 0 && probe.DefaultFS().ProcessAlive(p.PID, p.Start)
}

// sandboxState is what one sandbox made, or is about to make.
type sandboxState struct {
	ID       string   `json:"id"`
	Op       string   `json:"op"`     // the audit's id of the sandbox's records
	Owner    procRef  `json:"owner"`  // the isotop that made it
	Reaper   procRef  `json:"reaper"` // the process that cleans up if isotop dies
	Init     procRef  `json:"init"`   // the sandbox's first process
	Base     string   `json:"base"`
	WorkDir  string   `json:"workdir,omitempty"`
	Cgroups  []string `json:"cgroups,omitempty"` // directories, one per hierarchy
	Cgroup   string   `json:"cgroup,omitempty"`
	Bridge   string   `json:"bridge,omitempty"` // a bridge the sandbox made (and only then)
	HostVeth string   `json:"host_veth,omitempty"`
	AuditLog string   `json:"audit_log,omitempty"`
	// Failed is why isotop's own cleanup failed, for the reaper's retry.
	Failed  string   `json:"failed,omitempty"`
	Command []string `json:"command"`
	path    string
}

// sandboxBase is where sandboxes keep their state and work directories: /run/isotop, or the
// user's runtime directory for a rootless one.
func sandboxBase() string {
	if os.Geteuid() == 0 {
		return "/run/isotop"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "isotop")
	}
	return filepath.Join(os.TempDir(), "isotop-"+strconv.Itoa(os.Geteuid()))
}

// save writes the state (a new file renamed over the old one: never half written).
func (s *sandboxState) save() error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	tmp := s.path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("the sandbox's state: %w", err)
	}
	return os.Rename(tmp, s.path)
}

func loadState(path string) (*sandboxState, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := &sandboxState{path: path}
	if err := json.Unmarshal(data, s); err != nil || s.ID == "" {
		return nil, fmt.Errorf("%s: not a sandbox's state: %v", path, err)
	}
	return s, nil
}

// cleanup removes what the state lists, in the reverse order of its making, every step whatever
// failed before, then the state itself. Something already gone is not an error: a veth goes with
// its namespace, and a crash may come between writing down a thing and making it.
func (s *sandboxState) cleanup() error {
	var errs []error
	if s.Init.alive() {
		unix.Kill(s.Init.PID, unix.SIGKILL)
		for i := 0; i < 500 && s.Init.alive(); i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if s.HostVeth != "" {
		if l, err := netlink.LinkByName(s.HostVeth); err == nil {
			if err := netlink.LinkDel(l); err != nil && !gone(err) {
				errs = append(errs, fmt.Errorf("ip link del %s: %w", s.HostVeth, err))
			}
		}
	}
	for i := len(s.Cgroups) - 1; i >= 0; i-- {
		if err := removeCgroup(s.Cgroups[i]); err != nil {
			errs = append(errs, err)
		}
	}
	if s.Bridge != "" {
		if err := removeBridge(s.Bridge, s.HostVeth); err != nil {
			errs = append(errs, err)
		}
	}
	if s.WorkDir != "" {
		if err := os.Remove(s.WorkDir); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		os.Remove(s.path) // the base directory stays: another sandbox may be about to write there
		os.Remove(s.path + ".new")
		return nil
	}
	err := errors.Join(errs...)
	s.Failed = err.Error()
	s.save()
	return err
}

// gone: a link or a file that is not there (any more).
func gone(err error) bool {
	return errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT) || errors.Is(err, os.ErrNotExist)
}

// removeBridge removes a bridge the sandbox made, unless another sandbox given the same --bridge
// still has a port on it.
func removeBridge(name, ours string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return nil
	}
	links, _ := netlink.LinkList()
	for _, o := range links {
		if o.Attrs().MasterIndex == l.Attrs().Index && o.Attrs().Name != ours {
			return nil
		}
	}
	if err := netlink.LinkDel(l); err != nil && !gone(err) {
		return fmt.Errorf("ip link del %s: %w", name, err)
	}
	return nil
}

// startReaper starts the sandbox's reaper: this binary again, named ReaperName, in a session of
// its own (the terminal's ^C and hangup are not for it), reading the returned pipe until isotop
// closes it, by ending however it ends.
func startReaper(s *sandboxState) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		w.Close()
		return nil, err
	}
	defer null.Close()
	cmd := &exec.Cmd{Path: "/proc/self/exe", Args: []string{ReaperName, s.path}, Stdin: null, Stdout: null, Stderr: null,
		ExtraFiles: []*os.File{r}, SysProcAttr: &syscall.SysProcAttr{Setsid: true}, Env: []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("starting the sandbox's reaper: %w", err)
	}
	s.Reaper = refOf(cmd.Process.Pid)
	go cmd.Wait() // reaped when it ends: the TUI starts many sandboxes and must leave no zombie
	return w, nil
}

// Reap is the reaper's life (argv: the state file): wait for isotop to end (its pipe, descriptor
// 3, reaches EOF), then, if the state is still there, isotop did not clean up: remove what it lists
// and write the audit record isotop could not.
func Reap(args []string) int {
	signal.Ignore(unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT)
	// Only a state file where sandboxes keep theirs is one to act on.
	if len(args) != 1 || filepath.Dir(args[0]) != sandboxBase() || !strings.HasPrefix(filepath.Base(args[0]), "sandbox-") {
		return 2
	}
	buf := make([]byte, 1)
	for {
		if n, err := unix.Read(3, buf); n == 0 || (err != nil && err != unix.EINTR) {
			break
		}
	}
	s, err := loadState(args[0])
	if err != nil {
		return 0 // isotop cleaned up and removed it
	}
	res := "killed: isotop (pid " + strconv.Itoa(s.Owner.PID) + ") ended without its cleanup; its reaper removed what the sandbox made"
	if s.Failed != "" {
		res = "cleanup retried by the reaper after isotop's failed: " + s.Failed
	}
	if err := s.cleanup(); err != nil {
		res += ", but: " + err.Error()
	}
	if s.AuditLog != "" {
		(&AuditLog{Path: s.AuditLog}).Append(AuditRecord{Action: "sandbox", Target: "sandbox " + s.ID, Cgroup: s.Cgroup, Command: s.Command, Result: res, Op: s.Op})
	}
	return 0
}

// removeHalfSaved removes a state that an isotop killed between writing it and renaming it into
// place left (sandbox-ID.json.new) when no state of that sandbox is in place: the write-ahead
// comes before anything is made, so it stands for nothing. One written in the last minute is left:
// a save takes microseconds, and another isotop may be in the middle of one.
func removeHalfSaved(w io.Writer) {
	files, _ := filepath.Glob(filepath.Join(sandboxBase(), "sandbox-*.json.new"))
	for _, f := range files {
		st, err := os.Lstat(f)
		if err != nil || !st.Mode().IsRegular() || time.Since(st.ModTime()) < time.Minute {
			continue
		}
		if _, err := os.Lstat(strings.TrimSuffix(f, ".new")); os.IsNotExist(err) && os.Remove(f) == nil {
			fmt.Fprintf(w, "isotop sandbox: removed %s, a state its isotop was killed while saving\n", f)
		}
	}
}

// CleanupSandboxes removes what sandboxes left whose isotop and reaper are both gone (both were
// killed), says so on w, audits it, and returns how many it cleaned up.
func (h *Host) CleanupSandboxes(w io.Writer) (int, error) {
	return cleanupLeftovers(w), nil
}

func cleanupLeftovers(w io.Writer) int {
	removeHalfSaved(w)
	files, _ := filepath.Glob(filepath.Join(sandboxBase(), "sandbox-*.json"))
	n := 0
	for _, f := range files {
		s, err := loadState(f)
		if err != nil || s.Owner.alive() || s.Reaper.alive() {
			continue
		}
		what := []string{"cgroup " + s.Cgroup}
		if s.HostVeth != "" {
			what = append(what, "veth "+s.HostVeth)
		}
		if s.Bridge != "" {
			what = append(what, "bridge "+s.Bridge)
		}
		res := "cleaned up: its isotop (pid " + strconv.Itoa(s.Owner.PID) + ") and its reaper were gone; a later isotop removed " + strings.Join(what, ", ")
		if err := s.cleanup(); err != nil {
			fmt.Fprintf(w, "isotop sandbox: what sandbox %s left: %v\n", s.ID, err)
			continue
		}
		fmt.Fprintf(w, "isotop sandbox: removed what sandbox %s left (%s): its isotop was killed\n", s.ID, strings.Join(what, ", "))
		if s.AuditLog != "" {
			(&AuditLog{Path: s.AuditLog}).Append(AuditRecord{Action: "sandbox", Target: "sandbox " + s.ID, Cgroup: s.Cgroup, Command: s.Command, Result: res, Op: s.Op})
		}
		n++
	}
	return n
}
