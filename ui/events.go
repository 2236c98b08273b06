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

// eventsBox lists a recording's events, filtered as one types (a container's name, a kind);
// enter goes to the instant after the selected one.
type eventsBox struct {
	filter string
	cur    int
	scroller
}

// shown are the events that match the filter.
func (b *eventsBox) shown(tl Timeline) []TimelineEvent {
	var out []TimelineEvent
	f := strings.ToLower(b.filter)
	for _, e := range tl.EventList() {
		if f == "" || strings.Contains(strings.ToLower(e.Kind+" "+e.Object+" "+e.Detail+" "+e.Source), f) {
			out = append(out, e)
		}
	}
	return out
}

func (b *eventsBox) update(m *Model, msg tea.KeyPressMsg) (overlay, tea.Cmd) {
	tl, o, p := m.opt.Timeline, keys.overlay, keys.prompt
	evs := b.shown(tl)
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
	b.cur = max(0, min(b.cur, len(b.shown(tl))-1))
	return b, nil
}

func (b *eventsBox) text(m *Model, width, height int) string {
	tl := m.opt.Timeline
	evs := b.shown(tl)
	head := fmt.Sprintf("Events of the recording: %d of %d", len(evs), len(tl.EventList()))
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
		lines = append(lines, render.Fit(fmt.Sprintf("%s%s  %-18s %s  %s (%s)", mark, e.Time.In(tl.Zone()).Format("01-02 15:04:05"),
			e.Kind, render.Clean(e.Object), render.Clean(e.Detail), e.Source), width))
	}
	if len(evs) == 0 {
		lines = append(lines, "  (none)")
	}
	return strings.Join(lines, "\n")
}

func (b *eventsBox) hints() string {
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
