package probe

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The fixture trees are real captures (see testdata/README.md): a hybrid host (this project's
// build VM), a pure cgroup v2 kernel (the qemu guest of package v2host), and a v1 host derived from
// the hybrid one. Each test checks what the probe makes of them field by field.

func fixture(t *testing.T, name string) *Snapshot {
	t.Helper()
	s, err := NewFS("testdata/"+name+"/proc", "testdata/"+name+"/sys").Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *Snapshot) proc(t *testing.T, pid int) Process {
	t.Helper()
	for _, p := range s.Processes {
		if p.PID == pid {
			return p
		}
	}
	t.Fatalf("pid %d not in snapshot", pid)
	return Process{}
}

func (s *Snapshot) ns(t *testing.T, kind NSKind, ino uint64) Namespace {
	t.Helper()
	for _, ns := range s.Namespaces {
		if ns.Type == kind && ns.Inode == ino {
			return ns
		}
	}
	t.Fatalf("%s:[%d] not in snapshot", kind, ino)
	return Namespace{}
}

func pids(s *Snapshot) []int {
	var out []int
	for _, p := range s.Processes {
		out = append(out, p.PID)
	}
	return out
}

func hasError(s *Snapshot, path, reason string) bool {
	for _, e := range s.Errors {
		if e.Path == path && strings.Contains(e.Error, reason) {
			return true
		}
	}
	return false
}

// checkHybridLike holds for hybrid and v1, which share their processes and namespaces.
func checkHybridLike(t *testing.T, name string, s *Snapshot) {
	root := "testdata/" + name + "/proc"
	if s.Host.Kernel != "6.18.44-fc-v769" || s.Host.Hostname != "vm" || !s.Host.BootTime.Equal(time.Unix(1795317514, 0)) {
		t.Errorf("host = %+v", s.Host)
	}
	if want := []int{1, 2, 8299, 8310, 8315, 8316, 8324, 8328}; !slices.Equal(pids(s), want) {
		t.Errorf("pids = %v, want %v (999999 vanished)", pids(s), want)
	}
	if !hasError(s, root+"/999999/stat", "no such file") {
		t.Errorf("no error for the vanished pid: %v", s.Errors)
	}
	if !hasError(s, root+"/1/ns/cgroup", "no such file") {
		t.Errorf("no error for pid 1's namespaces: %v", s.Errors)
	}
	// PID 1's namespaces are unreadable: the host is the probe's own process, and says why.
	if !strings.HasPrefix(s.Host.NSFrom, "self (pid 8299)") || !strings.Contains(s.Host.NSFrom, "no such file") {
		t.Errorf("ns_from = %q", s.Host.NSFrom)
	}
	wantHost := NSSet{Cgroup: 4026531835, IPC: 4026531839, Mnt: 4026531832, Net: 4026531833,
		PID: 4026531836, Time: 4026531834, User: 4026531837, UTS: 4026531838}
	if s.Host.NS != wantHost {
		t.Errorf("host ns = %v, want %v", s.Host.NS, wantHost)
	}
	if p := s.proc(t, 1); p.Namespaces.Len() != 0 || len(p.Isolated) != 0 || p.Comm != "process_api" {
		t.Errorf("pid 1 = %+v, want no namespaces", p)
	}

	kthreadd := s.proc(t, 2)
	if kthreadd.Cmdline != nil || kthreadd.Comm != "kthreadd" || kthreadd.PPID != 0 || len(kthreadd.Isolated) != 0 {
		t.Errorf("kthreadd = %+v", kthreadd)
	}

	unshare := s.proc(t, 8310)
	if unshare.Namespaces.Get(PIDForChildren) != 4026532180 || unshare.Namespaces.Get(NSPID) != 4026531836 {
		t.Errorf("unshare namespaces = %v", unshare.Namespaces)
	}
	if want := []NSKind{NSCgroup, NSIPC, NSMnt, NSNet, NSUTS}; !slices.Equal(unshare.Isolated, want) {
		t.Errorf("unshare isolated = %v, want %v", unshare.Isolated, want)
	}
	inner := s.proc(t, 8315)
	if !slices.Equal(inner.NSPids, []int{8315, 1}) || !slices.Equal(s.proc(t, 8316).NSPids, []int{8316, 2}) {
		t.Errorf("ns_pids = %v, %v", inner.NSPids, s.proc(t, 8316).NSPids)
	}
	if want := []NSKind{NSCgroup, NSIPC, NSMnt, NSNet, NSPID, NSUTS}; !slices.Equal(inner.Isolated, want) {
		t.Errorf("inner isolated = %v, want %v", inner.Isolated, want)
	}
	if inner.Namespaces.PIDForChildren != 0 {
		t.Errorf("pid_for_children shown though equal to pid: %v", inner.Namespaces)
	}
	pidNS := s.ns(t, NSPID, 4026532180)
	if pidNS.Processes != 2 || !slices.Equal(pidNS.PIDs, []int{8315, 8316}) || !slices.Equal(pidNS.ForChildren, []int{8310}) ||
		pidNS.PID != 8315 || pidNS.Command != "sh -c sleep 300 & sleep 300" {
		t.Errorf("unshare'd pid ns = %+v", pidNS)
	}
	host := s.ns(t, NSNet, 4026531833)
	if host.Processes != 4 || !slices.Equal(host.PIDs, []int{2, 8299, 8324, 8328}) || host.PID != 2 || host.Command != "kthreadd" {
		t.Errorf("host netns = %+v", host)
	}

	userNS := s.ns(t, NSUser, 4026532251)
	wantMap := []IDMapRange{{Inside: 0, Outside: 100000, Count: 65536}}
	if !slices.Equal(userNS.PIDs, []int{8324, 8328}) || !slices.Equal(userNS.UIDMap, wantMap) || !slices.Equal(userNS.GIDMap, wantMap) {
		t.Errorf("user ns = %+v", userNS)
	}
	if p := s.proc(t, 8328); p.UID != 100000 || p.GID != 100000 || !slices.Equal(p.Isolated, []NSKind{NSUser}) {
		t.Errorf("process in user ns = %+v", p)
	}
	if hostUser := s.ns(t, NSUser, 4026531837); !slices.Equal(hostUser.UIDMap, []IDMapRange{{0, 0, 4294967295}}) {
		t.Errorf("host user ns map = %v", hostUser.UIDMap)
	}

	bound := s.ns(t, NSNet, 4026532252)
	if bound.Processes != 0 || len(bound.PIDs) != 0 || !slices.Equal(bound.Mounts, []string{"/run/netns/isotop-test-fixture"}) {
		t.Errorf("bind-mounted netns = %+v", bound)
	}
	// Relations need the live kernel; the fixture says so instead of leaving them silently empty.
	if !hasError(s, root, "live kernel") || bound.OwnerUserNS != nil {
		t.Errorf("relations on a fixture: owner %v, errors %v", bound.OwnerUserNS, s.Errors)
	}
	if got := len(s.Namespaces); got != 8+6+1+1 {
		t.Errorf("%d namespaces, want 16 (8 host, 6 unshare'd, the user ns, the bound netns)", got)
	}
}

func TestFixtureHybrid(t *testing.T) {
	s := fixture(t, "hybrid")
	checkHybridLike(t, "hybrid", s)
	cg := s.proc(t, 8299).CgroupMembership
	if len(cg) != 10 || cg[len(cg)-1].Hierarchy != 0 || cg[len(cg)-1].Path != "/" {
		t.Errorf("hybrid membership = %+v, want nine v1 lines and 0::/", cg)
	}
	if !slices.ContainsFunc(cg, func(m CgroupMembership) bool {
		return slices.Equal(m.Controllers, []string{"memory"}) && m.Path == "/process_api/443767deb405a62967f43f35e715c237"
	}) {
		t.Errorf("memory line missing: %+v", cg)
	}
}

func TestFixtureV1(t *testing.T) {
	s := fixture(t, "v1")
	checkHybridLike(t, "v1", s)
	for _, p := range s.Processes {
		if p.PID == 1 || p.PID == 2 || p.PID == 8299 {
			if len(p.CgroupMembership) != 9 || slices.ContainsFunc(p.CgroupMembership, func(m CgroupMembership) bool { return m.Hierarchy == 0 }) {
				t.Errorf("pid %d membership = %+v, want nine v1 lines", p.PID, p.CgroupMembership)
			}
		}
	}
}

func TestFixtureV2(t *testing.T) {
	s := fixture(t, "v2")
	if s.Host.Kernel != "6.1.0-56-amd64" || s.Host.NSFrom != "pid 1" || s.Host.NS.Get(NSNet) != 4026531840 || s.Host.NS.Get(NSMnt) != 4026531841 {
		t.Errorf("host = %+v", s.Host)
	}
	if want := []int{1, 2, 90, 94, 95, 98, 99, 109}; !slices.Equal(pids(s), want) {
		t.Errorf("pids = %v, want %v", pids(s), want)
	}
	app := s.proc(t, 94)
	if !reflect.DeepEqual(app.CgroupMembership, []CgroupMembership{{Hierarchy: 0, Controllers: []string{}, Path: "/isotop-test-fix/app"}}) || len(app.Isolated) != 0 {
		t.Errorf("sleep in app = %+v", app)
	}
	if p := s.proc(t, 95); p.Namespaces.Get(PIDForChildren) != 4026532117 || !slices.Equal(p.Isolated, []NSKind{NSIPC, NSMnt, NSNet, NSUTS}) {
		t.Errorf("busybox unshare = %+v", p)
	}
	if p := s.proc(t, 98); !slices.Equal(p.NSPids, []int{98, 1}) || !slices.Equal(p.Isolated, []NSKind{NSIPC, NSMnt, NSNet, NSPID, NSUTS}) {
		t.Errorf("pid 1 inside = %+v", p)
	}
	if ns := s.ns(t, NSUser, 4026532170); !slices.Equal(ns.PIDs, []int{109}) || !slices.Equal(ns.UIDMap, []IDMapRange{{0, 0, 1}}) {
		t.Errorf("user ns = %+v", ns)
	}
	if ns := s.ns(t, NSNet, 4026532171); ns.Processes != 0 || !slices.Equal(ns.Mounts, []string{"/run/netns/isotop-test-fixture"}) {
		t.Errorf("bind-mounted netns = %+v", ns)
	}
	if ns := s.ns(t, NSPID, 4026532117); !slices.Equal(ns.PIDs, []int{98, 99}) || !slices.Equal(ns.ForChildren, []int{95}) {
		t.Errorf("unshare'd pid ns = %+v", ns)
	}
}
