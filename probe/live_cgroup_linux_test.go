package probe_test

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"testing"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

const mib = 1 << 20

// TestLiveCgroups builds a parent and a child cgroup with limits on both, puts a process in the
// child, and checks usage, limits and effective limits with their source; then makes a process
// allocate past the limit and checks that the OOM kill shows up as an event, at the child.
// It runs on whatever this host mounts: hybrid here, pure v2 in TestV2Probe.
func TestLiveCgroups(t *testing.T) {
	probetest.Live(t)
	name := probetest.Name(t)
	parent := probetest.NewCgroup(t, name, "memory", "pids", "cpu")
	child := probetest.NewCgroup(t, name+"/app", "memory", "pids", "cpu")
	parent.SetMemoryMax(t, 64*mib)
	child.SetMemoryMax(t, 128*mib) // looser than the parent: the parent's limit is in force
	parent.SetPIDsMax(t, 50)
	child.SetPIDsMax(t, 10) // tighter: the child's own
	parent.SetCPUQuota(t, 50000)

	sleeper := probetest.Start(t, exec.Command("sleep", "300"))
	child.Add(t, sleeper.Process.Pid)

	col := probe.NewCollector(probe.DefaultFS())
	s, err := col.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	cg := findCgroup(t, s, child.Path)
	if cg.Procs != 1 || !slices.Equal(cg.PIDs, []int{sleeper.Process.Pid}) {
		t.Errorf("child procs %d %v, want [%d]", cg.Procs, cg.PIDs, sleeper.Process.Pid)
	}
	if p := findProc(t, s, sleeper.Process.Pid); p.Cgroup != child.Path {
		t.Errorf("process cgroup = %q, want %q", p.Cgroup, child.Path)
	}
	m := cg.Memory
	if m == nil || m.Current == nil || *m.Max != 128*mib || *m.EffectiveMax != 64*mib || m.EffectiveMaxFrom != parent.Path {
		t.Errorf("child memory = %s, want max 128M, effective 64M from %s", toJSON(m), parent.Path)
	}
	if p := cg.PIDsCtl; p == nil || *p.Current != 1 || *p.Max != 10 || *p.EffectiveMax != 10 || p.EffectiveMaxFrom != child.Path {
		t.Errorf("child pids = %s", toJSON(p))
	}
	wantBy := "cpu.cfs_quota_us"
	if child.IsV2("cpu") {
		wantBy = "cpu.max"
	}
	if c := cg.CPU; c == nil || *c.QuotaUsec != probe.Unlimited || *c.EffectiveCPUs != 0.5 || c.EffectiveCPUsFrom != parent.Path || c.EffectiveCPUsBy != wantBy {
		t.Errorf("child cpu = %s, want 0.5 CPUs from %s by %s", toJSON(c), parent.Path, wantBy)
	}
	if pm := findCgroup(t, s, parent.Path).Memory; *pm.Max != 64*mib || pm.EffectiveMaxFrom != parent.Path {
		t.Errorf("parent memory = %s", toJSON(pm))
	}

	// 100 MiB in one buffer, in a cgroup whose parent allows 64: the kernel's OOM killer.
	if err := runInCgroup(t, child, "dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1"); !killed(err) {
		t.Fatalf("dd past the limit: %v, want killed", err)
	}
	s, err = col.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	want := probe.CgroupEvent{Cgroup: child.Path, Event: "oom_kill", Count: 1, Source: "snapshot"}
	if !slices.ContainsFunc(s.CgroupEvents, func(e probe.CgroupEvent) bool {
		return e.Cgroup == want.Cgroup && e.Event == want.Event && e.Count == want.Count && e.Source == want.Source
	}) {
		t.Errorf("events = %s, want %+v", toJSON(s.CgroupEvents), want)
	}
	for _, e := range s.CgroupEvents {
		if e.Event == "oom_kill" && e.Cgroup != child.Path {
			t.Errorf("oom_kill reported at %s too (counters are hierarchical; the event belongs to the child)", e.Cgroup)
		}
	}
	if e := findCgroup(t, s, child.Path).Events; e == nil || e.OOMKill == nil || *e.OOMKill != 1 {
		t.Errorf("child counters = %s", toJSON(e))
	}
}

// TestWatchOOM: with the watcher running, a process is OOM-killed in a cgroup that is removed at
// once; no snapshot ever sees the cgroup again, and the event must still be recorded (v2 only).
func TestWatchOOM(t *testing.T) {
	probetest.Live(t)
	name := probetest.Name(t)
	probetest.NewCgroup(t, name, "memory")
	cg := probetest.NewCgroup(t, name+"/victim", "memory")
	if !cg.IsV2("memory") {
		t.Skip("the memory controller is on cgroup v1 here: v1 has no inotify notification for OOM kills (TestV2Probe runs this on a v2 kernel)")
	}
	cg.SetMemoryMax(t, 32*mib)

	col := probe.NewCollector(probe.DefaultFS())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	ready := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := col.Watch(ctx, func() { close(ready) }); err != nil {
			t.Errorf("watch: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	<-ready

	if err := runInCgroup(t, cg, "dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1"); !killed(err) {
		t.Fatalf("dd past the limit: %v, want killed", err)
	}
	if err := syscall.Rmdir(cg.Dirs["memory"]); err != nil {
		t.Fatalf("remove the cgroup right away: %v", err)
	}
	probetest.WaitFor(t, "the watcher to record the OOM kill", func() bool {
		return slices.ContainsFunc(col.Events(), func(e probe.CgroupEvent) bool {
			return e.Cgroup == cg.Path && e.Event == "oom_kill" && e.Count == 1 && e.Source == "inotify"
		})
	})
}

// runInCgroup runs a command inside the cgroup from its first instruction: a shell joins the
// cgroup, then is told to exec the command.
func runInCgroup(t *testing.T, cg *probetest.Cgroup, name string, args ...string) error {
	sh := exec.Command("sh", "-c", `read go; exec "$@"`, "sh", name)
	sh.Args = append(sh.Args, args...)
	stdin, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	cg.Add(t, sh.Process.Pid)
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	return sh.Wait()
}

func killed(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

func findCgroup(t *testing.T, s *probe.Snapshot, path string) probe.Cgroup {
	t.Helper()
	for _, c := range s.Cgroups {
		if c.Path == path {
			return c
		}
	}
	t.Fatalf("cgroup %s not in snapshot", path)
	return probe.Cgroup{}
}
