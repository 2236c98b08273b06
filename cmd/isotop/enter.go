package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/probe"
)

const enterUsage = `Usage: isotop enter <pid|container name|container id> [--ns KINDS] [--host-shell] [--cgroup join|stay|auto] [-- cmd args]

Runs a command (default: the target's $SHELL if it has one, else /bin/sh) in the target's
namespaces: by default every kind in which it differs from the host. When its mount namespace is
entered, the command runs in its root and working directory, found in its PATH. It joins the
target's cgroups (as docker exec does: its work counts against the container's limits) unless
the target is a process of the host or --cgroup stay. The exit status is the command's. No nsenter
needed: isotop re-executes itself and enters the namespaces before its Go runtime starts, so mnt
and user namespaces work too.

`

func runEnter(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("isotop enter", flag.ContinueOnError)
	fl.SetOutput(cutting(stderr))
	nsList := fl.String("ns", "", "namespace kinds to enter, comma-separated: mnt,uts,ipc,net,pid,cgroup,user,time (default: every kind that differs from the host)")
	hostShell := fl.Bool("host-shell", false, "run the host's shell in the target's net, pid, uts and ipc namespaces (for a target without a shell)")
	cgroup := fl.String("cgroup", "auto", "join the target's cgroups (join), stay in isotop's (stay), or auto: join unless the target is a process of the host")
	af := addActionFlags(fl)
	fl.Usage = func() {
		fmt.Fprint(stderr, enterUsage)
		fl.PrintDefaults()
	}
	pos, command, err := parseInterleaved(fl, args)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if len(pos) == 0 {
		fmt.Fprint(stderr, "isotop enter: which process? give a pid, a container name or a container id\n\n")
		fl.Usage()
		return 2
	}
	if command == nil && len(pos) > 1 {
		command = pos[1:]
	}
	req := actions.EnterRequest{Command: command, HostShell: *hostShell}
	if req.Cgroup, err = actions.ParseCgroupPolicy(*cgroup); err != nil {
		return fail(stderr, "enter", err)
	}
	if *nsList != "" {
		if *hostShell {
			fmt.Fprintln(stderr, "isotop enter: --ns and --host-shell: give one or the other")
			return 2
		}
		if req.Kinds, err = actions.ParseKinds(*nsList); err != nil {
			return fail(stderr, "enter", err)
		}
	}
	actor, _, err := af.actor()
	if err != nil {
		return fail(stderr, "enter", err)
	}
	if pid, err := strconv.Atoi(pos[0]); err == nil {
		req.PID = pid
	} else {
		snap, err := probe.DefaultFS().Snapshot()
		if err != nil {
			return fail(stderr, "enter", err)
		}
		c, err := actions.FindContainer(snap, pos[0])
		if err != nil {
			return fail(stderr, "enter", err)
		}
		in, err := actions.EnterContainer(snap, c)
		if err != nil {
			return fail(stderr, "enter", err)
		}
		req.PID, req.StartTicks, req.Target = in.PID, in.StartTicks, in.Target
	}
	e, err := actor.Enter(req)
	if errors.Is(err, actions.ErrNoShell) && actions.IsTerminal(stdin) {
		fmt.Fprintf(stderr, "isotop enter: %v\nrun the host's shell in its net, pid, uts and ipc namespaces instead? [y/N] ", err)
		if !yes(stdin) {
			return 1
		}
		req.HostShell, req.Kinds = true, nil
		e, err = actor.Enter(req)
	}
	if err != nil {
		return fail(stderr, "enter", err)
	}
	fmt.Fprintf(stderr, "isotop enter: %s: entering %s, running %s %s\n", e.Target, strings.Join(actions.KindNames(e.Kinds), ","),
		strings.Join(e.Command, " "), e.Where())
	// The command has the terminal: ^C and ^\ are for it, not for isotop waiting on it.
	signal.Ignore(syscall.SIGINT, syscall.SIGQUIT)
	defer signal.Reset(syscall.SIGINT, syscall.SIGQUIT)
	err = e.Run()
	e.Finished(err)
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		return fail(stderr, "enter", err)
	}
	code, _ := actions.ExitStatus(err)
	return code
}

// yes reads one answer line: y or yes.
func yes(r io.Reader) bool {
	line, _ := bufio.NewReader(r).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}
