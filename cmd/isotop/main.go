// Command isotop shows how a Linux host is partitioned into namespaces, cgroups, containers and
// network namespaces, and acts on it. This file wires the subcommands; each lives in its own file.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/isotop/isotop/actions"
)

// version is set at build time by the Makefile (-ldflags "-X main.version=…").
var version = "dev"

const usage = `isotop: how this Linux host is partitioned (namespaces, cgroups, containers, network),
and the changes an operator makes to it

Usage:
  isotop [--interval 1s] [--replay FILE|DIR [--at T]]
         [--remote URL [--token-file F] [--tls-cert F --tls-key F] [--tls-ca F]]
         [--read-only] [--audit-log FILE] [--no-mouse]
                                 the interactive views of the live host (or of a saved snapshot,
                                 a recording stepped through with [ ] { } < > @ v, or a remote
                                 host's isotop serve)
  isotop snapshot [--json] [--pretty] [--sample DURATION] [--read-only] [--proc DIR] [--sys DIR]
                                 read the host once and print it: its namespaces like lsns (with
                                 those held only by bind mounts), containers, network namespaces
                                 and the cgroup tree with the limits in force, or the JSON document
  isotop enter <pid|container> [--ns KINDS] [--host-shell] [-- cmd args]
                                 run a command (default: the target's shell) in a process's or a
                                 container's namespaces, root and working directory
  isotop limit <cgroup|container> [--memory SIZE] [--memory-high SIZE] [--cpus N]
               [--cpu-weight N] [--pids N] [--yes] [--force] [--dry-run]
                                 set cgroup limits: shows the exact writes, asks, reads them back
  isotop sandbox [--rootfs DIR] [--memory SIZE] [--cpus N] [--pids N] [--hostname NAME]
                 [--net none|veth] [--bridge NAME] [--bind SRC:DST[:ro]] [--init] [--explain]
                 [--rootless] [--cgroup-parent PATH] [-- cmd args]
                                 a shell in new namespaces, a cgroup and an overlay root, made
                                 the way a container runtime does, each step shown with --explain
  isotop record [--interval 10s] [--output DIR] [--max-size 500M] [--retention 7d]
                                 record the host (snapshots and the events between them) into
                                 a directory of files, a file a day, pruned by size and age
  isotop export FILE|DIR [--at T | --from T1 --to T2]
                                 print a recording as JSON lines (samples and events)
  isotop diff FILE|DIR [--from T1] [--to T2] [--json]
                                 what changed between two instants of a recording
  isotop report FILE|DIR [--from T1] [--to T2] [--json] [--all]
                                 per container and cgroup: p50/p95/p99/max of CPU, memory,
                                 pressure, throttling against the limits, and the OOM kills
  isotop serve [--listen 127.0.0.1:7319] [--token-file F] [--tls-cert F --tls-key F]
               [--tls-client-ca F] [--recordings DIR]
                                 serve this host read-only: /metrics for Prometheus (cAdvisor's
                                 names per container, isotop_* besides), /api/v1/snapshot and
                                 /api/v1/stream for isotop --remote, /api/v1/events of a recorder
  isotop version                 print the version
  isotop help                    print this help

enter, limit and sandbox (and the TUI) also take --read-only and --audit-log FILE (default
/var/log/isotop/audit.jsonl, one JSON line per action). Read-only mode (--read-only, or
ISOTOP_READONLY set to anything but 0, false, no or off) sees everything and changes nothing, held
by the kernel: another uid, one capability (ptrace), seccomp allow-lists, and Landlock'd
helpers for setns and root-only files. "isotop COMMAND --help" tells more.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the process exit status: 0 done, 1 failed, 2 usage.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (len(args[0]) > 0 && args[0][0] == '-' && args[0] != "-h" && args[0] != "--help" && args[0] != "--version") {
		return runTUI(args, stderr)
	}
	switch args[0] {
	case "snapshot":
		return runSnapshot(args[1:], stdout, stderr)
	case "enter":
		return runEnter(args[1:], os.Stdin, stdout, stderr)
	case "limit":
		return runLimit(args[1:], os.Stdin, stdout, stderr)
	case "sandbox":
		return runSandbox(args[1:], os.Stdin, stdout, stderr)
	case "record":
		return runRecord(args[1:], stderr)
	case "export":
		return runExport(args[1:], stdout, stderr)
	case "serve":
		return runServe(args[1:], stderr)
	case "diff":
		return runDiff(args[1:], stdout, stderr)
	case "report":
		return runReport(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "isotop", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage+"\nThe interactive views:\n")
		return runTUI([]string{"--help"}, stdout)
	}
	fmt.Fprintf(stderr, "isotop: unknown command %q\n\n%s", actions.Cut(args[0]), usage)
	return 2
}
