package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// TestLiveEventsBox: on a live view with Options.Events (a remote host's recorder), v opens the
// Events box and reads the events in its Cmd (not in Update); the box lists them, filters as one
// types, and enter says a live view cannot go back and names the command that replays the
// instant on that host. An error of Events is shown in the box.
func TestLiveEventsBox(t *testing.T) {
	zone := time.FixedZone("", 3600)
	evs := []TimelineEvent{
		{Time: time.Date(2026, 12, 3, 2, 0, 30, 0, zone), Kind: "container-started", Object: "podman:web", Detail: "busybox", Source: "sample"},
		{Time: time.Date(2026, 12, 3, 2, 14, 10, 0, zone), Kind: "oom-kill", Object: "/app/ctr", Detail: "count 1", Source: "inotify"},
	}
	calls := 0
	m, s := newTestModel(t, 120, 30)
	m.opt.Events = func() (LiveEvents, error) {
		calls++
		return LiveEvents{Events: evs, Replay: "isotop --replay /var/lib/isotop/record"}, nil
	}
	v := tea.KeyPressMsg{Code: 'v', Text: "v"}
	cmd, ok := m.liveEventsKey(v)
	if !ok || cmd == nil || m.over == nil {
		t.Fatalf("v on a live view with Events: handled %v, cmd %v, box %v", ok, cmd != nil, m.over)
	}
	if calls != 0 {
		t.Error("the events were read in the key's handling, not in its Cmd")
	}
	if box := m.over.text(&m, 116, 26); !strings.Contains(box, "reading") {
		t.Errorf("before the Cmd ran, the box says:\n%s", box)
	}
	nm, _ := m.Update(cmd())
	m = nm.(Model)
	box := m.over.text(&m, 116, 26)
	if calls != 1 || !strings.Contains(box, "2 of 2") || !strings.Contains(box, "12-03 02:14:10  oom-kill") || !strings.Contains(box, "podman:web") {
		t.Errorf("the box after the Cmd (%d calls):\n%s", calls, box)
	}
	m = press(m, "o", "o", "m")
	if box = m.over.text(&m, 116, 26); !strings.Contains(box, "1 of 2 matching oom") || strings.Contains(box, "podman:web") {
		t.Errorf("filtered by oom:\n%s", box)
	}
	m = press(m, "enter")
	want := "a live view cannot go back to 02:14:10: on " + s.Host.Hostname + ", isotop --replay /var/lib/isotop/record --at 2026-12-03T02:14:10+01:00 replays it"
	if m.over != nil || m.status != want {
		t.Errorf("enter: box %v, status %q; want %q", m.over, m.status, want)
	}

	// Without Events, or in a replay, v is not the live box's.
	m.opt.Events = nil
	if _, ok := m.liveEventsKey(v); ok {
		t.Error("v handled without Options.Events")
	}
	m.opt.Events = func() (LiveEvents, error) {
		return LiveEvents{}, errors.New("web-1: this serve was started without --recordings DIR")
	}
	cmd, _ = m.liveEventsKey(v)
	nm, _ = m.Update(cmd())
	m = nm.(Model)
	if box := m.over.text(&m, 116, 26); !strings.Contains(box, "without --recordings DIR") {
		t.Errorf("an error of Events:\n%s", box)
	}
}
