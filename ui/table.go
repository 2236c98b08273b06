package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"

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
	flat     bool               // tree order without the tree: no indentation
	folded   map[render.Ref]int // rows whose subtree is folded away: how many rows it hides
	widest   []int              // per column, its widest cell (for Keep columns)
	// refreshing is set while a refresh's rows go in: the selection stays on a context row (an
	// ancestor of a match, where the operator moved it); a new filter moves it to a match.
	refreshing bool
	expCol     int // the column (value) the explain box is on
	// marks are the rows new (+) or changed (~) since a replay's baseline (nil: none marked).
	marks map[render.Ref]byte
}

// setTable puts a freshly built table in, keeping filter, sort and selection.
func (t *tableModel) setTable(tab render.Table, height int) {
	t.table, t.built = tab, true
	t.refreshing = true // the cursor stays where it is, on a context row too
	t.apply(height)
	t.refreshing = false
}

// apply filters and sorts the rows, and puts the cursor back on the selected object (or, when a
// filter was just typed, on its first match).
func (t *tableModel) apply(height int) {
	tree := t.sortCol == 0 && !t.flat
	shown := render.Filter(t.table.Rows, t.filter, tree)
	if tree && len(t.folded) > 0 {
		shown = t.fold(shown)
	}
	if c := t.sortCol; c > 0 || t.flat {
		desc := t.sortDesc
		slices.SortStableFunc(shown, func(a, b render.Filtered) int {
			if c == 0 { // flat: the first column's order (a pid, a path)
				return strings.Compare(sortKey(a.Row, 0), sortKey(b.Row, 0))
			}
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
	t.measure()
	t.cursor = -1
	for i, r := range shown {
		if r.Ref == t.sel && (!r.Context || t.refreshing) {
			t.cursor = i
			break
		}
	}
	if t.cursor < 0 { // the selection is filtered out (a new filter) or gone: the first match
		t.cursor = max(0, slices.IndexFunc(shown, func(r render.Filtered) bool { return !r.Context }))
	}
	t.clamp(height)
}

// fold leaves out the rows under a folded one (rows in tree order), and counts them for its mark.
func (t *tableModel) fold(rows []render.Filtered) []render.Filtered {
	out := rows[:0:0]
	for i := 0; i < len(rows); i++ {
		out = append(out, rows[i])
		if _, ok := t.folded[rows[i].Ref]; !ok {
			continue
		}
		j := i + 1
		for j < len(rows) && rows[j].Depth > rows[i].Depth {
			j++
		}
		t.folded[rows[i].Ref] = j - i - 1
		i = j - 1
	}
	return out
}

// toggleFold folds the selected row's subtree away, or unfolds it.
func (t *tableModel) toggleFold(height int) {
	r := t.selected()
	if r == nil {
		return
	}
	if _, ok := t.folded[r.Ref]; ok {
		delete(t.folded, r.Ref)
	} else {
		if t.folded == nil {
			t.folded = map[render.Ref]int{}
		}
		t.folded[r.Ref] = 0
	}
	t.apply(height)
}

// measure finds each column's widest cell among the rows shown (whole, not only the window: the
// columns do not move as the rows scroll), markers included; the flexible ones take what is left
// and are not measured.
func (t *tableModel) measure() {
	cols := t.table.Columns
	t.widest = make([]int, len(cols))
	for j, c := range cols {
		if c.Flex && !c.Keep {
			continue
		}
		for i := range t.shown {
			r := &t.shown[i].Row
			if j < len(r.Cells) {
				w := cellWidth(r.Cells[j]) + markerWidth(r, j)
				t.widest[j] = max(t.widest[j], w)
			}
		}
	}
}

// cellWidth is a cell's width on screen: its length for ASCII (most cells, and the cheap case on
// a host of thousands of rows), else lipgloss's measure.
func cellWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return lipgloss.Width(s)
		}
	}
	return len(s)
}

// markerWidth is the room an alert marker takes after a cell (NO_COLOR draws it as text).
func markerWidth(r *render.Row, j int) int {
	if j < len(r.Alert) && r.Alert[j] != render.OK {
		return 2
	}
	return 0
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
	w := render.Widths(t.table.Columns, t.widest, width)
	var b strings.Builder
	head := "  "
	for i, c := range t.table.Columns {
		title := c.Title
		if t.sortCol == i+1 { // the marker always shows: the title gives way
			title = render.Fit(title, max(1, w[i]-1)) + map[bool]string{false: "▲", true: "▼"}[t.sortDesc]
			title = strings.Replace(title, "…", "", 1)
		}
		if w[i] > 0 {
			head += render.Pad(title, w[i], c.Right) + " "
		}
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
		b.WriteString("\n" + t.line(i, w, width, st))
	}
	return b.String()
}

// line draws row i with the column widths w: hidden columns left out, a folded row's count of
// hidden rows beside its name, a value near its limit coloured (or marked ! and ‼ without colour).
func (t *tableModel) line(i int, w []int, width int, st Styles) string {
	r := t.shown[i]
	line := "  "
	if i == t.cursor {
		line = "▶ "
	}
	if mk, ok := t.marks[r.Ref]; ok { // against a replay's baseline: + new, ~ changed
		line = line[:len(line)-1] + string(rune(mk))
	}
	for j, c := range t.table.Columns {
		if w[j] == 0 {
			continue
		}
		cell := ""
		if j < len(r.Cells) {
			cell = r.Cells[j]
		}
		if j == t.table.TreeCol && r.FlatName != "" && (t.sortCol != 0 || t.flat) {
			cell = r.FlatName // out of its tree, a row says where it is (a cgroup's whole path)
		}
		if j == t.table.TreeCol {
			if n, ok := t.folded[r.Ref]; ok && t.sortCol == 0 && !t.flat {
				cell = fmt.Sprintf("▸(+%d) ", n) + cell // before the name: a long one is cut at its end
			}
			cell = strings.Repeat(" ", max(0, min(r.Depth, 12))) + cell
		}
		level := render.OK
		if j < len(r.Alert) {
			level = r.Alert[j]
		}
		if level != render.OK && !st.Color {
			cell += map[render.Level]string{render.Warn: " !", render.Alarm: " ‼"}[level]
		}
		cell = render.Pad(cell, w[j], c.Right)
		if level != render.OK && st.Color && i != t.cursor && !r.Context {
			cell = st.Level[level].Render(cell)
		}
		line += cell + " "
	}
	line = render.Fit(line, width)
	switch {
	case i == t.cursor:
		line = st.Selected.Render(line)
	case r.Context:
		line = st.Dim.Render(line)
	}
	return line
}
