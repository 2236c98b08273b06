package probe_test

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// topology is what TestLiveNetwork builds: namespace A held only by a process, namespace B held
// only by its bind mount (ip netns add), a bridge in B, a veth pair A↔B on the bridge with addresses,
// a pair A↔B whose two ends have the same ifindex, and a pair inside B.
type topology struct {
	a      *exec.Cmd
	b      string // ip netns name
	p      string // link name prefix, itt + 8 hex (link names have 15 bytes)
	subnet string
}

func buildTopology(t *testing.T) topology {
	probetest.Live(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip from iproute2")
	}
	a := exec.Command("sleep", "300")
	a.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	probetest.Start(t, a)
	b := probetest.NetnsAdd(t)
	p := "itt" + strings.TrimPrefix(b, probetest.Prefix)
	pa := strconv.Itoa(a.Process.Pid)
	top := topology{a: a, b: b, p: p, subnet: "10.231." + strconv.Itoa(int(p[3])%200) + "."}
	run := func(args ...string) { probetest.Run(t, "ip", args...) }
	run("-n", b, "link", "add", p+"br", "type", "bridge")
	run("link", "add", p+"a", "netns", pa, "type", "veth", "peer", "name", p+"ap", "netns", b)
	run("link", "add", p+"s", "index", "77", "netns", pa, "type", "veth", "peer", "name", p+"t", "index", "77", "netns", b)
	run("-n", b, "link", "add", p+"x", "type", "veth", "peer", "name", p+"y")
	run("-n", b, "link", "set", p+"ap", "master", p+"br")
	run("-n", b, "addr", "add", top.subnet+"254/24", "dev", p+"br")
	for _, l := range []string{p + "br", p + "ap", p + "t", p + "x", p + "y", "lo"} {
		run("-n", b, "link", "set", l, "up")
	}
	// A has no name for `ip -n`: its links are set up from inside it.
	runIn := func(args ...string) { probetest.RunInNetns(t, "/proc/"+pa+"/ns/net", "ip", args...) }
	runIn("addr", "add", top.subnet+"1/24", "dev", p+"a")
	runIn("link", "set", p+"a", "up")
	runIn("link", "set", p+"s", "up")
	return top
}

func TestLiveNetwork(t *testing.T) {
	top := buildTopology(t)
	s, err := probe.DefaultFS().Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	aIno := findProc(t, s, top.a.Process.Pid).Namespaces.Net
	bIno := inode(t, "/run/netns/"+top.b)
	a, b := findNet(t, s, aIno), findNet(t, s, bIno)
	// A's process is an isolated tree (issue 5): the namespace is named after it first.
	if a.Processes != 1 || !slices.Equal(a.Names, []string{"isolated:sleep 300", "sleep 300"}) || len(a.Mounts) != 0 {
		t.Errorf("A = %d processes, names %q, mounts %q", a.Processes, a.Names, a.Mounts)
	}
	if b.Processes != 0 || !slices.Equal(b.Names, []string{top.b}) || !slices.Equal(b.Mounts, []string{"/run/netns/" + top.b}) {
		t.Errorf("B = %d processes, names %q, mounts %q", b.Processes, b.Names, b.Mounts)
	}
	p := top.p
	la, lap := findLink(t, a, p+"a"), findLink(t, b, p+"ap")
	if la.Kind != "veth" || !slices.Contains(la.Addrs, top.subnet+"1/24") || la.State == "down" || la.MTU != 1500 || la.MAC == "" {
		t.Errorf("A's %sa = %+v", p, la)
	}
	if la.Peer == nil || *la.Peer != (probe.LinkPeer{NetNS: bIno, Index: lap.Index, Name: p + "ap", Via: "netnsid"}) {
		t.Errorf("A's %sa peer = %+v", p, la.Peer)
	}
	if lap.Peer == nil || *lap.Peer != (probe.LinkPeer{NetNS: aIno, Index: la.Index, Name: p + "a", Via: "netnsid"}) || lap.Master != p+"br" {
		t.Errorf("B's %sap = %+v peer %+v", p, lap, lap.Peer)
	}
	br := findLink(t, b, p+"br")
	if br.Kind != "bridge" || !slices.Equal(br.Ports, []string{p + "ap"}) || !slices.Contains(br.Addrs, top.subnet+"254/24") {
		t.Errorf("bridge = %+v", br)
	}
	ls, lt := findLink(t, a, p+"s"), findLink(t, b, p+"t")
	if ls.Index != 77 || lt.Index != 77 {
		t.Fatalf("same-index pair has indexes %d and %d", ls.Index, lt.Index)
	}
	if ls.Peer == nil || *ls.Peer != (probe.LinkPeer{NetNS: bIno, Index: 77, Name: p + "t", Via: "netnsid"}) ||
		lt.Peer == nil || *lt.Peer != (probe.LinkPeer{NetNS: aIno, Index: 77, Name: p + "s", Via: "netnsid"}) {
		t.Errorf("same-index pair: %+v / %+v", ls.Peer, lt.Peer)
	}
	lx, ly := findLink(t, b, p+"x"), findLink(t, b, p+"y")
	if lx.Peer == nil || lx.Peer.NetNS != bIno || lx.Peer.Name != p+"y" || ly.Peer == nil || ly.Peer.Name != p+"x" {
		t.Errorf("pair inside B: %+v / %+v", lx.Peer, ly.Peer)
	}
	if lo := findLink(t, b, "lo"); lo.Kind != "loopback" || !slices.Contains(lo.Addrs, "127.0.0.1/8") {
		t.Errorf("B's lo = %+v", lo)
	}
	// Traffic over the bridge shows in the counters: ping B's bridge address from A.
	probetest.RunInNetns(t, "/proc/"+strconv.Itoa(top.a.Process.Pid)+"/ns/net", "ping", "-c", "3", "-i", "0.2", "-W", "2", top.subnet+"254")
	col := probe.NewCollector(probe.DefaultFS())
	s1, _ := col.Snapshot()
	probetest.RunInNetns(t, "/proc/"+strconv.Itoa(top.a.Process.Pid)+"/ns/net", "ping", "-c", "2", "-i", "0.2", "-W", "2", top.subnet+"254")
	s2, _ := col.Snapshot()
	before, after := findLink(t, findNet(t, s1, aIno), p+"a"), findLink(t, findNet(t, s2, aIno), p+"a")
	if after.TxPackets < before.TxPackets+2 || after.TxBps == nil || *after.TxBps <= 0 || after.TxBytes <= before.TxBytes {
		t.Errorf("tx: %d packets then %d, rate %v", before.TxPackets, after.TxPackets, after.TxBps)
	}
}

// TestAgainstIP compares every link of the test's named namespace and of the host with
// `ip -j -d link` and `ip -j addr`.
func TestAgainstIP(t *testing.T) {
	top := buildTopology(t)
	s, err := probe.DefaultFS().Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ns   probe.NetNamespace
		args []string
	}{
		{findNet(t, s, inode(t, "/run/netns/"+top.b)), []string{"-n", top.b}},
		{findNet(t, s, s.Host.NS.Net), nil},
	} {
		var links []struct {
			Ifindex   int    `json:"ifindex"`
			Ifname    string `json:"ifname"`
			MTU       int    `json:"mtu"`
			Operstate string `json:"operstate"`
			Address   string `json:"address"`
			Master    string `json:"master"`
			Linkinfo  struct {
				InfoKind string `json:"info_kind"`
			} `json:"linkinfo"`
			LinkType string `json:"link_type"`
		}
		var addrs []struct {
			Ifindex  int `json:"ifindex"`
			AddrInfo []struct {
				Local     string `json:"local"`
				Prefixlen int    `json:"prefixlen"`
			} `json:"addr_info"`
		}
		if err := json.Unmarshal([]byte(probetest.Run(t, "ip", append(c.args, "-j", "-d", "link", "show")...)), &links); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(probetest.Run(t, "ip", append(c.args, "-j", "addr", "show")...)), &addrs); err != nil {
			t.Fatal(err)
		}
		if len(links) != len(c.ns.Links) {
			t.Errorf("ns %d: ip lists %d links, the snapshot %d", c.ns.Inode, len(links), len(c.ns.Links))
		}
		for _, il := range links {
			l := findLink(t, c.ns, il.Ifname)
			kind := il.Linkinfo.InfoKind
			switch {
			case il.LinkType == "loopback":
				kind = "loopback"
			case kind == "":
				kind = "device"
			case kind == "tun":
			}
			if l.Index != il.Ifindex || l.MTU != il.MTU || !strings.EqualFold(l.State, il.Operstate) || l.Master != il.Master || l.Kind != kind {
				t.Errorf("%s: snapshot %+v, ip %+v", il.Ifname, l, il)
			}
			if il.LinkType != "loopback" && l.MAC != il.Address {
				t.Errorf("%s: mac %q, ip %q", il.Ifname, l.MAC, il.Address)
			}
			var want []string
			for _, a := range addrs {
				if a.Ifindex == il.Ifindex {
					for _, ai := range a.AddrInfo {
						want = append(want, ai.Local+"/"+strconv.Itoa(ai.Prefixlen))
					}
				}
			}
			got := slices.Clone(l.Addrs)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("%s: addrs %q, ip %q", il.Ifname, got, want)
			}
		}
	}
}

func findNet(t *testing.T, s *probe.Snapshot, ino uint64) probe.NetNamespace {
	t.Helper()
	for _, n := range s.NetNamespaces {
		if n.Inode == ino {
			return n
		}
	}
	t.Fatalf("net namespace %d not in snapshot", ino)
	return probe.NetNamespace{}
}

func findLink(t *testing.T, ns probe.NetNamespace, name string) probe.Link {
	t.Helper()
	for _, l := range ns.Links {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("link %s not in namespace %d (%v): %+v", name, ns.Inode, ns.Names, ns.Links)
	return probe.Link{}
}
