package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/isotop/isotop/probe"
)

// The flows below run the real Bubble Tea program (its event loop, the Init command that takes the
// snapshot, the renderer) on the fixture, drive it with keys, and check where each flow ends.

func runFlow(t *testing.T, keys ...string) Model {
	t.Helper()
	s := fixtureSnapshot(t)
	tm := teatest.NewTestModel(t, New(func() (*probe.Snapshot, error) { return s, nil }, Options{}),
		teatest.WithInitialTermSize(120, 40))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("busiest cgroups")) },
		teatest.WithDuration(10*time.Second))
	for _, k := range keys {
		tm.Send(keyMsg(k))
	}
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}) // quits from a box too (q closes the box)
	return tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

func typed(s string) []string { return strings.Split(s, "") }

func TestFlowSwitchAndFilter(t *testing.T) {
	m := runFlow(t, append(append([]string{"n", "tab", "g", "p", "/"}, typed("sleep")...), "enter")...)
	if m.view != Processes || m.views[Processes].filter != "sleep" || len(m.views[Processes].shown) == 0 {
		t.Fatalf("view %s, filter %q, %d rows", m.view, m.views[Processes].filter, len(m.views[Processes].shown))
	}
	for _, r := range m.views[Processes].shown {
		if !r.Context && !strings.Contains(strings.Join(r.Cells, " "), "sleep") {
			t.Errorf("the filter let through %v", r.Cells)
		}
	}
}

func TestFlowJumpAndBack(t *testing.T) {
	// From the container web, jump to its cgroup (2 in the menu), then back.
	jump := append(append([]string{"c", "/"}, typed("web")...), "enter", "enter", "2")
	m := runFlow(t, jump...)
	if m.view != Cgroups || !strings.Contains(m.selected().Ref.Name, "libpod-855a") || len(m.history) != 1 {
		t.Fatalf("after the jump: view %s, selected %s, history %v", m.view, m.selected().Ref, m.history)
	}
	m = runFlow(t, append(jump, "backspace")...)
	if m.view != Containers || m.selected().Cells[1] != "web" || len(m.history) != 0 {
		t.Fatalf("after back: view %s, selected %v", m.view, m.selected().Cells)
	}
}

func TestFlowCompare(t *testing.T) {
	// Mark the two Podman containers' sleeps and compare them.
	keys := []string{"p", "/"}
	keys = append(keys, typed("sleep 600")...)
	keys = append(keys, "enter", "m", "down", "m", "x")
	m := runFlow(t, keys...)
	if !isOver[*compareBox](m) || len(m.marks) != 2 {
		t.Fatalf("overlay %v, marks %v", m.over, m.marks)
	}
	if out := m.render(); !strings.Contains(out, "Namespaces of") || !strings.Contains(out, "shared") {
		t.Errorf("compare:\n%s", out)
	}
}

func TestFlowExplain(t *testing.T) {
	m := runFlow(t, "g", "down", "e", "right", "right", "right", "right")
	out := m.render()
	if !isOver[*explainBox](m) || !strings.Contains(out, "[MEMORY]") || !strings.Contains(out, "memory.usage_in_bytes") {
		t.Errorf("explain:\n%s", out)
	}
}

// runFlowMsgs is runFlow with any messages (mouse events), at a size.
func runFlowMsgs(t *testing.T, w, h int, msgs ...tea.Msg) Model {
	t.Helper()
	s := fixtureSnapshot(t)
	tm := teatest.NewTestModel(t, New(func() (*probe.Snapshot, error) { return s, nil }, Options{}),
		teatest.WithInitialTermSize(w, h))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("busiest cgroups")) },
		teatest.WithDuration(10*time.Second))
	for _, m := range msgs {
		tm.Send(m)
	}
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	return tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
}

func keys2msgs(ks ...string) []tea.Msg {
	var out []tea.Msg
	for _, k := range ks {
		out = append(out, keyMsg(k))
	}
	return out
}

// TestFlowFilterByPath: in Cgroups, a filter matches the whole path ("libpod_parent/libpod-855a"
// and "/libpod-855a" both find the container's cgroup, which only its last element matched before),
// shows the match's ancestors (below the root) dimmed for context, and selects the match.
func TestFlowFilterByPath(t *testing.T) {
	for _, q := range []string{"libpod_parent/libpod-855a", "/libpod-855a", "t/libpod-8"} {
		m := runFlow(t, append(append([]string{"g", "/"}, typed(q)...), "enter")...)
		tab := m.views[Cgroups]
		var matches, context []string
		for _, r := range tab.shown {
			if r.Context {
				context = append(context, r.Ref.Name)
			} else {
				matches = append(matches, r.Ref.Name)
			}
		}
		if len(matches) != 1 || !strings.HasPrefix(matches[0], "/libpod_parent/libpod-855a") ||
			strings.Join(context, " ") != "/libpod_parent" || m.selected().Ref.Name != matches[0] {
			t.Errorf("filter %q: matches %v, context %v, selected %v", q, matches, context, m.selected().Ref)
		}
	}
}

// TestFlowFilterKeys: / starts a new filter (it does not add to the one kept), esc in the view
// clears a kept filter.
func TestFlowFilterKeys(t *testing.T) {
	keys := append(append([]string{"p", "/"}, typed("sleep")...), "enter", "/")
	keys = append(append(keys, typed("web")...), "enter")
	if m := runFlow(t, keys...); m.views[Processes].filter != "web" {
		t.Errorf("after /sleep then /web the filter is %q, want web", m.views[Processes].filter)
	}
	m := runFlow(t, append(append(append([]string{"p", "/"}, typed("sleep")...), "enter"), "esc")...)
	if f := m.views[Processes].filter; f != "" || len(m.views[Processes].shown) != len(m.views[Processes].table.Rows) {
		t.Errorf("esc in the view left the filter %q", f)
	}
}

// TestFlowQClosesBoxes: q closes a box that says any key closes it (explain, info, compare, help,
// the jump menu), and quits only from a view.
func TestFlowQClosesBoxes(t *testing.T) {
	for _, open := range [][]string{{"g", "down", "e"}, {"g", "down", "i"}, {"?"}, {"c", "/", "w", "e", "b", "enter", "enter"}} {
		s := fixtureSnapshot(t)
		tm := teatest.NewTestModel(t, New(func() (*probe.Snapshot, error) { return s, nil }, Options{}), teatest.WithInitialTermSize(120, 40))
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("busiest cgroups")) }, teatest.WithDuration(10*time.Second))
		for _, k := range append(open, "q") {
			tm.Send(keyMsg(k))
		}
		tm.Send(keyMsg("?")) // still running: the help opens
		tm.Send(keyMsg("q")) // closes it
		tm.Send(keyMsg("q")) // and q from the view quits
		m := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
		if m.over != nil {
			t.Errorf("after %v q: a box is still open: %T", open, m.over)
		}
	}
}

// TestFlowHelpScrolls: at 80x24 the help is longer than the box: its end says how much more, and
// scrolling reaches the last lines (q, ctrl+c).
func TestFlowHelpScrolls(t *testing.T) {
	m := runFlowMsgs(t, 80, 24, keys2msgs("?")...)
	if out := m.render(); !strings.Contains(out, "↓") || !strings.Contains(out, "more") || strings.Contains(out, "ctrl+c ") {
		t.Fatalf("the help at 80x24 does not say there is more:\n%s", out)
	}
	m = runFlowMsgs(t, 80, 24, keys2msgs("?", "pgdown", "pgdown", "pgdown", "pgdown", "pgdown")...)
	if out := m.render(); !strings.Contains(out, "ctrl+c") || !strings.Contains(out, "this help") {
		t.Errorf("scrolled to the end, the help does not show its last keys:\n%s", out)
	}
}

// TestFlowMouse: a click on a tab opens its view, a click on a row selects it, a second click on
// it jumps, the wheel moves the selection.
func TestFlowMouse(t *testing.T) {
	m := New(nil, Options{})
	m.width = 120 // as the flow's terminal
	_, spans := m.tabs()
	cg := spans[Cgroups]
	click := func(x, y int) tea.Msg { return tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft} }
	got := runFlowMsgs(t, 120, 40, click(cg[0]+2, 1))
	if got.view != Cgroups {
		t.Fatalf("a click on the Cgroups tab: view %s", got.view)
	}
	// Row 3 of the table (the header is line 2): its fourth row.
	got = runFlowMsgs(t, 120, 40, click(cg[0]+2, 1), click(10, bodyTop+1+3))
	if got.views[Cgroups].cursor != 3 {
		t.Errorf("a click on the fourth row: cursor %d", got.views[Cgroups].cursor)
	}
	got = runFlowMsgs(t, 120, 40, click(cg[0]+2, 1), tea.MouseWheelMsg{X: 10, Y: 10, Button: tea.MouseWheelDown})
	if got.views[Cgroups].cursor != wheelStep {
		t.Errorf("the wheel: cursor %d, want %d", got.views[Cgroups].cursor, wheelStep)
	}
	// In Containers, a click on the selected row (web) jumps to what it relates to (a menu: several).
	got = runFlowMsgs(t, 120, 40, append(keys2msgs("c", "/", "w", "e", "b", "enter"), click(10, bodyTop+1))...)
	if !isOver[*jumpBox](got) {
		t.Errorf("a second click on a row does not jump: %T", got.over)
	}
}
