// Command isotop shows how a Linux host is partitioned into namespaces, cgroups, containers and
// network namespaces, and acts on it. This file wires the subcommands; each lives in its own file.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time by the Makefile (-ldflags "-X main.version=…").
var version = "dev"

const usage = `isotop: how this Linux host is partitioned (namespaces, cgroups, containers, network)

Usage:
  isotop [--interval 1s] [--replay FILE] [--read-only]
                                 the interactive views of the live host (or of a saved snapshot)
  isotop snapshot [--json] [--pretty] [--sample DURATION] [--proc DIR] [--sys DIR]
                                 read the host once and print it: its namespaces like lsns (with
                                 those held only by bind mounts) and its cgroup tree with the
                                 limits in force, or the JSON document
  isotop version                 print the version
  isotop help                    print this help

enter, limit and sandbox are not built yet.
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
	case "version", "--version":
		fmt.Fprintln(stdout, "isotop", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "isotop: unknown command %q\n\n%s", args[0], usage)
	return 2
}
