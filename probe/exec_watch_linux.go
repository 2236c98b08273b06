package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// The proc connector (linux/cn_proc.h, linux/connector.h): the kernel multicasts fork, exec and
// exit events to the NETLINK_CONNECTOR sockets that asked for them.
const (
	cnIdxProc         = 1
	cnValProc         = 1
	procCnMcastListen = 1
	procEventExec     = 0x2
	nlmsgHdrLen       = 16
	cnMsgLen          = 20 // struct cn_msg: cb_id (idx, val), seq, ack, len, flags
)

// ExecWatcher reports every execve on the host, from the kernel's proc connector: no polling of
// /proc, and a process that lives a millisecond is seen, at the kernel's time. Making one needs
// CAP_NET_ADMIN on kernels before 6.6; read-only mode makes it before the lockdown (early.c).
type ExecWatcher struct {
	fd     int
	closed atomic.Bool
	slept  bool // it slept ExecBatch since the last event that woke it: the next read blocks
	// Lost counts the times the kernel dropped events because the socket's buffer was full
	// (ENOBUFS).
	Lost atomic.Int64
}

// ExecEvent is one execve: the process (its thread group) and when, from the kernel's clock.
type ExecEvent struct {
	PID  int
	Time time.Time
}

// OpenExecWatcher subscribes a new socket to the proc connector.
func OpenExecWatcher() (*ExecWatcher, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_CONNECTOR)
	if err != nil {
		return nil, fmt.Errorf("proc connector: socket: %w", err)
	}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 500000})
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 1<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("proc connector: bind: %w", err)
	}
	if err := unix.Sendto(fd, ListenMessage(kernelAtLeast(6, 6)), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("proc connector: listen: %w", err)
	}
	return &ExecWatcher{fd: fd, slept: true}, nil
}

// ExecWatcherFromFD takes the main process's end of the execs helper's socket (read-only mode: the
// helper keeps the connector socket early.c subscribed and forwards what the kernel sends), its
// receive timeout set before the lockdown.
func ExecWatcherFromFD(fd int) (*ExecWatcher, error) { return &ExecWatcher{fd: fd, slept: true}, nil }

// ListenMessage is the netlink message that subscribes to the proc connector. From 6.6 the kernel
// takes a filter with it (exec events only: no fork or exit is sent, so the cost follows the exec
// rate alone); before, it takes the operation alone and ignores a message of another length.
func ListenMessage(filter bool) []byte {
	payload := 4
	if filter {
		payload = 8
	}
	b := make([]byte, nlmsgHdrLen+cnMsgLen+payload)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], unix.NLMSG_DONE)
	ne.PutUint32(b[12:], uint32(os.Getpid()))
	ne.PutUint32(b[16:], cnIdxProc)
	ne.PutUint32(b[20:], cnValProc)
	ne.PutUint16(b[32:], uint16(payload))
	ne.PutUint32(b[36:], procCnMcastListen)
	if filter {
		ne.PutUint32(b[40:], procEventExec)
	}
	return b
}

// Next waits for the next events (one datagram), and returns the execs among them; an error once
// closed. Call it from one goroutine. When nothing waits it blocks until an event comes, so that a
// lone exec's process (a `docker exec` of a command that lives a few milliseconds) is read at once;
// after it, it sleeps ExecBatch once and reads what came meanwhile without blocking, one system
// call each: a burst of execs costs a couple of wake-ups, not one each (a wake-up of a thread
// blocked in a system call costs the Go runtime ~150 µs of CPU here, C ~20 µs:
// BenchmarkExecWatch). Blocking reads time out every half second (SO_RCVTIMEO) to see Close.
func (w *ExecWatcher) Next(buf []byte) ([]ExecEvent, error) {
	for {
		if w.closed.Load() {
			unix.Close(w.fd)
			return nil, os.ErrClosed
		}
		flags := unix.MSG_DONTWAIT
		if w.slept {
			flags = 0
		}
		n, from, err := unix.Recvfrom(w.fd, buf, flags)
		switch {
		case err == unix.EAGAIN && !w.slept:
			time.Sleep(ExecBatch)
			w.slept = true
			continue
		case err == unix.EAGAIN || err == unix.EINTR: // the blocking read's timeout: closed?
			continue
		case err == unix.ENOBUFS:
			w.Lost.Add(1)
			continue
		case err != nil:
			return nil, fmt.Errorf("proc connector: %w", err)
		}
		if flags == 0 {
			w.slept = false // woken by an event: sleep once after it
		}
		if nl, ok := from.(*unix.SockaddrNetlink); ok && nl.Pid != 0 {
			continue // not the kernel's
		}
		if n == 4 && binary.NativeEndian.Uint32(buf) == 0xffffffff { // the execs helper: the kernel dropped some
			w.Lost.Add(1)
			continue
		}
		return parseExecEvents(buf[:n], bootTime()), nil
	}
}

// ExecBatch is how long an ExecWatcher sleeps after an event before it reads what came meanwhile.
var ExecBatch = 20 * time.Millisecond

// Close ends the subscription: Next returns an error within half a second, and closes the socket.
func (w *ExecWatcher) Close() error {
	w.closed.Store(true)
	return nil
}

// parseExecEvents reads the exec events of netlink messages from the proc connector (struct
// proc_event: what, cpu, timestamp_ns since boot, then for an exec the pid and the tgid).
func parseExecEvents(b []byte, boot time.Time) []ExecEvent {
	var out []ExecEvent
	ne := binary.NativeEndian
	for len(b) >= nlmsgHdrLen {
		l := int(ne.Uint32(b))
		if l < nlmsgHdrLen || l > len(b) {
			break
		}
		m := b[nlmsgHdrLen:l]
		b = b[min(len(b), (l+3)&^3):]
		if len(m) < cnMsgLen+24 || ne.Uint32(m) != cnIdxProc || ne.Uint32(m[4:]) != cnValProc {
			continue
		}
		ev := m[cnMsgLen:]
		if ne.Uint32(ev) != procEventExec {
			continue
		}
		ts := time.Duration(ne.Uint64(ev[8:]))
		out = append(out, ExecEvent{PID: int(int32(ne.Uint32(ev[20:]))), Time: boot.Add(ts)})
	}
	return out
}

// bootTime is when CLOCK_MONOTONIC was zero, in wall time (the connector's timestamps count from it).
func bootTime() time.Time {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return time.Time{}
	}
	return time.Now().Add(-time.Duration(ts.Nano()))
}

// kernelAtLeast reports whether the running kernel is major.minor or newer.
func kernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	rel := unix.ByteSliceToString(u.Release[:])
	f := strings.FieldsFunc(rel, func(r rune) bool { return r < '0' || r > '9' })
	if len(f) < 2 {
		return false
	}
	a, _ := strconv.Atoi(f[0])
	b, _ := strconv.Atoi(f[1])
	return a > major || a == major && b >= minor
}

// ContainerExec is a process that an exec put into a container from outside, as `docker exec`,
// `podman exec`, `kubectl exec` and `nsenter` do: it is in the container's cgroup, its parent is
// not, and it is not the container's first process.
type ContainerExec struct {
	Container *Container
	PID       int
	Cmdline   []string
	PPID      int
	Parent    string // the parent's command, "" when it is gone
}

// Detail is the event's detail: "pid 1234: sh -c id (parent 99 runc)".
func (e ContainerExec) Detail() string {
	parent := "gone"
	if e.Parent != "" {
		parent = e.Parent
	}
	return fmt.Sprintf("pid %d: %s (parent %d %s)", e.PID, strings.Join(e.Cmdline, " "), e.PPID, parent)
}

// ExecIntoContainer reads process pid, which has just exec'd, and says whether the exec entered a
// container of s (the last snapshot: its containers' cgroups). A process gone already is not one.
func (fs FS) ExecIntoContainer(s *Snapshot, pid int) (ContainerExec, bool) {
	dir := fs.Proc + "/" + strconv.Itoa(pid)
	cgs, err := fs.ProcessCgroups(pid)
	if err != nil {
		return ContainerExec{}, false
	}
	c := containerOfCgroup(s, primaryCgroup(cgs, s.Host.CgroupMode))
	if c == nil {
		return ContainerExec{}, false
	}
	data, err := readFile(dir + "/stat")
	if err != nil {
		return ContainerExec{}, false
	}
	st, err := parseProcStat(data)
	if err != nil || firstInPIDNamespace(fs, pid) {
		return ContainerExec{}, false
	}
	e := ContainerExec{Container: c, PID: pid, PPID: st.PPID}
	if cmd, err := readFile(dir + "/cmdline"); err == nil {
		e.Cmdline = parseCmdline(cmd)
	}
	if pcg, err := fs.ProcessCgroups(st.PPID); err == nil {
		if containerOfCgroup(s, primaryCgroup(pcg, s.Host.CgroupMode)) == c {
			return ContainerExec{}, false // a process of the container's own
		}
		if pdata, err := readFile(fs.Proc + "/" + strconv.Itoa(st.PPID) + "/stat"); err == nil {
			if pst, err := parseProcStat(pdata); err == nil {
				e.Parent = pst.Comm
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ESRCH) {
		return ContainerExec{}, false
	}
	return e, true
}

// containerOfCgroup is the container whose cgroup is path or holds it, nil for none.
func containerOfCgroup(s *Snapshot, path string) *Container {
	var best *Container
	for i := range s.Containers {
		c := &s.Containers[i]
		if c.Cgroup == "" || c.Cgroup == "/" {
			continue
		}
		if (path == c.Cgroup || strings.HasPrefix(path, c.Cgroup+"/")) && (best == nil || len(c.Cgroup) > len(best.Cgroup)) {
			best = c
		}
	}
	return best
}

// firstInPIDNamespace reports whether pid is pid 1 of its own pid namespace (a container's init).
func firstInPIDNamespace(fs FS, pid int) bool {
	data, err := readFile(fs.Proc + "/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "NSpid:"); ok {
			f := strings.Fields(v)
			return len(f) > 1 && slices.Contains(f[len(f)-1:], "1")
		}
	}
	return false
}
