package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

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
		readOnly: fl.Bool("read-only", readOnlyEnv(), "refuse every action, enforced by the kernel (also ISOTOP_READONLY=1)"),
		auditLog: fl.String("audit-log", actions.DefaultAuditLog, "append a JSON line for each action to this file"),
	}
}

func readOnlyEnv() bool {
	switch os.Getenv("ISOTOP_READONLY") {
	case "1", "true", "TRUE", "True", "yes", "YES", "Yes":
		return true
	}
	return false
}

// actor is the Actor for these flags: the host's, or ReadOnly with an account of how the kernel
// holds it. Read-only mode is only taken when the kernel holds it too (early.c ran and
// no_new_privs and seccomp are in force): isotop fails closed rather than run "read-only" on its
// word alone.
func (f actionFlags) actor() (actions.Actor, string, error) {
	if *f.readOnly {
		l, err := early.Current()
		if err == nil {
			err = l.Enforced()
		}
		if err != nil {
			return nil, "", fmt.Errorf("read-only mode was asked for, but the kernel does not enforce it: %w", err)
		}
		return actions.ReadOnly{}, l.Summary(), nil
	}
	return &actions.Host{FS: probe.DefaultFS(), Audit: &actions.AuditLog{Path: *f.auditLog}}, "", nil
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

func fail(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "isotop %s: %v\n", cmd, err)
	return exitFor(err)
}
