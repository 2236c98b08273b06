package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/isotop/isotop/ui/render"
)

// View draws the screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "isotop"
	if !m.opt.NoMouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	return v
}

// The screen: the title (line 0), the tabs (1), the body (2 …), the status line (last).
const bodyTop = 2

func (m Model) render() string {
	var b strings.Builder
	b.WriteString(m.titleLine())
	b.WriteByte('\n')
	b.WriteString(m.tabsLine())
	b.WriteByte('\n')
	body := m.withSidePane(m.body())
	if m.over != nil { // its keys are on the status line
		inner := min(m.width-2, 140) - 4 // the box's border and padding
		body = m.box(strings.TrimRight(m.over.text(&m, inner, m.bodyHeight()-2), "\n"))
	}
	lines := strings.Split(body, "\n")
	status := m.statusLine()
	for i := range m.bodyHeight() + 1 - strings.Count(status, "\n") { // a long message takes the body's last lines
		if i < len(lines) {
			b.WriteString(render.Fit(lines[i], m.width))
		}
		b.WriteByte('\n')
	}
	b.WriteString(status)
	return b.String()
}

// wrapStatus wraps a message to the width, on up to 3 lines (the last cut with …): what isotop
// did or refused is read whole, not cut at the screen's edge.
func (m Model) wrapStatus(text string, st lipgloss.Style) string {
	lines := strings.Split(ansi.Wrap(render.Clean(text), m.width, " "), "\n")
	if len(lines) > 3 {
		lines = lines[:3]
		lines[2] = render.Fit(lines[2]+" …", m.width)
	}
	for i := range lines {
		lines[i] = st.Render(render.Fit(lines[i], m.width))
	}
	return strings.Join(lines, "\n")
}

func (m Model) titleLine() string {
	t := "isotop"
	if m.opt.Timeline != nil { // the instant first: a long path or hostname must not push it off
		t += " · replay" + m.instantTitle() + m.baselineTitle()
	}
	if m.snap != nil {
		h := m.snap.Host
		t += fmt.Sprintf(" · %s · %s · cgroup %s · %d procs", render.Clean(h.Hostname), render.Clean(h.Kernel), h.CgroupMode, len(m.snap.Processes))
	}
	if m.opt.Remote != "" {
		t += " · remote " + render.Clean(m.opt.Remote)
	}
	if m.opt.Replay != "" {
		t += " · " + map[bool]string{true: "", false: "replay "}[m.opt.Timeline != nil] + render.Clean(m.opt.Replay)
	}
	if m.paused {
		t += " · PAUSED"
	}
	if m.snap != nil && m.snap.Partial != "" {
		t += " · reading the rest…"
	}
	out := m.styles.Title.Render(render.Fit(t, m.width-12))
	if m.opt.ReadOnly {
		out += " " + m.styles.Warn.Render("[READ-ONLY]")
	}
	return out
}

// shortViewNames fit the tabs in 80 columns.
var shortViewNames = [numViews]string{"Over", "NS", "Procs", "Cgroups", "Contnrs", "Net", "Audit"}

// tabs are the tab labels and where each begins and ends on the tabs line (for a click).
func (m Model) tabs() (labels []string, spans [][2]int) {
	x := 0
	for v := range numViews {
		name := v.String()
		if m.width < 90 {
			name = shortViewNames[v]
		}
		label := keys.global.Views[v].Help().Key + " " + name
		if v == m.view {
			label = "[" + label + "]"
		} else {
			label = " " + label + " "
		}
		w := lipgloss.Width(label)
		labels, spans = append(labels, label), append(spans, [2]int{x, x + w})
		x += w
	}
	return labels, spans
}

func (m Model) tabsLine() string {
	labels, _ := m.tabs()
	var b strings.Builder
	for v, l := range labels {
		if ViewID(v) == m.view {
			b.WriteString(m.styles.ActiveTab.Render(l))
		} else {
			b.WriteString(m.styles.Tab.Render(l))
		}
	}
	return b.String()
}

// statusLine says what went on, or else the keys of what has them now, made from the keymaps.
func (m Model) statusLine() string {
	switch {
	case m.filtering:
		p := keys.prompt
		return render.Fit("/"+render.Clean(m.table().filter)+"▏ ("+hints(p.Keep, p.Clear)+")", m.width)
	case m.err != nil:
		return m.wrapStatus("error: "+m.err.Error(), m.styles.Warn)
	case m.status != "":
		return m.wrapStatus(m.status, m.styles.Status)
	case m.over != nil:
		return m.styles.Dim.Render(render.Fit(m.over.hints(), m.width))
	}
	t, g := keys.table, keys.global
	prefix := ""
	if f := m.table().filter; f != "" && m.view != Overview {
		prefix = "filter: " + render.Clean(f) + " (" + t.ClearFilter.hint() + ") · "
	}
	// As many of the keys as fit, in this order, and always help and quit.
	tail := g.Help.hint() + " " + g.Quit.hint()
	s := prefix
	show := []binding{t.Up, t.Jump, t.Filter, t.Explain, t.Enter, t.Limit, t.Sandbox, t.Back, t.Info}
	if m.opt.Timeline != nil { // a replay's own keys first; its actions are refused
		k := keys.time
		show = []binding{k.Prev, k.Next, k.PrevEvent, k.NextEvent, k.First, k.Last, k.Events, k.Goto, t.Up, t.Jump, t.Filter, t.Explain, t.Info}
	}
	for _, b := range show {
		if lipgloss.Width(s+b.hint()+tail) >= m.width {
			break
		}
		s += b.hint() + " "
	}
	return m.styles.Dim.Render(render.Fit(strings.TrimSpace(s+tail), m.width))
}

func (m Model) body() string {
	switch {
	case m.snap == nil && m.err != nil:
		return "no snapshot: " + render.Clean(m.err.Error())
	case m.snap == nil:
		return "reading the host…"
	case m.view == Overview:
		return m.overview()
	case m.snap.Partial != "" && m.view != Processes && m.view != Audit:
		return "  " + m.snap.Partial + "…"
	case m.view == Audit && m.auditErr != nil && len(m.audit) == 0 && !errors.Is(m.auditErr, fs.ErrNotExist):
		return "  the audit log cannot be read: " + render.Clean(m.auditErr.Error()) // not "nothing", which would be a claim
	}
	return m.views[m.view].view(m.tableWidth(), m.rowsHigh(), m.styles)
}

// overview is the Overview's text, its values near their limits coloured by level.
func (m Model) overview() string {
	lines := strings.Split(strings.TrimRight(render.OverviewText(m.snap, m.opt.ReadOnly, m.opt.Lockdown), "\n"), "\n")
	h := m.bodyHeight() + 1
	if off := min(m.overviewOff, max(0, len(lines)-h+1)); len(lines) > h || off > 0 {
		if off > 0 {
			lines = append([]string{fmt.Sprintf("↑ %d lines above (%s)", off, keys.table.Up.Help().Key)}, lines[off+1:]...)
		}
		if len(lines) > h {
			lines = append(lines[:h-1], fmt.Sprintf("↓ %d more lines (%s)", len(lines)-h+1, keys.table.Up.Help().Key))
		}
	}
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, render.AlarmMark):
			lines[i] = m.styles.Level[render.Alarm].Render(render.Fit(l, m.width))
		case strings.HasPrefix(l, render.WarnMark):
			lines[i] = m.styles.Level[render.Warn].Render(render.Fit(l, m.width))
		}
	}
	return strings.Join(lines, "\n")
}

// sidePane is the width of the detail pane beside the table on a wide terminal (0: none).
func (m Model) sidePane() int {
	if m.width < 150 || m.view == Overview {
		return 0
	}
	return min(80, m.width-100)
}

func (m Model) tableWidth() int {
	if p := m.sidePane(); p > 0 {
		return m.width - p - 1
	}
	return m.width
}

// withSidePane puts the selected row's detail to the right of the table's lines.
func (m Model) withSidePane(body string) string {
	pw := m.sidePane()
	r := m.selected()
	if pw == 0 || r == nil {
		return body
	}
	detail := r.More().Detail
	lines := strings.Split(body, "\n")
	h := m.bodyHeight()
	for len(lines) < h {
		lines = append(lines, "")
	}
	if len(detail) > h {
		detail = append(detail[:h-1:h-1], fmt.Sprintf("… %d more lines (%s)", len(detail)-h+1, keys.table.Info.hint()))
	}
	tw := m.tableWidth()
	for i := range lines {
		d := ""
		if i < len(detail) {
			d = render.Clean(detail[i])
		}
		if gap := tw - lipgloss.Width(lines[i]); gap > 0 {
			lines[i] += strings.Repeat(" ", gap)
		}
		lines[i] += m.styles.Dim.Render("│") + render.Fit(d, pw)
	}
	return strings.Join(lines, "\n")
}

func (m Model) box(text string) string {
	return m.styles.Box.Width(min(m.width-2, 140)).Render(text)
}
