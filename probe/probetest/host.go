package probetest

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Host is a small production-like host that NewHost builds from the test's own objects, every
// name under one prefix: two Podman containers (web on a network namespace of the test's, wired
// by a veth to a bridge on the host; db without a network), a containerd container run with ctr
// in a containerd namespace of the test's, nested cgroups with limits and a process in the inner
// one, and a tree of processes in namespaces of their own that no runtime made.
type Host struct {
	Prefix string // isotop-test-<8 hex>
	Image  string
	// The containers: names, ids, hostnames (each the name's last part, -web and -db).
	Web, DB             string
	WebID, DBID         string
	WebHost, DBHost     string
	Netns               string // the ip netns the web container runs in
	Bridge, Veth        string // on the host: the bridge and the veth's host end (the other is eth0 in Netns)
	WebAddr             string // eth0's address in Netns, CIDR
	Cgroup              *Cgroup
	App                 *Cgroup // Cgroup/app, with a sleep in it
	AppPID              int
	TreePID             int // the isolated tree's topmost process
	TreeHost            string
	CtrID, CtrNamespace string // the containerd container (its id is its name) and its namespace
	MemoryMax, PIDsMax  int64  // Cgroup's limits
	AppMemMax           int64  // App's own memory limit (above MemoryMax: the parent's is in force)
	hexID, sleepSeconds string
}

// NewHost builds the Host and removes all of it in t.Cleanup. It needs root, podman and ip; it
// skips without them (and without EnvLive, like every helper that makes something).
func NewHost(t testing.TB) *Host {
	t.Helper()
	Live(t)
	name := Name(t)
	id := strings.TrimPrefix(name, Prefix)
	d, _ := strconv.ParseUint(id[:4], 16, 32)
	h := &Host{Prefix: name, hexID: id, sleepSeconds: strconv.Itoa(80000 + int(d%9999))}
	h.Image = PodmanImage(t)

	// The web container's network: a netns of the test's on a bridge of the test's.
	h.Netns = NetnsAdd(t)
	h.Bridge, h.Veth = "itb"+id, "itv"+id
	Run(t, "ip", "link", "add", h.Bridge, "type", "bridge")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", h.Bridge).Run() })
	Run(t, "ip", "link", "add", h.Veth, "type", "veth", "peer", "name", "eth0", "netns", h.Netns)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", h.Veth).Run() })
	Run(t, "ip", "link", "set", h.Veth, "master", h.Bridge, "up")
	Run(t, "ip", "link", "set", h.Bridge, "up")
	b, _ := strconv.ParseUint(id[:2], 16, 8)
	h.WebAddr = "10.233." + strconv.Itoa(int(b)) + ".2/24"
	Run(t, "ip", "-n", h.Netns, "addr", "add", h.WebAddr, "dev", "eth0")
	Run(t, "ip", "-n", h.Netns, "link", "set", "eth0", "up")

	h.Web, h.DB = name+"-web", name+"-db"
	h.WebHost, h.DBHost = "web-"+id, "db-"+id
	h.WebID = PodmanRun(t, h.Web, "--hostname", h.WebHost, "--network", "ns:/run/netns/"+h.Netns, h.Image,
		"sh", "-c", "sleep "+h.sleepSeconds+" & sleep "+h.sleepSeconds)
	h.DBID = PodmanRun(t, h.DB, "--hostname", h.DBHost, "--network", "none", "--memory", "64m", h.Image, "sleep", h.sleepSeconds)

	// A containerd container, as a ctr user runs one: the id is the name.
	h.CtrID = "ctr-" + id
	h.CtrNamespace = CtrRun(t, Containerd(t), h.CtrID, "sleep", h.sleepSeconds)

	// Nested cgroups: the parent's limits are the ones in force for app.
	h.MemoryMax, h.PIDsMax, h.AppMemMax = 48<<20, 40, 96<<20
	h.Cgroup = NewCgroup(t, name, "memory", "pids", "cpu")
	h.App = NewCgroup(t, name+"/app", "memory", "pids", "cpu")
	h.Cgroup.SetMemoryMax(t, h.MemoryMax)
	h.Cgroup.SetPIDsMax(t, int(h.PIDsMax))
	h.Cgroup.SetCPUQuota(t, 50000) // half a CPU, in force for app too
	h.App.SetMemoryMax(t, h.AppMemMax)
	h.AppPID = Start(t, exec.Command("sleep", h.sleepSeconds)).Process.Pid
	h.App.Add(t, h.AppPID)

	// A tree no runtime made: its own pid, uts, ipc and net namespaces and hostname.
	h.TreeHost = "tree-" + id
	tree := Start(t, exec.Command("unshare", "--fork", "--pid", "--mount-proc", "--uts", "--ipc", "--net", "--kill-child",
		"sh", "-c", "hostname "+h.TreeHost+"; sleep "+h.sleepSeconds+" & sleep "+h.sleepSeconds))
	h.TreePID = tree.Process.Pid
	WaitFor(t, "the containers and the tree", func() bool {
		return h.sleeps() >= 7 // web 2, db 1, ctr 1, app 1, tree 2
	})
	return h
}

// sleeps counts the processes running this host's sleeps.
func (h *Host) sleeps() int {
	ents, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range ents {
		if b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && string(b) == "sleep\x00"+h.sleepSeconds+"\x00" {
			n++
		}
	}
	return n
}

// Sleep is the argument of every sleep of the host's (a filter finds them).
func (h *Host) Sleep() string { return h.sleepSeconds }
