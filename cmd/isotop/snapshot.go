package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/probe"
)

func runSnapshot(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("isotop snapshot", flag.ContinueOnError)
	fl.SetOutput(cutting(stderr))
	asJSON := fl.Bool("json", false, "print the snapshot as one JSON document (the scripting interface, see README)")
	pretty := fl.Bool("pretty", false, "with --json: indent the document")
	procRoot := fl.String("proc", "/proc", "procfs mount point to read (a fixture tree in tests)")
	sysRoot := fl.String("sys", "/sys", "sysfs mount point to read")
	sample := fl.Duration("sample", 0, "take two snapshots this far apart, for CPU rates and the events between them (e.g. 1s)")
	readOnly := addReadOnlyFlag(fl)
	fl.Usage = func() {
		fmt.Fprint(stderr, "Usage: isotop snapshot [--json] [--pretty] [--sample DURATION] [--read-only] [--proc DIR] [--sys DIR]\n\n"+
			"Reads the host once. Without --json prints every namespace grouped by kind, like lsns,\n"+
			"including those held only by a bind mount (ip netns add …), then the cgroup tree with\n"+
			"the limits in force and where they come from. Unreadable or vanished\n"+
			"entries are listed at the end and in the JSON's \"errors\"; they do not fail the command.\n\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *sample < 0 {
		fmt.Fprintf(stderr, "isotop snapshot: --sample %s: must not be negative\n", *sample)
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "isotop snapshot: unexpected argument %q\n", actions.Cut(fl.Arg(0)))
		return 2
	}
	_, fs, err := readOnlyHost(*readOnly, *procRoot, *sysRoot)
	if err != nil {
		fmt.Fprintf(stderr, "isotop snapshot: %v\n", err)
		return 1
	}
	col := probe.NewCollector(fs)
	defer col.Close()
	snap, err := col.Snapshot()
	if err == nil && *sample > 0 {
		// Between the two, the cgroups' event counters are followed with inotify (v2): an OOM
		// kill in a cgroup removed meanwhile is in the second snapshot's events.
		ctx, stop := context.WithCancel(context.Background())
		ready, watched := make(chan struct{}), make(chan struct{})
		var once sync.Once
		isReady := func() { once.Do(func() { close(ready) }) }
		go func() {
			defer close(watched)
			col.Watch(ctx, isReady) // an error before it watches (no inotify): counters only
			isReady()
		}()
		<-ready
		time.Sleep(*sample)
		snap, err = col.Snapshot()
		stop()
		<-watched
	}
	if err != nil {
		fmt.Fprintf(stderr, "isotop snapshot: %v\n", err)
		return 1
	}
	w := bufio.NewWriterSize(stdout, 64<<10)
	defer w.Flush()
	if *asJSON {
		if *pretty {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			err = enc.Encode(snap)
		} else {
			err = snap.WriteJSON(w)
		}
		if err != nil {
			fmt.Fprintf(stderr, "isotop snapshot: %v\n", err)
			return 1
		}
		return 0
	}
	writeTable(w, snap)
	return 0
}
