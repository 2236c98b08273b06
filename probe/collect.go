package probe

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// clockTicks is USER_HZ, the unit of the times in /proc/PID/stat: fixed at 100 by the Linux ABI on
// every architecture isotop builds for (sysconf(_SC_CLK_TCK) would need cgo to ask).
const clockTicks = 100

var pageSize = uint64(os.Getpagesize())

// nsLinkPaths are "ns/cgroup", "ns/ipc", … relative to /proc/PID, built once.
var nsLinkPaths = func() (p [len(nsLinks)]string) {
	for i, k := range nsLinks {
		p[i] = "ns/" + string(k)
	}
	return p
}()

func nsIndex(k NSKind) int {
	for i, l := range nsLinks {
		if l == k {
			return i
		}
	}
	panic("unknown ns link " + k)
}

var (
	idxMnt             = nsIndex(NSMnt)
	idxPID             = nsIndex(NSPID)
	idxTime            = nsIndex(NSTime)
	idxPIDForChildren  = nsIndex(PIDForChildren)
	idxTimeForChildren = nsIndex(TimeForChildren)
)

// procRecord is a process as read, with its namespace inodes by link (0: unknown).
type procRecord struct {
	Process
	ns [len(nsLinks)]uint64
	// checked is when the parts beyond /proc/PID/stat were read; zero when reading them gave an
	// error (such a read is not cached: the error is reported again by the next snapshot).
	checked time.Time
}

// errorList collects Errors from one goroutine.
type errorList []Error

func (l *errorList) add(path string, err error) {
	*l = append(*l, Error{Path: path, Error: reason(err)})
}

// Snapshot reads the host once. It fails only when the process list itself cannot be read; every
// other problem (a process that vanished, a file that is unreadable) becomes an entry in Errors.
func (fs FS) Snapshot() (*Snapshot, error) { return fs.snapshot(nil) }

// PartialProcesses is a quick snapshot's Partial: what it left out.
const PartialProcesses = "processes only: namespaces, cgroups, network and containers are being read"

// Quick reads what a first screen needs, at once: the host, the cgroup mode, and each process's
// /proc/PID/stat (its parent, name, state, threads, CPU time, RSS); no command lines, uids,
// namespaces or cgroups, no network and no containers (Partial says so). It makes 3 system
// calls a process where a full snapshot makes about 30: on a host of 4000 processes a TUI shows
// it in a tenth of a second, while the full one is read.
func (fs FS) Quick() (*Snapshot, error) {
	s := &Snapshot{Schema: Schema, Taken: time.Now().UTC(), Partial: PartialProcesses}
	var errs errorList
	fs.readHost(&s.Host, &errs)
	pids, err := fs.listPIDs()
	if err != nil {
		return nil, err
	}
	s.Processes = fs.readStats(pids, s.Host.BootTime)
	if mounts, mode, err := fs.CgroupMounts(); err == nil {
		s.Host.CgroupMounts, s.Host.CgroupMode = mounts, mode
	}
	s.Host.CPUs = fs.onlineCPUs(&errs)
	s.Namespaces, s.Containers, s.NetNamespaces, s.Cgroups, s.CgroupEvents = []Namespace{}, []Container{}, []NetNamespace{}, []Cgroup{}, []CgroupEvent{}
	s.Errors = errs
	if s.Errors == nil {
		s.Errors = []Error{}
	}
	return s, nil
}

// snapshot reads the host, taking from cache what cannot have changed (see RecheckPeriod) and
// leaving in it what it read; cache may be nil.
func (fs FS) snapshot(cache *procCache) (*Snapshot, error) {
	s := &Snapshot{Schema: Schema, Taken: time.Now().UTC()}
	var errs errorList
	fs.readHost(&s.Host, &errs)

	pids, err := fs.listPIDs()
	if err != nil {
		return nil, err
	}
	// The cgroup walk needs nothing from the processes: it runs beside their reading, so that it
	// does not add to the wall time of a snapshot on a busy host.
	walked := make(chan *cgroupWalk, 1)
	go func() {
		w := &cgroupWalk{}
		w.mounts, w.mode, w.nodes = fs.cgroups(&w.errs)
		walked <- w
	}()
	recs := fs.readProcesses(pids, s.Host.BootTime, &errs, cache, s.Taken)
	if cache != nil {
		cache.keep(recs)
	}
	fs.forChildren(recs, &errs)

	host, from := fs.hostNamespaces(recs, &errs)
	s.Host.NSFrom, s.Host.NSFromPID = from, host.PID
	for i, k := range nsLinks {
		if k == baseKind(k) {
			s.Host.NS.set(k, host.ns[i])
		}
	}
	s.Processes = make([]Process, len(recs))
	for i := range recs {
		r := &recs[i]
		r.Isolated = []NSKind{}
		for j, k := range nsLinks {
			ino := r.ns[j]
			if ino == 0 {
				continue
			}
			if (j == idxPIDForChildren && ino == r.ns[idxPID]) || (j == idxTimeForChildren && ino == r.ns[idxTime]) {
				continue
			}
			r.Namespaces.set(k, ino)
			if k == baseKind(k) && host.ns[j] != 0 && ino != host.ns[j] {
				r.Isolated = append(r.Isolated, k)
			}
		}
		s.Processes[i] = r.Process
	}
	s.Namespaces = fs.namespaces(recs, host, &errs)
	s.NetNamespaces = fs.netNamespaces(s.Namespaces, &errs)
	if s.NetNamespaces == nil {
		s.NetNamespaces = []NetNamespace{}
	}
	s.Host.CPUs = fs.onlineCPUs(&errs)
	walk := <-walked
	errs = append(errs, walk.errs...)
	if fs.live() { // read from inside a cgroup namespace (a pod's): paths into the host's tree
		hostCgroupPaths(s.Processes, walk.nodes, os.Getpid())
	}
	s.Host.CgroupMounts, s.Host.CgroupMode, s.Cgroups = fs.cgroupTree(*walk, s.Processes, s.Host.CPUs)
	s.CgroupEvents = []CgroupEvent{}
	s.Containers = fs.containers(s, &errs)

	slices.SortFunc(errs, func(a, b Error) int { return strings.Compare(a.Path, b.Path) })
	s.Errors = errs
	if s.Errors == nil {
		s.Errors = []Error{}
	}
	return s, nil
}

func (fs FS) readHost(h *Host, errs *errorList) {
	for _, f := range []struct {
		name string
		dst  *string
	}{{"sys/kernel/osrelease", &h.Kernel}, {"sys/kernel/hostname", &h.Hostname}} {
		b, err := readFile(fs.Proc + "/" + f.name)
		if err != nil {
			errs.add(fs.Proc+"/"+f.name, err)
			continue
		}
		*f.dst = strings.TrimSpace(string(b))
	}
	b, err := readFile(fs.Proc + "/stat")
	if err == nil {
		h.BootTime, err = parseBootTime(b)
	}
	if err != nil {
		errs.add(fs.Proc+"/stat", err)
	}
	if fs.live() {
		var st unix.Stat_t
		if err := unix.Stat(fs.Proc+"/self/ns/net", &st); err == nil {
			h.NSDevice = fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))
		}
	}
}

// listPIDs lists the numeric entries of the proc root.
func (fs FS) listPIDs() ([]int, error) {
	d, err := os.Open(fs.Proc)
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("listing processes in %s: %w", fs.Proc, err)
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids, nil
}

// readStats reads every process's stat on GOMAXPROCS goroutines, for Quick; a process that ended
// meanwhile is left out.
func (fs FS) readStats(pids []int, boot time.Time) []Process {
	procs := make([]Process, len(pids))
	alive := make([]bool, len(pids))
	workers := min(runtime.GOMAXPROCS(0), len(pids)/32+1)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := procReader{fs: fs, boot: boot}
			for i := int(next.Add(1)) - 1; i < len(pids); i = int(next.Add(1)) - 1 {
				data, err := readSingleAt(unix.AT_FDCWD, r.fs.Proc+"/"+strconv.Itoa(pids[i])+"/stat", &r.buf)
				if err != nil {
					continue
				}
				if st, err := parseProcStat(data); err == nil {
					var rec procRecord
					rec.PID = pids[i]
					r.setStat(&rec, st)
					procs[i], alive[i] = rec.Process, true
				}
			}
		}()
	}
	wg.Wait()
	out := procs[:0]
	for i := range procs {
		if alive[i] {
			out = append(out, procs[i])
		}
	}
	return out
}

// readProcesses reads every pid on GOMAXPROCS goroutines (the work is system calls into procfs,
// which scale with cores) and returns the processes still alive, in pid order. With a cache, a
// process read in full less than its period ago costs one read of its stat (see RecheckPeriod).
func (fs FS) readProcesses(pids []int, boot time.Time, errs *errorList, cache *procCache, now time.Time) []procRecord {
	recs := make([]procRecord, len(pids))
	alive := make([]bool, len(pids))
	workers := min(runtime.GOMAXPROCS(0), len(pids)/32+1)
	workerErrs := make([]errorList, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := procReader{fs: fs, boot: boot, errs: &workerErrs[w]}
			for {
				i := int(next.Add(1)) - 1
				if i >= len(pids) {
					return
				}
				pid := pids[i]
				if cache != nil {
					if e, ok := cache.entries[pid]; ok && cache.fresh(e, now) {
						if ok, exited := r.readCached(cache, pid, e, &recs[i]); ok || exited {
							alive[i] = ok
							continue
						}
					}
				}
				n := len(*r.errs)
				alive[i] = r.read(pid, &recs[i])
				if alive[i] && len(*r.errs) == n {
					recs[i].checked = now
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range workerErrs {
		*errs = append(*errs, e...)
	}
	out := recs[:0]
	for i := range recs {
		if alive[i] {
			out = append(out, recs[i])
		}
	}
	return out
}

// procReader reads processes with buffers reused from one process to the next.
type procReader struct {
	fs   FS
	boot time.Time
	errs *errorList
	buf  []byte
	link [64]byte
	// cgroups interns parsed /proc/PID/cgroup contents: most processes share a handful of them,
	// and the snapshot is immutable, so they can share the slices too.
	cgroups map[string][]CgroupMembership
}

// read fills rec from /proc/PID and reports whether the process was there. All files are opened
// relative to one descriptor of /proc/PID, so if the pid is reused mid-read the reads fail (ESRCH)
// instead of mixing two processes.
func (r *procReader) read(pid int, rec *procRecord) bool {
	dir := r.fs.Proc + "/" + strconv.Itoa(pid)
	dfd, err := openat(unix.AT_FDCWD, dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		r.errs.add(dir, err)
		return false
	}
	defer unix.Close(dfd)

	data, err := readSingleAt(dfd, "stat", &r.buf)
	if err != nil {
		r.errs.add(dir+"/stat", err)
		return false
	}
	st, err := parseProcStat(data)
	if err != nil {
		r.errs.add(dir+"/stat", err)
		return false
	}
	p := &rec.Process
	p.PID = pid
	r.setStat(rec, st)

	if data, err = readSingleAt(dfd, "status", &r.buf); err == nil {
		var status procStatus
		if status, err = parseProcStatus(data); err == nil {
			p.UID, p.GID, p.NSPids = status.UID, status.GID, status.NSpid
		}
	}
	if err != nil {
		r.errs.add(dir+"/status", err)
	}
	if data, err = readSingleAt(dfd, "cmdline", &r.buf); err == nil {
		p.Cmdline = parseCmdline(data)
	} else {
		r.errs.add(dir+"/cmdline", err)
	}
	if data, err = readSingleAt(dfd, "cgroup", &r.buf); err == nil {
		var ok bool
		if p.CgroupMembership, ok = r.cgroups[string(data)]; !ok {
			if p.CgroupMembership, err = parseProcCgroup(data); err == nil {
				if r.cgroups == nil {
					r.cgroups = map[string][]CgroupMembership{}
				}
				r.cgroups[string(data)] = p.CgroupMembership
			}
		}
	}
	if err != nil {
		r.errs.add(dir+"/cgroup", err)
	}
	r.readNamespaces(dfd, dir, st.State, rec)
	return true
}

// setStat fills rec with what /proc/PID/stat says.
func (r *procReader) setStat(rec *procRecord, st procStat) {
	p := &rec.Process
	p.PPID, p.Comm, p.State = st.PPID, st.Comm, string(st.State)
	p.Threads, p.StartTicks = st.Threads, st.StartTicks
	p.CPUUsec = (st.UTime + st.STime) * (1e6 / clockTicks)
	p.RSSBytes = st.RSSPages * pageSize
	if !r.boot.IsZero() {
		p.Started = r.boot.Add(time.Duration(st.StartTicks) * (time.Second / clockTicks))
	}
}

func (r *procReader) readNamespaces(dfd int, dir string, state byte, rec *procRecord) {
	for i := range nsLinkPaths {
		if i == idxPIDForChildren || i == idxTimeForChildren {
			continue // see forChildren
		}
		if !r.readLink(dfd, dir, state, rec, i) {
			return
		}
	}
}

// readLink reads the namespace link i of the process into rec.ns[i]; it reports whether the rest of
// the links are worth trying.
func (r *procReader) readLink(dfd int, dir string, state byte, rec *procRecord, i int) bool {
	path := nsLinkPaths[i]
	n, err := unix.Readlinkat(dfd, path, r.link[:])
	if err != nil {
		switch {
		case err == unix.ENOENT && state == 'Z':
			// A zombie has released the namespaces it held through its nsproxy; its pid and user
			// namespaces (held by its struct pid and its credentials) can still be read.
			return true
		case err == unix.ENOENT && (i == idxTime || i == idxTimeForChildren):
			return true // kernel before 5.6: no time namespaces
		case err == unix.ENOENT && i == idxPIDForChildren:
			// After unshare(CLONE_NEWPID), the new namespace is not handed out until its first
			// process (its init) exists.
			return true
		case err == unix.EACCES || err == unix.EPERM:
			// ptrace access mode is checked once for the whole directory: say it once.
			r.errs.add(dir+"/ns", err)
			return false
		}
		r.errs.add(dir+"/"+path, err)
		return !gone(err)
	}
	kind, ino, err := parseNSLink(r.link[:n])
	if err == nil && kind != baseKind(nsLinks[i]) {
		err = parseErr("ns link", "kind "+string(kind)+" in "+path)
	}
	if err != nil {
		r.errs.add(dir+"/"+path, err)
		return true
	}
	rec.ns[i] = ino
	return true
}

// forChildren reads pid_for_children and time_for_children, but only of the processes that have a
// child in another pid or time namespace than their own. They differ from pid and time only after
// unshare(2) or setns(2), and the kernel hands out a new pid_for_children only once its first child
// exists; so this finds them (unless every such child has already gone) for two readlinks on a few
// processes instead of on all, a fifth of the namespace reads on a host with thousands.
func (fs FS) forChildren(recs []procRecord, errs *errorList) {
	index := make(map[int]int, len(recs))
	for i := range recs {
		index[recs[i].PID] = i
	}
	r := procReader{fs: fs, errs: errs}
	for i := range recs {
		c := &recs[i]
		pi, ok := index[c.PPID]
		if !ok || c.PPID == 0 {
			continue
		}
		p := &recs[pi]
		if p.ns[idxPID] == 0 || c.ns[idxPID] == p.ns[idxPID] && c.ns[idxTime] == p.ns[idxTime] || p.ns[idxPIDForChildren] != 0 {
			continue
		}
		dir := fs.Proc + "/" + strconv.Itoa(p.PID)
		dfd, err := openat(unix.AT_FDCWD, dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
		if err != nil {
			continue // gone since the first pass
		}
		if r.readLink(dfd, dir, p.State[0], p, idxPIDForChildren) {
			r.readLink(dfd, dir, p.State[0], p, idxTimeForChildren)
		}
		unix.Close(dfd)
	}
}

// hostNamespaces picks the reference for "isolated": PID 1's namespaces when they can be read, else
// isotop's own (an unprivileged user, a host like this one whose PID 1 refuses even root).
func (fs FS) hostNamespaces(recs []procRecord, errs *errorList) (procRecord, string) {
	find := func(pid int) *procRecord {
		i, ok := slices.BinarySearchFunc(recs, pid, func(r procRecord, pid int) int { return r.PID - pid })
		if !ok {
			return nil
		}
		return &recs[i]
	}
	if init := find(1); init != nil && init.ns[idxMnt] != 0 {
		return *init, "pid 1"
	}
	why := "not found"
	for _, e := range *errs {
		if e.Path == fs.Proc+"/1" || strings.HasPrefix(e.Path, fs.Proc+"/1/ns") {
			why = e.Error
			break
		}
	}
	target, err := os.Readlink(fs.Proc + "/self")
	if err != nil {
		errs.add(fs.Proc+"/self", err)
		return procRecord{}, "none: pid 1 " + why + ", and " + fs.Proc + "/self unreadable"
	}
	self, _ := strconv.Atoi(target)
	if me := find(self); me != nil {
		return *me, fmt.Sprintf("self (pid %d): pid 1's namespaces: %s", self, why)
	}
	return procRecord{}, "none: pid 1 " + why + ", and self not found"
}
