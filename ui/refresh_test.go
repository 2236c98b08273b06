package ui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/probe"
)

// tickScheduled is what the test's Tick returns in place of a timer: the refresh it would send.
type tickScheduled struct{ msg tea.Msg }

// TestOneRefreshLoop runs the model's refresh loop as Bubble Tea would, with the clock and the
// snapshots' arrival in the test's hands: however many actions end while a snapshot is being read,
// one snapshot is read at a time, one refresh tick is pending at most, and the screen is read again
// once after the actions (not once per action, and not as a new chain of ticks each).
func TestOneRefreshLoop(t *testing.T) {
	s := fixtureSnapshot(t)
	reads := 0
	src := func() (*probe.Snapshot, error) { reads++; return s, nil }
	tick := func(_ time.Duration, f func(time.Time) tea.Msg) tea.Cmd {
		return func() tea.Msg { return tickScheduled{f(time.Time{})} }
	}
	m := New(src, Options{Interval: time.Second, Tick: tick})
	var queue, arriving, ticks []tea.Msg
	var run func(tea.Cmd)
	run = func(cmd tea.Cmd) {
		if cmd == nil {
			return
		}
		switch msg := cmd().(type) {
		case tea.BatchMsg:
			for _, c := range msg {
				run(c)
			}
		case snapshotMsg: // read now, arriving at the next step of the clock
			arriving = append(arriving, msg)
		case tickScheduled:
			ticks = append(ticks, msg.msg)
		case nil:
		default:
			queue = append(queue, msg)
		}
	}
	settle := func() {
		for len(queue) > 0 {
			msg := queue[0]
			queue = queue[1:]
			var cmd tea.Cmd
			var mm tea.Model
			mm, cmd = m.Update(msg)
			m = mm.(Model)
			run(cmd)
		}
	}
	run(m.Init())
	for step := range 12 {
		settle()
		if step == 3 || step == 4 {
			// Three actions end while a snapshot is being read (and, at 4, while none is).
			queue = append(queue, enterDoneMsg{"pid 1", "exit 0"}, sandboxDoneMsg{id: "x"}, limitDoneMsg{})
			settle()
		}
		if len(arriving) > 1 || len(ticks) > 1 {
			t.Fatalf("step %d: %d snapshots being read, %d refresh ticks pending; want at most one of each", step, len(arriving), len(ticks))
		}
		// The clock moves: what was being read arrives; else the pending tick fires.
		if len(arriving) > 0 {
			queue, arriving = append(queue, arriving...), nil
		} else if len(ticks) > 0 {
			queue, ticks = append(queue, ticks...), nil
		}
	}
	settle()
	// 12 steps: a read and a tick alternate (6 reads), plus one read again after each of the two
	// bursts of actions.
	if reads != 8 {
		t.Errorf("%d snapshots read in 12 steps with two bursts of three actions, want 8", reads)
	}
}
