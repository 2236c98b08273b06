package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui/render"
)

// Timeline is a recording being replayed (isotop record): its instants, each read in a Cmd.
type Timeline interface {
	Len() int
	Time(i int) time.Time
	Load(i int) (*probe.Snapshot, error)
	// EventList is the recording's events, in time order.
	EventList() []TimelineEvent
	// Zone is the recorded host's time zone: instants show in its time, with its offset.
	Zone() *time.Location
	// Instant is the sample at an instant typed by the operator (the last at or before it), or
	// why it is not one.
	Instant(s string) (int, error)
}

// instantMsg is the snapshot of instant i of the timeline.
type instantMsg struct {
	i    int
	snap *probe.Snapshot
	err  error
}

func loadInstant(tl Timeline, i int) tea.Cmd {
	return func() tea.Msg {
		s, err := tl.Load(i)
		return instantMsg{i, s, err}
	}
}

// timeKey steps through a replayed recording: a sample, an event, the first or last instant.
func (m *Model) timeKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	tl, k := m.opt.Timeline, keys.time
	if tl == nil {
		return m.liveEventsKey(msg) // a remote host's recorder: its events, no instant to go to
	}
	var to int
	switch {
	case k.Prev.matches(msg):
		to = max(0, m.at-1)
	case k.Next.matches(msg):
		to = min(tl.Len()-1, m.at+1)
	case k.Events.matches(msg):
		m.over = &eventsBox{}
		return nil, true
	case k.Goto.matches(msg):
		m.over = &gotoBox{}
		return nil, true
	case k.Base.matches(msg):
		m.baselineKey()
		return nil, true
	case k.Changes.matches(msg):
		m.over = &changesBox{}
		return nil, true
	case k.First.matches(msg):
		to = 0
	case k.Last.matches(msg):
		to = tl.Len() - 1
	case k.NextEvent.matches(msg), k.PrevEvent.matches(msg):
		to = eventInstant(tl, m.at, k.NextEvent.matches(msg))
		if to < 0 {
			m.status = "no event " + map[bool]string{true: "after", false: "before"}[k.NextEvent.matches(msg)] + " this instant"
			return nil, true
		}
	default:
		return nil, false
	}
	if to == m.at {
		m.status = "the recording's " + map[bool]string{true: "first", false: "last"}[to == 0] + " instant"
		return nil, true
	}
	m.fetching = true
	return loadInstant(tl, to), true
}

// eventInstant is the sample that follows the next (or the previous) event, -1 when there is none.
// The events between two samples belong to the later one, which shows what they did.
func eventInstant(tl Timeline, at int, next bool) int {
	var evs []time.Time
	for _, e := range tl.EventList() {
		evs = append(evs, e.Time)
	}
	sampleAfter := func(t time.Time) int {
		return sort.Search(tl.Len(), func(i int) bool { return !tl.Time(i).Before(t) })
	}
	if next {
		e := sort.Search(len(evs), func(i int) bool { return evs[i].After(tl.Time(at)) })
		if e == len(evs) {
			return -1
		}
		return min(sampleAfter(evs[e]), tl.Len()-1)
	}
	if at == 0 {
		return -1
	}
	e := sort.Search(len(evs), func(i int) bool { return evs[i].After(tl.Time(at - 1)) })
	if e == 0 {
		return -1
	}
	return sampleAfter(evs[e-1])
}

// instantTitle is the title's timeline: the instant in the recorded host's time, with its offset.
func (m Model) instantTitle() string {
	tl := m.opt.Timeline
	if tl == nil {
		return ""
	}
	t := tl.Time(m.at).In(tl.Zone())
	layout := "2006-01-02 15:04:05 -07:00"
	if m.width < 100 && m.base != nil { // room for the baseline: the day is in the box and the events
		layout = "15:04:05 -07:00"
	}
	return fmt.Sprintf(" %s (%d/%d)", t.Format(layout), m.at+1, tl.Len())
}

// gotoBox asks for an instant of the replayed recording: RFC 3339, a time of day in the recorded
// host's zone (02:14), or an offset from the end (-10m).
type gotoBox struct {
	line
	err string
}

func (b *gotoBox) update(m *Model, msg tea.KeyPressMsg) (overlay, tea.Cmd) {
	tl := m.opt.Timeline
	switch {
	case keys.form.Cancel.matches(msg):
		return nil, nil
	case keys.form.Submit.matches(msg):
		i, err := tl.Instant(strings.TrimSpace(b.value))
		if err != nil {
			b.err = err.Error()
			return b, nil
		}
		if i == m.at {
			m.status = "already at that instant"
			return nil, nil
		}
		m.fetching = true
		return nil, loadInstant(tl, i)
	case b.edit(msg):
		b.err = ""
	}
	return b, nil
}

func (b *gotoBox) text(m *Model, _, _ int) string {
	tl := m.opt.Timeline
	zone := tl.Time(0).In(tl.Zone()).Format("-07:00")
	s := fmt.Sprintf("Go to an instant (recorded %s to %s, host's time %s)\n\n  02:14, 02:14:10 · -10m (from the end) · 2026-12-03T02:14:00+01:00\n\n%s\n",
		tl.Time(0).In(tl.Zone()).Format("01-02 15:04:05"), tl.Time(tl.Len()-1).In(tl.Zone()).Format("01-02 15:04:05"), zone, b.view())
	if b.err != "" {
		s += "\n  " + m.styles.Warn.Render(render.Clean(b.err)) + "\n"
	}
	return s
}

func (b *gotoBox) hints() string { return hints(keys.form.Submit, keys.form.Cancel) }
