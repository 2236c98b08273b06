package probe

import (
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// RecheckPeriod bounds how stale a Collector's cached reads of a process can be. A Collector reads
// a process in full (stat, status, cmdline, cgroup and its namespace links) when it first sees it;
// after that, each snapshot reads only /proc/PID/stat (CPU time, state, parent, threads, memory),
// and takes the rest from the last full read while the process is the same one (its start time is
// unchanged) and has not exec'd (its comm is unchanged). The rest is read in full again at least
// every RecheckPeriod: what only a running process can change in itself without exec (setns,
// unshare, setuid, a move to another cgroup) shows within that period. The re-checks are spread by
// pid over the second half of the period, so that they do not all fall on one refresh.
const RecheckPeriod = 5 * time.Second

// procCache holds the last full read of each process, by pid.
type procCache struct {
	period  time.Duration
	entries map[int]cachedProc
}

type cachedProc struct {
	rec     procRecord // as read in full, before the snapshot derived anything from it
	checked time.Time
}

func newProcCache(period time.Duration) *procCache {
	return &procCache{period: period, entries: map[int]cachedProc{}}
}

// due is when pid's cached read, made at checked, expires: between half the period and the period.
func (c *procCache) due(pid int, checked time.Time) time.Time {
	spread := uint32(pid) * 2654435761 // Knuth's multiplicative hash: neighbouring pids far apart
	return checked.Add(c.period - time.Duration(uint64(c.period/2)*uint64(spread)>>32))
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
	r.setStat(rec, st)
	return true, false
}

