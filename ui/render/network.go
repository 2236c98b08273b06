package render

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/isotop/isotop/probe"
)

// NetNames gives each network namespace the name people know it by: "host", its first name (the
// container's, the ip netns name), else its inode.
func NetNames(s *probe.Snapshot) map[uint64]string {
	names := make(map[uint64]string, len(s.NetNamespaces))
	for _, n := range s.NetNamespaces {
		switch {
		case n.Inode == s.Host.NS.Net:
			names[n.Inode] = "host"
		case len(n.Names) > 0:
			names[n.Inode] = n.Names[0]
		default:
			names[n.Inode] = strconv.FormatUint(n.Inode, 10)
		}
	}
	return names
}

// NetworkTable lists each network namespace and, under it, its links.
func NetworkTable(s *probe.Snapshot) Table {
	t := Table{Columns: []Column{{Title: "NAMESPACE / LINK", Width: 18, Flex: true}, {Title: "KIND", Width: 8, Drop: 2},
		{Title: "STATE", Width: 7, Drop: 1}, {Title: "ADDRESSES", Width: 18, Flex: true}, {Title: "PEER / PORTS", Width: 18, Keep: true}}, TreeCol: 0}
	names := NetNames(s)
	for i := range s.NetNamespaces {
		n := &s.NetNamespaces[i]
		t.Rows = append(t.Rows, Row{Ref: NetRef(n.Inode), Cells: []string{names[n.Inode], "netns", "", fmt.Sprintf("%d processes", n.Processes), ""},
			Expand: func() More { return netnsMore(s, n) }})
		for j := range n.Links {
			l := &n.Links[j]
			peer := strings.Join(l.Ports, " ")
			if l.Peer != nil {
				where := names[l.Peer.NetNS]
				if l.Peer.NetNS == n.Inode {
					where = "here"
				}
				peer = "↔ " + where + ":" + l.Peer.Name
			}
			if l.Master != "" {
				peer = strings.TrimSpace("on " + l.Master + " " + peer)
			}
			t.Rows = append(t.Rows, Row{Ref: LinkRef(n.Inode, l.Index), Depth: 1,
				Cells:  []string{l.Name, l.Kind, l.State, strings.Join(l.Addrs, " "), peer},
				Expand: func() More { return linkMore(s, n, l, names) }})
		}
	}
	return t
}

// ipCommand is the ip command that shows a namespace: by its ip netns name when it has one.
func ipCommand(n *probe.NetNamespace, pid int) string {
	for _, nm := range n.Names {
		if !strings.Contains(nm, ":") && !strings.Contains(nm, " ") && !strings.HasPrefix(nm, "pid ") {
			for _, m := range n.Mounts {
				if path.Base(m) == nm {
					return "ip -n " + nm
				}
			}
		}
	}
	if pid > 0 {
		return fmt.Sprintf("nsenter -t %d -n ip", pid)
	}
	return "ip"
}

func netnsMore(s *probe.Snapshot, n *probe.NetNamespace) More {
	pid := netnsPID(s, n.Inode)
	ip := ipCommand(n, pid)
	if n.Inode == s.Host.NS.Net {
		ip = "ip"
	}
	m := More{Jumps: []Jump{{"namespace", Namespaces, NSRef(probe.NSNet, n.Inode)}}}
	if pid > 0 {
		m.Jumps = append(m.Jumps, Jump{"lowest process", Processes, ProcRef(pid)})
	}
	m.Explain = netnsExplain(s, n, pid, ip)
	m.Detail = []string{fmt.Sprintf("network namespace %d", n.Inode), "", "names      " + strings.Join(n.Names, ", "),
		fmt.Sprintf("processes  %d", n.Processes)}
	for _, mnt := range n.Mounts {
		m.Detail = append(m.Detail, "bind mount "+mnt)
	}
	m.Detail = append(m.Detail, "", "links")
	for _, l := range n.Links {
		m.Detail = append(m.Detail, fmt.Sprintf("  %d: %s %s %s", l.Index, l.Name, l.Kind, l.State))
	}
	return m
}

// netnsPID is the lowest pid in the network namespace ino (0: none).
func netnsPID(s *probe.Snapshot, ino uint64) int {
	for i := range s.Namespaces {
		if ns := &s.Namespaces[i]; ns.Type == probe.NSNet && ns.Inode == ino {
			return ns.PID
		}
	}
	return 0
}

func linkMore(s *probe.Snapshot, n *probe.NetNamespace, l *probe.Link, names map[uint64]string) More {
	var m More
	if l.Peer != nil {
		m.Jumps = append(m.Jumps, Jump{"peer " + l.Peer.Name, Network, LinkRef(l.Peer.NetNS, l.Peer.Index)})
	}
	if l.Master != "" {
		for _, o := range n.Links {
			if o.Name == l.Master {
				m.Jumps = append(m.Jumps, Jump{"bridge " + o.Name, Network, LinkRef(n.Inode, o.Index)})
			}
		}
	}
	ip := ipCommand(n, netnsPID(s, n.Inode))
	if n.Inode == s.Host.NS.Net {
		ip = "ip"
	}
	m.Explain = linkExplain(s, n, l, ip)
	m.Detail = []string{fmt.Sprintf("link %d: %s in %s", l.Index, l.Name, names[n.Inode]), "",
		fmt.Sprintf("kind %s, state %s, mtu %d, mac %s", l.Kind, l.State, l.MTU, l.MAC)}
	if l.Master != "" {
		m.Detail = append(m.Detail, "master     "+l.Master)
	}
	if len(l.Ports) > 0 {
		m.Detail = append(m.Detail, "ports      "+strings.Join(l.Ports, " "))
	}
	for _, a := range l.Addrs {
		m.Detail = append(m.Detail, "address    "+a)
	}
	if l.Peer != nil {
		m.Detail = append(m.Detail, fmt.Sprintf("peer       %s (index %d) in %s", l.Peer.Name, l.Peer.Index, names[l.Peer.NetNS]))
	}
	m.Detail = append(m.Detail, fmt.Sprintf("rx         %s, %d packets", Bytes(l.RxBytes), l.RxPackets),
		fmt.Sprintf("tx         %s, %d packets", Bytes(l.TxBytes), l.TxPackets))
	if l.RxBps != nil && l.TxBps != nil {
		m.Detail = append(m.Detail, fmt.Sprintf("rate       rx %s/s, tx %s/s", Bytes(uint64(*l.RxBps)), Bytes(uint64(*l.TxBps))))
	}
	return m
}

// netnsIP is the ip command that shows network namespace ino: ip on the host's, ip -n NAME for an
// ip netns, nsenter into a process's otherwise.
func netnsIP(s *probe.Snapshot, ino uint64) string {
	if ino == s.Host.NS.Net {
		return "ip"
	}
	for i := range s.NetNamespaces {
		if n := &s.NetNamespaces[i]; n.Inode == ino {
			return ipCommand(n, netnsPID(s, ino))
		}
	}
	return "ip"
}

func netnsExplain(s *probe.Snapshot, n *probe.NetNamespace, pid int, ip string) []Explanation {
	name := Explanation{Files: []string{"/proc/*/ns/net"}, Meaning: "a network namespace, named by ip netns, its container or its lowest process"}
	var ct *probe.Container // the container it is named after: runtime:name, or a pod's sandbox as "pod ns/name"
	for i := range s.Containers {
		c := &s.Containers[i]
		if len(n.Names) > 0 && c.NetNS == n.Inode && (n.Names[0] == c.Runtime+":"+c.Name || (c.Sandbox && n.Names[0] == ContainerName(c))) {
			ct = c
		}
	}
	switch {
	case n.Inode == s.Host.NS.Net && nsRef(s.Host) > 0:
		name.Command = fmt.Sprintf("readlink /proc/%d/ns/net   # the host's", nsRef(s.Host))
	case ct != nil: // named after its container
		ce := containerNameExplain(ct)
		name.Files = append([]string{fmt.Sprintf("/proc/%d/ns/net", ct.PID)}, ce.Files...)
		name.Command = fmt.Sprintf("readlink /proc/%d/ns/net; %s", ct.PID, ce.Command)
		name.Meaning = "the network namespace of container " + ct.Name + " (" + ct.Runtime + "), named after it"
	case len(n.Mounts) > 0 && strings.HasPrefix(n.Mounts[0], "/run/netns/"):
		name.Files, name.Command = n.Mounts, "ip netns list"
	case pid > 0:
		name.Files, name.Command = []string{fmt.Sprintf("/proc/%d/cmdline", pid)}, fmt.Sprintf("readlink /proc/%d/ns/net; tr '\\0' ' ' < /proc/%d/cmdline", pid, pid)
	}
	return []Explanation{
		name,
		{Meaning: "a network namespace: its own devices, addresses, routes, firewall and sockets (a label; no file holds the word)"},
		{},
		{Files: []string{"/proc/*/ns/net"}, Command: nsMembers(probe.NSNet, n.Inode) + " | wc -l", Meaning: "how many processes are in it"},
		{},
	}
}

func linkExplain(s *probe.Snapshot, n *probe.NetNamespace, l *probe.Link, ip string) []Explanation {
	in := "netlink RTM_GETLINK in net:[" + strconv.FormatUint(n.Inode, 10) + "]"
	show := ip + " -o link show " + sq(l.Name)
	peer := Explanation{Files: []string{in}, Meaning: "a veth's other end (↔ namespace:name), which ip shows only as an index (@ifN) and a netns id; a bridge's ports; on: the bridge it is plugged into"}
	switch {
	case l.Peer != nil:
		peerIP := "ip"
		for i := range s.NetNamespaces {
			if p := &s.NetNamespaces[i]; p.Inode == l.Peer.NetNS && p.Inode != s.Host.NS.Net {
				peerIP = ipCommand(p, netnsPID(s, p.Inode))
			}
		}
		peer.Files = append(peer.Files, "ethtool peer_ifindex", "RTM_GETNSID")
		peer.Command = show + "; " + peerIP + " -o link show " + sq(l.Peer.Name) + "   # @ifN on each side is the other's index"
	case l.Master != "" || len(l.Ports) > 0:
		peer.Command = show
		if len(l.Ports) > 0 {
			peer.Command = ip + " -o link show master " + sq(l.Name)
		}
	}
	return []Explanation{
		{Files: []string{in}, Command: show, Meaning: "a network device of this namespace"},
		{Files: []string{in + " (IFLA_INFO_KIND)"}, Command: ip + " -d -o link show " + sq(l.Name),
			Meaning: "what kind of device: veth (a pair, one end per namespace), bridge (a switch), loopback, device (hardware) …"},
		{Files: []string{in + " (IFLA_OPERSTATE)"}, Command: show,
			Meaning: "operational state: up carries traffic; lowerlayerdown is a veth whose peer is down"},
		{Files: []string{"netlink RTM_GETADDR"}, Command: ip + " -o addr show dev " + sq(l.Name), Meaning: "its IPv4 and IPv6 addresses"},
		peer,
	}
}
