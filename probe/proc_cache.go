package probe

import (
	"math/bits"
	"strconv"
	"sync/atomic"
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
//
// Between full reads the stat file of each process stays open and is read again with pread(2):
// one system call per process per refresh instead of three (make bench: a quarter of isotop's
// CPU). That holds one descriptor per process, about 4 KiB of kernel memory each (some 17 MB on a
// host with 4000 processes), at most half of RLIMIT_NOFILE.
const RecheckPeriod = 30 * time.Second

// procCache holds the last full read of each process, by pid.
type procCache struct {
	period  time.Duration
	entries map[int]*cachedProc
	held    atomic.Int64 // stat descriptors the entries hold, at most maxHeld
	maxHeld int64
	// lite takes a fresh entry as it is, without reading its stat again (Collector.Lite: no
	// figure of the process is on screen, only where it is).
	lite bool
}

type cachedProc struct {
	rec procRecord // as read in full, before the snapshot derived anything from it
	// checked is when rec was read, or earlier: a process's first read counts as made up to half
	// a period before it (by a hash of its pid), so that the processes read by the first snapshot
	// are read again over half a period instead of all on one refresh, and stay spread after.
	checked time.Time
	// stat is an open descriptor of /proc/PID/stat plus one (0: none), read again with pread by
	// each snapshot: one system call for a cached process instead of open, read and close. It
	// names the process, not the pid: once the process is reaped a read fails with ESRCH, even if
	// the pid has been reused meanwhile.
	stat int
}

func newProcCache(period time.Duration) *procCache {
	c := &procCache{period: period, entries: map[int]*cachedProc{}}
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil && rl.Cur > 1024 {
		c.maxHeld = int64(min(rl.Cur/2, 1<<20)) // leave half the descriptors to everything else
	}
	return c
}

// drop closes e's stat descriptor.
func (c *procCache) drop(e *cachedProc) {
	if e.stat > 0 {
		unix.Close(e.stat - 1)
		e.stat = 0
		c.held.Add(-1)
	}
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
		} else {
			e.stat, old.stat = old.stat, 0 // the same process, read in full again
		}
		entries[r.PID] = e
	}
	for pid, old := range c.entries {
		if entries[pid] != old {
			c.drop(old)
		}
	}
	c.entries = entries
}

// readCached fills rec from the cache entry e and a fresh /proc/PID/stat. It reports false when the
// process must be read in full (it is another process, it exec'd, it became a zombie, or its stat
// could not be read for another reason than having gone) and exited when it has.
func (r *procReader) readCached(c *procCache, pid int, e *cachedProc, rec *procRecord) (ok, exited bool) {
	if c.lite { // its pid is listed: the process, or (until its next full read) one that reused it
		*rec = e.rec
		rec.checked = e.checked
		return true, false
	}
	var data []byte
	var err error
	if e.stat > 0 {
		if data, err = preadSingle(e.stat-1, &r.buf); err != nil {
			c.drop(e) // the process is gone, and the pid may be another's: read it by path
		}
	}
	dir := r.fs.Proc + "/" + strconv.Itoa(pid)
	if e.stat == 0 {
		data, err = r.openStat(c, dir+"/stat", e)
	}
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

// openStat reads /proc/PID/stat by path and keeps it open in e while the cache holds fewer
// descriptors than its bound (on the live host only: a fixture's files may be replaced).
func (r *procReader) openStat(c *procCache, path string, e *cachedProc) ([]byte, error) {
	if !r.fs.live() {
		return readSingleAt(unix.AT_FDCWD, path, &r.buf)
	}
	if c.held.Add(1) > c.maxHeld { // at the bound: read it the plain way
		c.held.Add(-1)
		return readSingleAt(unix.AT_FDCWD, path, &r.buf)
	}
	fd, err := openat(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_CLOEXEC)
	if err == nil {
		var data []byte
		if data, err = preadSingle(fd, &r.buf); err == nil {
			e.stat = fd + 1
			return data, nil
		}
		unix.Close(fd)
	}
	c.held.Add(-1)
	return nil, err
}

// preadSingle reads a single_open seq_file from its start (see readSingleAt); pread at offset 0
// makes the kernel show it afresh.
func preadSingle(fd int, buf *[]byte) ([]byte, error) {
	if len(*buf) == 0 {
		*buf = make([]byte, 16<<10)
	}
	for {
		n, err := unix.Pread(fd, *buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n < len(*buf) {
			return (*buf)[:n], nil
		}
		*buf = make([]byte, 2*len(*buf))
	}
}

// close closes every descriptor the cache holds.
func (c *procCache) close() {
	for _, e := range c.entries {
		c.drop(e)
	}
	c.entries = map[int]*cachedProc{}
}
