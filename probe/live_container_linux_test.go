package probe_test

import (
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// TestLivePodman runs two real Podman containers: one with two processes on a network namespace
// the test made (a veth to the host), one with --network none; the snapshot must name and join
// each to its processes, namespaces, cgroup and network.
func TestLivePodman(t *testing.T) {
	image := probetest.PodmanImage(t)
	netns := probetest.NetnsAdd(t)
	host := "itt" + strings.TrimPrefix(netns, probetest.Prefix)
	probetest.Run(t, "ip", "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", netns)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", host).Run() })
	probetest.Run(t, "ip", "-n", netns, "addr", "add", "10.233.7.2/24", "dev", "eth0")

	name1, name2 := probetest.Name(t), probetest.Name(t)
	id1 := probetest.PodmanRun(t, name1, "--network", "ns:/run/netns/"+netns, image, "sh", "-c", "sleep 300 & sleep 300")
	id2 := probetest.PodmanRun(t, name2, "--network", "none", image, "sleep", "300")

	var s *probe.Snapshot
	var c1, c2 *probe.Container
	probetest.WaitFor(t, "both containers with their processes", func() bool {
		var err error
		if s, err = probe.DefaultFS().Snapshot(); err != nil {
			t.Fatal(err)
		}
		c1, c2 = findContainer(s, "podman:"+id1), findContainer(s, "podman:"+id2)
		// busybox sh runs its last command in its own place: sh becomes a sleep, with one sleep beside
		return c1 != nil && c2 != nil && len(c1.PIDs) == 2
	})
	hostNS := s.Host.NS
	for _, tc := range []struct {
		c     *probe.Container
		name  string
		n     int
		names []string // of its network namespace: an ip netns name before the container's
	}{{c1, name1, 2, []string{netns, "podman:" + name1}}, {c2, name2, 1, []string{"podman:" + name2}}} {
		c := tc.c
		if c.Name != tc.name || c.Image != image || len(c.PIDs) != tc.n {
			t.Errorf("%s: name %q image %q pids %v", tc.name, c.Name, c.Image, c.PIDs)
		}
		init := findProc(t, s, c.PID)
		if init.NSPids[len(init.NSPids)-1] != 1 || init.Namespaces != c.Namespaces {
			t.Errorf("%s: init %d has ns_pids %v", tc.name, c.PID, init.NSPids)
		}
		for _, pid := range c.PIDs {
			if p := findProc(t, s, pid); p.Container != c.Key() {
				t.Errorf("%s: process %d says container %q", tc.name, pid, p.Container)
			}
		}
		if findCgroup(t, s, c.Cgroup).Procs != tc.n || !strings.Contains(c.Cgroup, "libpod-"+c.ID) {
			t.Errorf("%s: cgroup %s", tc.name, c.Cgroup)
		}
		for _, k := range []probe.NSKind{probe.NSMnt, probe.NSPID, probe.NSUTS, probe.NSIPC, probe.NSNet} {
			if c.Namespaces.Get(k) == hostNS.Get(k) || c.SharedWith[k] != nil {
				t.Errorf("%s: %s namespace %d shared with %v", tc.name, k, c.Namespaces.Get(k), c.SharedWith[k])
			}
		}
		if !slices.Equal(c.SharedWith[probe.NSUser], []string{"host"}) {
			t.Errorf("%s: user shared with %v", tc.name, c.SharedWith[probe.NSUser])
		}
		if n := findNet(t, s, c.NetNS); !slices.Equal(n.Names, tc.names) {
			t.Errorf("%s: netns names %v", tc.name, n.Names)
		}
	}
	if c1.NetNS != inode(t, "/run/netns/"+netns) || len(c1.Interfaces) != 1 {
		t.Fatalf("c1 network: netns %d, interfaces %+v", c1.NetNS, c1.Interfaces)
	}
	ifc := c1.Interfaces[0]
	if ifc.Name != "eth0" || ifc.Kind != "veth" || !slices.Contains(ifc.Addrs, "10.233.7.2/24") ||
		ifc.Peer == nil || ifc.Peer.NetNS != hostNS.Net || ifc.Peer.Name != host {
		t.Errorf("c1 eth0 = %+v peer %+v, want the host's %s", ifc, ifc.Peer, host)
	}
	if len(c2.Interfaces) != 0 || c2.NetNS == hostNS.Net {
		t.Errorf("--network none: netns %d interfaces %+v", c2.NetNS, c2.Interfaces)
	}
}

// TestLiveIsolatedTrees: a tree made by unshare, and one in a user namespace of its own, with no
// runtime: each is one "isolated" container under its topmost process.
func TestLiveIsolatedTrees(t *testing.T) {
	probetest.Live(t)
	un := probetest.Start(t, exec.Command("unshare", "--fork", "--pid", "--mount-proc", "--uts", "--kill-child", "sh", "-c", "sleep 300 & sleep 300"))
	// Its own pid namespace too, so that killing its init (the shell) ends the whole tree.
	user := exec.Command("sh", "-c", "sleep 300 & sleep 300")
	user.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWUTS | syscall.CLONE_NEWPID,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 200000, Size: 65536}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 200000, Size: 65536}},
		Credential:  &syscall.Credential{Uid: 0, Gid: 0}}
	probetest.Start(t, user)

	var s *probe.Snapshot
	var cu, cv *probe.Container
	probetest.WaitFor(t, "both trees complete", func() bool {
		var err error
		if s, err = probe.DefaultFS().Snapshot(); err != nil {
			t.Fatal(err)
		}
		cu = findContainer(s, "isolated:"+strconv.Itoa(un.Process.Pid))
		cv = findContainer(s, "isolated:"+strconv.Itoa(user.Process.Pid))
		return cu != nil && cv != nil && len(cu.PIDs) == 4 && len(cv.PIDs) == 3
	})
	// unshare itself, its sh (pid 1 inside), two sleeps.
	sh := findProc(t, s, cu.PID)
	if sh.PPID != un.Process.Pid || sh.NSPids[len(sh.NSPids)-1] != 1 || cu.Runtime != "isolated" || !strings.HasPrefix(cu.Name, "unshare ") {
		t.Errorf("unshare tree: init %d (%v), name %q", cu.PID, sh.NSPids, cu.Name)
	}
	// unshare made no cgroup: the tree sits in the test's own, with other processes.
	if cu.Cgroup != "" || cv.Cgroup != "" {
		t.Errorf("isolated trees claim cgroups %q and %q", cu.Cgroup, cv.Cgroup)
	}
	if cu.SharedWith[probe.NSNet][0] != "host" || cu.SharedWith[probe.NSUTS] != nil || cu.Namespaces.UTS == s.Host.NS.UTS {
		t.Errorf("unshare tree shares %v", cu.SharedWith)
	}
	if cv.PID != user.Process.Pid || cv.Namespaces.User == s.Host.NS.User || cv.SharedWith[probe.NSUser] != nil ||
		cv.SharedWith[probe.NSNet][0] != "host" {
		t.Errorf("user-namespace tree: pid %d namespaces %+v shared %v", cv.PID, cv.Namespaces, cv.SharedWith)
	}
	if p := findProc(t, s, user.Process.Pid); p.Container != cv.Key() || p.UID != 200000 {
		t.Errorf("process %+v", p)
	}
}

func findContainer(s *probe.Snapshot, key string) *probe.Container {
	for i := range s.Containers {
		if s.Containers[i].Key() == key {
			return &s.Containers[i]
		}
	}
	return nil
}

// TestLiveContainerd runs a real containerd container the way a ctr user does: an id that is a
// name, in a containerd namespace no runtime list knows. The snapshot must find it from
// containerd's own state (its task bundle), name it, and join it to its processes and cgroup.
func TestLiveContainerd(t *testing.T) {
	addr := probetest.Containerd(t)
	id := "web-" + strings.TrimPrefix(probetest.Name(t), probetest.Prefix)
	ns := probetest.CtrRun(t, addr, id, "sh", "-c", "sleep 86384 & sleep 86384")
	var s *probe.Snapshot
	var c *probe.Container
	probetest.WaitFor(t, "the containerd task with its two processes", func() bool {
		var err error
		if s, err = probe.DefaultFS().Snapshot(); err != nil {
			t.Fatal(err)
		}
		c = findContainer(s, "containerd:"+id)
		return c != nil && len(c.PIDs) == 2
	})
	if c.Name != id || c.Namespace != ns || !strings.HasSuffix(c.Cgroup, "/"+ns+"/"+id) {
		t.Errorf("containerd container: name %q namespace %q cgroup %q; want %s in %s", c.Name, c.Namespace, c.Cgroup, id, ns)
	}
	init := findProc(t, s, c.PID)
	if init.NSPids[len(init.NSPids)-1] != 1 || init.Container != "containerd:"+id {
		t.Errorf("init %d: ns_pids %v, container %q", c.PID, init.NSPids, init.Container)
	}
}
