package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/ui/render"
)

// overlay is a box over the view: help, explain, jump, compare, detail, and the actions' forms.
// It takes every key while it is open (but ctrl+c), and says which (its hints).
type overlay interface {
	// update handles a key: the box to show next (itself, another, or nil to close) and a Cmd.
	update(m *Model, msg tea.KeyPressMsg) (overlay, tea.Cmd)
	// text is the box's content for an inside of width × height cells.
	text(m *Model, width, height int) string
	// hints is the box's last line: its keys.
	hints() string
}

// scroller is the window of a box's lines that scroll (help, detail).
type scroller struct{ top int }

// key scrolls by a key of the overlay keymap; false for another key.
func (s *scroller) key(msg tea.KeyPressMsg, page int) bool {
	o := keys.overlay
	switch {
	case o.Up.matches(msg):
		s.top--
	case o.Down.matches(msg):
		s.top++
	case o.PageUp.matches(msg):
		s.top -= page
	case o.PageDown.matches(msg):
		s.top += page
	default:
		return false
	}
	return true
}

// window is the lines, wrapped to width (a hanging indent under their first word), from the top,
// height of them, saying how many more there are above and below.
func (s *scroller) window(lines []string, width, height int) string {
	lines = wrap(lines, width)
	height = max(3, height)
	s.top = max(0, min(s.top, len(lines)-height))
	end := min(len(lines), s.top+height)
	out := make([]string, 0, height+2)
	if s.top > 0 {
		out = append(out, fmt.Sprintf("↑ %d more", s.top))
		out = append(out, lines[s.top+1:end]...)
	} else {
		out = append(out, lines[:end]...)
	}
	if end < len(lines) {
		out[len(out)-1] = fmt.Sprintf("↓ %d more (%s)", len(lines)-end+1, keys.overlay.Up.hint())
	}
	return strings.Join(out, "\n")
}

// helpBox lists every key, from the keymaps.
type helpBox struct{ scroller }

func (b *helpBox) update(m *Model, msg tea.KeyPressMsg) (overlay, tea.Cmd) {
	if b.key(msg, m.bodyHeight()-4) {
		return b, nil
	}
	return nil, nil // q, esc, ? and any other key close it
}

func (b *helpBox) text(_ *Model, width, height int) string {
	return b.window(append([]string{"Keys"}, helpLines()...), width, height)
}

func (b *helpBox) hints() string {
	return hints(keys.overlay.Up, keys.overlay.Close) + ", any other key too"
}

// explainBox says where one value of the selected row comes from; the others are a ←→ away.
type explainBox struct{ more render.More }

func (b *explainBox) update(m *Model, msg tea.KeyPressMsg) (overlay, tea.Cmd) {
	t := m.table()
	n := max(1, len(t.table.Columns))
	switch {
	case keys.overlay.Next.matches(msg):
		t.expCol = (t.expCol + 1) % n
	case keys.overlay.Prev.matches(msg):
		t.expCol = (t.expCol + n - 1) % n
	default:
		return nil, nil
	}
	return b, nil
}

func (b *explainBox) text(m *Model, _, _ int) string {
	t := m.table()
	cols, r := t.table.Columns, m.selected()
	if r == nil || len(cols) == 0 {
		return ""
	}
	c := min(t.expCol, len(cols)-1)
	var s strings.Builder
	s.WriteString("Where this value comes from   ")
	for i, col := range cols {
		if i == c {
			s.WriteString("[" + col.Title + "] ")
		} else {
			s.WriteString(col.Title + " ")
		}
	}
	value := ""
	if c < len(r.Cells) {
		value = strings.TrimSpace(r.Cells[c])
	}
	s.WriteString("\n\n  " + cols[c].Title + ": " + render.Clean(value) + "\n\n")
	if tl := m.opt.Timeline; tl != nil { // a replay: the value is the past's, the command today's
		at := tl.Time(m.at).In(tl.Zone()).Format("2006-01-02 15:04:05 -07:00")
		s.WriteString("  the value at " + at + ", recorded from the file below;\n  the command shows its value now, on this host\n\n")
	}
	var e render.Explanation
	if c < len(b.more.Explain) {
		e = b.more.Explain[c]
	}
	s.WriteString(explanationText(e))
	return s.String()
}

func explanationText(e render.Explanation) string {
	var s strings.Builder
	if len(e.Files) == 0 && e.Command == "" && e.Meaning == "" {
		s.WriteString("  (nothing more to say about this one)\n")
	}
	for i, f := range e.Files {
		if i == 3 && len(e.Files) > 4 {
			fmt.Fprintf(&s, "  file:    … and %d more\n", len(e.Files)-i)
			break
		}
		s.WriteString("  file:    " + render.Clean(f) + "\n")
	}
	if e.Command != "" {
		s.WriteString("  shell:   " + render.Clean(e.Command) + "\n")
	}
	if e.Meaning != "" {
		s.WriteString("\n  " + e.Meaning + "\n")
	}
	return s.String()
}

func (b *explainBox) hints() string {
	return hints(keys.overlay.Next, keys.overlay.Close) + ", any other key too"
}

// jumpBox is the menu of places the selected row relates to.
type jumpBox struct{ more render.More }

func (b *jumpBox) update(m *Model, msg tea.KeyPressMsg) (overlay, tea.Cmd) {
	if keys.overlay.Pick.matches(msg) {
		if i := int(msg.Code - '1'); i >= 0 && i < len(b.more.Jumps) {
			return nil, m.goTo(b.more.Jumps[i].View, b.more.Jumps[i].Ref)
		}
	}
	return nil, nil
}

func (b *jumpBox) text(*Model, int, int) string {
	var s strings.Builder
	s.WriteString("Jump to\n\n")
	for i, j := range b.more.Jumps {
		if i == 9 {
			break
		}
		fmt.Fprintf(&s, "  %d  %-12s %s\n", i+1, j.View, render.Clean(j.Label))
	}
	return s.String()
}

func (b *jumpBox) hints() string {
	return hints(keys.overlay.Pick, keys.table.Back) + " comes back, any other key closes"
}

// compareBox sets the two marked processes' namespaces side by side.
type compareBox struct{}

func (compareBox) update(*Model, tea.KeyPressMsg) (overlay, tea.Cmd) { return nil, nil }

func (compareBox) text(m *Model, _, _ int) string {
	if m.snap == nil || len(m.marks) != 2 {
		return ""
	}
	return render.Compare(m.snap, m.marks[0], m.marks[1])
}

func (compareBox) hints() string { return "any key closes" }

// detailBox is the selected object in full.
type detailBox struct {
	more render.More
	scroller
}

func (b *detailBox) update(m *Model, msg tea.KeyPressMsg) (overlay, tea.Cmd) {
	if b.key(msg, m.bodyHeight()-4) {
		return b, nil
	}
	return nil, nil
}

func (b *detailBox) text(_ *Model, width, height int) string {
	if len(b.more.Detail) == 0 {
		return "nothing more on this row"
	}
	lines := make([]string, 0, len(b.more.Detail))
	for _, l := range b.more.Detail {
		lines = append(lines, render.Clean(l))
	}
	return b.window(lines, width, height)
}

func (b *detailBox) hints() string {
	return hints(keys.overlay.Up, keys.overlay.Close) + ", any other key too"
}

// wrap breaks lines longer than width at spaces, the rest of a line indented as far as its text
// after the first gap of two spaces or more ("  e              explain a value: …").
func wrap(lines []string, width int) []string {
	if width < 20 {
		return lines
	}
	var out []string
	for _, l := range lines {
		indent := 0
		if i := strings.Index(strings.TrimLeft(l, " "), "  "); i >= 0 {
			rest := strings.TrimLeft(l, " ")[i:]
			indent = len(l) - len(rest) + len(rest) - len(strings.TrimLeft(rest, " "))
		}
		if indent > width/2 {
			indent = 4
		}
		for len([]rune(l)) > width {
			r := []rune(l)
			cut := strings.LastIndex(string(r[:width]), " ")
			if cut <= indent {
				cut = len(string(r[:width]))
			}
			out = append(out, l[:cut])
			l = strings.Repeat(" ", indent) + strings.TrimLeft(l[cut:], " ")
		}
		out = append(out, l)
	}
	return out
}
