package render

import (
	"slices"
	"strings"
	"testing"

	"github.com/isotop/isotop/probe"
)

// TestWidths: a Keep column is as wide as its widest cell; when the columns do not fit, they drop
// in their order (the highest Drop first) until the flexible ones have 30 cells; the rest of the
// width goes to the flexible ones.
func TestWidths(t *testing.T) {
	cols := []Column{{Title: "A", Width: 6, Drop: 1}, {Title: "NAME", Width: 10, Flex: true}, {Title: "B", Width: 8, Drop: 2},
		{Title: "MEMORY", Width: 10, Keep: true}}
	widest := []int{0, 0, 0, 25}
	for _, c := range []struct {
		total int
		want  []int
	}{
		{200, []int{6, 64, 8, 25}}, // room for all: NAME grows to 64 at most
		{80, []int{6, 35, 8, 25}},  // 2+7+31+9+26 = 75: all fit, NAME takes the rest
		{70, []int{6, 34, 0, 25}},  // B drops first
		{60, []int{0, 31, 0, 25}},  // then A
		{40, []int{0, 11, 0, 25}},  // NAME shrinks; MEMORY is whole (25, under two thirds of 40)
		{20, []int{0, 8, 0, 12}},   // a kept value takes two thirds of the width at most: 12 of its 25
		{100, []int{6, 55, 8, 25}}, // 2+7+11+9+26 = 55: NAME gets the 45 more
	} {
		got := Widths(cols, widest, c.total)
		if !slices.Equal(got, c.want) {
			t.Errorf("Widths at %d = %v, want %v", c.total, got, c.want)
		}
	}
}

// TestWidthsGrowToContent: a column whose cells are wider than its minimum grows to them (up to
// 32) before the flexible ones take the rest; one kept value wider than two thirds of the table
// is cut.
func TestWidthsGrowToContent(t *testing.T) {
	cols := []Column{{Title: "HOST", Width: 6}, {Title: "NAME", Width: 10, Flex: true}, {Title: "PEER", Width: 8, Keep: true}}
	if got, want := Widths(cols, []int{14, 0, 20}, 120), []int{14, 64, 20}; !slices.Equal(got, want) {
		t.Errorf("grown: %v, want %v", got, want)
	}
	if got, want := Widths(cols, []int{50, 0, 20}, 200), []int{32, 64, 20}; !slices.Equal(got, want) {
		t.Errorf("grown to 32 at most: %v, want %v", got, want)
	}
	if got, want := Widths(cols, []int{6, 0, 90}, 80), []int{6, 17, 52}; !slices.Equal(got, want) {
		t.Errorf("a kept value wider than two thirds: %v, want %v", got, want)
	}
}

// TestMemBarEighths: the bar has 48 steps in 6 cells; anything above zero shows; full is full.
func TestMemBarEighths(t *testing.T) {
	l := probe.Limit(4800)
	for _, c := range []struct {
		used uint64
		want string
	}{{0, "······"}, {1, "▏·····"}, {100, "▏·····"}, {200, "▎·····"}, {800, "█·····"}, {900, "█▏····"}, {2400, "███···"}, {4800, "██████"}, {9000, "██████"}} {
		if got := memBar(c.used, &l, 6); got != c.want {
			t.Errorf("memBar(%d of 4800) = %q, want %q", c.used, got, c.want)
		}
	}
	if got := memBar(100, nil, 6); got != "······" {
		t.Errorf("no limit: %q", got)
	}
}

func TestLevelOf(t *testing.T) {
	for _, c := range []struct {
		used, limit float64
		want        Level
	}{{79, 100, OK}, {80, 100, Warn}, {94.9, 100, Warn}, {95, 100, Alarm}, {120, 100, Alarm}, {5, 0, OK}} {
		if got := LevelOf(c.used, c.limit); got != c.want {
			t.Errorf("LevelOf(%g, %g) = %d, want %d", c.used, c.limit, got, c.want)
		}
	}
}

func TestCPUTime(t *testing.T) {
	for usec, want := range map[uint64]string{0: "0:00.00", 1_780_000: "0:01.78", 61_500_000: "1:01.50", 3_725_000_000: "1h02:05"} {
		if got := CPUTime(usec); got != want {
			t.Errorf("CPUTime(%d) = %q, want %q", usec, got, want)
		}
	}
}

// podSnapshot is a CRI pod (a sandbox and an app container in its network namespace, with a
// veth) beside a container of its own.
func podSnapshot() *probe.Snapshot {
	pod := func(ctr string) *probe.Pod {
		return &probe.Pod{UID: "0f0e", QoS: "besteffort", Name: "web-7d9f", Namespace: "shop", Container: ctr, Addrs: []string{"10.251.3.2/24"}}
	}
	ifc := []probe.ContainerIface{{Name: "eth0", Kind: "veth", Addrs: []string{"10.251.3.2/24"}, Peer: &probe.LinkPeer{NetNS: 1, Index: 9, Name: "isv-web"}}}
	return &probe.Snapshot{Host: probe.Host{NS: probe.NSSet{Net: 1}},
		NetNamespaces: []probe.NetNamespace{{Inode: 1}, {Inode: 7, Names: []string{"isotop-test-pod"}}},
		Containers: []probe.Container{
			{Runtime: "containerd", ID: "app1", Name: "app", Pod: pod("app"), PodSandbox: "containerd:sb1", PID: 20, NetNS: 7, Interfaces: ifc,
				SharedWith: map[probe.NSKind][]string{probe.NSNet: {"containerd:sb1"}}, Hostname: "web-7d9f",
				Init: &probe.Init{Name: "tini", From: "comm", Supervises: []int{21}}},
			{Runtime: "podman", ID: "p1", Name: "db", PID: 30, NetNS: 1, SharedWith: map[probe.NSKind][]string{probe.NSNet: {"host"}}},
			{Runtime: "containerd", ID: "sb1", Name: "pause", Pod: pod(""), Sandbox: true, PID: 10, NetNS: 7, Interfaces: ifc,
				SharedWith: map[probe.NSKind][]string{probe.NSNet: {"containerd:app1"}}, Hostname: "web-7d9f"},
		}}
}

// TestContainerTablePods: a pod's sandbox stands for the pod (named namespace/name), its containers
// are under it, and every one of them shows the pod's interface and IP, not "shares <id>"; the
// hostname and the init have their columns.
func TestContainerTablePods(t *testing.T) {
	s := podSnapshot()
	tab := ContainerTable(s)
	var got []string
	for _, r := range tab.Rows {
		got = append(got, strings.Repeat(">", r.Depth)+r.Cells[1])
	}
	if want := []string{"db", "pod shop/web-7d9f", ">app"}; !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	for _, r := range tab.Rows[1:] {
		if net := r.Cells[8]; !strings.Contains(net, "10.251.3.2/24") || strings.Contains(net, "shares") {
			t.Errorf("%s: network %q, want the pod's address", r.Cells[1], net)
		}
		if r.Cells[2] != "web-7d9f" {
			t.Errorf("%s: hostname %q", r.Cells[1], r.Cells[2])
		}
	}
	if tab.Rows[2].Cells[3] != "tini" || tab.Rows[0].Cells[3] != "-" {
		t.Errorf("init cells %q %q", tab.Rows[2].Cells[3], tab.Rows[0].Cells[3])
	}
	detail := strings.Join(tab.Rows[2].More().Detail, "\n")
	for _, want := range []string{"pod        shop/web-7d9f", "address  10.251.3.2/24", "sandbox  containerd:pod shop/web-7d9f", "tini, an init", "runs     21"} {
		if !strings.Contains(detail, want) {
			t.Errorf("the app's detail lacks %q:\n%s", want, detail)
		}
	}
}

// TestCgroupNamesTheContainer: a container's cgroup shows the container's name and runtime first,
// its 64-digit id shortened, and a filter finds it by the name.
func TestCgroupNamesTheContainer(t *testing.T) {
	id := strings.Repeat("3054ab", 10) + "cdef"
	s := &probe.Snapshot{Cgroups: []probe.Cgroup{{Path: "/"}, {Path: "/machine.slice"}, {Path: "/machine.slice/libpod-" + id + ".scope"}},
		Containers: []probe.Container{{Runtime: "podman", ID: id, Name: "web", Cgroup: "/machine.slice/libpod-" + id + ".scope"}}}
	rows := CgroupTable(s).Rows
	if got, want := rows[2].Cells[0], "podman:web  libpod-3054ab3054ab….scope"; got != want {
		t.Errorf("the container's cgroup reads %q, want %q", got, want)
	}
	if f := Filter(rows, "web", true); len(f) != 2 || f[1].Ref != CgroupRef(s.Cgroups[2].Path) {
		t.Errorf("a filter for the name finds %v", f)
	}
}
