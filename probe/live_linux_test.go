package probe_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// TestLiveSnapshotSmoke runs on the real /proc as any user: the snapshot must hold isotop itself with
// all of its namespaces, and a reason for whatever it could not read.
func TestLiveSnapshotSmoke(t *testing.T) {
	s, err := probe.DefaultFS().Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	me := findProc(t, s, os.Getpid())
	if me.Namespaces.Len() < 8 {
		t.Errorf("own process has namespaces %v, want all kinds", me.Namespaces)
	}
	for _, k := range probe.Kinds {
		if s.Host.NS.Get(k) == 0 {
			t.Errorf("host namespace of kind %s missing (from %s)", k, s.Host.NSFrom)
		}
		if me.Namespaces.Get(k) != inode(t, "/proc/self/ns/"+string(k)) {
			t.Errorf("%s: snapshot says %d, stat says %d", k, me.Namespaces.Get(k), inode(t, "/proc/self/ns/"+string(k)))
		}
	}
	if s.Host.Kernel == "" || s.Host.BootTime.IsZero() || s.Schema != probe.Schema {
		t.Errorf("host = %+v, schema %d", s.Host, s.Schema)
	}
	for _, e := range s.Errors {
		if e.Path == "" || e.Error == "" {
			t.Errorf("error entry without path or reason: %+v", e)
		}
	}
}

// TestLiveNamespaces creates real namespaces and checks that the snapshot finds each with the right
// members, counts, parents, owners, id maps and bind mounts, against what stat(2) says.
func TestLiveNamespaces(t *testing.T) {
	probetest.Live(t)

	// A: new mnt, pid, uts, ipc and net namespaces.
	a := probetest.Start(t, sleeper(syscall.CLONE_NEWNS|syscall.CLONE_NEWPID|syscall.CLONE_NEWUTS|syscall.CLONE_NEWIPC|syscall.CLONE_NEWNET))
	// B: a user namespace where root is uid 100000 outside, owning new pid and uts namespaces.
	b := sleeper(syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS)
	b.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	b.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 100000, Size: 65536}}
	b.SysProcAttr.Credential = &syscall.Credential{Uid: 0, Gid: 0} // become root inside, 100000 outside
	probetest.Start(t, b)
	// C: a pid namespace nested in another one: C is init of the first, its child of the second.
	c := exec.Command("unshare", "--pid", "--fork", "--kill-child", "sleep", "300")
	c.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Pdeathsig: syscall.SIGKILL}
	probetest.Start(t, c)
	// D: unshare(CLONE_NEWPID) without a fork: D stays in the host's pid namespace, its children are
	// born in the new one (the kernel shows pid_for_children only once the first child exists).
	d := probetest.Start(t, exec.Command("unshare", "--pid", "sh", "-c", "sleep 300 & wait"))
	// E: a network namespace that no process holds, only its bind mount.
	netns := probetest.NetnsAdd(t)

	var s *probe.Snapshot
	var grandchild *probe.Process
	probetest.WaitFor(t, "the nested pid namespace's child and D's exec", func() bool {
		var err error
		if s, err = probe.DefaultFS().Snapshot(); err != nil {
			t.Fatal(err)
		}
		grandchild = nil
		for i := range s.Processes {
			if s.Processes[i].PPID == c.Process.Pid && s.Processes[i].Comm == "sleep" {
				grandchild = &s.Processes[i]
			}
		}
		dp, dChildren := proc(s, d.Process.Pid), 0
		for _, p := range s.Processes {
			if p.PPID == d.Process.Pid {
				dChildren++
			}
		}
		return grandchild != nil && dp != nil && dp.Comm == "sh" && dChildren == 1
	})
	hostPID, hostUser := s.Host.NS.Get(probe.NSPID), s.Host.NS.Get(probe.NSUser)
	for _, p := range s.Processes {
		if p.PPID == d.Process.Pid {
			// D's child is init of the new pid namespace and would outlive D: kill it first, and let
			// D reap it before D itself goes.
			child := p.PID
			t.Cleanup(func() {
				_ = syscall.Kill(child, syscall.SIGKILL)
				probetest.WaitFor(t, "D to reap its child", func() bool {
					_, err := os.Stat(procPath(child, ""))
					return err != nil
				})
			})
		}
	}

	t.Run("A", func(t *testing.T) {
		p := findProc(t, s, a.Process.Pid)
		want := []probe.NSKind{probe.NSIPC, probe.NSMnt, probe.NSNet, probe.NSPID, probe.NSUTS}
		if !slices.Equal(p.Isolated, want) {
			t.Errorf("isolated = %v, want %v", p.Isolated, want)
		}
		if !slices.Equal(p.NSPids, []int{a.Process.Pid, 1}) {
			t.Errorf("ns_pids = %v, want [%d 1]", p.NSPids, a.Process.Pid)
		}
		for _, k := range want {
			ns := checkNS(t, s, a.Process.Pid, k)
			if ns.Processes != 1 || !slices.Equal(ns.PIDs, []int{a.Process.Pid}) || ns.PID != a.Process.Pid || ns.Command != "sleep 300" {
				t.Errorf("%s namespace: processes %d pids %v pid %d command %q", k, ns.Processes, ns.PIDs, ns.PID, ns.Command)
			}
			if ns.OwnerUserNS == nil || *ns.OwnerUserNS != hostUser {
				t.Errorf("%s namespace owner = %v, want host user ns %d", k, ptr(ns.OwnerUserNS), hostUser)
			}
		}
		if ns := checkNS(t, s, a.Process.Pid, probe.NSPID); ns.Parent == nil || *ns.Parent != hostPID {
			t.Errorf("pid namespace parent = %v, want %d", ptr(ns.Parent), hostPID)
		}
	})

	t.Run("B user namespace", func(t *testing.T) {
		p := findProc(t, s, b.Process.Pid)
		if p.UID != 100000 || p.GID != 100000 {
			t.Errorf("uid/gid seen from the host = %d/%d, want 100000 (root inside)", p.UID, p.GID)
		}
		user := checkNS(t, s, b.Process.Pid, probe.NSUser)
		wantMap := []probe.IDMapRange{{Inside: 0, Outside: 100000, Count: 65536}}
		if !slices.Equal(user.UIDMap, wantMap) || !slices.Equal(user.GIDMap, wantMap) {
			t.Errorf("maps = %v / %v, want %v", user.UIDMap, user.GIDMap, wantMap)
		}
		if user.OwnerUID == nil || *user.OwnerUID != 0 {
			t.Errorf("owner uid = %v, want 0", user.OwnerUID)
		}
		if user.Parent == nil || *user.Parent != hostUser {
			t.Errorf("user ns parent = %v, want %d", ptr(user.Parent), hostUser)
		}
		for _, k := range []probe.NSKind{probe.NSPID, probe.NSUTS} {
			if ns := checkNS(t, s, b.Process.Pid, k); ns.OwnerUserNS == nil || *ns.OwnerUserNS != user.Inode {
				t.Errorf("%s namespace owner = %v, want the new user ns %d", k, ptr(ns.OwnerUserNS), user.Inode)
			}
		}
	})

	t.Run("C nested pid namespaces", func(t *testing.T) {
		if len(grandchild.NSPids) != 3 || grandchild.NSPids[0] != grandchild.PID || grandchild.NSPids[2] != 1 {
			t.Errorf("grandchild ns_pids = %v, want [%d N 1]", grandchild.NSPids, grandchild.PID)
		}
		outer := checkNS(t, s, c.Process.Pid, probe.NSPID)
		inner := checkNS(t, s, grandchild.PID, probe.NSPID)
		if outer.Parent == nil || *outer.Parent != hostPID || inner.Parent == nil || *inner.Parent != outer.Inode {
			t.Errorf("parents: outer %v (want %d), inner %v (want %d)", ptr(outer.Parent), hostPID, ptr(inner.Parent), outer.Inode)
		}
	})

	t.Run("D pid_for_children", func(t *testing.T) {
		p := findProc(t, s, d.Process.Pid)
		want := inode(t, procPath(d.Process.Pid, "ns/pid_for_children"))
		if p.Namespaces.Get(probe.PIDForChildren) != want || p.Namespaces.Get(probe.NSPID) != hostPID {
			t.Fatalf("namespaces = %v, want pid_for_children %d", p.Namespaces, want)
		}
		ns := findNS(t, s, probe.NSPID, want)
		if ns.Processes != 1 || !slices.Equal(ns.ForChildren, []int{d.Process.Pid}) || ns.Parent == nil || *ns.Parent != hostPID {
			t.Errorf("namespace = %+v", ns)
		}
	})

	t.Run("E bind-mounted netns", func(t *testing.T) {
		path := filepath.Join("/run/netns", netns)
		ns := findNS(t, s, probe.NSNet, inode(t, path))
		if ns.Processes != 0 || !slices.Equal(ns.Mounts, []string{path}) {
			t.Errorf("namespace = %+v, want no process and mount %s", ns, path)
		}
		if ns.OwnerUserNS == nil || *ns.OwnerUserNS != hostUser {
			t.Errorf("owner = %v", ptr(ns.OwnerUserNS))
		}
	})
}

// TestVanishedProcess reads a pid that existed a moment ago: an error entry, no process, no failure.
func TestVanishedProcess(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	pid := cmd.Process.Pid
	s, errs := probe.ReadProcessesForTest(probe.DefaultFS(), []int{pid, os.Getpid()})
	if len(s) != 1 || s[0].PID != os.Getpid() {
		t.Fatalf("processes = %v, want only self", s)
	}
	want := probe.Error{Path: procPath(pid, ""), Error: "no such file or directory"}
	if !slices.Contains(errs, want) {
		t.Errorf("errors = %v, want %v", errs, want)
	}
}

// TestNoDescriptorLeak: the relations pass opens a descriptor per namespace; all must be closed.
func TestNoDescriptorLeak(t *testing.T) {
	count := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	before := count()
	for range 3 {
		if _, err := probe.DefaultFS().Snapshot(); err != nil {
			t.Fatal(err)
		}
	}
	// More after is a leak; fewer is another test's cleanup closing its own meanwhile (a
	// process's pipes, a watcher's inotify descriptor).
	if after := count(); after > before {
		t.Errorf("open descriptors: %d before, %d after three snapshots", before, after)
	}
}

func sleeper(flags uintptr) *exec.Cmd {
	cmd := exec.Command("sleep", "300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags, Pdeathsig: syscall.SIGKILL}
	return cmd
}

func procPath(pid int, rel string) string {
	return filepath.Join("/proc", strconv.Itoa(pid), rel)
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func proc(s *probe.Snapshot, pid int) *probe.Process {
	for i := range s.Processes {
		if s.Processes[i].PID == pid {
			return &s.Processes[i]
		}
	}
	return nil
}

func findProc(t *testing.T, s *probe.Snapshot, pid int) *probe.Process {
	t.Helper()
	p := proc(s, pid)
	if p == nil {
		t.Fatalf("pid %d not in snapshot", pid)
	}
	return p
}

func findNS(t *testing.T, s *probe.Snapshot, kind probe.NSKind, ino uint64) probe.Namespace {
	t.Helper()
	for _, ns := range s.Namespaces {
		if ns.Type == kind && ns.Inode == ino {
			return ns
		}
	}
	t.Fatalf("%s:[%d] not in snapshot", kind, ino)
	return probe.Namespace{}
}

// checkNS finds the namespace of kind that pid is in, checking the snapshot's inode against stat(2).
func checkNS(t *testing.T, s *probe.Snapshot, pid int, kind probe.NSKind) probe.Namespace {
	t.Helper()
	ino := inode(t, procPath(pid, "ns/"+string(kind)))
	if got := findProc(t, s, pid).Namespaces.Get(kind); got != ino {
		t.Errorf("pid %d %s: snapshot %d, stat %d", pid, kind, got, ino)
	}
	return findNS(t, s, kind, ino)
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func ptr(p *uint64) any {
	if p == nil {
		return "null"
	}
	return *p
}

// TestZombie: a zombie keeps its pid and user namespaces (held by its struct pid and credentials)
// and loses the rest; the snapshot shows what is left, like lsns, and reports no error for it.
func TestZombie(t *testing.T) {
	// The shell's child exits at once; exec'd sleep never reaps it.
	parent := probetest.Start(t, exec.Command("sh", "-c", "true & exec sleep 300"))
	var s *probe.Snapshot
	var zombie *probe.Process
	probetest.WaitFor(t, "a zombie child", func() bool {
		var err error
		if s, err = probe.DefaultFS().Snapshot(); err != nil {
			t.Fatal(err)
		}
		for i := range s.Processes {
			if p := &s.Processes[i]; p.PPID == parent.Process.Pid && p.State == "Z" {
				zombie = p
			}
		}
		return zombie != nil
	})
	if zombie.Namespaces.Len() != 2 || zombie.Namespaces.Get(probe.NSPID) != s.Host.NS.Get(probe.NSPID) || zombie.Namespaces.Get(probe.NSUser) != s.Host.NS.Get(probe.NSUser) {
		t.Errorf("zombie namespaces = %v, want its pid and user namespaces only", zombie.Namespaces)
	}
	for _, e := range s.Errors {
		if strings.HasPrefix(e.Path, procPath(zombie.PID, "")) {
			t.Errorf("error for a zombie: %+v", e)
		}
	}
}

// TestManyBindMounts: 60 network namespaces held only by bind mounts make a mountinfo of many
// pages, which the kernel hands out a page per read; every one of them must be found.
func TestManyBindMounts(t *testing.T) {
	probetest.Live(t)
	var names []string
	for range 60 {
		names = append(names, probetest.NetnsAdd(t))
	}
	s, err := probe.DefaultFS().Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		ns := findNS(t, s, probe.NSNet, inode(t, "/run/netns/"+n))
		if !slices.Contains(ns.Mounts, "/run/netns/"+n) {
			t.Errorf("%s: mounts %v", n, ns.Mounts)
		}
	}
}
