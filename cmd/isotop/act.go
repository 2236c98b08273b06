package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/actions/early"
	"github.com/isotop/isotop/probe"
)

// actionFlags are the flags every command that can change the host takes.
type actionFlags struct {
	readOnly *bool
	auditLog *string
}

func addActionFlags(fl *flag.FlagSet) actionFlags {
	return actionFlags{
		readOnly: addReadOnlyFlag(fl),
		auditLog: fl.String("audit-log", actions.DefaultAuditLog, "append a JSON line for each action to this file"),
	}
}

func addReadOnlyFlag(fl *flag.FlagSet) *bool {
	return fl.Bool("read-only", readOnlyEnv(), "see everything, change nothing, enforced by the kernel (also ISOTOP_READONLY=1)")
}

// readOnlyEnv mirrors early.c: ISOTOP_READONLY set to anything but an explicit false (0, false,
// no, off) is read-only, an empty or unknown value too (it fails closed).
func readOnlyEnv() bool {
	v, ok := os.LookupEnv("ISOTOP_READONLY")
	if !ok {
		return false
	}
	switch strings.ToLower(v) {
	case "0", "false", "no", "off":
		return false
	}
	return true
}

// mode is read-only mode as this process has it: asked for (by the flag, the variable, or because
// early.c locked the process down, which is the last word), and then held by the kernel, or an
// error: isotop fails closed rather than run "read-only" on its word alone.
type mode struct {
	readOnly bool
	lockdown early.Lockdown
}

func readOnlyMode(asked bool) (mode, error) {
	l, err := early.Current()
	if !asked && !l.ReadOnly {
		return mode{}, nil
	}
	if err == nil {
		err = l.Enforced()
	}
	if err != nil {
		return mode{}, fmt.Errorf("read-only mode was asked for, but the kernel does not enforce it: %w", err)
	}
	return mode{readOnly: true, lockdown: l}, nil
}

// readOnlyHost is readOnlyMode and the host to read in it (probeFS), for the commands that only
// read the host (snapshot, record, serve).
func readOnlyHost(asked bool, proc, sys string) (mode, probe.FS, error) {
	md, err := readOnlyMode(asked)
	if err != nil {
		return md, probe.FS{}, err
	}
	fs, err := md.probeFS(proc, sys)
	return md, fs, err
}

// probeFS is the host to read: in read-only mode, with the lockdown's helper for what needs
// setns(2), which isotop's own process may not do.
func (m mode) probeFS(proc, sys string) (probe.FS, error) {
	fs := probe.NewFS(proc, sys)
	if m.readOnly {
		h, err := early.NewHelper()
		if err != nil {
			return fs, err
		}
		fs.Opener = h
	}
	return fs, nil
}

// actor is the Actor for these flags: the host's, or ReadOnly with an account of how the kernel
// holds it.
func (f actionFlags) actor() (actions.Actor, mode, error) {
	m, err := readOnlyMode(*f.readOnly)
	if err != nil {
		return nil, m, err
	}
	if m.readOnly {
		return actions.ReadOnly{}, m, nil
	}
	return &actions.Host{FS: probe.DefaultFS(), Audit: &actions.AuditLog{Path: *f.auditLog}}, m, nil
}

// parseInterleaved parses flags that may come before, between and after positional arguments
// (`isotop limit web --memory 1G`), up to a "--" after which everything is the command.
func parseInterleaved(fl *flag.FlagSet, args []string) (pos, command []string, err error) {
	for {
		if err := fl.Parse(args); err != nil {
			return nil, nil, err
		}
		left := fl.Args()
		used := len(args) - len(left)
		if used > 0 && args[used-1] == "--" {
			return pos, left, nil
		}
		if len(left) == 0 {
			return pos, nil, nil
		}
		pos, args = append(pos, left[0]), left[1:]
	}
}

// exitFor is the exit status for an action's error: 2 for a bad value (usage), 1 otherwise.
func exitFor(err error) int {
	if errors.Is(err, actions.ErrBadValue) {
		return 2
	}
	return 1
}

// fail reports an action's error, every long run of text in it cut (a value given, a path).
func fail(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(cutting(stderr), "isotop %s: %v\n", cmd, err)
	return exitFor(err)
}

// longToken is a run of text no message needs whole: longer than any real path or name.
var longToken = regexp.MustCompile(`\S{201,}`)

// cutting is w with every very long run of text shortened: the flag package's errors repeat the
// value given, a 300-digit number or a 10,000-character name included.
func cutting(w io.Writer) io.Writer { return cutWriter{w} }

type cutWriter struct{ w io.Writer }

func (c cutWriter) Write(p []byte) (int, error) {
	cut := func(b []byte) []byte {
		r := []rune(string(b))
		if len(r) <= 200 {
			return b
		}
		return []byte(fmt.Sprintf("%s…(%d bytes)", string(r[:160]), len(b)))
	}
	if _, err := c.w.Write(longToken.ReplaceAllFunc(p, cut)); err != nil {
		return 0, err
	}
	return len(p), nil
}
