package ui

import (
	"slices"
	"strings"

	"github.com/isotop/isotop/ui/render"
)

// tableModel is one view's table: its rows as built from the snapshot, the rows shown (filtered,
// sorted), the cursor and scroll offset, and the selection, which follows its object across
// refreshes.
type tableModel struct {
	table    render.Table
	built    bool // table is of the model's snapshot
	shown    []render.Filtered
	cursor   int
	offset   int
	sel      render.Ref
	filter   string
	sortCol  int // 0: tree order; n: column n-1
	sortDesc bool
	expCol   int // the column (value) the explain box is on
}

// setTable puts a freshly built table in, keeping filter, sort and selection.
func (t *tableModel) setTable(tab render.Table, height int) {
	t.table, t.built = tab, true
	t.apply(height)
}

// apply filters and sorts the rows, and puts the cursor back on the selected object (or, when a
// filter was just typed, on its first match).
func (t *tableModel) apply(height int) {
	tree := t.sortCol == 0
	shown := render.Filter(t.table.Rows, t.filter, tree)
	if c := t.sortCol; c > 0 {
		desc := t.sortDesc
		slices.SortStableFunc(shown, func(a, b render.Filtered) int {
			ka, kb := sortKey(a.Row, c-1), sortKey(b.Row, c-1)
			if desc {
				return strings.Compare(kb, ka)
			}
			return strings.Compare(ka, kb)
		})
		for i := range shown {
			shown[i].Depth = 0
		}
	}
	t.shown = shown
	t.cursor = -1
	for i, r := range shown {
		if r.Ref == t.sel && !r.Context {
			t.cursor = i
			break
		}
	}
	if t.cursor < 0 { // the selection is filtered out or gone: the first match
		t.cursor = max(0, slices.IndexFunc(shown, func(r render.Filtered) bool { return !r.Context }))
	}
	t.clamp(height)
}

func sortKey(r render.Row, c int) string {
	if c < len(r.Sort) && r.Sort[c] != "" {
		return r.Sort[c]
	}
	if c < len(r.Cells) {
		return r.Cells[c]
	}
	return ""
}

// clamp keeps the cursor on a row and in the window of height rows, and records the selection.
func (t *tableModel) clamp(height int) {
	n := len(t.shown)
	t.cursor = max(0, min(t.cursor, n-1))
	if n > 0 {
		t.sel = t.shown[t.cursor].Ref
	}
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+height {
		t.offset = t.cursor - height + 1
	}
	t.offset = max(0, min(t.offset, max(0, n-height)))
}

func (t *tableModel) move(d, height int) {
	t.cursor += d
	t.clamp(height)
}

// selected is the row under the cursor, nil when there is none.
func (t *tableModel) selected() *render.Row {
	if t.cursor < 0 || t.cursor >= len(t.shown) {
		return nil
	}
	return &t.shown[t.cursor].Row
}

// selectRef puts the cursor on the object, reporting whether it is shown.
func (t *tableModel) selectRef(r render.Ref, height int) bool {
	t.sel = r
	t.apply(height)
	s := t.selected()
	return s != nil && s.Ref == r
}

// view draws the header and the rows of the window, width cells wide and height rows high.
func (t *tableModel) view(width, height int, st Styles) string {
	w := render.Widths(t.table.Columns, width)
	var b strings.Builder
	head := "  "
	for i, c := range t.table.Columns {
		title := c.Title
		if t.sortCol == i+1 {
			title += map[bool]string{false: "▲", true: "▼"}[t.sortDesc]
		}
		head += render.Pad(title, w[i], c.Right) + " "
	}
	b.WriteString(st.Header.Render(render.Fit(head, width)))
	if len(t.shown) == 0 {
		b.WriteString("\n  (nothing")
		if t.filter != "" {
			b.WriteString(" matches " + render.Clean(t.filter))
		}
		b.WriteString(")")
	}
	for i := t.offset; i < len(t.shown) && i < t.offset+height; i++ {
		r := t.shown[i]
		marker := "  "
		if i == t.cursor {
			marker = "▶ "
		}
		line := marker
		for j, c := range t.table.Columns {
			cell := ""
			if j < len(r.Cells) {
				cell = r.Cells[j]
			}
			if j == t.table.TreeCol {
				cell = strings.Repeat(" ", max(0, min(r.Depth, 12))) + cell
			}
			line += render.Pad(cell, w[j], c.Right) + " "
		}
		line = render.Fit(line, width)
		switch {
		case i == t.cursor:
			line = st.Selected.Render(line)
		case r.Context:
			line = st.Dim.Render(line)
		}
		b.WriteString("\n" + line)
	}
	return b.String()
}
