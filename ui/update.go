package ui

import (
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/ui/render"
)

// key routes a key: ctrl+c quits from anywhere; the filter prompt, or else the box on screen, take
// every other key; else the view's keys, the cursor's, the selected row's.
func (m Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	m.status = ""
	switch {
	case keys.global.ForceQuit.matches(msg):
		return m, tea.Quit
	case m.filtering:
		m.promptKey(msg)
		return m, nil
	case m.over != nil:
		var cmd tea.Cmd
		m.over, cmd = m.over.update(&m, msg)
		return m, cmd
	}
	if cmd, ok := m.viewKey(msg); ok {
		return m, cmd
	}
	if cmd, ok := m.timeKey(msg); ok {
		return m, cmd
	}
	if m.orderKey(msg) {
		return m, nil
	}
	if m.moveKey(msg) {
		return m, nil
	}
	cmd := m.rowKey(msg)
	return m, cmd
}

// promptKey edits the filter as it is typed: the rows follow each key.
func (m *Model) promptKey(msg tea.KeyPressMsg) {
	t := m.table()
	switch {
	case keys.prompt.Keep.matches(msg):
		m.filtering = false
	case keys.prompt.Clear.matches(msg):
		m.filtering, t.filter = false, ""
	case keys.prompt.Delete.matches(msg):
		if r := []rune(t.filter); len(r) > 0 {
			t.filter = string(r[:len(r)-1])
		}
	default:
		t.filter += printable(msg)
	}
	t.apply(m.rowsHigh())
}

// printable is the text a key types ("" for a key that types nothing).
func printable(msg tea.KeyPressMsg) string {
	if msg.Text == "" || msg.Mod&(tea.ModCtrl|tea.ModAlt) != 0 {
		return ""
	}
	return msg.Text
}

// viewKey handles the keys of the screen as a whole: quit, help, the views, the filter, the sort.
func (m *Model) viewKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	g, t := keys.global, keys.table
	for v, b := range g.Views {
		if b.matches(msg) {
			return m.show(ViewID(v)), true
		}
	}
	tab := m.table()
	switch {
	case g.Quit.matches(msg):
		return tea.Quit, true
	case g.Help.matches(msg):
		m.over = &helpBox{}
	case g.Next.matches(msg):
		return m.show((m.view + 1) % numViews), true
	case g.Prev.matches(msg):
		return m.show((m.view + numViews - 1) % numViews), true
	case t.Pause.matches(msg):
		m.paused = !m.paused
	case m.view == Overview:
		return nil, false
	case t.Filter.matches(msg):
		m.filtering, tab.filter = true, "" // a new filter: what is typed replaces the last
		tab.apply(m.rowsHigh())
	case t.ClearFilter.matches(msg):
		tab.filter = ""
		tab.apply(m.rowsHigh())
	case t.Sort.matches(msg): // the next column on screen (a narrow terminal hides some)
		w := render.Widths(tab.table.Columns, tab.widest, m.tableWidth())
		for tab.sortCol = (tab.sortCol + 1) % (len(w) + 1); tab.sortCol > 0 && w[tab.sortCol-1] == 0; {
			tab.sortCol = (tab.sortCol + 1) % (len(w) + 1)
		}
		tab.apply(m.rowsHigh())
	case t.Reverse.matches(msg):
		tab.sortDesc = !tab.sortDesc
		tab.apply(m.rowsHigh())
	default:
		return nil, false
	}
	return nil, true
}

// orderKey handles the keys that order the rows: htop's one-key sorts (P, M, T: by the view's
// column for it, largest first, again to reverse), the tree or a flat list, and folding.
func (m *Model) orderKey(msg tea.KeyPressMsg) bool {
	t, tab := keys.table, m.table()
	if m.view == Overview {
		return false
	}
	titles := map[*binding][]string{&t.SortCPU: {"CPU%"}, &t.SortMem: {"RSS", "MEMORY"}, &t.SortTime: {"TIME"}}
	for _, b := range []*binding{&t.SortCPU, &t.SortMem, &t.SortTime} {
		if !b.matches(msg) {
			continue
		}
		col := slices.IndexFunc(tab.table.Columns, func(c render.Column) bool { return slices.Contains(titles[b], c.Title) })
		switch {
		case col < 0:
			m.status = "the " + m.view.String() + " view has no " + strings.Join(titles[b], " or ") + " column"
		case tab.sortCol == col+1:
			tab.sortDesc = !tab.sortDesc
		default:
			tab.sortCol, tab.sortDesc = col+1, true
		}
		if col >= 0 && render.Widths(tab.table.Columns, tab.widest, m.tableWidth())[col] == 0 {
			m.status = "sorted by " + tab.table.Columns[col].Title + ", a column this width hides (a wider terminal shows it)"
		}
		tab.apply(m.rowsHigh())
		return true
	}
	switch {
	case t.Tree.matches(msg): // from a sort, back to the tree
		tab.flat = tab.sortCol == 0 && !tab.flat
		tab.sortCol = 0
	case t.Fold.matches(msg):
		if tab.sortCol != 0 || tab.flat {
			m.status = "folding needs the tree: " + t.Tree.hint()
			return true
		}
		tab.toggleFold(m.rowsHigh())
	default:
		return false
	}
	tab.apply(m.rowsHigh())
	return true
}

// moveKey moves the cursor.
func (m *Model) moveKey(msg tea.KeyPressMsg) bool {
	t, k, tab := m.rowsHigh(), keys.table, m.table()
	if m.view == Overview { // the Overview scrolls: at 80x24 the events may be below the fold
		moves := map[*binding]int{&k.Up: -1, &k.Down: 1, &k.PageUp: -t, &k.PageDown: t, &k.Home: -1 << 20, &k.End: 1 << 20}
		for b, d := range moves {
			if b.matches(msg) {
				m.overviewOff = max(0, min(m.overviewOff+d, 1<<20))
				return true
			}
		}
		return false
	}
	switch {
	case k.Up.matches(msg):
		tab.move(-1, t)
	case k.Down.matches(msg):
		tab.move(1, t)
	case k.PageUp.matches(msg):
		tab.move(-t, t)
	case k.PageDown.matches(msg):
		tab.move(t, t)
	case k.Home.matches(msg):
		tab.move(-len(tab.shown), t)
	case k.End.matches(msg):
		tab.move(len(tab.shown), t)
	default:
		return false
	}
	return true
}

// rowKey handles the keys that act on the selected row.
func (m *Model) rowKey(msg tea.KeyPressMsg) tea.Cmd {
	k := keys.table
	switch {
	case k.Back.matches(msg):
		m.back()
	case k.Jump.matches(msg):
		return m.jump()
	case k.Explain.matches(msg), k.Info.matches(msg):
		if r := m.selected(); r != nil {
			if k.Explain.matches(msg) {
				m.over = &explainBox{more: r.More()}
			} else {
				m.over = &detailBox{more: r.More()}
			}
		}
	case k.Mark.matches(msg):
		m.mark()
	case k.Compare.matches(msg):
		if len(m.marks) == 2 {
			m.over = &compareBox{}
		} else {
			m.status = "mark two processes with " + k.Mark.Help().Key + " first"
		}
	case k.Enter.matches(msg):
		return m.startEnter()
	case k.Limit.matches(msg):
		m.startLimit()
	case k.Sandbox.matches(msg):
		m.startSandbox()
	}
	return nil
}

// jump goes to what the selected row relates to: at once when there is one place, else a menu.
func (m *Model) jump() tea.Cmd {
	r := m.selected()
	if r == nil {
		return nil
	}
	more := r.More()
	switch len(more.Jumps) {
	case 0:
		m.status = "nothing to jump to from here"
	case 1:
		return m.goTo(more.Jumps[0].View, more.Jumps[0].Ref)
	default:
		m.over = &jumpBox{more: more}
	}
	return nil
}

// mark marks or unmarks the selected process for compare (two at most, the oldest goes).
func (m *Model) mark() {
	r := m.selected()
	if r == nil || r.Ref.Kind != render.RefProcess {
		m.status = keys.table.Mark.Help().Key + " marks processes (in the Processes view) to compare"
		return
	}
	if i := slices.Index(m.marks, r.Ref); i >= 0 {
		m.marks = slices.Delete(m.marks, i, i+1)
		return
	}
	m.marks = append(m.marks, r.Ref)
	if len(m.marks) > 2 {
		m.marks = m.marks[1:]
	}
	if len(m.marks) == 2 {
		m.status = "two processes marked: " + keys.table.Compare.Help().Key + " compares them"
	}
}
