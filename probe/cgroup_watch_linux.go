package probe

import (
	"context"
	"encoding/binary"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The watcher follows, in each v2 cgroup, the local counters (memory.events.local,
// pids.events.local: this cgroup only) and the hierarchical memory.events (this cgroup and every
// descendant). The kernel sends its notifications from a work queue, so a cgroup removed right after
// an OOM kill can be gone before its local counters are read; its parent's hierarchical counter
// still went up, and the watcher saw the removal (IN_DELETE of a directory in the parent's watch): an
// increase at an ancestor that no
// local event explains is put on the descendant removed last.
var watchFiles = []string{"memory.events.local", "memory.events", "pids.events.local", "cgroup.events"}

// orphanWait is how long an unexplained hierarchical increase waits for its local notification or
// a removal before it is put on the cgroup itself.
const orphanWait = 2 * time.Second

type watched struct {
	cgroup, dir, file string // file "" for the directory itself
}

type removal struct {
	cgroup string
	at     time.Time
}

// Watch follows the event counters of every cgroup of the unified (v2) hierarchy with inotify until
// ctx is done, recording their increases as events as they happen; new cgroups are watched as they
// appear. v1 has no inotify notification for its memory events (only eventfds registered by writing
// cgroup.event_control, which the read-only probe never does): on v1 the Collector sees events
// between snapshots only. Watch returns at once when there is no v2 hierarchy.
//
// ready, when not nil, is called once every existing cgroup is watched and its counters read.
func (c *Collector) Watch(ctx context.Context, ready func()) error {
	var errs errorList
	data, err := readFile(c.fs.Proc + "/self/mountinfo")
	if err != nil {
		return err
	}
	mounts, _ := parseMountinfo(data)
	hier, _ := cgroupMounts(mounts)
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	w := &watcher{c: c, fd: fd, wds: map[int]watched{}, errs: &errs,
		hier: map[string]map[string]uint64{}, base: map[string]map[string]uint64{},
		accounted: map[string]map[string]uint64{}, since: map[string]time.Time{}}
	found := false
	for _, h := range hier {
		if h.Version == 2 {
			w.addTree(c.fs.hostPath(h.MountPoint), path.Clean(h.Root))
			found = true
		}
	}
	c.mu.Lock()
	c.watching = len(w.wds)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.watching = 0
		c.mu.Unlock()
	}()
	if ready != nil {
		ready()
	}
	if !found {
		return nil
	}
	// The end of ctx wakes the poll through an eventfd: the watcher sleeps in the kernel until
	// a counter moves, and wakes every 100 ms only while an increase waits to be placed.
	stop, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return err
	}
	defer unix.Close(stop)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			unix.Write(stop, []byte{1, 0, 0, 0, 0, 0, 0, 0})
		case <-done:
		}
	}()
	buf := make([]byte, 64<<10)
	for ctx.Err() == nil {
		timeout := -1
		if len(w.since) > 0 {
			timeout = 100
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(stop), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, timeout); err != nil && err != unix.EINTR {
			return err
		}
		n, err := unix.Read(fd, buf)
		switch {
		case err == nil:
			w.handle(buf[:n])
		case err != unix.EAGAIN && err != unix.EINTR:
			return err
		}
		w.resolve(time.Now().UTC())
	}
	return nil
}

type watcher struct {
	c    *Collector
	fd   int
	wds  map[int]watched
	errs *errorList
	buf  []byte
	// hier and base are each cgroup's hierarchical counters now and when first read; accounted
	// is what local events in its subtree explain; since is when an increase went unexplained.
	hier, base, accounted map[string]map[string]uint64
	since                 map[string]time.Time
	removed               []removal
}

// addTree watches the cgroup directory dir (cgroup path cg) and every cgroup below it.
func (w *watcher) addTree(dir, cg string) {
	if wd, err := unix.InotifyAddWatch(w.fd, dir, unix.IN_CREATE|unix.IN_DELETE|unix.IN_ONLYDIR); err == nil {
		w.wds[wd] = watched{cgroup: cg, dir: dir}
	}
	for _, f := range watchFiles {
		if wd, err := unix.InotifyAddWatch(w.fd, dir+"/"+f, unix.IN_MODIFY); err == nil {
			w.wds[wd] = watched{cgroup: cg, dir: dir, file: f}
		}
	}
	w.read(dir, cg, time.Now().UTC()) // the baseline
	dfd, err := openat(unix.AT_FDCWD, dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return
	}
	children, _ := subdirs(dfd, make([]byte, 16<<10))
	unix.Close(dfd)
	for _, ch := range children {
		w.addTree(dir+"/"+ch, path.Join(cg, ch))
	}
}

func (w *watcher) counters(file string) (map[string]uint64, bool) {
	data, err := readFileAt(unix.AT_FDCWD, file, &w.buf)
	if err != nil {
		return nil, false
	}
	m, err := parseFlatKeyed(data)
	return m, err == nil
}

// read reads one cgroup's counters: local increases become events at once; the hierarchical ones
// are kept for resolve.
func (w *watcher) read(dir, cg string, at time.Time) {
	local := map[string]uint64{}
	if m, ok := w.counters(dir + "/memory.events.local"); ok {
		for k, v := range m {
			local[k] = v
		}
	}
	if m, ok := w.counters(dir + "/pids.events.local"); ok {
		for k, v := range m {
			local["pids_"+k] = v
		}
	}
	if evs := w.c.observe(cg+localKey, local, at, "inotify"); len(evs) > 0 {
		w.record(evs)
	}
	if m, ok := w.counters(dir + "/memory.events"); ok {
		if _, seen := w.base[cg]; !seen {
			w.base[cg] = m
		}
		w.hier[cg] = m
	}
}

// record keeps events and credits them to the cgroup and its ancestors.
func (w *watcher) record(evs []CgroupEvent) {
	w.c.mu.Lock()
	w.c.record(evs)
	w.c.mu.Unlock()
	for _, e := range evs {
		for p := e.Cgroup; ; p = path.Dir(p) {
			if w.accounted[p] == nil {
				w.accounted[p] = map[string]uint64{}
			}
			w.accounted[p][e.Event] += e.Count
			if p == "/" || p == "." {
				break
			}
		}
	}
}

// resolve puts hierarchical increases that no local event explains on the descendant removed last,
// or, after orphanWait with no such removal, on the cgroup itself.
func (w *watcher) resolve(now time.Time) {
	for cg, h := range w.hier {
		pending := false
		for _, ev := range counterNames {
			grown := h[ev] - min(h[ev], w.base[cg][ev])
			explained := w.accounted[cg][ev]
			if grown <= explained {
				continue
			}
			if _, ok := w.since[cg]; !ok {
				w.since[cg] = now
			}
			where := ""
			for i := len(w.removed) - 1; i >= 0 && where == ""; i-- {
				if isBelow(w.removed[i].cgroup, cg) {
					where = w.removed[i].cgroup
				}
			}
			if where == "" && now.Sub(w.since[cg]) < orphanWait {
				pending = true
				continue // its local notification may still come
			}
			if where == "" {
				where = cg
			}
			w.record([]CgroupEvent{{Time: now, Cgroup: where, Event: ev, Count: grown - explained, Source: "inotify"}})
		}
		if !pending {
			delete(w.since, cg)
		}
	}
	for len(w.removed) > 0 && now.Sub(w.removed[0].at) > time.Minute {
		w.removed = w.removed[1:]
	}
}

func (w *watcher) handle(b []byte) {
	now := time.Now().UTC()
	for len(b) >= unix.SizeofInotifyEvent {
		wd := int(int32(binary.NativeEndian.Uint32(b[0:])))
		mask := binary.NativeEndian.Uint32(b[4:])
		nameLen := int(binary.NativeEndian.Uint32(b[12:]))
		end := unix.SizeofInotifyEvent + nameLen
		if end > len(b) {
			return
		}
		name := strings.TrimRight(string(b[unix.SizeofInotifyEvent:end]), "\x00")
		b = b[end:]
		at, ok := w.wds[wd]
		switch {
		case !ok:
		case mask&unix.IN_IGNORED != 0:
			delete(w.wds, wd)
		case mask&unix.IN_DELETE != 0 && mask&unix.IN_ISDIR != 0: // a child cgroup was removed
			gone := path.Join(at.cgroup, name)
			w.removed = append(w.removed, removal{gone, now})
			delete(w.hier, gone)
			delete(w.base, gone)
		case mask&unix.IN_CREATE != 0 && mask&unix.IN_ISDIR != 0:
			w.addTree(at.dir+"/"+name, path.Join(at.cgroup, name))
		case mask&unix.IN_MODIFY != 0:
			w.read(at.dir, at.cgroup, now)
		}
	}
}
