package probe

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func TestParseLimit(t *testing.T) {
	for in, want := range map[string]Limit{"max\n": Unlimited, "-1\n": Unlimited, "9223372036854771712\n": Unlimited,
		"67108864\n": 67108864, "0": 0} {
		if got, err := ParseLimit([]byte(in)); err != nil || got != want {
			t.Errorf("ParseLimit(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "12XB", "-2", "1.5"} {
		if _, err := ParseLimit([]byte(bad)); !errors.Is(err, ErrParse) {
			t.Errorf("ParseLimit(%q) err = %v", bad, err)
		}
	}
	b, _ := json.Marshal(struct{ A, B Limit }{Unlimited, 5})
	if string(b) != `{"A":"max","B":5}` {
		t.Errorf("json = %s", b)
	}
	var back struct{ A, B Limit }
	if err := json.Unmarshal(b, &back); err != nil || back.A != Unlimited || back.B != 5 {
		t.Errorf("round trip = %+v %v", back, err)
	}
}

func TestParseFlatKeyed(t *testing.T) {
	got, err := parseFlatKeyed([]byte("usage_usec 31394\nuser_usec 0\nsome_future_key 7\n"))
	if err != nil || !reflect.DeepEqual(got, map[string]uint64{"usage_usec": 31394, "user_usec": 0, "some_future_key": 7}) {
		t.Fatalf("got %v %v", got, err)
	}
	for _, bad := range []string{"a\n", "a b c\n", "a -1\n", "a x\n"} {
		if _, err := parseFlatKeyed([]byte(bad)); !errors.Is(err, ErrParse) {
			t.Errorf("parseFlatKeyed(%q) err = %v", bad, err)
		}
	}
}

func TestParseCPUMax(t *testing.T) {
	q, p, err := parseCPUMax([]byte("50000 100000\n"))
	if err != nil || q != 50000 || p != 100000 {
		t.Fatalf("got %d %d %v", q, p, err)
	}
	if q, p, err = parseCPUMax([]byte("max 100000\n")); err != nil || q != Unlimited || p != 100000 {
		t.Fatalf("max: got %d %d %v", q, p, err)
	}
	for _, bad := range []string{"", "max", "1 0", "x 100000", "1 2 3"} {
		if _, _, err := parseCPUMax([]byte(bad)); !errors.Is(err, ErrParse) {
			t.Errorf("parseCPUMax(%q) err = %v", bad, err)
		}
	}
}

func TestParsePSI(t *testing.T) {
	got, err := parsePSI([]byte("some avg10=8.33 avg60=1.50 avg300=0.31 total=1152778\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"))
	if err != nil || *got.Some != (PSILine{8.33, 1.5, 0.31, 1152778}) || *got.Full != (PSILine{}) {
		t.Fatalf("got %+v %v", got, err)
	}
	// cpu.pressure had no "full" line before 5.13; a key the parser does not know is skipped.
	if got, err = parsePSI([]byte("some avg10=1.00 avg60=0.00 avg300=0.00 total=5 avg900=2.0\n")); err != nil || got.Full != nil || got.Some.Avg10 != 1 {
		t.Fatalf("some only: %+v %v", got, err)
	}
	for _, bad := range []string{"", "some avg10=1\n", "half avg10=0 avg60=0 avg300=0 total=0\n", "some avg10=x avg60=0 avg300=0 total=0\n", "some avg10=NaN avg60=0 avg300=0 total=0\n"} {
		if _, err := parsePSI([]byte(bad)); !errors.Is(err, ErrParse) {
			t.Errorf("parsePSI(%q) err = %v", bad, err)
		}
	}
}

func TestParseIOStat(t *testing.T) {
	got, err := parseIOStat([]byte("8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0 cost.vrate=100.00\n254:0 rbytes=1 wbytes=0 rios=1 wios=0\n"))
	want := []IODevice{{"8:0", 4096, 8192, 1, 2}, {"254:0", 1, 0, 1, 0}}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %+v %v", got, err)
	}
	for _, bad := range []string{"sda rbytes=1\n", "8:0 rbytes\n", "8:0 rbytes=x\n"} {
		if _, err := parseIOStat([]byte(bad)); !errors.Is(err, ErrParse) {
			t.Errorf("parseIOStat(%q) err = %v", bad, err)
		}
	}
}

func TestParseBlkio(t *testing.T) {
	devs, err := parseBlkio([]byte("254:0 Read 4194304\n254:0 Write 8192\n254:0 Sync 1\n254:0 Total 4202496\nTotal 4202496\n"), nil, false)
	if err == nil {
		devs, err = parseBlkio([]byte("254:0 Read 4\n254:0 Write 2\nTotal 6\n"), devs, true)
	}
	if err != nil || !slices.Equal(devs, []IODevice{{"254:0", 4194304, 8192, 4, 2}}) {
		t.Fatalf("got %+v %v", devs, err)
	}
	if _, err := parseBlkio([]byte("254:0 Read\n"), nil, false); !errors.Is(err, ErrParse) {
		t.Errorf("err = %v", err)
	}
}

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string]int{"0-3,8,10-11\n": 7, "0\n": 1, "\n": 0, "0-1": 2} {
		if got, err := parseCPUList([]byte(in)); err != nil || got != want {
			t.Errorf("parseCPUList(%q) = %d %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"3-1", "a", "1,,2", "-1", "0-99999999"} {
		if _, err := parseCPUList([]byte(bad)); !errors.Is(err, ErrParse) {
			t.Errorf("parseCPUList(%q) err = %v", bad, err)
		}
	}
}

func TestCgroupMounts(t *testing.T) {
	mi := func(lines ...string) []Mount {
		var data []byte
		for _, l := range lines {
			data = append(data, l+"\n"...)
		}
		m, err := parseMountinfo(data)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	v2 := "28 23 0:25 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw"
	mem := "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory"
	cpu := "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct"
	uni := "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate"
	elsewhere := "50 1 0:40 / /cgroup/mem rw - cgroup cgroup rw,memory"
	bindSub := "51 1 0:32 /docker/abc /mnt/mem rw - cgroup cgroup rw,memory"
	tests := []struct {
		name  string
		mi    []Mount
		mode  string
		count int
	}{
		{"v2", mi(v2), "v2", 1},
		{"v1", mi(mem, cpu), "v1", 2},
		{"hybrid", mi(mem, cpu, uni), "hybrid", 3},
		{"none", mi("22 27 0:21 / /proc rw - proc proc rw"), "none", 0},
		{"mounted elsewhere", mi(elsewhere), "v1", 1},
		{"a subtree bound first, the root preferred", mi(bindSub, mem), "v1", 1},
	}
	for _, tt := range tests {
		got, mode := cgroupMounts(tt.mi)
		if mode != tt.mode || len(got) != tt.count {
			t.Errorf("%s: mode %s, %d mounts %+v", tt.name, mode, len(got), got)
		}
	}
	got, _ := cgroupMounts(mi(bindSub, mem))
	if got[0].MountPoint != "/sys/fs/cgroup/memory" || got[0].Root != "/" {
		t.Errorf("kept %+v, want the root mount", got[0])
	}
	got, _ = cgroupMounts(mi(cpu))
	if !slices.Equal(got[0].Controllers, []string{"cpu", "cpuacct"}) || got[0].Version != 1 {
		t.Errorf("controllers = %+v", got[0])
	}
}

func (s *Snapshot) cgroup(t *testing.T, path string) Cgroup {
	t.Helper()
	for _, c := range s.Cgroups {
		if c.Path == path {
			return c
		}
	}
	t.Fatalf("cgroup %s not in snapshot", path)
	return Cgroup{}
}

func TestFixtureV2Cgroups(t *testing.T) {
	s := fixture(t, "v2")
	if s.Host.CgroupMode != "v2" || len(s.Host.CgroupMounts) != 1 || s.Host.CgroupMounts[0].MountPoint != "/sys/fs/cgroup" {
		t.Fatalf("mode %s mounts %+v", s.Host.CgroupMode, s.Host.CgroupMounts)
	}
	if got := []string{s.Cgroups[0].Path, s.Cgroups[1].Path, s.Cgroups[2].Path}; len(s.Cgroups) != 3 || !slices.Equal(got, []string{"/", "/isotop-test-fix", "/isotop-test-fix/app"}) {
		t.Fatalf("cgroups = %d: %v", len(s.Cgroups), got)
	}
	root := s.cgroup(t, "/")
	if !slices.Equal(root.Children, []string{"/isotop-test-fix"}) || root.CPU.CpusetCPUs == nil || *root.CPU.CpusetCPUs != 1 {
		t.Errorf("root = %+v", root)
	}
	if !slices.Equal(root.PIDs, []int{1, 2, 90, 109}) || root.Procs != 4 {
		t.Errorf("root pids = %v", root.PIDs)
	}

	parent := s.cgroup(t, "/isotop-test-fix")
	if *parent.Memory.Max != 67108864 || *parent.PIDsCtl.Max != 100 || *parent.Memory.Current != 851968 || parent.Procs != 0 {
		t.Errorf("parent memory %+v pids %+v", parent.Memory, parent.PIDsCtl)
	}

	app := s.cgroup(t, "/isotop-test-fix/app")
	if !slices.Equal(app.Controllers, []string{"cpu", "memory", "pids"}) || app.Dirs["unified"] != "testdata/v2/sys/fs/cgroup/isotop-test-fix/app" {
		t.Errorf("app controllers %v dirs %v", app.Controllers, app.Dirs)
	}
	if !slices.Equal(app.PIDs, []int{94, 95, 98, 99}) || app.Procs != 4 {
		t.Errorf("app pids = %v (the fixture captured 4 of its 5 processes)", app.PIDs)
	}
	m := app.Memory
	if *m.Current != 843776 || *m.Max != 33554432 || *m.High != Unlimited || *m.Peak != 843776 || *m.Anon != 212992 ||
		*m.File != 0 || *m.Kernel != 385024 || *m.Shmem != 0 || *m.WorkingSet != 843776 {
		t.Errorf("app memory = %s", mustJSON(m))
	}
	if *m.EffectiveMax != 33554432 || m.EffectiveMaxFrom != "/isotop-test-fix/app" {
		t.Errorf("app effective memory = %d from %q", *m.EffectiveMax, m.EffectiveMaxFrom)
	}
	c := app.CPU
	if *c.UsageUsec != 31394 || *c.SystemUsec != 31394 || *c.QuotaUsec != 50000 || *c.PeriodUsec != 100000 || *c.NrPeriods != 2 || *c.NrThrottled != 0 {
		t.Errorf("app cpu = %s", mustJSON(c))
	}
	if *c.EffectiveCPUs != 0.5 || c.EffectiveCPUsFrom != "/isotop-test-fix/app" || c.EffectiveCPUsBy != "cpu.max" {
		t.Errorf("app effective cpus = %v from %q by %q", *c.EffectiveCPUs, c.EffectiveCPUsFrom, c.EffectiveCPUsBy)
	}
	if *app.PIDsCtl.Current != 5 || *app.PIDsCtl.Max != 20 || *app.PIDsCtl.EffectiveMax != 20 || app.PIDsCtl.EffectiveMaxFrom != "/isotop-test-fix/app" {
		t.Errorf("app pids = %s", mustJSON(app.PIDsCtl))
	}
	if app.Pressure == nil || app.Pressure.Memory == nil || *app.Pressure.Memory.Some != (PSILine{}) {
		t.Errorf("app pressure = %s", mustJSON(app.Pressure))
	}
	if e := app.Events; e == nil || *e.OOMKill != 0 || *e.Max != 0 {
		t.Errorf("app events = %s", mustJSON(app.Events))
	}
	if p := s.proc(t, 94); p.Cgroup != "/isotop-test-fix/app" {
		t.Errorf("process cgroup = %q", p.Cgroup)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestCgroupPartialData: a file that cannot be read, a cgroup removed between the listing and the
// read, a key the parser does not know: partial data with reasons, never a failure.
func TestCgroupPartialData(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	write := func(rel, content string) {
		p := filepath.Join(root, rel)
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, []byte(content), 0o644))
	}
	write("proc/self/mountinfo", "28 23 0:25 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
	write("proc/stat", "btime 1\n")
	cg := "sys/fs/cgroup/"
	write(cg+"cgroup.controllers", "memory pids\n")
	write(cg+"a/cgroup.controllers", "memory pids\n")
	write(cg+"a/memory.current", "100\n")
	write(cg+"a/memory.stat", "anon 60\nfile 40\ninactive_file 30\nbrand_new_counter 9\n")
	write(cg+"a/pids.current", "not a number\n")
	must(os.MkdirAll(filepath.Join(root, cg, "a/memory.max"), 0o755)) // unreadable: a directory
	write(cg+"gone/cgroup.controllers", "memory\n")

	testHookBeforeOpenCgroup = func(dir string) {
		if filepath.Base(dir) == "gone" {
			must(os.RemoveAll(dir))
		}
	}
	defer func() { testHookBeforeOpenCgroup = nil }()

	s, err := NewFS(root+"/proc", root+"/sys").Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	a := s.cgroup(t, "/a")
	if *a.Memory.Current != 100 || *a.Memory.Anon != 60 || *a.Memory.WorkingSet != 70 || a.Memory.Max != nil {
		t.Errorf("a memory = %s", mustJSON(a.Memory))
	}
	if a.PIDsCtl != nil && a.PIDsCtl.Current != nil {
		t.Errorf("unparseable pids.current gave %d", *a.PIDsCtl.Current)
	}
	dir := root + "/" + cg + "a"
	if !hasError(s, dir+"/memory.max", "directory") || !hasError(s, dir+"/pids.current", "unexpected content") {
		t.Errorf("errors = %+v", s.Errors)
	}
	for _, c := range s.Cgroups {
		if c.Path == "/gone" {
			t.Errorf("a cgroup removed before it was read is listed: %+v", c)
		}
	}
}

// checkV1Cgroups holds for hybrid and v1: the v1 hierarchies merged by path (values in
// testdata/README.md).
func checkV1Cgroups(t *testing.T, s *Snapshot, userUsec, systemUsec uint64) {
	parent, app := s.cgroup(t, "/isotop-test-fix"), s.cgroup(t, "/isotop-test-fix/app")
	for _, c := range []string{"blkio", "cpu", "cpuacct", "cpuset", "memory", "pids"} {
		if !slices.Contains(app.Controllers, c) {
			t.Errorf("app lacks controller %s: %v", c, app.Controllers)
		}
	}
	if app.Dirs["memory"] == "" || app.Dirs["cpu"] == "" || app.Dirs["pids"] == "" {
		t.Errorf("app dirs = %v", app.Dirs)
	}
	m := app.Memory
	if *m.Current != 20951040 || *m.Max != 33554432 || *m.SoftLimit != 16777216 || *m.Peak != 20951040 ||
		*m.Anon != 16457728 || *m.File != 4153344 || *m.Shmem != 0 || *m.WorkingSet != 16797696 || *m.MemSwapMax != Unlimited {
		t.Errorf("app memory = %s", mustJSON(m))
	}
	if *m.EffectiveMax != 33554432 || m.EffectiveMaxFrom != "/isotop-test-fix/app" {
		t.Errorf("app effective memory %d from %q", *m.EffectiveMax, m.EffectiveMaxFrom)
	}
	if *parent.Memory.Max != 67108864 || *parent.Memory.SoftLimit != Unlimited || *parent.Memory.WorkingSet != 17059840 {
		t.Errorf("parent memory = %s", mustJSON(parent.Memory))
	}
	if root := s.cgroup(t, "/"); *root.Memory.Max != Unlimited || *root.Memory.EffectiveMax != Unlimited || root.Memory.EffectiveMaxFrom != "" {
		t.Errorf("root memory = %s", mustJSON(root.Memory))
	}
	c := app.CPU
	if *c.QuotaUsec != 50000 || *c.PeriodUsec != 100000 || *c.Shares != 512 || *c.NrPeriods != 27 || *c.NrThrottled != 24 ||
		*c.ThrottledUsec != 1134500 || *c.UserUsec != userUsec || *c.SystemUsec != systemUsec || c.Cpuset != "0" || *c.CpusetCPUs != 1 {
		t.Errorf("app cpu = %s", mustJSON(c))
	}
	// app's own 0.5-CPU quota is tighter than the parent's 1.5 and the one-CPU cpuset.
	if *c.EffectiveCPUs != 0.5 || c.EffectiveCPUsFrom != "/isotop-test-fix/app" || c.EffectiveCPUsBy != "cpu.cfs_quota_us" {
		t.Errorf("app effective cpus %v from %q by %q", *c.EffectiveCPUs, c.EffectiveCPUsFrom, c.EffectiveCPUsBy)
	}
	// The parent's 1.5-CPU quota is looser than its one-CPU cpuset, which it set itself.
	if pc := parent.CPU; *pc.QuotaUsec != 150000 || *pc.EffectiveCPUs != 1 || pc.EffectiveCPUsFrom != "/isotop-test-fix" || pc.EffectiveCPUsBy != "cpuset" {
		t.Errorf("parent cpu = %s", mustJSON(pc))
	}
	if root := s.cgroup(t, "/"); *root.CPU.EffectiveCPUs != 2 || root.CPU.EffectiveCPUsBy != "cpuset" && root.CPU.EffectiveCPUsBy != "online CPUs" {
		t.Errorf("root cpu = %s", mustJSON(root.CPU))
	}
	if p := app.PIDsCtl; *p.Current != 1 || *p.Max != 20 || *p.EffectiveMax != 20 || p.EffectiveMaxFrom != "/isotop-test-fix/app" {
		t.Errorf("app pids = %s", mustJSON(p))
	}
	if e := app.Events; *e.Failcnt != 0 || *e.OOMKill != 0 || *e.UnderOOM != 0 || *e.PIDsMax != 0 {
		t.Errorf("app events = %s", mustJSON(e))
	}
	if io := app.IO; !slices.Equal(io.Devices, []IODevice{{"254:0", 4194304, 4194304, 4, 4}}) ||
		!slices.Equal(io.Max, []string{"254:0 rbps=1099511627776", "254:0 wbps=1099511627776"}) {
		t.Errorf("app io = %s", mustJSON(io))
	}
	// The proc/ half was captured in another run: its processes are in the memory hierarchy's
	// /process_api/…, which the sys/ half does not have.
	if p := s.proc(t, 8299); p.Cgroup != "/process_api/443767deb405a62967f43f35e715c237" {
		t.Errorf("process cgroup = %q", p.Cgroup)
	}
}

func TestFixtureHybridCgroups(t *testing.T) {
	s := fixture(t, "hybrid")
	if s.Host.CgroupMode != "hybrid" || len(s.Host.CgroupMounts) != 10 {
		t.Fatalf("mode %s, %d mounts", s.Host.CgroupMode, len(s.Host.CgroupMounts))
	}
	// cpu.stat of the unified hierarchy, in microseconds, over cpuacct.stat's ticks.
	checkV1Cgroups(t, s, 336486, 880677)
	app := s.cgroup(t, "/isotop-test-fix/app")
	// PSI and cpu.stat come from the unified hierarchy, next to the v1 controllers.
	if app.Pressure == nil || *app.Pressure.CPU.Some != (PSILine{8.27, 1.71, 0.36, 1152778}) || app.Pressure.IO.Full.Total != 8752 {
		t.Errorf("app pressure = %s", mustJSON(app.Pressure))
	}
	if app.Dirs["unified"] == "" || !slices.Contains(s.cgroup(t, "/").Controllers, "hugetlb") {
		t.Errorf("unified hierarchy not merged: %v", app.Dirs)
	}
}

func TestFixtureV1Cgroups(t *testing.T) {
	s := fixture(t, "v1")
	if s.Host.CgroupMode != "v1" || len(s.Host.CgroupMounts) != 9 {
		t.Fatalf("mode %s, %d mounts", s.Host.CgroupMode, len(s.Host.CgroupMounts))
	}
	checkV1Cgroups(t, s, 330000, 880000) // cpuacct.stat: user 33, system 88 ticks
	if app := s.cgroup(t, "/isotop-test-fix/app"); app.Pressure != nil || app.Dirs["unified"] != "" {
		t.Errorf("v1 host has pressure %s, dirs %v", mustJSON(app.Pressure), app.Dirs)
	}
}

func TestCgroupDir(t *testing.T) {
	mounts := []CgroupMount{
		{Version: 1, Controllers: []string{"cpu", "cpuacct"}, MountPoint: "/sys/fs/cgroup/cpu,cpuacct", Root: "/"},
		{Version: 1, Controllers: []string{"name=systemd"}, MountPoint: "/sys/fs/cgroup/systemd", Root: "/"},
		{Version: 1, Controllers: []string{"memory"}, MountPoint: "/mnt/mem", Root: "/kubepods"},
		{Version: 2, Controllers: []string{}, MountPoint: "/sys/fs/cgroup/unified", Root: "/"},
	}
	for _, tc := range []struct {
		m    CgroupMembership
		want string
		ok   bool
	}{
		{CgroupMembership{4, []string{"cpuacct", "cpu"}, "/a/b"}, "/sys/fs/cgroup/cpu,cpuacct/a/b", true},
		{CgroupMembership{1, []string{"name=systemd"}, "/"}, "/sys/fs/cgroup/systemd", true},
		{CgroupMembership{0, []string{}, "/x"}, "/sys/fs/cgroup/unified/x", true},
		{CgroupMembership{7, []string{"memory"}, "/kubepods/pod1"}, "/mnt/mem/pod1", true},
		{CgroupMembership{7, []string{"memory"}, "/kubepodsx"}, "", false}, // outside the mount's root
		{CgroupMembership{5, []string{"pids"}, "/a"}, "", false},           // not mounted here
		{CgroupMembership{4, []string{"cpu"}, "/a"}, "", false},            // cpu alone is another hierarchy
	} {
		got, ok := CgroupDir(mounts, tc.m)
		if got != tc.want || ok != tc.ok {
			t.Errorf("CgroupDir(%+v) = %q, %v; want %q, %v", tc.m, got, ok, tc.want, tc.ok)
		}
	}
}
