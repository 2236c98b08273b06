package probe

import (
	"context"
	"encoding/binary"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// watchFiles are the files a watcher follows in each v2 cgroup. The .local variants count only the
// cgroup itself (memory.events counts its descendants too); cgroup.events changes when the cgroup
// empties, the last moment its counters can be read before it is removed.
var watchFiles = []string{"memory.events.local", "pids.events.local", "cgroup.events"}

type watched struct {
	cgroup, dir, file string
}

// Watch follows the event counters of every cgroup of the unified (v2) hierarchy with inotify until
// ctx is done, recording their increases as events as they happen. New cgroups are watched as they
// appear. v1 has no inotify notification for its memory events (only eventfds registered by
// writing cgroup.event_control, which the read-only probe never does): on v1 the Collector sees
// events between snapshots only. Watch returns at once when there is no v2 hierarchy.
func (c *Collector) Watch(ctx context.Context) error {
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
	w := &watcher{c: c, fd: fd, wds: map[int]watched{}, errs: &errs}
	any := false
	for _, h := range hier {
		if h.Version == 2 {
			w.addTree(c.fs.hostPath(h.MountPoint), path.Clean(h.Root))
			any = true
		}
	}
	if !any {
		return nil
	}
	buf := make([]byte, 64<<10)
	for ctx.Err() == nil {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, 100); err != nil && err != unix.EINTR {
			return err
		}
		n, err := unix.Read(fd, buf)
		if err == unix.EAGAIN || err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		w.handle(buf[:n])
	}
	return nil
}

type watcher struct {
	c    *Collector
	fd   int
	wds  map[int]watched
	errs *errorList
	buf  []byte
}

// addTree watches the cgroup directory dir (cgroup path cg) and every cgroup below it.
func (w *watcher) addTree(dir, cg string) {
	if wd, err := unix.InotifyAddWatch(w.fd, dir, unix.IN_CREATE|unix.IN_ONLYDIR); err == nil {
		w.wds[wd] = watched{cgroup: cg, dir: dir}
	}
	for _, f := range watchFiles {
		if wd, err := unix.InotifyAddWatch(w.fd, dir+"/"+f, unix.IN_MODIFY); err == nil {
			w.wds[wd] = watched{cgroup: cg, dir: dir, file: f}
		}
	}
	w.readCounters(dir, cg) // the baseline
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

// readCounters reads the local event files of one cgroup and hands them to the Collector.
func (w *watcher) readCounters(dir, cg string) {
	now := map[string]uint64{}
	for _, f := range []string{"memory.events.local", "pids.events.local"} {
		data, err := readFileAt(unix.AT_FDCWD, dir+"/"+f, &w.buf)
		if err != nil {
			continue
		}
		m, err := parseFlatKeyed(data)
		if err != nil {
			continue
		}
		for k, v := range m {
			if strings.HasPrefix(f, "pids") {
				k = "pids_" + k
			}
			now[k] = v
		}
	}
	evs := w.c.observe(cg+localKey, now, time.Now().UTC(), "inotify")
	if len(evs) > 0 {
		w.c.mu.Lock()
		w.c.record(evs)
		w.c.mu.Unlock()
	}
}

func (w *watcher) handle(b []byte) {
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
		case mask&unix.IN_IGNORED != 0:
			delete(w.wds, wd) // the file or cgroup is gone
		case !ok:
		case mask&unix.IN_CREATE != 0 && mask&unix.IN_ISDIR != 0:
			w.addTree(at.dir+"/"+name, path.Join(at.cgroup, name))
		case mask&unix.IN_MODIFY != 0:
			w.readCounters(at.dir, at.cgroup)
		}
	}
}
