package ui

import (
	tea "charm.land/bubbletea/v2"
)

// wheelStep is how many rows a turn of the wheel moves.
const wheelStep = 3

// click selects what is under the pointer: a tab opens its view, a row is selected (a click on the
// selected row jumps, as enter does). A click while a box is open closes it, as a key would.
func (m Model) click(ms tea.Mouse) (tea.Model, tea.Cmd) {
	if ms.Button != tea.MouseLeft {
		return m, nil
	}
	if m.over != nil {
		if _, isForm := m.over.(interface{ edit(tea.KeyPressMsg) bool }); !isForm {
			m.over = nil
		}
		return m, nil
	}
	if ms.Y == 1 {
		_, spans := m.tabs()
		for v, s := range spans {
			if ms.X >= s[0] && ms.X < s[1] {
				return m, m.show(ViewID(v))
			}
		}
		return m, nil
	}
	row := ms.Y - bodyTop - 1 // the table's header line
	t := m.table()
	if m.view == Overview || row < 0 || row >= m.rowsHigh() || ms.X >= m.tableWidth() {
		return m, nil
	}
	i := t.offset + row
	if i >= len(t.shown) {
		return m, nil
	}
	if i == t.cursor && !t.shown[i].Context {
		return m, m.jump()
	}
	t.cursor = i
	t.clamp(m.rowsHigh())
	return m, nil
}

// wheel scrolls the box on screen (help, detail) or moves the cursor.
func (m Model) wheel(ms tea.Mouse) (tea.Model, tea.Cmd) {
	d := 0
	switch ms.Button {
	case tea.MouseWheelUp:
		d = -wheelStep
	case tea.MouseWheelDown:
		d = wheelStep
	default:
		return m, nil
	}
	switch o := m.over.(type) {
	case nil:
		if m.view != Overview {
			m.table().move(d, m.rowsHigh())
		}
	case *helpBox:
		o.top += d
	case *detailBox:
		o.top += d
	}
	return m, nil
}
