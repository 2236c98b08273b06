package probe

import (
	"math/bits"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// RecheckPeriod bounds how stale a Collector's cached reads of a process can be. A Collector reads
// a process in full (stat, status, cmdline, cgroup and its namespace links) when it first sees it;
// after that, each snapshot reads only /proc/PID/stat (CPU time, state, parent, threads, memory),
// and takes the rest from the last full read while the process is the same one (its start time is
// unchanged) and has not exec'd (its comm is unchanged). unshare(1), nsenter(1), ip netns exec,
// runc and systemd all change namespaces or cgroup and then exec, so that shows at once. What a
// running process changes in itself without exec (setns, unshare, setuid, a move to another
// cgroup by someone else) shows within RecheckPeriod: 30 s keeps a refresh on a host with 4000
// processes at half of htop's CPU (make bench) while one full read costs as much as eight stats.
const RecheckPeriod = 30 * time.Second

// procCache holds the last full read of each process, by pid.
type procCache struct {
	period  time.Duration
	entries map[int]*cachedProc
}

type cachedProc struct {
	rec procRecord // as read in full, before the snapshot derived anything from it
	// checked is when rec was read, or earlier: a process's first read counts as made up to half
	// a period before it (by a hash of its pid), so that the processes read by the first snapshot
	// are read again over half a period instead of all on one refresh, and stay spread after.
	checked time.Time
}

func newProcCache(period time.Duration) *procCache {
	return &procCache{period: period, entries: map[int]*cachedProc{}}
}

// backdate is how much earlier than its first read pid's entry counts as made: up to half the period.
func (c *procCache) backdate(pid int) time.Duration {
	spread := uint32(pid) * 2654435761                          // Knuth's multiplicative hash: neighbouring pids far apart
	hi, _ := bits.Mul64(uint64(c.period/2), uint64(spread)<<32) // period/2 × spread/2³², no overflow
	return time.Duration(hi)
}

// fresh reports whether e can still be used at now.
func (c *procCache) fresh(e *cachedProc, now time.Time) bool {
	return now.Before(e.checked.Add(c.period))
}

// keep replaces the entries with the records of this snapshot that were read without error: the
// ones taken from the cache keep their entry, the others get a new one.
func (c *procCache) keep(recs []procRecord) {
	entries := make(map[int]*cachedProc, len(recs))
	for i := range recs {
		r := &recs[i]
		if r.checked.IsZero() {
			continue
		}
		old, ok := c.entries[r.PID]
		if ok && old.checked.Equal(r.checked) {
			entries[r.PID] = old // read from the cache: the entry stands
			continue
		}
		e := &cachedProc{rec: *r, checked: r.checked}
		if !ok || old.rec.StartTicks != r.StartTicks {
			e.checked = e.checked.Add(-c.backdate(r.PID)) // see cachedProc.checked
		}
		entries[r.PID] = e
	}
	c.entries = entries
}

// readCached fills rec from the cache entry e and a fresh /proc/PID/stat. It reports false when the
// process must be read in full (it is another process, it exec'd, it became a zombie, or its stat
// could not be read for another reason than having gone) and exited when it has.
func (r *procReader) readCached(pid int, e *cachedProc, rec *procRecord) (ok, exited bool) {
	dir := r.fs.Proc + "/" + strconv.Itoa(pid)
	data, err := readSingleAt(unix.AT_FDCWD, dir+"/stat", &r.buf)
	if err != nil {
		if gone(err) {
			r.errs.add(dir, err) // as a full read says of a process that exited since the listing
			return false, true
		}
		return false, false
	}
	st, err := parseProcStat(data)
	if err != nil || st.StartTicks != e.rec.StartTicks || st.Comm != e.rec.Comm || st.State == 'Z' {
		return false, false
	}
	*rec = e.rec
	rec.checked = e.checked // the mark of a record taken from the cache (see snapshot)
	r.setStat(rec, st)
	return true, false
}
