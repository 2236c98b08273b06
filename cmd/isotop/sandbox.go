package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/isotop/isotop/actions"
)

const sandboxUsage = `Usage: isotop sandbox [--rootfs DIR] [--memory SIZE] [--cpus N] [--pids N] [--hostname NAME]
                      [--net none|veth] [--bridge NAME] [--bind SRC:DST[:ro]] [--init] [--explain]
                      [--rootless] [--cgroup-parent PATH] [--cleanup] [-- cmd args]

Runs a command (default /bin/sh) the way a container runtime would, in the open: new mount, pid,
uts, ipc, network and cgroup namespaces (and a user namespace when not root, or --rootless), a
cgroup with the limits given, pivot_root into an overlay whose writes go to a tmpfs (by default on
the host's own / read-only: every tool is there, nothing written survives), a fresh /proc, /sys
read-only, a minimal /dev, hardened as docker run's defaults: its capabilities, its seccomp profile,
its masked and read-only paths, its device list; and no_new_privs. The command is pid 1, or --init
puts a small init in front of it. --net veth wires it to a bridge on the host with a private
address on each end. Everything made is removed when it ends, however it ends (isotop killed with
SIGKILL included: its reaper does it). --explain prints each step as the shell command that does
the same. It shows in isotop's Containers view as runtime "isotop".

`

func runSandbox(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("isotop sandbox", flag.ContinueOnError)
	fl.SetOutput(cutting(stderr))
	apply := optionFlags(fl, actions.SandboxOptions)
	cleanup := fl.Bool("cleanup", false, "remove what sandboxes left whose isotop was killed (its reaper too), and exit; isotop sandbox does it anyway before it starts")
	af := addActionFlags(fl)
	fl.Usage = func() {
		fmt.Fprint(stderr, sandboxUsage)
		fl.PrintDefaults()
	}
	pos, command, err := parseInterleaved(fl, args)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if command == nil {
		command = pos
	} else if len(pos) > 0 {
		fmt.Fprintf(stderr, "isotop sandbox: unexpected %q before --\n", actions.Cut(pos[0]))
		return 2
	}
	if *cleanup {
		actor, _, err := af.actor()
		if err != nil {
			return fail(stderr, "sandbox", err)
		}
		n, err := actor.CleanupSandboxes(stderr)
		if err != nil {
			return fail(stderr, "sandbox", err)
		}
		fmt.Fprintf(stdout, "isotop sandbox: %d sandboxes' leftovers removed\n", n)
		return 0
	}
	req := actions.SandboxRequest{Command: command}
	if err := apply(&req); err != nil {
		return fail(stderr, "sandbox", err)
	}
	actor, _, err := af.actor()
	if err != nil {
		return fail(stderr, "sandbox", err)
	}
	run, err := actor.Sandbox(req)
	if err != nil {
		return fail(stderr, "sandbox", err)
	}
	run.SetStdin(stdin)
	run.SetStdout(stdout)
	run.SetStderr(stderr)
	if err := run.Run(); err != nil {
		fmt.Fprintf(cutting(stderr), "isotop sandbox: %v\n", err)
		if run.ExitCode == 0 {
			return 1
		}
	}
	return run.ExitCode
}
