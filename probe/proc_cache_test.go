package probe

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// copyFixture copies the hybrid fixture's proc tree (with its namespace symlinks) so that a test
// can change it between snapshots.
func copyFixture(t *testing.T) FS {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-a", "testdata/hybrid/proc", "testdata/hybrid/sys", dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	return FS{Proc: filepath.Join(dir, "proc"), Sys: filepath.Join(dir, "sys")}
}

func findProc(t *testing.T, s *Snapshot, pid int) *Process {
	t.Helper()
	for i := range s.Processes {
		if s.Processes[i].PID == pid {
			return &s.Processes[i]
		}
	}
	t.Fatalf("pid %d not in the snapshot", pid)
	return nil
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func relink(t *testing.T, path, target string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// TestCollectorCache: a Collector re-reads only the stat of a process it knows; it reads the rest
// again when the process exec'd (its comm changed), when its pid was reused (its start time
// changed), and at the latest after RecheckPeriod.
// cachedFixture is a Collector on a copy of the hybrid fixture after its first snapshot, with the
// directory and stat of the process the cache tests change (pid 8315).
func cachedFixture(t *testing.T) (c *Collector, s1 *Snapshot, dir string, stat string) {
	fs := copyFixture(t)
	c = NewCollector(fs)
	s1, err := c.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	dir = fs.Proc + "/8315"
	data, _ := os.ReadFile(dir + "/stat")
	return c, s1, dir, string(data)
}

// withCPU is a stat of the cache tests' process with 500 ticks more of user time.
func withCPU(stat string) string {
	return strings.Replace(stat, " 0 0 0 0 20 0 1 0 38676", " 500 0 0 0 20 0 1 0 38676", 1)
}

func TestCollectorCache(t *testing.T) {
	c, s1, dir, stat := cachedFixture(t)
	const pid = 8315
	p1 := findProc(t, s1, pid)

	// What only the full read sees changes; the stat (CPU time) too.
	write(t, dir+"/cmdline", "changed\x00")
	relink(t, dir+"/ns/uts", "uts:[4026539999]")
	write(t, dir+"/stat", withCPU(stat))
	s2, _ := c.Snapshot()
	if e1, e2 := c.procs.entries[pid], c.procs.entries[pid]; e1 == nil || e2.checked.After(s1.Taken) {
		t.Errorf("the cached entry was renewed by a snapshot that did not read it in full")
	}
	p2 := findProc(t, s2, pid)
	if !slices.Equal(p2.Cmdline, p1.Cmdline) || p2.Namespaces.UTS != p1.Namespaces.UTS {
		t.Errorf("within the period the cached parts were read again: %q uts %d", p2.Cmdline, p2.Namespaces.UTS)
	}
	if p2.CPUUsec != p1.CPUUsec+5e6 {
		t.Errorf("the stat was not read again: cpu %d µs, was %d", p2.CPUUsec, p1.CPUUsec)
	}

	// After the period, everything is read again.
	e := c.procs.entries[pid]
	e.checked = e.checked.Add(-RecheckPeriod - time.Second)
	c.procs.entries[pid] = e
	s3, _ := c.Snapshot()
	if p3 := findProc(t, s3, pid); !slices.Equal(p3.Cmdline, []string{"changed"}) || p3.Namespaces.UTS != 4026539999 {
		t.Errorf("after the period: %q uts %d", p3.Cmdline, p3.Namespaces.UTS)
	}

	// An exec changes the comm: read in full at once.
	write(t, dir+"/cmdline", "busybox\x00httpd\x00")
	write(t, dir+"/stat", strings.Replace(stat, "(sh)", "(httpd)", 1))
	s4, _ := c.Snapshot()
	if p4 := findProc(t, s4, pid); !slices.Equal(p4.Cmdline, []string{"busybox", "httpd"}) {
		t.Errorf("after an exec: %q", p4.Cmdline)
	}

	// A reused pid has another start time: read in full at once.
	write(t, dir+"/cmdline", "reused\x00")
	write(t, dir+"/stat", strings.Replace(strings.Replace(stat, "(sh)", "(httpd)", 1), " 38676 ", " 99999 ", 1))
	s5, _ := c.Snapshot()
	if p5 := findProc(t, s5, pid); !slices.Equal(p5.Cmdline, []string{"reused"}) {
		t.Errorf("after a pid reuse: %q", p5.Cmdline)
	}

	// A process that exited is gone from the next snapshot, and from the cache.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	s6, _ := c.Snapshot()
	for _, p := range s6.Processes {
		if p.PID == pid {
			t.Errorf("pid %d outlived its directory", pid)
		}
	}
	if _, ok := c.procs.entries[pid]; ok {
		t.Errorf("pid %d still cached", pid)
	}
}

// TestCacheSpread: processes first read by one snapshot are read again spread over half a period,
// not all on one refresh; and no cached read is used after the period.
func TestCacheSpread(t *testing.T) {
	c := newProcCache(RecheckPeriod)
	buckets := map[int64]int{}
	for pid := 1; pid <= 4000; pid++ {
		d := c.backdate(pid)
		if d < 0 || d > RecheckPeriod/2 {
			t.Fatalf("pid %d backdated by %v", pid, d)
		}
		buckets[int64(d/(RecheckPeriod/10))]++
	}
	for b, n := range buckets {
		if n > 4000/5*2 {
			t.Errorf("%d of 4000 re-checks fall in one tenth of the period (bucket %d)", n, b)
		}
	}
	t0 := time.Unix(1e9, 0)
	e := &cachedProc{checked: t0}
	if !c.fresh(e, t0.Add(RecheckPeriod-time.Millisecond)) || c.fresh(e, t0.Add(RecheckPeriod)) {
		t.Error("a cached read is used past the period, or not within it")
	}
}

// TestCollectorLite: a lite snapshot takes a cached process as it was, without reading its stat
// again (the CPU time written meanwhile is not seen), and has no process rates; neither has the
// full snapshot after it (its CPU times would be measured against older ones), the one after that
// has them again; a process gone from the listing is gone from a lite snapshot too.
func TestCollectorLite(t *testing.T) {
	c, s1, dir, stat := cachedFixture(t)
	const pid = 8315
	write(t, dir+"/stat", withCPU(stat))
	lite, err := c.Lite()
	if err != nil {
		t.Fatal(err)
	}
	if p := findProc(t, lite, pid); p.CPUUsec != findProc(t, s1, pid).CPUUsec || p.CPUPct != nil {
		t.Errorf("lite: cpu %d µs (was %d), rate %v: the stat was read again", p.CPUUsec, findProc(t, s1, pid).CPUUsec, p.CPUPct)
	}
	full, _ := c.Snapshot()
	if p := findProc(t, full, pid); p.CPUUsec != findProc(t, s1, pid).CPUUsec+5e6 || p.CPUPct != nil {
		t.Errorf("the full one after a lite one: cpu %d µs, rate %v (want the new time and no rate)", p.CPUUsec, p.CPUPct)
	}
	if p := findProc(t, must(c.Snapshot()), pid); p.CPUPct == nil {
		t.Errorf("two full ones in a row: no rate")
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(pids(must(c.Lite())), pid) {
		t.Errorf("a process gone from the listing is still in a lite snapshot")
	}
}

func must(s *Snapshot, err error) *Snapshot {
	if err != nil {
		panic(err)
	}
	return s
}
