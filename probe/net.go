package probe

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// NetNamespace is one network namespace with its links.
type NetNamespace struct {
	Inode uint64 `json:"inode"`
	// Names, most telling first (see orderNetNames): the `ip netns` name of each /run/netns bind
	// mount, the containers' names, the names runtimes made up (docker's netns files …), else the
	// isolated tree's and the lowest pid's command.
	Names     []string `json:"names"`
	Processes int      `json:"processes"`
	Mounts    []string `json:"mounts"`
	Links     []Link   `json:"links"`

	command string // the lowest pid's command, the name of last resort
}

// Link is one network interface.
type Link struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	// Kind is the rtnetlink link kind (veth, bridge, vlan, macvlan, vxlan, tun, dummy, bond …),
	// "loopback" for lo, or "device" for a real or driver-only device.
	Kind  string `json:"kind"`
	State string `json:"state"` // operational state: up, down, unknown, lowerlayerdown, dormant …
	MTU   int    `json:"mtu"`
	MAC   string `json:"mac,omitempty"`
	// Master is the bridge or bond the link is enslaved to, in the same namespace.
	Master string `json:"master,omitempty"`
	// Parent is the link a vlan, macvlan or ipvlan sits on, by index in the same namespace.
	Parent    int      `json:"parent,omitempty"`
	Addrs     []string `json:"addrs"`
	RxBytes   uint64   `json:"rx_bytes"`
	TxBytes   uint64   `json:"tx_bytes"`
	RxPackets uint64   `json:"rx_packets"`
	TxPackets uint64   `json:"tx_packets"`
	// RxBps and TxBps are bytes per second since the previous snapshot (with a Collector).
	RxBps *float64 `json:"rx_bps,omitempty"`
	TxBps *float64 `json:"tx_bps,omitempty"`
	// Peer is the other end of a veth, possibly in another namespace.
	Peer *LinkPeer `json:"peer,omitempty"`
	// Ports are the links enslaved to a bridge (or bond).
	Ports []string `json:"ports,omitempty"`

	// From the kernel, for peer matching: IFLA_LINK and IFLA_LINK_NETNSID (-1: the same namespace),
	// and IFLA_MASTER.
	linkIndex, linkNetnsID, masterIndex int
}

// LinkPeer is where the other end of a veth is.
type LinkPeer struct {
	NetNS uint64 `json:"netns"`
	Index int    `json:"index"`
	Name  string `json:"name"`
	// Via says how it was found: "netnsid" (IFLA_LINK and IFLA_LINK_NETNSID) or "ethtool"
	// (peer_ifindex, when the kernel gave no namespace id).
	Via string `json:"via"`
}

// netNames names a network namespace for people, from its bind mounts and, when nothing else
// names it, its lowest process's command (nameNetNamespaces adds its containers' names).
func netNames(ns Namespace) []string { return orderNetNames(ns.Mounts, nil, nil, ns.Command) }

// reRuntimeNetns is a /run/netns name a runtime made up for a container: Podman's netns-UUID,
// CNI's cni-UUID (containerd's CRI), or a bare UUID (CRI-O's pinns).
var reRuntimeNetns = regexp.MustCompile(`^(?:netns-|cni-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// orderNetNames puts a network namespace's names in the order people know them by: the names
// given with ip netns (/run/netns/NAME), the containers' names ("podman:web", "pod shop/web-7d9f"),
// the names runtimes made up (a UUID in /run/netns, "docker:HASH" for Docker's netns files), the
// paths of other bind mounts; and only when none of those names it, the isolated trees' names
// ("isolated:COMMAND") and the lowest process's command.
func orderNetNames(mounts, containers, isolated []string, command string) []string {
	var given, madeUp, docker, other []string
	for _, m := range mounts {
		switch dir, base := path.Dir(m), path.Base(m); {
		case (dir == "/run/netns" || dir == "/var/run/netns") && reRuntimeNetns.MatchString(base):
			madeUp = append(madeUp, base)
		case dir == "/run/netns" || dir == "/var/run/netns":
			given = append(given, base)
		case strings.HasSuffix(dir, "/docker/netns"):
			docker = append(docker, "docker:"+base)
		default:
			other = append(other, m)
		}
	}
	names := []string{}
	for _, n := range slices.Concat(given, containers, madeUp, docker, other) {
		names = appendNew(names, n)
	}
	if len(names) == 0 {
		for _, n := range slices.Concat(isolated, []string{command}) {
			if n != "" {
				names = appendNew(names, n)
			}
		}
	}
	return names
}

// linkIndexer finds links by namespace and index.
type linkIndexer map[uint64]map[int]*Link

func indexLinks(nss []NetNamespace) linkIndexer {
	idx := linkIndexer{}
	for i := range nss {
		m := map[int]*Link{}
		for j := range nss[i].Links {
			m[nss[i].Links[j].Index] = &nss[i].Links[j]
		}
		idx[nss[i].Inode] = m
	}
	return idx
}

// matchPeers sets each veth's Peer from what the kernel said of it: IFLA_LINK (the peer's index; the
// kernel omits it when it equals the link's own, which can happen across namespaces) and
// IFLA_LINK_NETNSID (the peer namespace's id as the link's namespace numbers it), resolved by
// nsidOf(link's namespace, candidate namespace). It also fills each bridge's ports and each
// link's master name. Links without an answer are left for the ethtool fallback.
func matchPeers(nss []NetNamespace, nsidOf func(from, to uint64) (int, bool)) {
	idx := indexLinks(nss)
	for i := range nss {
		ns := &nss[i]
		for j := range ns.Links {
			l := &ns.Links[j]
			if l.Kind != "veth" {
				continue
			}
			peerIndex := l.linkIndex
			if peerIndex == 0 {
				peerIndex = l.Index
			}
			target := ns.Inode
			if l.linkNetnsID >= 0 {
				target = 0
				for k := range nss {
					if nss[k].Inode == ns.Inode {
						continue
					}
					if id, ok := nsidOf(ns.Inode, nss[k].Inode); ok && id == l.linkNetnsID {
						target = nss[k].Inode
						break
					}
				}
			}
			if p := idx[target][peerIndex]; p != nil && p.Kind == "veth" && (target != ns.Inode || p.Index != l.Index) {
				l.Peer = &LinkPeer{NetNS: target, Index: p.Index, Name: p.Name, Via: "netnsid"}
			}
		}
	}
}

// matchByEthtool fills the peers matchPeers could not, from each veth's ethtool peer_ifindex: the
// peer is the one veth elsewhere with that index whose own peer_ifindex points back.
func matchByEthtool(nss []NetNamespace, peerIfindex func(ns uint64, name string) (int, bool)) {
	type end struct {
		ns   uint64
		link *Link
		peer int
	}
	var ends []end
	for i := range nss {
		for j := range nss[i].Links {
			l := &nss[i].Links[j]
			if l.Kind != "veth" {
				continue
			}
			if p, ok := peerIfindex(nss[i].Inode, l.Name); ok {
				ends = append(ends, end{nss[i].Inode, l, p})
			}
		}
	}
	for _, a := range ends {
		if a.link.Peer != nil {
			continue
		}
		var found []end
		for _, b := range ends {
			if b.link != a.link && b.link.Index == a.peer && b.peer == a.link.Index {
				found = append(found, b)
			}
		}
		if len(found) == 1 { // two candidates would be a guess
			b := found[0]
			a.link.Peer = &LinkPeer{NetNS: b.ns, Index: b.link.Index, Name: b.link.Name, Via: "ethtool"}
		}
	}
}

// linkMasters fills Master names and bridge Ports within each namespace.
func linkMasters(nss []NetNamespace) {
	for i := range nss {
		byIndex := map[int]*Link{}
		for j := range nss[i].Links {
			byIndex[nss[i].Links[j].Index] = &nss[i].Links[j]
		}
		for j := range nss[i].Links {
			l := &nss[i].Links[j]
			if m := byIndex[l.masterIndex]; m != nil && l.masterIndex != 0 {
				l.Master = m.Name
				m.Ports = append(m.Ports, l.Name)
			}
		}
		for j := range nss[i].Links {
			slices.Sort(nss[i].Links[j].Ports)
		}
	}
}
