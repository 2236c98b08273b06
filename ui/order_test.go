package ui

import (
	"io/fs"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui/render"
)

// busySnapshot is the fixture with CPU rates, as a second refresh has them: one process busy.
func busySnapshot(t *testing.T) (*probe.Snapshot, int) {
	s := fixtureSnapshot(t)
	busy := s.Processes[len(s.Processes)/2].PID
	for i := range s.Processes {
		rate := float64(i%5) / 10
		if s.Processes[i].PID == busy {
			rate = 97.5
		}
		s.Processes[i].CPUPct = &rate
	}
	return s, busy
}

func modelOf(t *testing.T, s *probe.Snapshot, w, h int) Model {
	m := New(func() (*probe.Snapshot, error) { return s, nil }, Options{})
	m.width, m.height = w, h
	m.setSnapshot(s)
	return m
}

// TestFlowSortKeys: htop's P, M and T sort the Processes view by CPU %, RSS and CPU time, the
// largest first (again: reversed); t goes back to the tree, and again to a flat list by pid.
func TestFlowSortKeys(t *testing.T) {
	s, busy := busySnapshot(t)
	m := press(modelOf(t, s, 120, 40), "p", "P")
	tab := m.views[Processes]
	if got := tab.shown[0].Ref; got != render.ProcRef(busy) {
		t.Fatalf("P: the first row is %v, not the busy process %d", got, busy)
	}
	if !strings.Contains(m.render(), "CPU%▼") {
		t.Errorf("P: the header does not mark the sort:\n%s", m.render())
	}
	if m = press(m, "P"); m.views[Processes].shown[0].Ref == render.ProcRef(busy) {
		t.Errorf("P again: not reversed")
	}
	maxOf := func(f func(p *probe.Process) uint64) int {
		best := 0
		for i := range s.Processes {
			if f(&s.Processes[i]) > f(&s.Processes[best]) {
				best = i
			}
		}
		return s.Processes[best].PID
	}
	if m = press(m, "M"); m.views[Processes].shown[0].Ref != render.ProcRef(maxOf(func(p *probe.Process) uint64 { return p.RSSBytes })) {
		t.Errorf("M: the first row is not the largest RSS")
	}
	if m = press(m, "T"); m.views[Processes].shown[0].Ref != render.ProcRef(maxOf(func(p *probe.Process) uint64 { return p.CPUUsec })) {
		t.Errorf("T: the first row is not the most CPU time")
	}
	m = press(m, "t")
	if tab := m.views[Processes]; tab.sortCol != 0 || tab.flat || !slices.ContainsFunc(tab.shown, func(r render.Filtered) bool { return r.Depth > 0 }) {
		t.Errorf("t after a sort: not the tree again")
	}
	m = press(m, "t")
	tab = m.views[Processes]
	if !tab.flat || !slices.IsSortedFunc(tab.shown, func(a, b render.Filtered) int { return a.Ref.PID() - b.Ref.PID() }) ||
		slices.ContainsFunc(tab.shown, func(r render.Filtered) bool { return r.Depth > 0 }) {
		t.Errorf("t again: not a flat list by pid")
	}
	// M in Cgroups sorts by memory; T there says there is no such column.
	m = press(m, "g", "M")
	if c := m.views[Cgroups].sortCol; c == 0 || m.views[Cgroups].table.Columns[c-1].Title != "MEMORY" {
		t.Errorf("M in Cgroups sorts by column %d", c)
	}
	if m = press(m, "T"); !strings.Contains(m.status, "no TIME column") {
		t.Errorf("T in Cgroups: status %q", m.status)
	}
}

// TestFlowFold: - folds the selected row's subtree away (its row says how many it hides), + or -
// again unfolds it; folding needs the tree.
func TestFlowFold(t *testing.T) {
	m := press(modelOf(t, fixtureSnapshot(t), 120, 40), "p")
	shown := m.views[Processes].shown
	all, under := len(shown), 0
	for under+1 < all && shown[under+1].Depth > shown[0].Depth {
		under++
	}
	if under == 0 {
		t.Fatal("the fixture's first process has no children")
	}
	m = press(m, "-")
	if n := len(m.views[Processes].shown); n != all-under {
		t.Fatalf("- on the first row: %d rows shown, want %d", n, all-under)
	}
	if out := m.render(); !strings.Contains(out, "(+"+itoa(under)+")") {
		t.Errorf("the folded row does not say it hides %d rows:\n%s", under, out)
	}
	if m = press(m, "+"); len(m.views[Processes].shown) != all {
		t.Errorf("+ did not unfold")
	}
	if m = press(m, "P", "-"); !strings.Contains(m.status, "folding needs the tree") {
		t.Errorf("- in a sorted list: status %q", m.status)
	}
}

// TestValuesNeverCut: at 80x24 and 200x50 the values an operator came for are whole on screen: a
// cgroup's used/limit with its ↑, a veth's peer, a container's network; less important columns
// drop instead.
func TestValuesNeverCut(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		for _, v := range []struct {
			view ViewID
			col  string
		}{{Cgroups, "MEMORY"}, {Cgroups, "PIDS"}, {Network, "PEER / PORTS"}, {Containers, "MEMORY"}, {Containers, "NETWORK"}, {Processes, "RSS"}} {
			m := press(modelOf(t, fixtureSnapshot(t), size[0], size[1]), keys.global.Views[v.view].Keys()[0])
			tab := m.views[v.view]
			col := slices.IndexFunc(tab.table.Columns, func(c render.Column) bool { return c.Title == v.col })
			out := m.render()
			for i, r := range tab.shown {
				if i >= m.rowsHigh() {
					break
				}
				if cell := strings.TrimSpace(r.Cells[col]); cell != "" && !strings.Contains(out, cell) {
					t.Errorf("%dx%d %s: %s %q is not whole on screen:\n%s", size[0], size[1], v.view, v.col, cell, out)
				}
			}
		}
	}
}

// TestAlertLevels: a cgroup at 97 % of its memory limit is an alarm: red with colour, ‼ after the
// value without; 85 % of its pids limit a warning (!); the Overview lists both.
func TestAlertLevels(t *testing.T) {
	s := fixtureSnapshot(t)
	var hot string
	for i := range s.Cgroups {
		c := &s.Cgroups[i]
		if c.Memory != nil && c.Memory.EffectiveMax != nil && *c.Memory.EffectiveMax != probe.Unlimited && c.Memory.Current != nil {
			v := uint64(float64(*c.Memory.EffectiveMax) * 0.97)
			c.Memory.Current, hot = &v, c.Path
			if p := c.PIDsCtl; p != nil && p.EffectiveMax != nil && *p.EffectiveMax != probe.Unlimited {
				n := uint64(float64(*p.EffectiveMax) * 0.85)
				p.Current = &n
			}
			break
		}
	}
	if hot == "" {
		t.Fatal("the fixture has no cgroup with a memory limit")
	}
	m := press(modelOf(t, s, 120, 40), "g")
	out := m.render()
	if !strings.Contains(out, "‼") || !strings.Contains(out, " !") {
		t.Errorf("without colour, no ‼ and ! markers:\n%s", out)
	}
	name := hot // named by its container when it is one's
	if o, ok := render.CgroupOwners(s)[hot]; ok {
		name = o.Label
	}
	if ov := press(m, "o").render(); !strings.Contains(ov, "near their limits") || !strings.Contains(ov, render.AlarmMark) || !strings.Contains(ov, name) {
		t.Errorf("the Overview does not list %s near its limit:\n%s", name, ov)
	}
	m.styles = NewStyles(true)
	if out := m.render(); strings.Contains(out, "‼") || !strings.Contains(out, "\x1b[1;91m") && !strings.Contains(out, "\x1b[1;31m") && !strings.Contains(out, "91m") {
		t.Errorf("with colour: a marker, or no red:\n%q", out)
	}
}

// TestStatusWraps: a message longer than the screen wraps (up to three lines) instead of being cut.
func TestStatusWraps(t *testing.T) {
	m := modelOf(t, fixtureSnapshot(t), 80, 24)
	m.status = "limit /isotop-test-abc/app: refused: memory.max 1M is below the usage 396.0K/47.7M↑ in force (set at /isotop-test-abc); nothing was written"
	out := m.render()
	if lines := strings.Split(out, "\n"); len(lines) != 24 {
		t.Errorf("%d lines, want 24", len(lines))
	}
	for _, w := range strings.Fields(m.status) {
		if !strings.Contains(out, w) {
			t.Errorf("the message's %q is not on screen:\n%s", w, out)
		}
	}
}

// TestAuditErrorShown: an audit log that cannot be read says so in the Audit view (read-only mode's
// files helper may not read every path), where "(nothing)" would claim there was nothing; a log
// not made yet is empty.
func TestAuditErrorShown(t *testing.T) {
	m := modelOf(t, fixtureSnapshot(t), 100, 30)
	m.opt.AuditLog = "/tmp/elsewhere/audit.jsonl"
	m.auditErr = &fs.PathError{Op: "open", Path: m.opt.AuditLog, Err: syscall.EACCES}
	out := press(m, "a").render()
	if !strings.Contains(out, "the audit log cannot be read") || !strings.Contains(out, "permission denied") || strings.Contains(out, "(nothing)") {
		t.Errorf("the Audit view hides why it is empty:\n%s", out)
	}
	m.auditErr = &fs.PathError{Op: "open", Path: m.opt.AuditLog, Err: syscall.ENOENT}
	if out := press(m, "a").render(); !strings.Contains(out, "(nothing)") {
		t.Errorf("a log not made yet is not shown as empty:\n%s", out)
	}
}

// TestOverviewScrolls: an Overview longer than the screen says how much is below, and ↓ brings
// its last lines (the latest cgroup events) into view.
func TestOverviewScrolls(t *testing.T) {
	m := modelOf(t, fixtureSnapshot(t), 80, 14)
	out := m.render()
	if !strings.Contains(out, "more lines") || strings.Contains(out, "recent cgroup events") {
		t.Fatalf("a long Overview at 80x14 does not say there is more:\n%s", out)
	}
	m = press(m, "down", "down", "down", "down", "down", "down", "down", "down", "down", "down")
	out = m.render()
	if !strings.Contains(out, "lines above") || !strings.Contains(out, "recent cgroup events") {
		t.Errorf("scrolled down, the Overview does not show its end:\n%s", out)
	}
	if lines := strings.Split(out, "\n"); len(lines) != 14 {
		t.Errorf("%d lines, want 14", len(lines))
	}
}

// TestRefreshKeepsTheCursorOnAContextRow: with a filter, the operator may move onto a dimmed
// ancestor of a match; a refresh leaves the cursor there (it jumped back to the first match, so
// that rows below an ancestor could not be reached while refreshes came).
func TestRefreshKeepsTheCursorOnAContextRow(t *testing.T) {
	s := fixtureSnapshot(t)
	m := press(modelOf(t, s, 120, 40), "p", "/")
	for _, c := range "sleep 600" {
		m = press(m, string(c))
	}
	m = press(m, "enter")
	tab := &m.views[Processes]
	ctx := slices.IndexFunc(tab.shown, func(r render.Filtered) bool { return r.Context })
	if ctx < 0 {
		t.Fatal("the filter shows no context row")
	}
	for tab.cursor != ctx {
		m = press(m, map[bool]string{true: "down", false: "up"}[tab.cursor < ctx])
		tab = &m.views[Processes]
	}
	at := tab.shown[tab.cursor].Ref
	m.setSnapshot(fixtureSnapshot(t)) // a refresh
	if tab := &m.views[Processes]; tab.shown[tab.cursor].Ref != at {
		t.Errorf("a refresh moved the cursor from %v (a context row) to %v", at, tab.shown[tab.cursor].Ref)
	}
}
