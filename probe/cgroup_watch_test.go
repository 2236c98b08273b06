package probe

import (
	"testing"
	"time"
)

// TestWatcherResolve: a hierarchical increase that no local event explains goes to the descendant
// removed last; with no removal it waits orphanWait, then goes to the cgroup itself; one that local
// events explain is not counted twice.
func TestWatcherResolve(t *testing.T) {
	t0 := time.Unix(1000, 0)
	newWatcher := func() (*watcher, *Collector) {
		c := NewCollector(FS{})
		return &watcher{c: c, hier: map[string]map[string]uint64{}, base: map[string]map[string]uint64{},
			accounted: map[string]map[string]uint64{}, since: map[string]time.Time{}}, c
	}
	set := func(w *watcher, cg string, base, now uint64) {
		w.base[cg] = map[string]uint64{"oom_kill": base}
		w.hier[cg] = map[string]uint64{"oom_kill": now}
	}

	w, c := newWatcher()
	set(w, "/a", 3, 4)
	w.removed = []removal{{"/b/x", t0}, {"/a/victim", t0}, {"/a2/y", t0}}
	w.resolve(t0)
	if ev := c.Events(); len(ev) != 1 || ev[0].Cgroup != "/a/victim" || ev[0].Event != "oom_kill" || ev[0].Count != 1 {
		t.Fatalf("removed descendant: %+v", ev)
	}
	w.resolve(t0.Add(time.Second))
	if len(c.Events()) != 1 {
		t.Fatalf("counted twice: %+v", c.Events())
	}

	w, c = newWatcher()
	set(w, "/a", 0, 2)
	w.resolve(t0)
	w.resolve(t0.Add(orphanWait / 2))
	if len(c.Events()) != 0 {
		t.Fatalf("did not wait for a local notification: %+v", c.Events())
	}
	w.resolve(t0.Add(orphanWait + time.Millisecond))
	if ev := c.Events(); len(ev) != 1 || ev[0].Cgroup != "/a" || ev[0].Count != 2 {
		t.Fatalf("after orphanWait: %+v", ev)
	}

	w, c = newWatcher()
	set(w, "/a", 0, 1)
	w.record([]CgroupEvent{{Time: t0, Cgroup: "/a/b", Event: "oom_kill", Count: 1, Source: "inotify"}})
	w.resolve(t0.Add(time.Hour))
	if ev := c.Events(); len(ev) != 1 || ev[0].Cgroup != "/a/b" {
		t.Fatalf("explained increase counted again: %+v", ev)
	}
}

// TestDeepest: hierarchical counters read by two snapshots name the deepest cgroup only, and not at
// all when the watcher already recorded the event.
func TestDeepest(t *testing.T) {
	t0 := time.Unix(1000, 0)
	batch := []CgroupEvent{{Cgroup: "/", Event: "oom_kill", Count: 1}, {Cgroup: "/a", Event: "oom_kill", Count: 1},
		{Cgroup: "/a/b", Event: "oom_kill", Count: 1}, {Cgroup: "/a", Event: "max", Count: 4}, {Cgroup: "/ab", Event: "oom_kill", Count: 1}}
	got := deepest(batch, nil, t0)
	if len(got) != 3 || got[0].Cgroup != "/a/b" || got[1].Cgroup != "/a" || got[1].Event != "max" || got[2].Cgroup != "/ab" {
		t.Fatalf("deepest = %+v", got)
	}
	watched := []CgroupEvent{{Time: t0.Add(time.Second), Cgroup: "/a/b", Event: "oom_kill", Count: 1, Source: "inotify"}}
	if got := deepest(batch[:3], watched, t0); len(got) != 0 {
		t.Fatalf("recorded twice: %+v", got)
	}
}
