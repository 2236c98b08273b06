package probe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// nsConn is what isotop holds in one network namespace: a NETLINK_ROUTE socket made inside it (its
// rtnetlink dumps and, through dev_ioctl, ethtool's queries answer for that namespace), and a
// descriptor of the namespace itself.
type nsConn struct {
	nl   int
	nsfd int
}

func (c *nsConn) close() {
	if c.nl >= 0 {
		unix.Close(c.nl)
	}
	if c.nsfd >= 0 {
		unix.Close(c.nsfd)
	}
}

// The main goroutine keeps the main thread, so that the namespace worker below never runs there:
// the main thread is the one /proc/self/ns describes, isotop's reference for the host.
func init() { runtime.LockOSThread() }

// threadOpener is the Opener of a process that may setns(2) itself (root, or the owner of
// the namespaces): a socket belongs to the network namespace of the thread that creates it, and
// uname(2) answers for the thread's UTS namespace, so one worker goroutine, locked to its own
// thread for its whole life, enters the namespace, does that, and returns to its own namespace,
// checked by inode, before it takes the next request. No other goroutine ever runs on that thread,
// so no other Go code can run in a foreign namespace, and the thread never exits (a thread's exit
// would SIGKILL the children it forked with Pdeathsig). If returning fails, the worker ends locked,
// the runtime discards its thread (which never forked), and the next request starts a new worker.
type threadOpener struct{}

// NetlinkSocket makes a NETLINK_ROUTE socket inside the network namespace open as nsfd.
func (threadOpener) NetlinkSocket(nsfd int) (int, error) {
	r := askWorker(netnsRequest{nsfd: nsfd, kind: unix.CLONE_NEWNET})
	return r.fd, r.err
}

// Hostname reads the nodename of the UTS namespace open as nsfd.
func (threadOpener) Hostname(nsfd int) (string, error) {
	r := askWorker(netnsRequest{nsfd: nsfd, kind: unix.CLONE_NEWUTS})
	return r.name, r.err
}

type netnsRequest struct {
	nsfd  int
	kind  int // CLONE_NEWNET or CLONE_NEWUTS
	reply chan netnsReply
}

type netnsReply struct {
	fd   int
	name string
	err  error
}

var (
	netnsMu      sync.Mutex
	netnsQueue   chan netnsRequest
	errNetnsBack = errors.New("could not return the namespace worker to its own namespace")
)

func askWorker(req netnsRequest) netnsReply {
	netnsMu.Lock()
	if netnsQueue == nil {
		q, started := make(chan netnsRequest), make(chan error)
		go netnsWorker(q, started)
		if err := <-started; err != nil {
			netnsMu.Unlock()
			return netnsReply{fd: -1, err: err}
		}
		netnsQueue = q
	}
	q := netnsQueue
	netnsMu.Unlock()
	req.reply = make(chan netnsReply, 1)
	q <- req
	return <-req.reply
}

func netnsWorker(queue chan netnsRequest, started chan error) {
	runtime.LockOSThread() // for life: see above
	home := map[int]string{unix.CLONE_NEWNET: "/proc/thread-self/ns/net", unix.CLONE_NEWUTS: "/proc/thread-self/ns/uts"}
	homeIno := map[int]uint64{}
	for kind, p := range home {
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			started <- err
			return
		}
		homeIno[kind] = st.Ino
	}
	started <- nil
	for req := range queue {
		// The way home is opened for each request, so that no descriptor outlives a snapshot.
		back, err := unix.Open(home[req.kind], unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			req.reply <- netnsReply{fd: -1, err: err}
			continue
		}
		r := inNamespace(req)
		err = unix.Setns(back, req.kind)
		unix.Close(back)
		if err == nil {
			var st unix.Stat_t
			err = unix.Stat(home[req.kind], &st)
			if err == nil && st.Ino != homeIno[req.kind] {
				err = errNetnsBack
			}
		}
		if err != nil {
			if r.fd >= 0 {
				unix.Close(r.fd)
			}
			req.reply <- netnsReply{fd: -1, err: fmt.Errorf("%w: %v", errNetnsBack, err)}
			netnsMu.Lock()
			if netnsQueue == queue {
				netnsQueue = nil
			}
			netnsMu.Unlock()
			go func() { // answer what is still queued here; the next call starts a new worker
				for r := range queue {
					r.reply <- netnsReply{fd: -1, err: errNetnsBack}
				}
			}()
			return // locked: the runtime discards this thread
		}
		req.reply <- r
	}
}

// inNamespace enters the namespace (on the worker's thread) and does the request's work there.
func inNamespace(req netnsRequest) netnsReply {
	if err := unix.Setns(req.nsfd, req.kind); err != nil {
		return netnsReply{fd: -1, err: fmt.Errorf("setns: %w", err)}
	}
	if req.kind == unix.CLONE_NEWUTS {
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			return netnsReply{fd: -1, err: fmt.Errorf("uname: %w", err)}
		}
		return netnsReply{fd: -1, name: unix.ByteSliceToString(u.Nodename[:])}
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return netnsReply{fd: -1, err: fmt.Errorf("netlink socket: %w", err)}
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return netnsReply{fd: -1, err: fmt.Errorf("netlink bind: %w", err)}
	}
	return netnsReply{fd: fd}
}

// OpenFile opens a file in isotop's own process.
func (threadOpener) OpenFile(path string) (*os.File, error) { return os.Open(path) }

// opener is the FS's Opener, the in-process one when none was given or the FS is a fixture's.
func (fs FS) opener() Opener {
	if fs.Opener != nil && fs.live() {
		return fs.Opener
	}
	return threadOpener{}
}

// errMoved is the error of a namespace link that no longer leads to the namespace it was read as:
// its process moved (setns without exec) since isotop read its links, or its pid was reused.
var errMoved = errors.New("the process is in another namespace now")

// openNS opens the namespace file at path (/proc/PID/ns/KIND, or a bind mount) and checks that it
// is the namespace want (its inode; 0: any).
func openNS(path string, want uint64) (int, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || (want != 0 && st.Ino != want) {
		unix.Close(fd)
		if err == nil {
			err = errMoved
		}
		return -1, err
	}
	return fd, nil
}

// dialNetns opens a netlink socket inside the network namespace at path, which must be want.
func (fs FS) dialNetns(path string, want uint64) (*nsConn, error) {
	nsfd, err := openNS(path, want)
	if err != nil {
		return nil, err
	}
	nl, err := fs.opener().NetlinkSocket(nsfd)
	if err != nil {
		unix.Close(nsfd)
		return nil, err
	}
	return &nsConn{nl: nl, nsfd: nsfd}, nil
}

// utsName reads the nodename of the UTS namespace at path (/proc/PID/ns/uts), which must be want.
func (fs FS) utsName(path string, want uint64) (string, error) {
	fd, err := openNS(path, want)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	return fs.opener().Hostname(fd)
}

// links dumps the namespace's links and addresses. A malformed answer is an error, not a panic.
func (c *nsConn) links() ([]Link, error) {
	msgs, err := nlDump(c.nl, unix.RTM_GETLINK, make([]byte, unix.SizeofIfInfomsg))
	if err != nil {
		return nil, fmt.Errorf("RTM_GETLINK: %w", err)
	}
	var out []Link
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK {
			continue
		}
		l, err := decodeLink(m.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	msgs, err = nlDump(c.nl, unix.RTM_GETADDR, make([]byte, unix.SizeofIfAddrmsg))
	if err != nil {
		return nil, fmt.Errorf("RTM_GETADDR: %w", err)
	}
	byIndex := map[int][]string{}
	for _, m := range msgs {
		if idx, addr, ok := decodeAddr(m); ok {
			byIndex[idx] = append(byIndex[idx], addr)
		}
	}
	for i := range out {
		out[i].Addrs = byIndex[out[i].Index]
		if out[i].Addrs == nil {
			out[i].Addrs = []string{}
		}
	}
	return out, nil
}

// decodeAddr reads an RTM_NEWADDR message: the link's index and its address as CIDR, the local
// address where the kernel gives one (a point-to-point link's IFA_ADDRESS is its peer's), as ip(8).
func decodeAddr(m syscall.NetlinkMessage) (int, string, bool) {
	if m.Header.Type != unix.RTM_NEWADDR || len(m.Data) < unix.SizeofIfAddrmsg {
		return 0, "", false
	}
	attrs, err := syscall.ParseNetlinkRouteAttr(&m)
	if err != nil {
		return 0, "", false
	}
	var addr, local []byte
	for _, a := range attrs {
		switch a.Attr.Type {
		case unix.IFA_ADDRESS:
			addr = a.Value
		case unix.IFA_LOCAL:
			local = a.Value
		}
	}
	if local != nil {
		addr = local
	}
	if len(addr) != 4 && len(addr) != 16 {
		return 0, "", false
	}
	prefix := int(m.Data[1])
	ipn := net.IPNet{IP: net.IP(addr), Mask: net.CIDRMask(prefix, 8*len(addr))}
	return int(binary.NativeEndian.Uint32(m.Data[4:8])), ipn.String(), true
}

// nlSeq numbers the requests isotop sends; answers are matched to them.
var nlSeq atomic.Uint32

// errDumpInterrupted: the kernel's tables changed during a dump (NLM_F_DUMP_INTR); it is tried again.
var errDumpInterrupted = errors.New("dump interrupted by a change")

// nlDump sends an rtnetlink dump request of type typ with the given family header and returns the
// answer's messages, until NLMSG_DONE. A dump the kernel marks interrupted is asked again, once.
func nlDump(fd int, typ uint16, hdr []byte) ([]syscall.NetlinkMessage, error) {
	msgs, err := nlExchange(fd, typ, unix.NLM_F_DUMP, hdr)
	if errors.Is(err, errDumpInterrupted) {
		msgs, err = nlExchange(fd, typ, unix.NLM_F_DUMP, hdr)
		if errors.Is(err, errDumpInterrupted) {
			err = nil // as ip(8): what it got, with the change that interrupted it possibly missing
		}
	}
	return msgs, err
}

// nlExchange sends one request and collects its answer: a dump's messages until NLMSG_DONE, or a
// single answer.
func nlExchange(fd int, typ uint16, flags uint16, body []byte) ([]syscall.NetlinkMessage, error) {
	seq := nlSeq.Add(1)
	req := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	req = append(req, body...)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], typ)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|flags)
	ne.PutUint32(req[8:], seq)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	buf := make([]byte, 64<<10)
	var out []syscall.NetlinkMessage
	interrupted := false
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, parseErr("rtnetlink", err.Error())
		}
		for _, m := range msgs {
			if m.Header.Seq != seq {
				continue // a late answer to an earlier request
			}
			if m.Header.Flags&unix.NLM_F_DUMP_INTR != 0 {
				interrupted = true
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				if interrupted {
					return out, errDumpInterrupted
				}
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return nil, parseErr("rtnetlink", "short error message")
				}
				if e := int32(ne.Uint32(m.Data)); e != 0 {
					return nil, syscall.Errno(-e)
				}
				return out, nil // an acknowledgement
			}
			m.Data = slices.Clone(m.Data) // buf is read into again
			out = append(out, m)
			if flags&unix.NLM_F_DUMP == 0 {
				return out, nil
			}
		}
	}
}

// decodeLink parses one RTM_NEWLINK message body (ifinfomsg and attributes) with the netlink
// library's decoder; a malformed one is an error. The library may panic on bad attribute lengths:
// it is caught.
func decodeLink(msg []byte) (l Link, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("netlink answer could not be parsed: %v", r)
		}
	}()
	if len(msg) < unix.SizeofIfInfomsg {
		return l, parseErr("rtnetlink", "message shorter than ifinfomsg")
	}
	nl, err := netlink.LinkDeserialize(nil, msg)
	if err != nil {
		return l, parseErr("rtnetlink", err.Error())
	}
	if nl.Attrs().Index <= 0 || nl.Attrs().Name == "" {
		return l, parseErr("rtnetlink", "link without index or name")
	}
	return linkFromNetlink(nl), nil
}

// linkFromNetlink converts what rtnetlink said of a link.
func linkFromNetlink(nl netlink.Link) Link {
	a := nl.Attrs()
	l := Link{Index: a.Index, Name: a.Name, Kind: nl.Type(), State: a.OperState.String(), MTU: a.MTU,
		linkIndex: a.ParentIndex, linkNetnsID: a.NetNsID, masterIndex: a.MasterIndex}
	if len(a.HardwareAddr) > 0 {
		l.MAC = a.HardwareAddr.String()
	}
	switch {
	case a.Flags&net.FlagLoopback != 0:
		l.Kind = "loopback"
	case l.Kind == "tuntap":
		l.Kind = "tun"
	}
	switch l.Kind {
	case "vlan", "macvlan", "macvtap", "ipvlan", "ipvtap":
		if a.NetNsID < 0 {
			l.Parent = a.ParentIndex
		}
	}
	if s := a.Statistics; s != nil {
		l.RxBytes, l.TxBytes, l.RxPackets, l.TxPackets = s.RxBytes, s.TxBytes, s.RxPackets, s.TxPackets
	}
	return l
}

// nsidOf asks this namespace which id it gives the namespace open as fd (RTM_GETNSID, a query: it
// assigns nothing). ok is false when none is assigned.
func (c *nsConn) nsidOf(fd int) (int, bool) {
	const netnsaNSID, netnsaFD = 1, 3
	body := make([]byte, 4+8) // rtgenmsg (padded), then the NETNSA_FD attribute
	ne := binary.NativeEndian
	ne.PutUint16(body[4:], 8)
	ne.PutUint16(body[6:], netnsaFD)
	ne.PutUint32(body[8:], uint32(fd))
	msgs, err := nlExchange(c.nl, unix.RTM_GETNSID, 0, body)
	if err != nil || len(msgs) != 1 || msgs[0].Header.Type != unix.RTM_NEWNSID || len(msgs[0].Data) < 4 {
		return 0, false
	}
	for b := msgs[0].Data[4:]; len(b) >= 4; {
		alen, atype := int(ne.Uint16(b)), ne.Uint16(b[2:])
		if alen < 4 || alen > len(b) {
			return 0, false
		}
		if atype == netnsaNSID && alen >= 8 {
			id := int(int32(ne.Uint32(b[4:])))
			return id, id >= 0
		}
		b = b[min(len(b), (alen+3)&^3):]
	}
	return 0, false
}

// ethtool command numbers and sizes (linux/ethtool.h).
const (
	ethtoolGSSetInfo = 0x37
	ethtoolGStrings  = 0x1b
	ethtoolGStats    = 0x1d
	ethSSStats       = 1
	ethGStringLen    = 32
)

type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data uintptr
	_    [16]byte
}

func (c *nsConn) ethtool(name string, buf []byte) error {
	var ifr ifreqData
	copy(ifr.name[:unix.IFNAMSIZ-1], name)
	ifr.data = uintptr(unsafe.Pointer(&buf[0]))
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(c.nl), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	runtime.KeepAlive(buf)
	if errno != 0 {
		return errno
	}
	return nil
}

// peerIfindex reads a veth's "peer_ifindex" ethtool statistic.
func (c *nsConn) peerIfindex(name string) (int, bool) {
	// ETHTOOL_GSSET_INFO: struct {cmd, reserved u32; sset_mask u64; data[1] u32}
	sset := make([]byte, 24)
	ne := binary.NativeEndian
	ne.PutUint32(sset[0:], ethtoolGSSetInfo)
	ne.PutUint64(sset[8:], 1<<ethSSStats)
	if c.ethtool(name, sset) != nil || ne.Uint64(sset[8:]) == 0 {
		return 0, false
	}
	n := int(ne.Uint32(sset[16:]))
	if n <= 0 || n > 4096 {
		return 0, false
	}
	// ETHTOOL_GSTRINGS: struct {cmd, string_set, len u32; data[len*32]}
	strs := make([]byte, 12+n*ethGStringLen)
	ne.PutUint32(strs[0:], ethtoolGStrings)
	ne.PutUint32(strs[4:], ethSSStats)
	ne.PutUint32(strs[8:], uint32(n))
	if c.ethtool(name, strs) != nil {
		return 0, false
	}
	at := -1
	for i := 0; i < n; i++ {
		s := strs[12+i*ethGStringLen : 12+(i+1)*ethGStringLen]
		if end := bytes.IndexByte(s, 0); end >= 0 {
			s = s[:end]
		}
		if string(s) == "peer_ifindex" {
			at = i
			break
		}
	}
	if at < 0 {
		return 0, false
	}
	// ETHTOOL_GSTATS: struct {cmd, n_stats u32; data[n] u64}
	stats := make([]byte, 8+n*8)
	ne.PutUint32(stats[0:], ethtoolGStats)
	ne.PutUint32(stats[4:], uint32(n))
	if c.ethtool(name, stats) != nil {
		return 0, false
	}
	return int(ne.Uint64(stats[8+at*8:])), true
}

// netNamespaces reads the links of every network namespace in nss (type net), from a socket opened
// inside each, and resolves veth peers and bridge ports across them. Every descriptor is closed
// before it returns.
func (fs FS) netNamespaces(namespaces []Namespace, errs *errorList) []NetNamespace {
	var out []NetNamespace
	conns := map[uint64]*nsConn{}
	defer func() {
		for _, c := range conns {
			c.close()
		}
	}()
	for _, ns := range namespaces {
		if ns.Type != NSNet {
			continue
		}
		nn := NetNamespace{Inode: ns.Inode, Names: netNames(ns), Processes: ns.Processes, Mounts: ns.Mounts, Links: []Link{}, command: ns.Command}
		if !fs.live() {
			out = append(out, nn)
			continue
		}
		handles := netnsHandles(fs.Proc, ns)
		if len(handles) == 0 {
			out = append(out, nn) // held only by reference: nothing to open
			continue
		}
		c, handle, err := fs.dialFirst(handles, ns.Inode)
		if err != nil {
			if !gone(err) && !errors.Is(err, errMoved) {
				errs.add(handle, err)
			}
			out = append(out, nn)
			continue
		}
		conns[ns.Inode] = c
		links, err := c.links()
		if err != nil {
			errs.add(handle, err)
		}
		nn.Links = append(nn.Links, links...)
		out = append(out, nn)
	}
	if !fs.live() {
		errs.add(fs.Proc, errors.New("links are asked of the live kernel (netlink) and are not in a fixture"))
		return out
	}
	cache := map[[2]uint64][2]int{}
	matchPeers(out, func(from, to uint64) (int, bool) {
		key := [2]uint64{from, to}
		if v, ok := cache[key]; ok {
			return v[0], v[1] == 1
		}
		cf, ct := conns[from], conns[to]
		if cf == nil || ct == nil {
			return 0, false
		}
		id, ok := cf.nsidOf(ct.nsfd)
		okInt := 0
		if ok {
			okInt = 1
		}
		cache[key] = [2]int{id, okInt}
		return id, ok
	})
	matchByEthtool(out, func(ns uint64, name string) (int, bool) {
		if c := conns[ns]; c != nil {
			return c.peerIfindex(name)
		}
		return 0, false
	})
	linkMasters(out)
	return out
}

// netnsHandles are the files through which a network namespace can be opened: its bind mounts
// first (they cannot move), then a few of its processes' links.
func netnsHandles(proc string, ns Namespace) []string {
	h := slices.Clone(ns.Mounts)
	for i, pid := range ns.PIDs {
		if i == 3 {
			break
		}
		h = append(h, proc+"/"+strconv.Itoa(pid)+"/ns/net")
	}
	return h
}

// dialFirst dials the first of handles that still leads to the namespace want.
func (fs FS) dialFirst(handles []string, want uint64) (c *nsConn, handle string, err error) {
	for _, handle = range handles {
		if c, err = fs.dialNetns(handle, want); err == nil || !(gone(err) || errors.Is(err, errMoved)) {
			return c, handle, err
		}
	}
	return nil, handle, err
}

// hostname reads the nodename of process pid's UTS namespace, which must be want; "" (and an
// error entry, unless the process is gone or has moved) when it cannot.
func (fs FS) hostname(pid int, want uint64, errs *errorList) string {
	path := fs.Proc + "/" + strconv.Itoa(pid) + "/ns/uts"
	name, err := fs.utsName(path, want)
	if err != nil && !gone(err) && !errors.Is(err, errMoved) {
		errs.add(path, err)
	}
	return name
}
