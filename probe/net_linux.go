package probe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"unsafe"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// nsConn is what isotop holds in one network namespace: a netlink route socket and a UDP socket
// for ethtool, both created inside it, and a descriptor of the namespace itself.
type nsConn struct {
	handle *netlink.Handle
	inet   int
	nsfd   int
}

func (c *nsConn) close() {
	if c.handle != nil {
		c.handle.Close()
	}
	if c.inet > 0 {
		unix.Close(c.inet)
	}
	if c.nsfd > 0 {
		unix.Close(c.nsfd)
	}
}

// The main goroutine keeps the main thread, so that the namespace worker below never runs there:
// the main thread is the one /proc/self/ns describes, isotop's reference for the host.
func init() { runtime.LockOSThread() }

// A socket belongs to the network namespace of the thread that creates it, so opening one inside
// another namespace needs setns(2) on some thread. One worker goroutine, locked to its own thread
// for its whole life, does only that: it enters the namespace, creates the sockets, and returns to
// its own namespace, checked by inode, before it takes the next request. No other goroutine ever
// runs on that thread, so no other Go code can run in a foreign namespace, and the thread never
// exits (a thread's exit would SIGKILL the children it forked with Pdeathsig). If returning fails,
// the worker ends locked, the runtime discards its thread (which never forked), and the next
// request starts a new worker.
type netnsRequest struct {
	nsfd  int
	reply chan netnsReply
}

type netnsReply struct {
	c   *nsConn
	err error
}

var (
	netnsMu      sync.Mutex
	netnsQueue   chan netnsRequest
	errNetnsBack = errors.New("could not return the namespace worker to its own namespace")
)

func netnsWorker(queue chan netnsRequest, started chan error) {
	runtime.LockOSThread() // for life: see above
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
		started <- err
		return
	}
	homeIno := st.Ino
	started <- nil
	for req := range queue {
		// The way home is opened for each request, so that no descriptor outlives a snapshot.
		home, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			req.reply <- netnsReply{err: err}
			continue
		}
		c, err := socketsIn(req.nsfd)
		back := unix.Setns(home, unix.CLONE_NEWNET)
		unix.Close(home)
		if back == nil {
			back = unix.Stat("/proc/thread-self/ns/net", &st)
			if back == nil && st.Ino != homeIno {
				back = errNetnsBack
			}
		}
		if back != nil {
			if c != nil {
				c.close()
			}
			req.reply <- netnsReply{err: fmt.Errorf("%w: %v", errNetnsBack, back)}
			netnsMu.Lock()
			if netnsQueue == queue {
				netnsQueue = nil
			}
			netnsMu.Unlock()
			go func() { // answer what is still queued here; the next call starts a new worker
				for r := range queue {
					r.reply <- netnsReply{err: errNetnsBack}
				}
			}()
			return // locked: the runtime discards this thread
		}
		req.reply <- netnsReply{c: c, err: err}
	}
}

// socketsIn enters the namespace (on the worker's thread) and creates the sockets there.
func socketsIn(nsfd int) (*nsConn, error) {
	if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("setns: %w", err)
	}
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	inet, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("socket: %w", err)
	}
	return &nsConn{handle: h, inet: inet}, nil
}

// dialNetns opens sockets inside the network namespace at path, through the worker.
func dialNetns(path string) (*nsConn, error) {
	nsfd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	netnsMu.Lock()
	if netnsQueue == nil {
		q, started := make(chan netnsRequest), make(chan error)
		go netnsWorker(q, started)
		if err := <-started; err != nil {
			netnsMu.Unlock()
			unix.Close(nsfd)
			return nil, err
		}
		netnsQueue = q
	}
	q := netnsQueue
	netnsMu.Unlock()
	reply := make(chan netnsReply, 1)
	q <- netnsRequest{nsfd: nsfd, reply: reply}
	r := <-reply
	if r.err != nil {
		unix.Close(nsfd)
		return nil, r.err
	}
	r.c.nsfd = nsfd
	return r.c, nil
}

// links dumps the namespace's links and addresses. A malformed answer is an error, not a panic.
func (c *nsConn) links() (out []Link, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("netlink answer could not be parsed: %v", r)
		}
	}()
	ls, err := c.handle.LinkList()
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("RTM_GETLINK: %w", err)
	}
	addrs, err := c.handle.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("RTM_GETADDR: %w", err)
	}
	byIndex := map[int][]string{}
	for _, a := range addrs {
		if a.IPNet != nil {
			byIndex[a.LinkIndex] = append(byIndex[a.LinkIndex], a.IPNet.String())
		}
	}
	for _, nl := range ls {
		l := linkFromNetlink(nl)
		l.Addrs = byIndex[l.Index]
		if l.Addrs == nil {
			l.Addrs = []string{}
		}
		out = append(out, l)
	}
	return out, nil
}

// decodeLink parses one RTM_NEWLINK message body (ifinfomsg and attributes) as the dump does; a
// malformed one is an error. The netlink library may panic on bad attribute lengths: it is caught.
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
	id, err := c.handle.GetNetNsIdByFd(fd)
	return id, err == nil && id >= 0
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
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(c.inet), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
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
		nn := NetNamespace{Inode: ns.Inode, Names: netNames(ns), Processes: ns.Processes, Mounts: ns.Mounts, Links: []Link{}}
		if !fs.live() {
			out = append(out, nn)
			continue
		}
		var handle string
		if ns.PID > 0 {
			handle = fs.Proc + "/" + strconv.Itoa(ns.PID) + "/ns/net"
		} else if len(ns.Mounts) > 0 {
			handle = ns.Mounts[0]
		} else {
			out = append(out, nn) // held only by reference: nothing to open
			continue
		}
		c, err := dialNetns(handle)
		if err != nil {
			if !gone(err) {
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
