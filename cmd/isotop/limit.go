package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/probe"
)

const limitUsage = `Usage: isotop limit <cgroup path|container> [--memory SIZE] [--memory-high SIZE] [--cpus N]
                    [--cpu-weight N] [--pids N] [--yes] [--force] [--dry-run]

Sets limits on a cgroup (a path in its hierarchy, such as /system.slice/nginx.service) or on a
container's cgroup, on cgroup v1, hybrid and v2 hosts alike. It first shows the exact writes (file,
old value, new value) and asks; afterwards it reads each file back. SIZE takes units (256M, 1.5G,
512K) or max; N CPUs may be a fraction (0.5) or max. Refused, with nothing written: a value that
does not parse, a path with "..", a cgroup that vanished, a memory limit below the current usage
(unless --force). Each change is appended to the audit log.

`

func runLimit(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("isotop limit", flag.ContinueOnError)
	fl.SetOutput(cutting(stderr))
	apply := optionFlags(fl, actions.LimitOptions)
	assumeYes := fl.Bool("yes", false, "apply without asking")
	force := fl.Bool("force", false, "set a memory limit even below the cgroup's current usage")
	dryRun := fl.Bool("dry-run", false, "show the writes and stop")
	af := addActionFlags(fl)
	fl.Usage = func() {
		fmt.Fprint(stderr, limitUsage)
		fl.PrintDefaults()
	}
	pos, rest, err := parseInterleaved(fl, args)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if len(pos) != 1 || len(rest) > 0 {
		fmt.Fprint(stderr, "isotop limit: give one cgroup path or container\n\n")
		fl.Usage()
		return 2
	}
	var req actions.LimitRequest
	if err := apply(&req); err != nil {
		return fail(stderr, "limit", err)
	}
	req.Force = *force
	actor, _, err := af.actor()
	if err != nil {
		return fail(stderr, "limit", err)
	}
	target := pos[0]
	req.Cgroup = target
	bare := !strings.Contains(target, "/") // a container's name or id, else a top-level cgroup
	if bare {
		snap, err := probe.DefaultFS().Snapshot()
		if err != nil {
			return fail(stderr, "limit", err)
		}
		c, err := actions.FindContainer(snap, target)
		switch {
		case errors.Is(err, actions.ErrAmbiguous):
			return fail(stderr, "limit", err)
		case err == nil:
			on, err := actions.LimitContainer(c)
			if err != nil {
				return fail(stderr, "limit", err)
			}
			req.Cgroup, req.Target, bare = on.Cgroup, on.Target, false
		}
	}
	plan, err := actor.PlanLimit(req)
	if err != nil {
		if bare && errors.Is(err, actions.ErrRefused) {
			err = fmt.Errorf("%w; and no container is named %q", err, actions.Cut(target))
		}
		return fail(stderr, "limit", err)
	}
	printPlan(stdout, plan)
	if *dryRun {
		return 0
	}
	if !*assumeYes {
		if !actions.IsTerminal(stdin) {
			return fail(stderr, "limit", fmt.Errorf("standard input is not a terminal to confirm on: pass --yes to apply without asking; nothing was written: %w", actions.ErrRefused))
		}
		fmt.Fprintf(stdout, "apply %d write(s)? [y/N] ", len(plan.Writes))
		if !yes(stdin) {
			fmt.Fprintln(stdout, "nothing was written")
			return 1
		}
	}
	res, err := actor.ApplyLimit(plan)
	if res != nil && len(res.ReadBack) > 0 {
		fmt.Fprintln(stdout, "read back:")
		for _, rb := range res.ReadBack {
			fmt.Fprintf(stdout, "  %-28s %s (%s)\n", filepath.Base(rb.File), rb.Value, rb.Human)
			if rb.Note != "" {
				fmt.Fprintf(stdout, "    %s\n", rb.Note)
			}
		}
	}
	if err != nil {
		if res != nil && res.Written > 0 {
			fmt.Fprintf(stderr, "isotop limit: %d of %d writes were made before this:\n", res.Written, len(plan.Writes))
		}
		return fail(stderr, "limit", err)
	}
	return 0
}

func printPlan(w io.Writer, p *actions.LimitPlan) {
	fmt.Fprintf(w, "%s (cgroup %s host)\n", p.Target, p.Mode)
	for _, wr := range p.Writes {
		fmt.Fprintf(w, "  %s\n      %s (%s) → %s (%s)\n", wr.File, wr.Old, wr.OldHuman, wr.New, wr.NewHuman)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}
