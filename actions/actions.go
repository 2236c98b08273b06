// Package actions is everything isotop changes on the host: entering a process's namespaces,
// setting cgroup limits, and starting a sandbox. The TUI and the CLI go through one interface,
// Actor. Host is the real one, and it writes an audit line for each action; read-only mode puts
// ReadOnly in its place, which refuses everything with the reason, while package early has the
// kernel refuse the writes too, so that not even a bug that bypassed ReadOnly could change the host.
//
// A change is planned before it is made: PlanLimit reads the current values and returns the
// exact writes (file, old value, new value) for the caller to show and confirm; ApplyLimit makes
// them and reads the values back.
package actions

import (
	"errors"
	"fmt"
	"io"
)

// Actor makes the changes isotop can make.
type Actor interface {
	// Allowed says, without touching the host, whether this Actor makes changes at all: nil,
	// or why not (ErrReadOnly). A form need not open for an action that will be refused.
	Allowed() error
	// PlanLimit checks a limit request against the cgroup as it is now and returns the writes
	// that would apply it. It changes nothing.
	PlanLimit(req LimitRequest) (*LimitPlan, error)
	// ApplyLimit makes a plan's writes in order and reads each file back.
	ApplyLimit(plan *LimitPlan) (*LimitResult, error)
	// Enter prepares a command that runs in a process's namespaces. The caller runs it (with the
	// terminal) and reports how it ended with Finished.
	Enter(req EnterRequest) (*EnterCmd, error)
	// Sandbox validates a sandbox request and returns it ready to run (with the terminal).
	Sandbox(req SandboxRequest) (*SandboxRun, error)
	// CleanupSandboxes removes what sandboxes left whose isotop and reaper were both killed,
	// telling w of each, and returns how many.
	CleanupSandboxes(w io.Writer) (int, error)
}

// ErrReadOnly is the refusal of every action in read-only mode.
var ErrReadOnly = errors.New("isotop is in read-only mode (--read-only or ISOTOP_READONLY=1): it changes nothing on this host")

// ErrRefused is wrapped by a refusal of a request that is well-formed but unsafe or impossible
// (a memory limit below the current usage, a cgroup that vanished, a path outside the hierarchy).
var ErrRefused = errors.New("refused")

// ErrBelowUsage is the refusal of a memory limit below the cgroup's current usage; Force sets it.
var ErrBelowUsage = fmt.Errorf("below the current usage: %w", ErrRefused)

// ReadOnly is the Actor of read-only mode: it refuses every action.
type ReadOnly struct{}

// Allowed says why not: read-only mode.
func (ReadOnly) Allowed() error { return ErrReadOnly }

// PlanLimit refuses.
func (ReadOnly) PlanLimit(LimitRequest) (*LimitPlan, error) { return nil, ErrReadOnly }

// ApplyLimit refuses.
func (ReadOnly) ApplyLimit(*LimitPlan) (*LimitResult, error) { return nil, ErrReadOnly }

// Enter refuses.
func (ReadOnly) Enter(EnterRequest) (*EnterCmd, error) { return nil, ErrReadOnly }

// Sandbox refuses.
func (ReadOnly) Sandbox(SandboxRequest) (*SandboxRun, error) { return nil, ErrReadOnly }

// CleanupSandboxes refuses.
func (ReadOnly) CleanupSandboxes(io.Writer) (int, error) { return 0, ErrReadOnly }

// ErrReplay is why a replay refuses every action: what it shows is the past.
var ErrReplay = errors.New("this is a replay of a recording: it shows the past, which isotop cannot change (actions are for the live host)")

// ErrRemote is why a TUI on a remote host's isotop serve refuses every action.
var ErrRemote = errors.New("this is a remote host, read through its isotop serve, which has no endpoint that changes anything: run isotop on that host to act on it")

// Refusing is the Actor of a view that cannot act (a replay, a remote host): it refuses
// everything, with Why.
type Refusing struct{ Why error }

// Allowed says why not.
func (r Refusing) Allowed() error { return r.Why }

// PlanLimit refuses.
func (r Refusing) PlanLimit(LimitRequest) (*LimitPlan, error) { return nil, r.Why }

// ApplyLimit refuses.
func (r Refusing) ApplyLimit(*LimitPlan) (*LimitResult, error) { return nil, r.Why }

// Enter refuses.
func (r Refusing) Enter(EnterRequest) (*EnterCmd, error) { return nil, r.Why }

// Sandbox refuses.
func (r Refusing) Sandbox(SandboxRequest) (*SandboxRun, error) { return nil, r.Why }

// CleanupSandboxes refuses.
func (r Refusing) CleanupSandboxes(io.Writer) (int, error) { return 0, r.Why }

// classified is an error of a kind (ErrRefused, ErrBadValue, ErrNoShell) whose message is only
// its own: errors.Is finds the kind, the operator reads the reason.
type classified struct {
	err  error
	kind error
}

func (c *classified) Error() string   { return c.err.Error() }
func (c *classified) Unwrap() []error { return []error{c.err, c.kind} }

func refusedf(format string, args ...any) error {
	return &classified{fmt.Errorf(format, args...), ErrRefused}
}

func badValuef(format string, args ...any) error {
	return &classified{fmt.Errorf(format, args...), ErrBadValue}
}

func noShellf(format string, args ...any) error {
	return &classified{fmt.Errorf(format, args...), ErrNoShell}
}

// Cut shortens a value given by the user for a message: an error that repeats a 10,000-character
// hostname or a 300-digit number helps no one.
func Cut(s string) string { return cut(s) }

func cut(s string) string {
	const keep = 60
	if len(s) <= keep+4 {
		return s
	}
	r := []rune(s)
	if len(r) <= keep+4 {
		return s
	}
	return fmt.Sprintf("%s…(%d bytes)", string(r[:keep]), len(s))
}
