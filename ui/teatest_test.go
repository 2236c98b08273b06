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
	tm.Send(keyMsg("q"))
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
	if m.view != Processes || m.filter[Processes] != "sleep" || len(m.rows[Processes]) == 0 {
		t.Fatalf("view %s, filter %q, %d rows", m.view, m.filter[Processes], len(m.rows[Processes]))
	}
	for _, r := range m.rows[Processes] {
		if !strings.Contains(strings.Join(r.Cells, " "), "sleep") {
			t.Errorf("the filter let through %v", r.Cells)
		}
	}
}

func TestFlowJumpAndBack(t *testing.T) {
	// From the container web, jump to its cgroup (2 in the menu), then back.
	jump := append(append([]string{"c", "/"}, typed("web")...), "enter", "enter", "2")
	m := runFlow(t, jump...)
	if m.view != Cgroups || !strings.Contains(m.selected().Key, "libpod-855a") || len(m.history) != 1 {
		t.Fatalf("after the jump: view %s, selected %s, history %v", m.view, m.selected().Key, m.history)
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
	if m.over != compareOverlay || len(m.marks) != 2 {
		t.Fatalf("overlay %v, marks %v", m.over, m.marks)
	}
	if out := m.render(); !strings.Contains(out, "Namespaces of") || !strings.Contains(out, "shared") {
		t.Errorf("compare:\n%s", out)
	}
}

func TestFlowExplain(t *testing.T) {
	m := runFlow(t, "g", "down", "e", "right", "right", "right", "right")
	out := m.render()
	if m.over != explainOverlay || !strings.Contains(out, "[MEMORY]") || !strings.Contains(out, "memory.usage_in_bytes") {
		t.Errorf("explain:\n%s", out)
	}
}
