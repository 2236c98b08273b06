package ui

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/isotop/isotop/probe"
)

// TestFirstFrameBeforeTheWholeHost: with a quick source, the TUI shows its processes (their count
// in the title, the list, the Overview saying the rest is being read) while the full snapshot is
// still being read, and the whole host when it comes.
func TestFirstFrameBeforeTheWholeHost(t *testing.T) {
	full := fixtureSnapshot(t)
	quick := fixtureSnapshot(t)
	quick.Partial = probe.PartialProcesses
	quick.Namespaces, quick.Cgroups, quick.Containers, quick.NetNamespaces = nil, nil, nil, nil
	for i := range quick.Processes {
		p := &quick.Processes[i]
		p.Cmdline, p.Namespaces, p.Isolated, p.Cgroup, p.Container = nil, probe.NSSet{}, nil, "", ""
	}
	release := make(chan struct{})
	src := func() (*probe.Snapshot, error) { <-release; return full, nil }
	m := New(src, Options{First: func() (*probe.Snapshot, error) { return quick, nil }})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	count := strconv.Itoa(len(quick.Processes)) + " procs"
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte(count)) && bytes.Contains(b, []byte("reading the rest"))
	}, teatest.WithDuration(10*time.Second))
	tm.Send(keyMsg("p")) // the process list, by name for now
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(quick.Processes[0].Comm)) },
		teatest.WithDuration(10*time.Second))
	close(release)
	tm.Send(keyMsg("o"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("busiest cgroups")) },
		teatest.WithDuration(10*time.Second))
	tm.Send(keyMsg("q"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	if final.snap != full {
		t.Errorf("the model ended on the quick snapshot, not the full one")
	}
}
