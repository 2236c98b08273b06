package ui

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/isotop/isotop/probe"
)

// fit cuts s to at most w display cells, ending with … when cut (ANSI styling kept). It is linear
// in len(s): a command line can be 128 KiB.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "…")
}

// Clean makes text from the host safe to draw: a process's command line, a hostname, a path or a
// link name may hold newlines, tabs and escape sequences, which would break the layout or drive
// the terminal. Control characters are shown escaped (\n, \t, \x1b), as lsns does.
func Clean(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return isControl(r) || r == utf8.RuneError })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for s = s[i:]; s != ""; {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case isControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == utf8.RuneError && n == 1: // not UTF-8: the byte, escaped
			fmt.Fprintf(&b, `\x%02x`, s[0])
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// isControl: C0, DEL and C1 (0x80-0x9f, which some terminals take as escape sequences too).
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }

func pad(s string, w int, right bool) string {
	s = fit(Clean(s), w)
	gap := w - lipgloss.Width(s)
	if gap <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", gap) + s
	}
	return s + strings.Repeat(" ", gap)
}

// widths gives each column its minimum and shares the rest among the flexible ones.
func widths(cols []Column, total int) []int {
	w := make([]int, len(cols))
	used, flex := 0, 0
	for i, c := range cols {
		w[i] = c.Width
		used += c.Width + 1
		if c.Flex {
			flex++
		}
	}
	// Flexible columns share the spare width, up to 64 cells each: past that a wide terminal keeps
	// the numbers next to the names instead of at its far edge.
	spare := total - 2 - used
	for i, c := range cols {
		if c.Flex && spare > 0 && flex > 0 {
			add := min(spare/flex, max(0, 64-c.Width))
			w[i] += add
			spare -= add
			flex--
		}
	}
	return w
}

func (m Model) body() string {
	if m.snap == nil {
		if m.err != nil {
			return "no snapshot: " + Clean(m.err.Error())
		}
		return "reading the host…"
	}
	if m.view == Overview {
		return m.overview()
	}
	t := m.tables[m.view]
	rows := m.rows[m.view]
	tw := m.tableWidth()
	w := widths(t.Columns, tw)
	var b strings.Builder
	head := "  "
	for i, c := range t.Columns {
		title := c.Title
		if m.sortCol[m.view] == i+1 {
			title += map[bool]string{false: "▲", true: "▼"}[m.sortDesc[m.view]]
		}
		head += pad(title, w[i], c.Right) + " "
	}
	b.WriteString(m.styles.Header.Render(fit(head, tw)))
	if len(rows) == 0 {
		b.WriteString("\n  (nothing")
		if m.filter[m.view] != "" {
			b.WriteString(" matches " + Clean(m.filter[m.view]))
		}
		b.WriteString(")")
	}
	h := m.bodyHeight() - 1
	for i := m.offset[m.view]; i < len(rows) && i < m.offset[m.view]+h; i++ {
		r := rows[i]
		marker := "  "
		if i == m.cursor[m.view] {
			marker = "▶ "
		}
		if slices.Contains(m.marks, r.Key) {
			marker = marker[:len(marker)-1] + "*"
			if i == m.cursor[m.view] {
				marker = "▶*"
			}
		}
		line := marker
		for j, c := range t.Columns {
			cell := ""
			if j < len(r.Cells) {
				cell = r.Cells[j]
			}
			if j == t.TreeCol {
				cell = strings.Repeat(" ", max(0, min(r.Depth, 12))) + cell
			}
			line += pad(cell, w[j], c.Right) + " "
		}
		line = fit(line, tw)
		if i == m.cursor[m.view] {
			line = m.styles.Selected.Render(line)
		}
		b.WriteString("\n" + line)
	}
	return b.String()
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
		detail = append(detail[:h-1:h-1], fmt.Sprintf("… %d more lines", len(detail)-h+1))
	}
	tw := m.tableWidth()
	for i := range lines {
		d := ""
		if i < len(detail) {
			d = Clean(detail[i])
		}
		if gap := tw - lipgloss.Width(lines[i]); gap > 0 {
			lines[i] += strings.Repeat(" ", gap)
		}
		lines[i] += m.styles.Dim.Render("│") + fit(d, pw)
	}
	return strings.Join(lines, "\n")
}

func (m Model) overview() string {
	s := m.snap
	var b strings.Builder
	fmt.Fprintf(&b, "host %s, kernel %s, %d CPUs, cgroup mode %s\n", Clean(s.Host.Hostname), Clean(s.Host.Kernel), s.Host.CPUs, s.Host.CgroupMode)
	fmt.Fprintf(&b, "host namespaces from %s\n", Clean(s.Host.NSFrom))
	if m.opt.ReadOnly {
		b.WriteString("read-only: every action is refused")
		if m.opt.Lockdown != "" {
			// One line per process of the lockdown ("; " between them in the account).
			b.WriteString(", and the kernel holds it:")
			for _, part := range strings.Split(m.opt.Lockdown, "; ") {
				b.WriteString("\n  " + part)
			}
		}
		b.WriteString("\n")
	}
	counts := map[probe.NSKind]int{}
	for _, ns := range s.Namespaces {
		counts[ns.Type]++
	}
	b.WriteString("\nnamespaces  ")
	for _, k := range probe.Kinds {
		fmt.Fprintf(&b, "%s %d  ", k, counts[k])
	}
	runtimes := map[string]int{}
	for _, c := range s.Containers {
		runtimes[c.Runtime]++
	}
	b.WriteString("\ncontainers  ")
	if len(runtimes) == 0 {
		b.WriteString("none")
	}
	var rs []string
	for r := range runtimes {
		rs = append(rs, r)
	}
	sort.Strings(rs)
	for _, r := range rs {
		fmt.Fprintf(&b, "%s %d  ", r, runtimes[r])
	}
	fmt.Fprintf(&b, "\nnetwork     %d namespaces\n", len(s.NetNamespaces))
	// The busiest cgroups: by CPU rate when there is one, else by memory.
	type busy struct {
		path string
		cpu  float64
		mem  uint64
	}
	var bs []busy
	for _, c := range s.Cgroups {
		x := busy{path: Clean(c.Path)}
		if c.CPU != nil && c.CPU.RatePct != nil {
			x.cpu = *c.CPU.RatePct
		}
		if c.Memory != nil && c.Memory.Current != nil {
			x.mem = *c.Memory.Current
		}
		if c.Path != "/" {
			bs = append(bs, x)
		}
	}
	sort.Slice(bs, func(i, j int) bool {
		if bs[i].cpu != bs[j].cpu {
			return bs[i].cpu > bs[j].cpu
		}
		return bs[i].mem > bs[j].mem
	})
	b.WriteString("\nbusiest cgroups\n")
	for i, x := range bs {
		if i == 5 {
			break
		}
		fmt.Fprintf(&b, "  %-40s %5.0f%% cpu  %8s\n", fit(x.path, 40), x.cpu, HumanBytes(x.mem))
	}
	switch {
	case strings.HasPrefix(s.EventsFrom, "inotify"):
		b.WriteString("\nrecent cgroup events (followed with inotify)\n")
	case s.EventsFrom != "":
		b.WriteString("\nrecent cgroup events (seen between refreshes)\n")
	default:
		b.WriteString("\nrecent cgroup events\n")
	}
	if len(s.CgroupEvents) == 0 {
		b.WriteString("  none since isotop started\n")
	}
	for i := len(s.CgroupEvents) - 1; i >= 0 && i >= len(s.CgroupEvents)-5; i-- {
		e := s.CgroupEvents[i]
		fmt.Fprintf(&b, "  %s %-10s ×%d %s\n", e.Time.Format("15:04:05"), Clean(e.Event), e.Count, Clean(e.Cgroup))
	}
	if n := len(s.Errors); n > 0 {
		things := "things"
		if n == 1 {
			things = "thing"
		}
		fmt.Fprintf(&b, "\n%d %s could not be read (partial data), the first: %s: %s\n", n, things, Clean(s.Errors[0].Path), Clean(s.Errors[0].Error))
	}
	return b.String()
}

// explainText explains one value of the selected row: the file it comes from, the command that
// shows it, and what it means; the other values are a ←→ away.
func (m Model) explainText() string {
	cols := m.tables[m.view].Columns
	r := m.selected()
	if r == nil || len(cols) == 0 {
		return ""
	}
	c := min(m.expCol[m.view], len(cols)-1)
	var b strings.Builder
	b.WriteString("Where this value comes from   ")
	for i, col := range cols {
		if i == c {
			b.WriteString("[" + col.Title + "] ")
		} else {
			b.WriteString(col.Title + " ")
		}
	}
	value := ""
	if c < len(r.Cells) {
		value = strings.TrimSpace(r.Cells[c])
	}
	b.WriteString("\n\n  " + cols[c].Title + ": " + Clean(value) + "\n\n")
	var e Explanation
	if c < len(m.more.Explain) {
		e = m.more.Explain[c]
	}
	if len(e.Files) == 0 && e.Command == "" && e.Meaning == "" {
		b.WriteString("  (nothing more to say about this one)\n")
	}
	for i, f := range e.Files {
		if i == 3 && len(e.Files) > 4 {
			fmt.Fprintf(&b, "  file:    … and %d more\n", len(e.Files)-i)
			break
		}
		b.WriteString("  file:    " + Clean(f) + "\n")
	}
	if e.Command != "" {
		b.WriteString("  shell:   " + Clean(e.Command) + "\n")
	}
	if e.Meaning != "" {
		b.WriteString("\n  " + e.Meaning + "\n")
	}
	b.WriteString("\n(←→ another value, any other key closes)")
	return b.String()
}

// detailText is the selected object in full, cut to h lines.
func (m Model) detailText(h int) string {
	d := m.more.Detail
	if len(d) == 0 {
		return "nothing more on this row\n\n(any key closes)"
	}
	lines := make([]string, 0, len(d))
	for _, l := range d {
		lines = append(lines, Clean(l))
	}
	if h > 2 && len(lines) > h-2 {
		n := len(lines) - (h - 3)
		lines = append(lines[:h-3], fmt.Sprintf("… %d more lines (isotop snapshot --json has all)", n))
	}
	return strings.Join(lines, "\n") + "\n\n(any key closes)"
}

func (m Model) jumpText() string {
	var b strings.Builder
	b.WriteString("Jump to\n\n")
	for i, j := range m.more.Jumps {
		if i == 9 {
			break
		}
		fmt.Fprintf(&b, "  %d  %-12s %s\n", i+1, j.View, Clean(j.Label))
	}
	b.WriteString("\n(a number jumps, ⌫ comes back, any other key closes)")
	return b.String()
}

func (m Model) compareText() string {
	var ps [2]*probe.Process
	for i, k := range m.marks {
		for j := range m.snap.Processes {
			if procKey(&m.snap.Processes[j]) == k {
				ps[i] = &m.snap.Processes[j]
			}
		}
	}
	if ps[0] == nil || ps[1] == nil {
		return "a marked process is gone"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Namespaces of %d (%s) and %d (%s)\n\n", ps[0].PID, Clean(ps[0].Comm), ps[1].PID, Clean(ps[1].Comm))
	fmt.Fprintf(&b, "  %-8s %-12s %-12s\n", "KIND", fmt.Sprint(ps[0].PID), fmt.Sprint(ps[1].PID))
	for _, k := range probe.Kinds {
		a, c := ps[0].Namespaces.Get(k), ps[1].Namespaces.Get(k)
		same := "differ"
		if a == c && a != 0 {
			same = "shared"
		}
		fmt.Fprintf(&b, "  %-8s %-12d %-12d %s\n", k, a, c, same)
	}
	b.WriteString("\n(any key closes)")
	return b.String()
}

const helpText = `Keys
  o n p g c w a Overview, Namespaces, Processes, Cgroups, Containers, netWork, Audit
  tab shift+tab next, previous view
  ↑↓ j k pgup pgdown home end   move
  enter         jump from the row to what it relates to (container, cgroup, namespace, peer)
  ⌫ ← h         back, like a browser's history
  /             filter this view (enter keeps it, esc clears it)
  s S           sort by the next column, reverse
  e             explain a value: its file, the command that shows it (←→ the next value)
  i             the selected object in full (pids, maps, parents, limits, peers)
  m x           mark two processes, compare their namespaces
  E             enter the selected process's or container's namespaces (a shell; exit comes back)
  L             set limits on the selected cgroup or container (shows the writes, asks, reads back)
  B             start a sandbox shell (isotop sandbox: namespaces, cgroup, overlay root, veth)
  space         pause the refresh
  ?             this help
  q             quit
(any key closes)`
