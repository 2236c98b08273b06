package ui

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
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

// TestLiteOffProcesses: a refresh on a view that shows no process's figures takes a lite
// snapshot; on Processes a full one; opening Processes on a lite one reads a full one at once.
func TestLiteOffProcesses(t *testing.T) {
	s := fixtureSnapshot(t)
	var full, lite int
	m := New(func() (*probe.Snapshot, error) { full++; return s, nil },
		Options{Interval: time.Second, Lite: func() (*probe.Snapshot, error) { lite++; return s, nil },
			Tick: func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return func() tea.Msg { return tickMsg{} } }})
	m.width, m.height = 120, 40
	var step func(cmd tea.Cmd)
	step = func(cmd tea.Cmd) {
		for cmd != nil {
			msg := cmd()
			if _, ok := msg.(tickMsg); ok || msg == nil {
				return
			}
			if b, ok := msg.(tea.BatchMsg); ok {
				for _, c := range b {
					step(c)
				}
				return
			}
			var nm tea.Model
			nm, cmd = m.Update(msg)
			m = nm.(Model)
		}
	}
	step(m.Init())
	m.fetching, m.ticking = false, false
	step(m.refreshNow()) // on the Overview
	if lite != 1 || full != 1 {
		t.Fatalf("Overview: %d lite, %d full reads (want the first full, then lite)", lite, full)
	}
	nm, cmd := m.Update(keyMsg("p"))
	m = nm.(Model)
	step(cmd)
	if full != 2 {
		t.Errorf("opening Processes on a lite snapshot did not read a full one at once (%d full)", full)
	}
	m.fetching = false
	step(m.refreshNow())
	if full != 3 || lite != 1 {
		t.Errorf("on Processes: %d full, %d lite reads", full, lite)
	}
}
