package probe

import (
	"slices"
	"strconv"
	"testing"
)

func veth(index int, name string, linkIndex, nsid int) Link {
	return Link{Index: index, Name: name, Kind: "veth", linkIndex: linkIndex, linkNetnsID: nsid}
}

func TestMatchPeers(t *testing.T) {
	// host (1) has nsid 0 for A (2) and 1 for B (3); A and B number the host 0.
	nsids := map[[2]uint64]int{{1, 2}: 0, {1, 3}: 1, {2, 1}: 0, {3, 1}: 0}
	nsidOf := func(from, to uint64) (int, bool) {
		id, ok := nsids[[2]uint64{from, to}]
		return id, ok
	}
	nss := []NetNamespace{
		{Inode: 1, Links: []Link{
			{Index: 1, Name: "lo", Kind: "loopback", linkNetnsID: -1},
			veth(5, "vethA", 2, 0), // peer: A's index 2
			veth(7, "vethB", 0, 1), // IFLA_LINK omitted: B's peer has index 7 too
			veth(8, "x", 9, -1),    // same-namespace pair
			veth(9, "y", 8, -1),
			veth(10, "lost", 4, 5), // nsid 5 is nobody's
		}},
		{Inode: 2, Links: []Link{veth(2, "eth0", 5, 0)}},
		{Inode: 3, Links: []Link{veth(7, "eth0", 0, 0)}},
	}
	matchPeers(nss, nsidOf)
	want := map[string]*LinkPeer{
		"1/vethA": {NetNS: 2, Index: 2, Name: "eth0", Via: "netnsid"},
		"1/vethB": {NetNS: 3, Index: 7, Name: "eth0", Via: "netnsid"},
		"1/x":     {NetNS: 1, Index: 9, Name: "y", Via: "netnsid"},
		"1/y":     {NetNS: 1, Index: 8, Name: "x", Via: "netnsid"},
		"1/lost":  nil,
		"2/eth0":  {NetNS: 1, Index: 5, Name: "vethA", Via: "netnsid"},
		"3/eth0":  {NetNS: 1, Index: 7, Name: "vethB", Via: "netnsid"},
	}
	for _, ns := range nss {
		for _, l := range ns.Links {
			key := uitoaTest(ns.Inode) + "/" + l.Name
			w, ok := want[key]
			if !ok {
				continue
			}
			if (w == nil) != (l.Peer == nil) || (w != nil && *w != *l.Peer) {
				t.Errorf("%s: peer %+v, want %+v", key, l.Peer, w)
			}
		}
	}
}

func TestMatchByEthtool(t *testing.T) {
	nss := []NetNamespace{
		{Inode: 1, Links: []Link{veth(5, "a", 0, -1), veth(6, "amb", 0, -1)}},
		{Inode: 2, Links: []Link{veth(2, "b", 0, -1)}},
		{Inode: 3, Links: []Link{veth(3, "c1", 0, -1)}},
		{Inode: 4, Links: []Link{veth(3, "c2", 0, -1)}},
	}
	peer := map[string]int{"1/a": 2, "2/b": 5, "1/amb": 3, "3/c1": 6, "4/c2": 6}
	matchByEthtool(nss, func(ns uint64, name string) (int, bool) {
		p, ok := peer[uitoaTest(ns)+"/"+name]
		return p, ok
	})
	if p := nss[0].Links[0].Peer; p == nil || *p != (LinkPeer{NetNS: 2, Index: 2, Name: "b", Via: "ethtool"}) {
		t.Errorf("a: %+v", p)
	}
	if p := nss[1].Links[0].Peer; p == nil || p.NetNS != 1 || p.Name != "a" {
		t.Errorf("b: %+v", p)
	}
	if p := nss[0].Links[1].Peer; p != nil {
		t.Errorf("two candidates gave a guess: %+v", p)
	}
}

func TestLinkMastersAndNames(t *testing.T) {
	nss := []NetNamespace{{Inode: 1, Links: []Link{
		{Index: 3, Name: "br0", Kind: "bridge"}, {Index: 5, Name: "vb", Kind: "veth", masterIndex: 3},
		{Index: 4, Name: "va", Kind: "veth", masterIndex: 3}, {Index: 6, Name: "free", Kind: "veth"},
	}}}
	linkMasters(nss)
	l := nss[0].Links
	if !slices.Equal(l[0].Ports, []string{"va", "vb"}) || l[1].Master != "br0" || l[3].Master != "" {
		t.Errorf("links = %+v", l)
	}
	for _, tt := range []struct {
		ns   Namespace
		want []string
	}{
		{Namespace{Mounts: []string{"/run/netns/blue"}, Command: "x"}, []string{"blue"}},
		{Namespace{Mounts: []string{"/run/docker/netns/1a2b"}}, []string{"docker:1a2b"}},
		{Namespace{Mounts: []string{"/proc/9/root/run/netns/red"}}, []string{"/proc/9/root/run/netns/red"}},
		{Namespace{Command: "sleep 300"}, []string{"sleep 300"}},
		{Namespace{}, []string{}},
		{Namespace{Mounts: []string{"/run/netns/netns-7df8338b-ab4f-14da-0efe-b3d43fb8a622", "/run/netns/blue"}}, []string{"blue", "netns-7df8338b-ab4f-14da-0efe-b3d43fb8a622"}},
	} {
		if got := netNames(tt.ns); !slices.Equal(got, tt.want) {
			t.Errorf("netNames(%+v) = %q, want %q", tt.ns, got, tt.want)
		}
	}
}

// TestOrderNetNames: the names people gave (ip netns) first, then the containers', then what
// runtimes made up; an isolated tree's command last, and only when nothing else names it.
func TestOrderNetNames(t *testing.T) {
	const podmanNetns = "netns-7df8338b-ab4f-14da-0efe-b3d43fb8a622"
	const cni = "cni-1f0f9b2f-7c5d-4e3a-9b1c-2d3e4f5a6b7c"
	for _, tt := range []struct {
		mounts, containers, isolated []string
		command                      string
		want                         []string
	}{
		// An ip netns name before the tree's command: the tree is named only when nothing else does.
		{[]string{"/run/netns/lab"}, nil, []string{"isolated:sleep 1000000"}, "sleep 1000000", []string{"lab"}},
		{nil, nil, []string{"isolated:sleep 300"}, "sleep 300", []string{"isolated:sleep 300", "sleep 300"}},
		{nil, nil, []string{"isolated:sleep 300"}, "", []string{"isolated:sleep 300"}},
		{nil, []string{"isolated:tree-1a2b"}, []string{"isolated:sh -c x"}, "sh -c x", []string{"isolated:tree-1a2b"}},
		// ip netns, containers, made-up names, docker's files, other mounts.
		{[]string{"/run/docker/netns/1a2b", "/proc/9/root/run/netns/red", "/run/netns/" + podmanNetns, "/var/run/netns/blue"},
			[]string{"podman:web", "podman:sidecar"}, nil, "sleep 1",
			[]string{"blue", "podman:web", "podman:sidecar", podmanNetns, "docker:1a2b", "/proc/9/root/run/netns/red"}},
		// A CRI pod: its name before CNI's uuid.
		{[]string{"/run/netns/" + cni}, []string{"pod shop/web-7d9f"}, nil, "/pause", []string{"pod shop/web-7d9f", cni}},
		{[]string{"/run/netns/a", "/run/netns/a"}, []string{"x:y", "x:y"}, nil, "", []string{"a", "x:y"}},
		{nil, nil, nil, "", []string{}},
	} {
		got := orderNetNames(tt.mounts, tt.containers, tt.isolated, tt.command)
		if !slices.Equal(got, tt.want) || got == nil {
			t.Errorf("orderNetNames(%q, %q, %q, %q) = %q, want %q", tt.mounts, tt.containers, tt.isolated, tt.command, got, tt.want)
		}
	}
}

// TestNameNetNamespaces: a namespace's names from its containers: an ip netns name first, a
// pod's containers as the pod, an isolated tree by its command only when nothing else names it.
func TestNameNetNamespaces(t *testing.T) {
	pod := &Pod{UID: "u", Name: "web-7d9f", Namespace: "shop"}
	nets := []NetNamespace{
		{Inode: 10, Mounts: []string{"/run/netns/lab"}, command: "sleep 1000000"},
		{Inode: 11, Mounts: []string{"/run/netns/isotop-test-1"}, command: "/pause"},
		{Inode: 12, command: "sleep 300"},
		{Inode: 13, command: "sh"},
		{Inode: 1, command: "init"},
	}
	cs := []Container{
		{Runtime: "isolated", ID: "40", Name: "sleep 1000000", NameFrom: "/proc/40/cmdline", NetNS: 10},
		{Runtime: "containerd", ID: "aa", Name: "pause", Pod: pod, Sandbox: true, NetNS: 11},
		{Runtime: "containerd", ID: "bb", Name: "app", Pod: pod, NetNS: 11},
		{Runtime: "isolated", ID: "50", Name: "sleep 300", NameFrom: "/proc/50/cmdline", NetNS: 12},
		{Runtime: "isolated", ID: "60", Name: "tree-1", NameFrom: "uts", NetNS: 13},
		{Runtime: "podman", ID: "cc", Name: "host-net", NetNS: 1},
	}
	byIno := map[uint64]*NetNamespace{}
	for i := range nets {
		nets[i].Names = netNames(Namespace{Mounts: nets[i].Mounts, Command: nets[i].command})
		byIno[nets[i].Inode] = &nets[i]
	}
	nameNetNamespaces(cs, byIno, 1)
	want := map[uint64][]string{
		10: {"lab"},
		11: {"isotop-test-1", "pod shop/web-7d9f"},
		12: {"isolated:sleep 300", "sleep 300"},
		13: {"isolated:tree-1"},
		1:  {"init"},
	}
	for ino, w := range want {
		if got := byIno[ino].Names; !slices.Equal(got, w) {
			t.Errorf("netns %d: names %q, want %q", ino, got, w)
		}
	}
}

// TestDecodeLink: a malformed rtnetlink answer is an error, never a panic.
func TestDecodeLink(t *testing.T) {
	for _, bad := range [][]byte{nil, {1, 2, 3}, make([]byte, 16), append(make([]byte, 16), 0xff, 0xff, 0, 0)} {
		if _, err := decodeLink(bad); err == nil {
			t.Errorf("decodeLink(%x) gave no error", bad)
		}
	}
}

func FuzzDecodeLink(f *testing.F) {
	f.Add(append(make([]byte, 16), 8, 0, 3, 0, 'l', 'o', 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeLink(b) // must not panic
	})
}

func uitoaTest(n uint64) string { return strconv.Itoa(int(n)) }
