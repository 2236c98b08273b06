package probe

import (
	"path"
	"slices"
	"strings"
)

// effective is a limit in force at a cgroup and where it comes from.
type effective struct {
	val  float64 // CPUs for cpu; bytes or pids otherwise; +Inf-like Unlimited as Limit
	lim  Limit
	from string
	by   string
}

// applyEffective fills the effective limits: for each cgroup the tightest memory max, pids max and
// CPU limit on its path from the root, and the cgroup imposing it. Paths are walked parents first;
// a node without the controller passes its parent's value down.
func applyEffective(nodes map[string]*Cgroup, hostCPUs int) {
	paths := make([]string, 0, len(nodes))
	for p := range nodes {
		paths = append(paths, p)
	}
	slices.Sort(paths) // a parent is a prefix of its children, so it sorts first
	mem := map[string]effective{}
	pids := map[string]effective{}
	cpu := map[string]effective{}
	for _, p := range paths {
		n := nodes[p]
		pm, ok := mem[path.Dir(p)]
		if !ok || p == "/" {
			pm = effective{lim: Unlimited}
		}
		pp, ok := pids[path.Dir(p)]
		if !ok || p == "/" {
			pp = effective{lim: Unlimited}
		}
		pc, ok := cpu[path.Dir(p)]
		if !ok || p == "/" {
			pc = effective{val: float64(hostCPUs), by: "online CPUs"}
		}
		if n.Memory != nil && n.Memory.Max != nil && *n.Memory.Max < pm.lim {
			pm = effective{lim: *n.Memory.Max, from: p}
		}
		if n.PIDsCtl != nil && n.PIDsCtl.Max != nil && *n.PIDsCtl.Max < pp.lim {
			pp = effective{lim: *n.PIDsCtl.Max, from: p}
		}
		if c := n.CPU; c != nil {
			if c.QuotaUsec != nil && *c.QuotaUsec != Unlimited && c.PeriodUsec != nil && *c.PeriodUsec > 0 {
				if q := float64(*c.QuotaUsec) / float64(*c.PeriodUsec); q < pc.val || pc.val == 0 {
					pc = effective{val: q, from: p, by: quotaFile(n)}
				}
			}
			if c.CpusetCPUs != nil && *c.CpusetCPUs > 0 && (float64(*c.CpusetCPUs) < pc.val || pc.val == 0) {
				pc = effective{val: float64(*c.CpusetCPUs), from: p, by: "cpuset"}
			}
		}
		mem[p], pids[p], cpu[p] = pm, pp, pc
		if n.Memory != nil {
			n.Memory.EffectiveMax, n.Memory.EffectiveMaxFrom = lim(pm.lim), pm.from
		}
		if n.PIDsCtl != nil {
			n.PIDsCtl.EffectiveMax, n.PIDsCtl.EffectiveMaxFrom = lim(pp.lim), pp.from
		}
		if n.CPU != nil && pc.val > 0 {
			v := pc.val
			n.CPU.EffectiveCPUs, n.CPU.EffectiveCPUsFrom, n.CPU.EffectiveCPUsBy = &v, pc.from, pc.by
		}
	}
}

func quotaFile(n *Cgroup) string {
	if _, v2 := n.Dirs["unified"]; v2 && n.CPU.Shares == nil {
		return "cpu.max"
	}
	return "cpu.cfs_quota_us"
}

// primaryCgroup picks the one cgroup path that stands for a process: its v2 path on a v2 host, and on
// v1 and hybrid hosts its path in the memory hierarchy, else cpu, else pids, else the first.
func primaryCgroup(lines []CgroupMembership, mode string) string {
	find := func(ctrl string) (string, bool) {
		for _, l := range lines {
			if (ctrl == "" && l.Hierarchy == 0) || (ctrl != "" && slices.Contains(l.Controllers, ctrl)) {
				return l.Path, true
			}
		}
		return "", false
	}
	if mode == "v2" {
		p, _ := find("")
		return p
	}
	for _, c := range []string{"memory", "cpu", "pids"} {
		if p, ok := find(c); ok {
			return p
		}
	}
	for _, l := range lines {
		if l.Hierarchy != 0 && !strings.HasPrefix(strings.Join(l.Controllers, ","), "name=") {
			return l.Path
		}
	}
	if p, ok := find(""); ok {
		return p
	}
	if len(lines) > 0 {
		return lines[0].Path
	}
	return ""
}
