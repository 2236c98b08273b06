package probe

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Collector takes successive snapshots of one host. Over a plain Snapshot it adds what needs
// history: CPU rates between two snapshots, and events from the cgroups' counters (an OOM kill, a
// limit hit), whether seen between two snapshots or, while Watch runs, by inotify as they happen,
// so that an OOM kill in a cgroup that is removed a moment later is still recorded.
type Collector struct {
	fs FS

	// snap is held for a whole Snapshot: prev and procs are one snapshot's at a time (the TUI,
	// the watcher's reader and a CLI may call it from different goroutines).
	snap  sync.Mutex
	prev  *Snapshot
	procs *procCache

	mu       sync.Mutex
	counts   map[string]map[string]uint64 // cgroup path → counter → last value seen
	events   []CgroupEvent                // newest last, at most maxEvents
	watching int                          // inotify watches while Watch runs
}

// maxEvents bounds the event history a Collector keeps.
const maxEvents = 500

// NewCollector returns a Collector for the host fs describes, that reads a process in full again
// within RecheckPeriod.
func NewCollector(fs FS) *Collector { return NewCollectorRecheck(fs, RecheckPeriod) }

// NewCollectorRecheck is NewCollector with another period for the full reads of a process (isotop
// serve's scrapes come every 15 s or more: a longer period costs less for each).
func NewCollectorRecheck(fs FS, recheck time.Duration) *Collector {
	return &Collector{fs: fs, counts: map[string]map[string]uint64{}, procs: newProcCache(recheck)}
}

// Close releases what the Collector holds open (a descriptor of each process's stat). A
// Collector can take snapshots again after, reading every process anew.
func (c *Collector) Close() {
	c.snap.Lock()
	defer c.snap.Unlock()
	c.procs.close()
}

// Quick is FS.Quick: a first screen's processes at once, the full snapshot to follow. It keeps
// nothing: the next Snapshot is read in full.
func (c *Collector) Quick() (*Snapshot, error) { return c.fs.Quick() }

// Snapshot takes a snapshot and adds the rates and events since the previous one.
func (c *Collector) Snapshot() (*Snapshot, error) { return c.take(false) }

// Lite is Snapshot for a screen that shows no process's figures (the Cgroups, Containers and
// Network views): a process read in full less than RecheckPeriod ago is taken as it was, without
// reading its stat again (4000 system calls a refresh on a host of 4000 processes); new ones are
// read in full, gone ones are left out, the cgroups are read as always. Its processes have no CPU
// rate, and their CPU time and RSS are their last full read's.
func (c *Collector) Lite() (*Snapshot, error) { return c.take(true) }

func (c *Collector) take(lite bool) (*Snapshot, error) {
	c.snap.Lock()
	defer c.snap.Unlock()
	c.procs.lite = lite
	s, err := c.fs.snapshot(c.procs)
	c.procs.lite = false
	if err != nil {
		return nil, err
	}
	s.lite = lite
	if c.prev != nil {
		addRates(c.prev, s)
	}
	var batch []CgroupEvent
	for i := range s.Cgroups {
		cg := &s.Cgroups[i]
		batch = append(batch, c.observe(cg.Path, counters(cg.Events), s.Taken, "snapshot")...)
	}
	c.mu.Lock()
	since := time.Time{}
	if c.prev != nil {
		since = c.prev.Taken
	}
	c.record(deepest(batch, c.events, since))
	s.CgroupEvents = slices.Clone(c.events)
	s.EventsFrom = "counters between snapshots"
	if c.watching > 0 {
		s.EventsFrom = fmt.Sprintf("inotify on the v2 cgroups' event files (%d watches), and counters between snapshots", c.watching)
	}
	c.mu.Unlock()
	if s.CgroupEvents == nil {
		s.CgroupEvents = []CgroupEvent{}
	}
	c.prev = s
	return s, nil
}

// observe records a cgroup's counters under key (its path, or its path plus a marker for counters
// kept apart) and returns the increases over the last values seen as events. The first sight of a
// key only sets the baseline: its history is not news.
func (c *Collector) observe(key string, now map[string]uint64, at time.Time, source string) []CgroupEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	last, seen := c.counts[key]
	if !seen {
		c.counts[key] = now
		return nil
	}
	var out []CgroupEvent
	for _, name := range counterNames {
		v, ok := now[name]
		if !ok {
			continue
		}
		if old, had := last[name]; had && v > old {
			out = append(out, CgroupEvent{Time: at, Cgroup: strings.TrimSuffix(key, localKey), Event: name, Count: v - old, Source: source})
		}
		last[name] = v
	}
	return out
}

// localKey marks the counters a watcher reads from the *.events.local files.
const localKey = "\x00local"

// record appends events to the history (c.mu held).
func (c *Collector) record(evs []CgroupEvent) {
	c.events = append(c.events, evs...)
	if len(c.events) > maxEvents {
		c.events = slices.Delete(c.events, 0, len(c.events)-maxEvents)
	}
}

// deepest filters a batch of events read from hierarchical counters (v2 memory.events, v1
// oom_control: an OOM kill in /a/b counts in /a and / too) down to where they happened: an event is
// dropped when a descendant has the same event at least as many times in the batch, or when the
// watcher already recorded it (from the .local files) since the previous snapshot.
func deepest(batch, history []CgroupEvent, since time.Time) []CgroupEvent {
	var out []CgroupEvent
	covered := func(e CgroupEvent, in []CgroupEvent, self bool) bool {
		for _, d := range in {
			if d.Event == e.Event && d.Count >= e.Count && (isBelow(d.Cgroup, e.Cgroup) || (self && d.Cgroup == e.Cgroup)) {
				return true
			}
		}
		return false
	}
	var watched []CgroupEvent
	for _, h := range history {
		if h.Source == "inotify" && !h.Time.Before(since) {
			watched = append(watched, h)
		}
	}
	for _, e := range batch {
		if !covered(e, batch, false) && !covered(e, watched, true) {
			out = append(out, e)
		}
	}
	return out
}

// isBelow reports whether cgroup path d is a strict descendant of a.
func isBelow(d, a string) bool {
	if a == "/" {
		return d != "/"
	}
	return strings.HasPrefix(d, a+"/")
}

// Events returns the events recorded so far, oldest first.
func (c *Collector) Events() []CgroupEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

var counterNames = []string{"oom_kill", "oom_group_kill", "oom", "max", "high", "failcnt", "pids_max"}

func counters(e *CgroupEventCounts) map[string]uint64 {
	m := map[string]uint64{}
	if e == nil {
		return m
	}
	for name, p := range map[string]*uint64{"oom_kill": e.OOMKill, "oom_group_kill": e.OOMGroupKill, "oom": e.OOM,
		"max": e.Max, "high": e.High, "failcnt": e.Failcnt, "pids_max": e.PIDsMax} {
		if p != nil {
			m[name] = *p
		}
	}
	return m
}

// addRates sets each cgroup's and each process's CPU rate from its usage in prev and cur (a
// process's only when neither is lite), and each link's byte rates.
func addRates(prev, cur *Snapshot) {
	wall := cur.Taken.Sub(prev.Taken).Microseconds()
	if wall <= 0 {
		return
	}
	if !prev.lite && !cur.lite { // a lite one's CPU times are older than it
		processRates(prev, cur, wall)
	}
	linkRates(prev, cur, wall)
}

// processRates sets each process's CPU rate from its CPU time in prev and cur, wall µs apart.
func processRates(prev, cur *Snapshot, wall int64) {
	type procKey struct {
		pid   int
		start uint64
	}
	cpu := make(map[procKey]uint64, len(prev.Processes))
	for i := range prev.Processes {
		p := &prev.Processes[i]
		cpu[procKey{p.PID, p.StartTicks}] = p.CPUUsec
	}
	for i := range cur.Processes {
		p := &cur.Processes[i]
		if old, ok := cpu[procKey{p.PID, p.StartTicks}]; ok && p.CPUUsec >= old {
			// Read a few ms apart from the snapshot's clock, a busy process can seem above
			// what its threads can use: no more than 100 % a thread.
			rate := min(float64(p.CPUUsec-old)/float64(wall)*100, 100*float64(max(1, p.Threads)))
			p.CPUPct = &rate
		}
	}
}

// linkRates sets each link's byte rates and each cgroup's CPU rate from prev and cur, wall µs apart.
func linkRates(prev, cur *Snapshot, wall int64) {
	type linkKey struct {
		ns  uint64
		idx int
		nm  string
	}
	seen := map[linkKey][2]uint64{}
	for _, ns := range prev.NetNamespaces {
		for _, l := range ns.Links {
			seen[linkKey{ns.Inode, l.Index, l.Name}] = [2]uint64{l.RxBytes, l.TxBytes}
		}
	}
	for i := range cur.NetNamespaces {
		ns := &cur.NetNamespaces[i]
		for j := range ns.Links {
			l := &ns.Links[j]
			old, ok := seen[linkKey{ns.Inode, l.Index, l.Name}]
			if !ok || l.RxBytes < old[0] || l.TxBytes < old[1] {
				continue
			}
			rx := float64(l.RxBytes-old[0]) / (float64(wall) / 1e6)
			tx := float64(l.TxBytes-old[1]) / (float64(wall) / 1e6)
			l.RxBps, l.TxBps = &rx, &tx
		}
	}
	before := make(map[string]uint64, len(prev.Cgroups))
	for _, cg := range prev.Cgroups {
		if cg.CPU != nil && cg.CPU.UsageUsec != nil {
			before[cg.Path] = *cg.CPU.UsageUsec
		}
	}
	for i := range cur.Cgroups {
		c := cur.Cgroups[i].CPU
		if c == nil || c.UsageUsec == nil {
			continue
		}
		old, ok := before[cur.Cgroups[i].Path]
		if !ok || *c.UsageUsec < old {
			continue // new, or recreated under the same path
		}
		rate := float64(*c.UsageUsec-old) / float64(wall) * 100
		c.RatePct = &rate
		if c.EffectiveCPUs != nil && *c.EffectiveCPUs > 0 {
			q := rate / *c.EffectiveCPUs
			c.QuotaPct = &q
		}
	}
}
