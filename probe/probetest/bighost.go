package probetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// BigSize is the size of a host that BigHost makes for the benchmarks.
type BigSize struct {
	Procs   int // processes, spread over the trees
	Cgroups int // cgroups in one nested tree, ten children a node (three levels at 1000)
	Netns   int // network namespaces held by ip netns names, each with a veth pair to a bridge
	Trees   int // isolated trees (stand-in containers): new pid, mnt, uts and ipc namespaces, in a netns and a leaf cgroup
}

// BigFull is the large host of the performance goals: 10,000 processes, 1,000 cgroups, 300 network
// namespaces on bridges, 200 isolated trees.
var BigFull = BigSize{Procs: 10000, Cgroups: 1000, Netns: 300, Trees: 200}

// Scale is s with every count multiplied by f (at least 1 each).
func (s BigSize) Scale(f float64) BigSize {
	n := func(v int) int { return max(1, int(float64(v)*f+0.5)) }
	return BigSize{Procs: n(s.Procs), Cgroups: n(s.Cgroups), Netns: n(s.Netns), Trees: n(s.Trees)}
}

// Objects is how many objects the host has beyond its own: processes, cgroups, network namespaces
// (each with two links) and trees (their namespaces).
func (s BigSize) Objects() int { return s.Procs + s.Cgroups + s.Netns + s.Trees }

func (s BigSize) String() string {
	return fmt.Sprintf("%d processes, %d cgroups, %d netns, %d trees", s.Procs, s.Cgroups, s.Netns, s.Trees)
}

// BigHost makes a large host on this one, everything under Prefix and removed in t.Cleanup: a
// nested tree of cgroups (memory, cpu and pids; every tenth with a memory limit, every seventh with
// a pids limit), network namespaces each with a veth pair whose host end is on one of a bridge per
// 50 (10.240.0.0/16 inside), and isolated trees of forked shells, each tree in a netns (round
// robin) and a leaf cgroup, with a hostname of its own. It waits until every process runs.
func BigHost(t testing.TB, size BigSize) {
	t.Helper()
	Live(t)
	base := Name(t)
	leaves := bigCgroups(t, base, size.Cgroups)
	names := bigNetns(t, base, size.Netns)
	before := countProcs(t)
	per := size.Procs / size.Trees
	for i := range size.Trees {
		// The shell is init of a new pid namespace (killing it kills the rest); each extra process
		// is a forked shell blocked reading a pipe that is never written (no exec: thousands
		// start in seconds). It moves itself into its cgroup before it forks.
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		script := "for d in $CG; do echo $$ > $d/cgroup.procs || exit 1; done; echo $NAME > /proc/sys/kernel/hostname; " +
			"i=1; while [ $i -lt " + strconv.Itoa(per) + " ]; do read x <&3 & i=$((i+1)); done; wait"
		cmd := exec.Command("sh", "-c", script)
		flags := uintptr(syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC)
		if len(names) > 0 { // nsenter joins the netns and execs the shell: pid 1 of the new pid namespace
			cmd = exec.Command("nsenter", "--net=/run/netns/"+names[i%len(names)], "--", "sh", "-c", script)
		} else {
			flags |= syscall.CLONE_NEWNET
		}
		leaf := leaves[i%len(leaves)]
		var dirs []string
		for _, d := range leaf.Dirs {
			if !strings.Contains(strings.Join(dirs, " "), d) {
				dirs = append(dirs, d)
			}
		}
		cmd.Env = append(os.Environ(), "CG="+strings.Join(dirs, " "), "NAME=tree-"+strconv.Itoa(i))
		cmd.ExtraFiles = []*os.File{r}
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Cloneflags: flags}
		Start(t, cmd)
		r.Close()
	}
	want := before + size.Trees*per
	for deadline := time.Now().Add(3 * time.Minute); countProcs(t) < want; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d processes after 3 minutes, not %d", countProcs(t), want)
		}
	}
}

// bigCgroups makes n cgroups in a tree under base, node i's parent being (i-1)/10, and returns
// the leaves.
func bigCgroups(t testing.TB, base string, n int) []*Cgroup {
	nodes := []*Cgroup{NewCgroup(t, base, "memory", "cpu", "pids")}
	for i := 1; i < n; i++ {
		parent := nodes[(i-1)/10]
		c := NewCgroup(t, strings.TrimPrefix(parent.Path, "/")+"/c"+strconv.Itoa(i), "memory", "cpu", "pids")
		if i%10 == 0 {
			c.SetMemoryMax(t, int64(256+i)<<20)
		}
		if i%7 == 0 {
			c.SetPIDsMax(t, 1000+i)
		}
		nodes = append(nodes, c)
	}
	var leaves []*Cgroup
	for i, c := range nodes {
		if 10*i+1 >= len(nodes) {
			leaves = append(leaves, c)
		}
	}
	return leaves
}

// bigNetns makes n network namespaces named base-nI, each with a veth pair (eth0 inside, up, with
// an address; the host's end on a bridge of base's, one per 50) in one `ip -batch`, and returns
// their names.
func bigNetns(t testing.TB, base string, n int) []string {
	if n == 0 {
		return nil
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip from iproute2 (make test installs it)")
	}
	tag := base[len(base)-4:] // interface names have 15 bytes: itb/itv, the tag, a number
	var up, down strings.Builder
	var names []string
	for i := range n {
		name, br, veth := base+"-n"+strconv.Itoa(i), "itb"+tag+strconv.Itoa(i/50), "itv"+tag+strconv.Itoa(i)
		if i%50 == 0 {
			fmt.Fprintf(&up, "link add %s type bridge\nlink set %s up\n", br, br)
			fmt.Fprintf(&down, "link del %s\n", br)
		}
		fmt.Fprintf(&up, "netns add %s\nlink add %s type veth peer name eth0 netns %s\nlink set %s master %s up\n", name, veth, name, veth, br)
		fmt.Fprintf(&down, "link del %s\nnetns del %s\n", veth, name)
		names = append(names, name)
	}
	t.Cleanup(func() { ipBatch(t, down.String(), false) })
	ipBatch(t, up.String(), true)
	for i, name := range names {
		ns, err := netns.GetFromName(name)
		if err != nil {
			t.Fatal(err)
		}
		h, err := netlink.NewHandleAt(ns)
		ns.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{"lo", "eth0"} {
			link, err := h.LinkByName(l)
			if err == nil && l == "eth0" {
				err = h.AddrAdd(link, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(10, 240, byte((i+1)>>8), byte(i+1)), Mask: net.CIDRMask(16, 32)}})
			}
			if err == nil {
				err = h.LinkSetUp(link)
			}
			if err != nil {
				h.Close()
				t.Fatalf("%s in netns %s: %v", l, name, err)
			}
		}
		h.Close()
	}
	return names
}

// ipBatch runs ip -batch on the commands; with must, a failure fails the test (else it goes on: a
// cleanup removes what it can).
func ipBatch(t testing.TB, commands string, must bool) {
	args := []string{"-batch", "-"}
	if !must {
		args = append([]string{"-force"}, args...)
	}
	cmd := exec.Command("ip", args...)
	cmd.Stdin = strings.NewReader(commands)
	if out, err := cmd.CombinedOutput(); err != nil && must {
		t.Fatalf("ip -batch: %v\n%s", err, out)
	}
}

// countProcs is how many processes the host has.
func countProcs(t testing.TB) int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if strings.Trim(e.Name(), "0123456789") == "" {
			n++
		}
	}
	return n
}

// BigSteps are the sizes of the large host a benchmark runs at: BigFull at each percent of
// ISOTOP_BENCH_STEPS (10,50,100 by default), with their names ("10%").
func BigSteps(t testing.TB) (names []string, sizes []BigSize) {
	steps := "10,50,100"
	if v := os.Getenv("ISOTOP_BENCH_STEPS"); v != "" {
		steps = v
	}
	for _, step := range strings.Split(steps, ",") {
		pct, err := strconv.Atoi(step)
		if err != nil || pct <= 0 {
			t.Fatalf("ISOTOP_BENCH_STEPS: %q is not a percent", step)
		}
		names, sizes = append(names, step+"%"), append(sizes, BigFull.Scale(float64(pct)/100))
	}
	return names, sizes
}
