package ui

import (
	"os"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/probe"
)

// FuzzRenderSnapshot renders a replayed snapshot (isotop --replay FILE: a file anyone may hand the
// operator) in every view and panel at two sizes: whatever the file holds that decodes, the TUI
// shows it or says what is wrong, and never panics.
func FuzzRenderSnapshot(f *testing.F) {
	if data, err := os.ReadFile("testdata/snapshot.json"); err == nil {
		f.Add(data)
	}
	for _, seed := range []string{
		`{"schema":1,"cgroups":[{}]}`,
		`{"schema":1,"cgroups":[{"path":"/a/b/c"},{"path":"/a"},{"path":"x"}]}`,
		`{"schema":1,"processes":[{"pid":-1,"ppid":-1},{"pid":1,"ppid":1}],"containers":[{"pids":[7],"pid":9}]}`,
		`{"schema":1,"cgroups":[{"path":"/","memory":{"current":99,"max":1}}],"cgroup_events":[{"cgroup":""}]}`,
		`{"schema":1,"net_namespaces":[{"links":[{"index":-3,"peer_index":-3}]}],"namespaces":[{"parent":0}]}`,
		// Parents in a cycle, duplicate pids: each shown once, not walked without end.
		`{"schema":1,"processes":[{"pid":2,"ppid":3},{"pid":3,"ppid":2},{"pid":3,"ppid":2},{"pid":2,"ppid":3},{"pid":4,"ppid":4}]}`,
		`{"schema":1,"namespaces":[{"type":"user","inode":5,"parent":6},{"type":"user","inode":6,"parent":5},{"type":"user","inode":6,"parent":6}]}`,
	} {
		f.Add([]byte(seed))
	}
	keys := []string{"o", "n", "p", "g", "c", "w", "a", "down", "enter", "x", "tab", "esc", "/", "z", "esc", "?", "esc"}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := probe.DecodeSnapshot(data)
		if err != nil {
			return
		}
		for _, size := range [][2]int{{80, 24}, {200, 50}, {20, 5}} {
			m := New(func() (*probe.Snapshot, error) { return s, nil }, Options{Replay: "fuzz.json"})
			nm, _ := m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			m = nm.(Model)
			m.setSnapshot(s)
			_ = m.View()
			for _, k := range keys {
				m = press(m, k)
				_ = m.View()
			}
		}
	})
}
