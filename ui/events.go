package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/ui/render"
)

// TimelineEvent is one event of a replayed recording, as the Events box lists it.
type TimelineEvent struct {
	Time                         time.Time
	Kind, Object, Detail, Source string
}

// LiveEvents are a host's recorded events as a live view lists them (Options.Events).
type LiveEvents struct {
	Events []TimelineEvent
	// Replay is the command that replays the recording on its host ("isotop --replay DIR"):
	// a live view cannot go back to an event's instant, so enter names it.
	Replay string
}

// eventsBox lists a recording's events, filtered as one types (a container's name, a kind);
// enter goes to the instant after the selected one. On a live view (live set) the events are
// Options.Events', and enter says how to replay the instant on that host.
type eventsBox struct {
	filter string
	cur    int
	live   *liveEvents
	scroller
}

// liveEvents are Options.Events' answer, put in the box that asked when the Cmd that reads them
// ends (liveEventsMsg, in Update).
type liveEvents struct {
	loaded bool
	evs    LiveEvents
	err    error
}

func (l *liveEvents) get() (LiveEvents, bool, error) { return l.evs, l.loaded, l.err }

// liveEventsMsg is what Options.Events read, for the box to.
type liveEventsMsg struct {
	to  *liveEvents
	evs LiveEvents
	err error
}

// gotLiveEvents puts the events read in the box that asked for them, if it is still open.
func (m *Model) gotLiveEvents(msg liveEventsMsg) {
	if b, ok := m.over.(*eventsBox); ok && b.live == msg.to {
		*b.live = liveEvents{loaded: true, evs: msg.evs, err: msg.err}
	}
}

// liveEventsKey opens the Events box on a live view that has Options.Events (a remote host's
// recorder), and reads them in a Cmd: timeKey calls it when there is no Timeline.
func (m *Model) liveEventsKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if m.opt.Timeline != nil || m.opt.Events == nil || !keys.time.Events.matches(msg) {
		return nil, false
	}
	l, read := &liveEvents{}, m.opt.Events
	m.over = &eventsBox{live: l}
	return func() tea.Msg {
		evs, err := read()
		return liveEventsMsg{to: l, evs: evs, err: err}
	}, true
}

// all is every event the box lists.
func (b *eventsBox) all(m *Model) []TimelineEvent {
	if b.live != nil {
		evs, _, _ := b.live.get()
		return evs.Events
	}
	return m.opt.Timeline.EventList()
}

// shown are the events that match the filter.
func (b *eventsBox) shown(m *Model) []TimelineEvent {
	var out []TimelineEvent
	f := strings.ToLower(b.filter)
	for _, e := range b.all(m) {
		if f == "" || strings.Contains(strings.ToLower(e.Kind+" "+e.Object+" "+e.Detail+" "+e.Source), f) {
			out = append(out, e)
		}
	}
	return out
}

func (b *eventsBox) update(m *Model, msg tea.KeyPressMsg) (overlay, tea.Cmd) {
	tl, o, p := m.opt.Timeline, keys.overlay, keys.prompt
	evs := b.shown(m)
	switch {
	case keys.form.Cancel.matches(msg):
		return nil, nil
	case o.Up.matches(msg):
		b.cur = max(0, b.cur-1)
	case o.Down.matches(msg):
		b.cur = min(len(evs)-1, b.cur+1)
	case o.PageUp.matches(msg):
		b.cur = max(0, b.cur-10)
	case o.PageDown.matches(msg) && msg.Text != " ":
		b.cur = min(len(evs)-1, b.cur+10)
	case keys.form.Submit.matches(msg):
		if b.cur < 0 || b.cur >= len(evs) {
			return b, nil
		}
		if b.live != nil {
			m.status = b.replayHint(m, evs[b.cur])
			return nil, nil
		}
		at := sampleAtOrAfter(tl, evs[b.cur].Time)
		m.fetching = true
		return nil, loadInstant(tl, at)
	case p.Delete.matches(msg):
		if r := []rune(b.filter); len(r) > 0 {
			b.filter = string(r[:len(r)-1])
		}
		b.cur = 0
	default:
		if t := printable(msg); t != "" {
			b.filter += t
			b.cur = 0
		}
	}
	b.cur = max(0, min(b.cur, len(b.shown(m))-1))
	return b, nil
}

// replayHint says, on a live view, that it cannot go to e's instant and how to replay it there.
func (b *eventsBox) replayHint(m *Model, e TimelineEvent) string {
	evs, _, _ := b.live.get()
	replay := evs.Replay
	if replay == "" {
		replay = "isotop --replay DIR"
	}
	host := "its host"
	if m.snap != nil && m.snap.Host.Hostname != "" {
		host = render.Clean(m.snap.Host.Hostname)
	}
	return fmt.Sprintf("a live view cannot go back to %s: on %s, %s --at %s replays it", e.Time.Format("15:04:05"), host,
		render.Clean(replay), e.Time.Format(time.RFC3339))
}

func (b *eventsBox) text(m *Model, width, height int) string {
	evs := b.shown(m)
	var head string
	if b.live != nil {
		all, loaded, err := b.live.get()
		switch {
		case !loaded:
			return "Events of the host's recorder: reading them…"
		case err != nil:
			return "Events of the host's recorder\n\n  " + m.styles.Warn.Render(render.Fit(render.Clean(err.Error()), max(1, width-2)))
		}
		head = fmt.Sprintf("Events of the host's recorder: %d of %d", len(evs), len(all.Events))
	} else {
		head = fmt.Sprintf("Events of the recording: %d of %d", len(evs), len(m.opt.Timeline.EventList()))
	}
	if b.filter != "" {
		head += " matching " + render.Clean(b.filter)
	}
	lines := []string{head, ""}
	// The window follows the cursor.
	rows := max(1, height-len(lines))
	if b.cur < b.top {
		b.top = b.cur
	} else if b.cur >= b.top+rows {
		b.top = b.cur - rows + 1
	}
	for i := b.top; i < len(evs) && i < b.top+rows; i++ {
		e := evs[i]
		mark := "  "
		if i == b.cur {
			mark = "▶ "
		}
		t := e.Time // a live host's: in the recorded host's offset, as sent
		if tl := m.opt.Timeline; b.live == nil {
			t = t.In(tl.Zone())
		}
		lines = append(lines, render.Fit(fmt.Sprintf("%s%s  %-18s %s  %s (%s)", mark, t.Format("01-02 15:04:05"),
			e.Kind, render.Clean(e.Object), render.Clean(e.Detail), e.Source), width))
	}
	if len(evs) == 0 {
		lines = append(lines, "  (none)")
	}
	return strings.Join(lines, "\n")
}

func (b *eventsBox) hints() string {
	if b.live != nil {
		return "type to filter · " + hints(keys.overlay.Up, keys.form.Submit) + " says how to replay its instant · " + keys.form.Cancel.hint()
	}
	return "type to filter · " + hints(keys.overlay.Up, keys.form.Submit) + " goes to its instant · " + keys.form.Cancel.hint()
}

// sampleAtOrAfter is the first sample taken at or after t (the last when none is).
func sampleAtOrAfter(tl Timeline, t time.Time) int {
	for i := range tl.Len() {
		if !tl.Time(i).Before(t) {
			return i
		}
	}
	return tl.Len() - 1
}
