// Package early is what isotop does before the Go runtime starts (early.c, an ELF constructor):
// the kernel-enforced lockdown of read-only mode, and the setns(2) of `isotop enter`, both of which
// need a process with one thread. Importing it (for its side effect) is what links it in.
package early

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// EnterEnv is the variable by which actions.Enter hands early.c the namespaces to enter: "ns=FD,…
// root=FD cwd=FD user=1 fork=1". It is removed before the command runs.
const EnterEnv = "_ISOTOP_ENTER"

// LockdownEnv is where early.c records, for children, what it restricted in read-only mode:
// "caps=reading no_new_privs=on landlock=7 seccomp=on" (or "landlock=unavailable(…)").
const LockdownEnv = "ISOTOP_LOCKDOWN"

// Lockdown is the state of the kernel's restrictions on this process, read back from the kernel.
type Lockdown struct {
	Requested   string // what early.c reported (LockdownEnv), "" when it did not run
	NoNewPrivs  bool   // /proc/self/status NoNewPrivs
	Seccomp     bool   // /proc/self/status Seccomp: 2 (filter)
	Landlock    string // the Landlock ABI in force ("7"), or why there is none
	CapEffHex   string // /proc/self/status CapEff
	CapBoundHex string // /proc/self/status CapBnd
}

// Current reads the lockdown in force on this process. The variable early.c sets is taken only as
// a report; NoNewPrivs, Seccomp and the capability sets come from the kernel.
func Current() (Lockdown, error) {
	l := Lockdown{Requested: reported()}
	for _, f := range strings.Fields(l.Requested) {
		if v, ok := strings.CutPrefix(f, "landlock="); ok {
			l.Landlock = v
		}
	}
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return l, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "NoNewPrivs":
			l.NoNewPrivs = v == "1"
		case "Seccomp":
			l.Seccomp = v == "2"
		case "CapEff":
			l.CapEffHex = v
		case "CapBnd":
			l.CapBoundHex = v
		}
	}
	return l, nil
}

// Enforced reports whether read-only mode is held by the kernel: no_new_privs and the seccomp
// filter, and Landlock when the kernel has it. It returns why not otherwise.
func (l Lockdown) Enforced() error {
	switch {
	case l.Requested == "":
		return fmt.Errorf("the lockdown did not run before the Go runtime (a build without cgo?)")
	case !l.NoNewPrivs:
		return fmt.Errorf("no_new_privs is not set")
	case !l.Seccomp:
		return fmt.Errorf("no seccomp filter is in force")
	case strings.HasPrefix(l.Landlock, "failed"):
		return fmt.Errorf("landlock: %s", l.Landlock)
	}
	return nil
}

// Summary is a one-line account for the screen: "landlock ABI 7, seccomp, caps: reading only".
func (l Lockdown) Summary() string {
	var parts []string
	if l.Landlock != "" {
		if strings.HasPrefix(l.Landlock, "unavailable") || strings.HasPrefix(l.Landlock, "failed") {
			parts = append(parts, "landlock "+l.Landlock)
		} else {
			parts = append(parts, "landlock ABI "+l.Landlock)
		}
	}
	if l.Seccomp {
		parts = append(parts, "seccomp")
	}
	if l.NoNewPrivs {
		parts = append(parts, "no_new_privs")
	}
	if strings.Contains(l.Requested, "caps=reading") {
		parts = append(parts, "caps: ptrace, dac_read_search, sys_admin (netns only)")
	}
	return strings.Join(parts, ", ")
}
