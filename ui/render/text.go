package render

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/isotop/isotop/probe"
)

// Bytes formats bytes the way operators read them: 512, 20.0M, 1.5G (as isotop's actions do).
func Bytes(n uint64) string { return probe.FormatBytes(n) }

// Fit cuts s to at most w display cells, ending with … when cut (ANSI styling kept). It is linear
// in len(s): a command line can be 128 KiB.
func Fit(s string, w int) string {
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

// Pad cleans and cuts s to w cells and pads it to w, on the left for a right-aligned column.
func Pad(s string, w int, right bool) string {
	s = Fit(Clean(s), w)
	gap := w - lipgloss.Width(s)
	if gap <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", gap) + s
	}
	return s + strings.Repeat(" ", gap)
}

// Widths gives each column its width in a table total cells wide (the row marker's 2 cells
// included): a Keep column is as wide as its widest cell (widest[i]), up to two thirds of the
// table; when
// they do not all fit,
// columns are hidden (width 0) in their Drop order, the highest first, until the flexible ones
// can have 30 cells, then the flexible ones shrink to 8 if need be; the spare width goes first to
// the other columns whose cells are cut (up to 32 cells), then to the flexible ones.
func Widths(cols []Column, widest []int, total int) []int {
	w := make([]int, len(cols))
	for i, c := range cols {
		w[i] = c.Width
		if c.Keep && i < len(widest) { // whole, up to two thirds of the width: one odd value does not push out the rest
			w[i] = max(w[i], min(widest[i], (total-2)*2/3), lipgloss.Width(c.Title)+1)
		}
	}
	used := func(flexWant int) int {
		n := 2
		for i, x := range w {
			if x > 0 {
				if cols[i].Flex {
					x = max(x, flexWant)
				}
				n += x + 1
			}
		}
		return n
	}
	// Columns drop until the flexible ones (names, commands) have 30 cells each.
	for used(30) > total {
		j := -1
		for i, c := range cols {
			if w[i] > 0 && c.Drop > 0 && (j < 0 || c.Drop > cols[j].Drop) {
				j = i
			}
		}
		if j < 0 {
			break
		}
		w[j] = 0
	}
	for i, c := range cols {
		if over := used(0) - total; over > 0 && c.Flex {
			w[i] = max(8, w[i]-over)
		}
	}
	flex := 0
	for i, c := range cols {
		if c.Flex && w[i] > 0 {
			flex++
		}
	}
	// A column cut short (a hostname, a container's name) grows to its widest cell, up to 32, with
	// what the flexible ones leave past their 30.
	for i, c := range cols {
		if spare := total - used(30); spare > 0 && w[i] > 0 && !c.Flex && i < len(widest) && widest[i] > w[i] {
			w[i] += min(spare, min(widest[i], max(32, w[i]))-w[i])
		}
	}
	// Flexible columns share the spare width, up to 64 cells each: past that a wide terminal keeps
	// the numbers next to the names instead of at its far edge.
	spare := total - used(0)
	for i, c := range cols {
		if c.Flex && w[i] > 0 && spare > 0 && flex > 0 {
			add := min(spare/flex, max(0, 64-w[i]))
			w[i] += add
			spare -= add
			flex--
		}
	}
	return w
}
