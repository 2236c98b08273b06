package render

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/isotop/isotop/probe"
)

// CgroupTable lists the cgroup tree with usage against the limits in force.
func CgroupTable(s *probe.Snapshot) Table {
	t := Table{Columns: []Column{{Title: "CGROUP", Width: 16, Flex: true}, {Title: "PROCS", Width: 5, Right: true},
		{Title: "CPU%", Width: 5, Right: true}, {Title: "CPUS", Width: 5, Right: true, Drop: 3}, {Title: "MEMORY", Width: 17, Keep: true},
		{Title: "PIDS", Width: 8, Right: true, Keep: true}, {Title: "PSI", Width: 5, Right: true, Drop: 2},
		{Title: "THROTL", Width: 6, Right: true, Drop: 1}}}
	owners := CgroupOwners(s)
	for i := range s.Cgroups {
		c := &s.Cgroups[i]
		name, match, flat := path.Base(c.Path), c.Path, c.Path
		if o, ok := owners[c.Path]; ok { // the container's (or pod's) name first, its id shortened
			name, match, flat = o.Label+"  "+shortenID(name, o.ID), c.Path+" "+o.Label, o.Label+"  "+shortenID(c.Path, o.ID)
		}
		depth := strings.Count(c.Path, "/")
		if c.Path == "/" {
			depth = 0
		} else {
			depth--
		}
		cpuPct, cpus, mem, pids, psi, thr := "-", "-", "-", "-", "-", "-"
		alert := make([]Level, 8)
		var cpuSort, memSort uint64
		if p := c.CPU; p != nil {
			if p.RatePct != nil {
				cpuPct = fmt.Sprintf("%.0f", *p.RatePct)
				cpuSort = uint64(*p.RatePct * 100)
			}
			if p.EffectiveCPUs != nil {
				cpus = strconv.FormatFloat(*p.EffectiveCPUs, 'g', 3, 64) + inherited(p.EffectiveCPUsFrom, c.Path)
			}
			if p.NrThrottled != nil {
				thr = strconv.FormatUint(*p.NrThrottled, 10)
			}
		}
		if m := c.Memory; m != nil && m.Current != nil {
			mem = memBar(*m.Current, m.EffectiveMax, 6) + " " + Bytes(*m.Current) + "/" + limitStr(m.EffectiveMax) + inherited(m.EffectiveMaxFrom, c.Path)
			memSort = *m.Current
			alert[4] = limitLevel(*m.Current, m.EffectiveMax)
		}
		if p := c.PIDsCtl; p != nil && p.Current != nil {
			pids = strconv.FormatUint(*p.Current, 10) + "/max"
			if l := p.EffectiveMax; l != nil && *l != probe.Unlimited {
				pids = strconv.FormatUint(*p.Current, 10) + "/" + strconv.FormatUint(uint64(*l), 10) + inherited(p.EffectiveMaxFrom, c.Path)
				alert[5] = limitLevel(*p.Current, l)
			}
		}
		if c.Pressure != nil && c.Pressure.CPU != nil && c.Pressure.CPU.Some != nil {
			psi = fmt.Sprintf("%.1f", c.Pressure.CPU.Some.Avg10)
		}
		t.Rows = append(t.Rows, Row{Ref: CgroupRef(c.Path), Depth: depth, Match: match, FlatName: flat, Alert: alert, Cells: []string{name, strconv.Itoa(c.Procs), cpuPct, cpus, mem, pids, psi, thr},
			Sort:   []string{c.Path, Num(uint64(c.Procs)), Num(cpuSort), cpus, Num(memSort), pids, psi, thr},
			Expand: func() More { return cgroupMore(s, c) }})
	}
	return t
}

func cgroupMore(s *probe.Snapshot, c *probe.Cgroup) More {
	var m More
	if c.Memory != nil && c.Memory.EffectiveMaxFrom != "" && c.Memory.EffectiveMaxFrom != c.Path {
		m.Jumps = append(m.Jumps, Jump{"memory limit set at " + c.Memory.EffectiveMaxFrom, Cgroups, CgroupRef(c.Memory.EffectiveMaxFrom)})
	}
	if c.CPU != nil && c.CPU.EffectiveCPUsFrom != "" && c.CPU.EffectiveCPUsFrom != c.Path {
		m.Jumps = append(m.Jumps, Jump{"cpu limit set at " + c.CPU.EffectiveCPUsFrom, Cgroups, CgroupRef(c.CPU.EffectiveCPUsFrom)})
	}
	if len(c.PIDs) > 0 {
		m.Jumps = append(m.Jumps, Jump{"first process", Processes, ProcRef(c.PIDs[0])})
	}
	for i := range s.Containers {
		if s.Containers[i].Cgroup == c.Path {
			m.Jumps = append(m.Jumps, Jump{"container " + s.Containers[i].Name, Containers, ContainerRef(s.Containers[i].Key())})
		}
	}
	m.Explain = cgroupExplain(s, c)
	m.Detail = cgroupDetail(c)
	return m
}

func cgroupDetail(c *probe.Cgroup) []string {
	d := []string{"cgroup " + c.Path, ""}
	if len(c.Controllers) > 0 {
		d = append(d, "controllers "+strings.Join(c.Controllers, " "))
	}
	d = append(d, fmt.Sprintf("processes  %d", c.Procs))
	if len(c.PIDs) > 0 {
		d = append(d, wrapInts("pids      ", c.PIDs, 50)...)
	}
	u := func(p *uint64) string {
		if p == nil {
			return "-"
		}
		return Bytes(*p)
	}
	if mem := c.Memory; mem != nil {
		d = append(d, "", "memory (in bytes as the kernel counts them, page multiples)")
		exact := func(name string, p *uint64) {
			if p != nil {
				d = append(d, fmt.Sprintf("  %-12s %8s  %d bytes", name, Bytes(*p), *p))
			}
		}
		exact("current", mem.Current)
		if mem.Max != nil && *mem.Max != probe.Unlimited {
			exact("max", (*uint64)(mem.Max))
		}
		d = append(d, fmt.Sprintf("  peak %s  working set %s", u(mem.Peak), u(mem.WorkingSet)))
		d = append(d, fmt.Sprintf("  anon %s  file %s  kernel %s  shmem %s  swap %s", u(mem.Anon), u(mem.File), u(mem.Kernel), u(mem.Shmem), u(mem.Swap)))
		d = append(d, fmt.Sprintf("  max %s  high %s  low %s  min %s", limitStr(mem.Max), limitStr(mem.High), limitStr(mem.Low), limitStr(mem.Min)))
		if from := mem.EffectiveMaxFrom; from == "" {
			d = append(d, "  in force: none, nothing on the path limits it")
		} else {
			d = append(d, fmt.Sprintf("  in force %s (%s), set at %s", limitStr(mem.EffectiveMax), exactBytes(mem.EffectiveMax), from))
		}
	}
	if cpu := c.CPU; cpu != nil {
		d = append(d, "", "cpu")
		if cpu.RatePct != nil {
			d = append(d, fmt.Sprintf("  using %.1f%% of one CPU", *cpu.RatePct))
		}
		if cpu.QuotaUsec != nil && cpu.PeriodUsec != nil {
			d = append(d, fmt.Sprintf("  quota %s per %d µs", limitNum(cpu.QuotaUsec), *cpu.PeriodUsec))
		}
		if cpu.EffectiveCPUs != nil {
			if from := cpu.EffectiveCPUsFrom; from == "" {
				d = append(d, fmt.Sprintf("  in force %.3g CPUs: nothing on the path limits it, the host's online CPUs", *cpu.EffectiveCPUs))
			} else {
				d = append(d, fmt.Sprintf("  in force %.3g CPUs, set at %s by its %s", *cpu.EffectiveCPUs, from, cpu.EffectiveCPUsBy))
			}
		}
		if cpu.Cpuset != "" {
			d = append(d, "  cpuset "+cpu.Cpuset)
		}
		if cpu.NrThrottled != nil && cpu.NrPeriods != nil {
			d = append(d, fmt.Sprintf("  throttled in %d of %d periods", *cpu.NrThrottled, *cpu.NrPeriods))
		}
	}
	if p := c.PIDsCtl; p != nil && p.Current != nil {
		line := fmt.Sprintf("pids %d of %s", *p.Current, limitNum(p.EffectiveMax))
		if from := p.EffectiveMaxFrom; from != "" && from != c.Path {
			line += ", set at " + from
		}
		d = append(d, "", line)
	}
	for k, dir := range c.Dirs {
		d = append(d, fmt.Sprintf("dir %-12s %s", k, dir))
	}
	slices.Sort(d[len(d)-len(c.Dirs):])
	return d
}

// exactBytes is a limit in bytes, as the kernel keeps it (a page multiple).
func exactBytes(l *probe.Limit) string {
	if l == nil || *l == probe.Unlimited {
		return "no limit"
	}
	return strconv.FormatUint(uint64(*l), 10) + " bytes"
}

func limitNum(l *probe.Limit) string {
	if l == nil || *l == probe.Unlimited {
		return "max"
	}
	return strconv.FormatUint(uint64(*l), 10)
}

func inherited(from, self string) string {
	if from != "" && from != self {
		return "↑"
	}
	return ""
}

func limitStr(l *probe.Limit) string {
	if l == nil || *l == probe.Unlimited {
		return "max"
	}
	return Bytes(uint64(*l))
}

// Owner is what a cgroup belongs to, for people: "podman:web", "pod shop/web-7d9f", and the id
// its path holds.
type Owner struct{ Label, ID string }

// CgroupOwners names the cgroups of containers and of pods (a pod's cgroup holds its containers').
func CgroupOwners(s *probe.Snapshot) map[string]Owner {
	owners := map[string]Owner{}
	for i := range s.Containers {
		c := &s.Containers[i]
		if c.Cgroup == "" {
			continue
		}
		owners[c.Cgroup] = Owner{c.Runtime + ":" + ContainerName(c), c.ID}
		if c.Pod == nil || c.Pod.Name == "" || c.Pod.UID == "" {
			continue
		}
		// The pod's cgroup: pod<uid> (cgroupfs) or kubepods-…-pod<uid with _>.slice (systemd).
		pod := path.Dir(c.Cgroup)
		base := path.Base(pod)
		if _, taken := owners[pod]; !taken && (strings.Contains(base, c.Pod.UID) || strings.Contains(base, strings.ReplaceAll(c.Pod.UID, "-", "_"))) {
			owners[pod] = Owner{"pod " + c.Pod.Namespace + "/" + c.Pod.Name, ""}
		}
	}
	return owners
}

// shortenID shortens a container's 64-digit id in a cgroup's name to 12 and "…"
// (libpod-3054a1b2c3d4…).
func shortenID(name, id string) string {
	if len(id) == 64 {
		return strings.Replace(name, id, id[:12]+"…", 1)
	}
	return name
}

// limitLevel is how close used is to a limit in force (OK without one).
func limitLevel(used uint64, limit *probe.Limit) Level {
	if limit == nil || *limit == probe.Unlimited {
		return OK
	}
	return LevelOf(float64(used), float64(*limit))
}

// eighths are a bar cell filled by 0/8 to 8/8.
var eighths = []string{"·", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"}

// memBar draws used against the limit in width cells, each in eighths (6 cells: 48 steps, so
// 2 % of a limit shows); a usage above zero shows at least one eighth; unlimited draws none.
func memBar(used uint64, limit *probe.Limit, width int) string {
	if limit == nil || *limit == probe.Unlimited || *limit == 0 {
		return strings.Repeat("·", width)
	}
	filled := int(float64(used) / float64(*limit) * float64(width*8))
	if used > 0 && filled == 0 {
		filled = 1
	}
	filled = max(0, min(width*8, filled))
	var b strings.Builder
	for i := range width {
		b.WriteString(eighths[max(0, min(8, filled-8*i))])
	}
	return b.String()
}

// cgroupFiles finds a cgroup's files for the explanations: in the v1 hierarchy that has the
// controller, else the unified one.
type cgroupFiles struct {
	c    *probe.Cgroup
	mode string
}

// dir is the directory of the cgroup in the hierarchy with controller ctrl ("" when none has it).
func (f cgroupFiles) dir(ctrl string) (string, int) {
	for k, d := range f.c.Dirs {
		if k != "unified" && containsWord(k, ctrl) {
			return d, 1
		}
	}
	if d, ok := f.c.Dirs["unified"]; ok && (f.mode == "v2" || containsWord(strings.Join(f.c.Controllers, ","), ctrl)) {
		return d, 2
	}
	return "", 0
}

func containsWord(list, w string) bool {
	for _, x := range strings.Split(list, ",") {
		if x == w {
			return true
		}
	}
	return false
}

// procsDir is the hierarchy whose membership isotop counts: v2's on a v2 host; on v1 and hybrid
// hosts memory's, else cpu's, else pids' (the path that stands for a process).
func (f cgroupFiles) procsDir() string {
	if f.mode == "v2" {
		return f.c.Dirs["unified"]
	}
	for _, ctrl := range []string{"memory", "cpu", "pids"} {
		if d, v := f.dir(ctrl); d != "" && v == 1 {
			return d
		}
	}
	for _, d := range f.c.Dirs {
		return d
	}
	return ""
}

// at is the same cgroup file at another cgroup (where a limit in force is set): the directory of
// from in the same hierarchy.
func at(dir, self, from string) string {
	if from == "" || from == self {
		return dir
	}
	root := strings.TrimSuffix(dir, strings.TrimSuffix(self, "/"))
	return path.Join(root, from)
}

func cgroupExplain(s *probe.Snapshot, c *probe.Cgroup) []Explanation {
	f := cgroupFiles{c, s.Host.CgroupMode}
	procs := f.procsDir()
	e := []Explanation{
		{Files: []string{procs}, Command: "ls -d " + sq(procs),
			Meaning: "a cgroup, merged by path across the hierarchies that have it (v1: one per controller; v2: one); a container's shows the container's name first (the Containers view says where that name comes from)"},
		procsExplain(c),
		cpuRateExplain(f),
		cpusExplain(f, s.Host.CPUs),
		memoryExplain(f),
		pidsExplain(f),
		{Meaning: "pressure: % of the last 10 s in which some task here waited for a CPU; PSI is cgroup v2's: a v1 cgroup has no cpu.pressure"},
		{Meaning: "how many CPU periods the quota stopped this cgroup in (cpu.stat nr_throttled); this cgroup has no cpu.stat"},
	}
	if d, ok := c.Dirs["unified"]; ok && c.Pressure != nil && c.Pressure.CPU != nil {
		e[6] = Explanation{Files: []string{d + "/cpu.pressure"}, Command: "cat " + sq(d+"/cpu.pressure"), Meaning: e[6].Meaning[:strings.Index(e[6].Meaning, ";")]}
	}
	if d, _ := f.dir("cpu"); d != "" && c.CPU != nil && c.CPU.NrThrottled != nil {
		e[7] = Explanation{Files: []string{d + "/cpu.stat"}, Command: "grep nr_throttled " + sq(d+"/cpu.stat"), Meaning: e[7].Meaning[:strings.Index(e[7].Meaning, ";")]}
	}
	return e
}

// procsExplain: the processes directly in the cgroup, in any hierarchy that has it (on v1 a
// process may be in /a in one hierarchy and in / in another).
func procsExplain(c *probe.Cgroup) Explanation {
	e := Explanation{Meaning: "processes directly in this cgroup (not in its children), in any of its hierarchies"}
	dirs := make([]string, 0, len(c.Dirs))
	for _, d := range c.Dirs {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	for _, d := range dirs {
		e.Files = append(e.Files, d+"/cgroup.procs")
	}
	if len(dirs) == 1 {
		e.Command = "wc -l < " + sq(e.Files[0])
	} else if len(dirs) > 1 {
		var q []string
		for _, f := range e.Files {
			q = append(q, sq(f))
		}
		e.Command = "cat " + strings.Join(q, " ") + " | sort -u | wc -l"
	}
	return e
}

// cpuRateExplain: the usage read twice, a second apart, as isotop reads it once per refresh.
func cpuRateExplain(f cgroupFiles) Explanation {
	e := Explanation{Meaning: "CPU time used since the previous snapshot, as % of one CPU (200 = two CPUs busy)"}
	switch d, v := f.dir("cpuacct"); {
	case v == 1:
		file := sq(d + "/cpuacct.usage")
		e.Files = []string{d + "/cpuacct.usage"}
		e.Command = "a=$(cat " + file + "); sleep 1; b=$(cat " + file + "); echo $(( (b - a) / 10000000 ))   # ns per s, in %"
	case v == 2 && f.c.CPU != nil && f.c.CPU.UsageUsec != nil:
		file := sq(d + "/cpu.stat")
		e.Files = []string{d + "/cpu.stat"}
		e.Command = "a=$(awk '/^usage_usec/ {print $2}' " + file + "); sleep 1; b=$(awk '/^usage_usec/ {print $2}' " + file + "); echo $(( (b - a) / 10000 ))   # µs per s, in %"
	default:
		e.Meaning += "; no hierarchy here accounts this cgroup's CPU time (no cpuacct, or the root of v2)"
	}
	return e
}

func cpusExplain(f cgroupFiles, hostCPUs int) Explanation {
	e := Explanation{Meaning: "the tightest CPU limit from the root down, in CPUs: a quota (quota/period) or the cpuset's size; ↑ when an ancestor sets it"}
	cpu := f.c.CPU
	if cpu == nil || cpu.EffectiveCPUs == nil {
		return e
	}
	from := cpu.EffectiveCPUsFrom
	switch cpu.EffectiveCPUsBy {
	case "cpu.max", "cpu.cfs_quota_us":
		d, v := f.dir("cpu")
		d = at(d, f.c.Path, from)
		if v == 2 {
			e.Files, e.Command = []string{d + "/cpu.max"}, "cat "+sq(d+"/cpu.max")+"   # quota period, in µs: "+from
		} else {
			e.Files = []string{d + "/cpu.cfs_quota_us", d + "/cpu.cfs_period_us"}
			e.Command = "cat " + sq(d+"/cpu.cfs_quota_us") + " " + sq(d+"/cpu.cfs_period_us") + "   # quota, period in µs: " + from
		}
	case "cpuset":
		d, v := f.dir("cpuset")
		d = at(d, f.c.Path, from)
		file := d + "/cpuset.effective_cpus"
		if v == 2 {
			file = d + "/cpuset.cpus.effective"
		}
		e.Files, e.Command = []string{file}, "cat "+sq(file)+"   # the CPUs "+from+" may run on"
	default:
		e.Files, e.Command = []string{"/sys/devices/system/cpu/online"}, "cat /sys/devices/system/cpu/online   # nothing on the path limits it: the host's CPUs"
		e.Meaning += fmt.Sprintf("; nothing limits this one: the host's %d online CPUs", hostCPUs)
	}
	return e
}

func memoryExplain(f cgroupFiles) Explanation {
	e := Explanation{Meaning: "memory charged to the cgroup (page cache included) against the tightest limit from the root down; ↑ when an ancestor sets it. The bar is the usage in eighths of a cell; the kernel keeps a limit in whole pages (a write of 50000000 reads back as 49999872)"}
	m := f.c.Memory
	d, v := f.dir("memory")
	if m == nil || m.Current == nil || d == "" {
		e.Meaning += "; no memory usage is accounted here"
		return e
	}
	cur, limit := "memory.current", "memory.max"
	if v == 1 {
		cur, limit = "memory.usage_in_bytes", "memory.limit_in_bytes"
	}
	e.Files = []string{d + "/" + cur}
	e.Command = "cat " + sq(d+"/"+cur)
	switch from := m.EffectiveMaxFrom; {
	case from != "" && from != f.c.Path:
		set := at(d, f.c.Path, from) + "/" + limit
		e.Files = append(e.Files, set, d+"/"+limit)
		e.Command += " " + sq(set) + "   # used; the limit in force, set at " + from + " (its own: cat " + sq(d+"/"+limit) + ")"
	case m.Max != nil:
		e.Files = append(e.Files, d+"/"+limit)
		e.Command += " " + sq(d+"/"+limit) + "   # used; its limit"
		if from == "" {
			e.Meaning += "; nothing on the path limits it"
		}
	default:
		e.Meaning += "; it has no " + limit + " (the root): nothing limits it"
	}
	e.Meaning += fmt.Sprintf(". Exactly: %d bytes used", *m.Current)
	if l := m.EffectiveMax; l != nil && *l != probe.Unlimited {
		e.Meaning += fmt.Sprintf(" of %d (%s)", uint64(*l), Bytes(uint64(*l)))
	}
	return e
}

func pidsExplain(f cgroupFiles) Explanation {
	e := Explanation{Meaning: "tasks (threads count) against the tightest pids.max from the root down"}
	p := f.c.PIDsCtl
	d, _ := f.dir("pids")
	if p == nil || p.Current == nil || d == "" {
		e.Meaning += "; no pids controller here"
		return e
	}
	e.Files, e.Command = []string{d + "/pids.current"}, "cat "+sq(d+"/pids.current")
	switch from := p.EffectiveMaxFrom; {
	case from != "" && from != f.c.Path:
		set := at(d, f.c.Path, from) + "/pids.max"
		e.Files = append(e.Files, set)
		e.Command += " " + sq(set) + "   # tasks; the limit in force, set at " + from
	case p.Max != nil:
		e.Files = append(e.Files, d+"/pids.max")
		e.Command += " " + sq(d+"/pids.max") + "   # tasks; its limit"
	}
	return e
}
