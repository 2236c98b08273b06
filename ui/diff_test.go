package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui/render"
)

// fakeTimeline is a recording of snapshots in memory.
type fakeTimeline struct {
	snaps []*probe.Snapshot
	evs   []TimelineEvent
}

func (f fakeTimeline) Len() int                            { return len(f.snaps) }
func (f fakeTimeline) Time(i int) time.Time                { return f.snaps[i].Taken }
func (f fakeTimeline) Load(i int) (*probe.Snapshot, error) { return f.snaps[i], nil }
func (f fakeTimeline) EventList() []TimelineEvent          { return f.evs }
func (f fakeTimeline) Zone() *time.Location                { return time.UTC }
func (f fakeTimeline) Instant(string) (int, error)         { return 0, errors.New("not in this test") }

// pressRun presses the keys and runs what each returns (an instant to load) once.
func pressRun(m Model, keys ...string) Model {
	for _, k := range keys {
		msg := tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
		nm, cmd := m.Update(msg)
		m = nm.(Model)
		if cmd != nil {
			if res := cmd(); res != nil {
				if _, ok := res.(instantMsg); ok {
					nm, _ = m.Update(res)
					m = nm.(Model)
				}
			}
		}
	}
	return m
}

// TestReplayBaseline: b marks an instant; at another, the views mark the rows new since it (+)
// and changed (~), the title says against what, = lists the differences and the events between;
// b again clears the marks.
func TestReplayBaseline(t *testing.T) {
	s0, s1 := fixtureSnapshot(t), fixtureSnapshot(t)
	s1.Taken = s0.Taken.Add(10 * time.Second)
	// s1 has a cgroup and a process s0 has not, and a cgroup whose memory doubled.
	born := s1.Cgroups[len(s1.Cgroups)-1]
	s0.Cgroups = s0.Cgroups[:len(s0.Cgroups)-1]
	newProc := s1.Processes[len(s1.Processes)-1]
	s0.Processes = s0.Processes[:len(s0.Processes)-1]
	grew := ""
	for i, c := range s1.Cgroups {
		if c.Memory != nil && c.Memory.Current != nil && c.Path != born.Path {
			v := *c.Memory.Current*2 + 4<<20
			s1.Cgroups[i].Memory.Current = &v
			grew = c.Path
			break
		}
	}
	if grew == "" {
		t.Fatal("the fixture has no cgroup with memory")
	}
	tl := fakeTimeline{snaps: []*probe.Snapshot{s0, s1},
		evs: []TimelineEvent{{Time: s0.Taken.Add(5 * time.Second), Kind: "oom-kill", Object: "/isotop-fixture/victim", Source: "inotify"}}}
	m := New(func() (*probe.Snapshot, error) { return s0, nil }, Options{Timeline: tl})
	m.width, m.height = 160, 50
	m.setSnapshot(s0)

	m = pressRun(m, "g", "b", "]")
	if m.at != 1 {
		t.Fatalf("] did not step: at %d", m.at)
	}
	marks := m.views[Cgroups].marks
	if marks[render.CgroupRef(born.Path)] != markNew || marks[render.CgroupRef(grew)] != markChanged {
		t.Errorf("cgroup marks: %q new, %q changed: %v", marks[render.CgroupRef(born.Path)], marks[render.CgroupRef(grew)], marks)
	}
	if m.views[Processes].marks[render.ProcRef(newProc.PID)] != markNew {
		t.Errorf("the new process %d is not marked", newProc.PID)
	}
	if len(marks) != 3 { // the two cgroups and the process: nothing else changed
		t.Errorf("%d marks, want 3: %v", len(marks), marks)
	}
	screen := m.render()
	title := strings.SplitN(screen, "\n", 2)[0]
	if !strings.Contains(title, "vs "+s0.Taken.UTC().Format("15:04:05")) || !strings.Contains(title, "(+2 ~1)") {
		t.Errorf("the title does not name the baseline and the changes: %q", title)
	}
	marked := 0
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, " +") || strings.HasPrefix(l, "▶+") || strings.HasPrefix(l, " ~") || strings.HasPrefix(l, "▶~") {
			marked++
		}
	}
	if marked < 2 {
		t.Errorf("the Cgroups view marks %d rows, want the new and the grown one:\n%s", marked, screen)
	}

	box := pressRun(m, "=").render()
	for _, want := range []string{"cgroup-created", born.Path, "memory-grew", grew, "The events recorded between them (1)", "oom-kill"} {
		if !strings.Contains(box, want) {
			t.Errorf("the changes box lacks %q:\n%s", want, box)
		}
	}

	m = pressRun(m, "b")
	if m.views[Cgroups].marks != nil || strings.Contains(strings.SplitN(m.render(), "\n", 2)[0], " vs ") {
		t.Errorf("b again did not clear the baseline")
	}
}
