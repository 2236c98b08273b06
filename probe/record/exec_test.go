package record

import (
	"strings"
	"testing"
	"time"

	"github.com/isotop/isotop/probe"
)

// TestSampleSeesContainerExecs: without the proc connector, a sample sees the processes new since
// the one before that an exec put into a container from outside (parent outside it), not the
// container's first process, not the processes it forked itself, not a process of no container.
func TestSampleSeesContainerExecs(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 2, 14, 0, 0, time.UTC)
	ctr := probe.Container{Runtime: "podman", ID: "abc", Name: "web", PID: 100, Cgroup: "/machine/libpod-abc"}
	runc := probe.Process{PID: 50, Comm: "runc", StartTicks: 1}
	init := probe.Process{PID: 100, PPID: 40, Container: "podman:abc", StartTicks: 2, NSPids: []int{100, 1}}
	prev := &probe.Snapshot{Taken: t0, Containers: []probe.Container{ctr}, Processes: []probe.Process{runc, init}}
	cur := &probe.Snapshot{Taken: t0.Add(10 * time.Second), Containers: []probe.Container{ctr}, Processes: []probe.Process{runc, init,
		{PID: 200, PPID: 50, Container: "podman:abc", StartTicks: 9, NSPids: []int{200, 7}, Cmdline: []string{"sh", "-c", "id"}}, // podman exec
		{PID: 201, PPID: 100, Container: "podman:abc", StartTicks: 9, NSPids: []int{201, 8}, Cmdline: []string{"sleep", "1"}},    // its own
		{PID: 300, PPID: 50, StartTicks: 9, Cmdline: []string{"true"}},                                                           // no container
	}}
	var got []Event
	for _, e := range Diff(prev, cur) {
		if e.Kind == "container-exec" {
			got = append(got, e)
		}
	}
	if len(got) != 1 || got[0].Object != "podman:web" || !strings.HasPrefix(got[0].Detail, "pid 200: sh -c id (parent 50 runc)") || got[0].Source != "sample" {
		t.Fatalf("container-exec events: %+v", got)
	}
	// The same process in the next sample is not new.
	next := *cur
	next.Taken = cur.Taken.Add(10 * time.Second)
	for _, e := range Diff(cur, &next) {
		if e.Kind == "container-exec" {
			t.Errorf("reported again: %+v", e)
		}
	}
}
