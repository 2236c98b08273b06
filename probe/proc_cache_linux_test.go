package probe_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// heldStat reports whether this process holds a descriptor of /proc/PID/stat.
func heldStat(t *testing.T, pid int) bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	want := "/proc/" + strconv.Itoa(pid) + "/stat"
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && l == want {
			return true
		}
	}
	return false
}

// TestCollectorHoldsStat: on the live host the Collector keeps a process's stat open between
// snapshots (re-read with pread), closes it once the process is gone, and Close releases the rest.
func TestCollectorHoldsStat(t *testing.T) {
	cmd := probetest.Start(t, exec.Command("sleep", "1000"))
	pid := cmd.Process.Pid
	col := probe.NewCollector(probe.DefaultFS())
	defer col.Close()
	find := func(s *probe.Snapshot) *probe.Process {
		for i := range s.Processes {
			if s.Processes[i].PID == pid {
				return &s.Processes[i]
			}
		}
		return nil
	}
	for i := 0; i < 3; i++ {
		s, err := col.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if p := find(s); p == nil || p.Comm != "sleep" {
			t.Fatalf("snapshot %d: sleep %d missing or wrong: %+v", i, pid, p)
		}
	}
	if !heldStat(t, pid) {
		t.Fatalf("no descriptor of /proc/%d/stat is held after three snapshots", pid)
	}
	cmd.Process.Kill()
	cmd.Wait()
	s, err := col.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if find(s) != nil {
		t.Errorf("pid %d is still in the snapshot after it was reaped", pid)
	}
	if heldStat(t, pid) {
		t.Errorf("the stat descriptor of the reaped pid %d is still open", pid)
	}
	other := probetest.Start(t, exec.Command("sleep", "1000")).Process.Pid
	col.Snapshot()
	col.Snapshot()
	if !heldStat(t, other) {
		t.Fatalf("no descriptor of /proc/%d/stat held", other)
	}
	col.Close()
	if heldStat(t, other) {
		t.Errorf("Close left /proc/%d/stat open", other)
	}
}

// TestCollectorConcurrent takes snapshots from two goroutines at once while the watcher runs, as
// the TUI's refresh, an action's refresh and the watcher may: make test runs it with the race
// detector. It only reads this host.
func TestCollectorConcurrent(t *testing.T) {
	c := probe.NewCollector(probe.DefaultFS())
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		c.Watch(ctx, nil)
	}()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				if _, err := c.Snapshot(); err != nil {
					t.Error(err)
				}
				c.Events()
			}
		}()
	}
	wg.Wait()
	cancel()
	<-watched
}
