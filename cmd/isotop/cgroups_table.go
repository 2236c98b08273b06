package main

import (
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui/render"
)

// writeCgroups prints the cgroup tree: members, memory used against the limit in force, the CPU
// limit in force, pids against their limit. A limit set by an ancestor is marked ↑.
func writeCgroups(w io.Writer, s *probe.Snapshot) {
	var where []string
	v1 := map[string]bool{}
	for _, m := range s.Host.CgroupMounts {
		if m.Version == 2 {
			where = append(where, "v2 at "+m.MountPoint)
		} else if dir := path.Dir(m.MountPoint); !v1[dir] {
			v1[dir] = true
			where = append(where, "v1 hierarchies in "+dir)
		}
	}
	fmt.Fprintf(w, "\nCGROUPS (%s: %s)\n", s.Host.CgroupMode, strings.Join(where, ", "))
	fmt.Fprintf(w, "%-34s %5s %-17s %-9s %s\n", "PATH", "PROCS", "MEMORY USED/MAX", "CPUS", "PIDS/MAX")
	label := map[string]string{} // a container's cgroup named as the TUI names it: podman:web  libpod-3054…
	for _, r := range render.CgroupTable(s).Rows {
		label[r.Ref.Name] = r.Cells[0]
	}
	for _, c := range s.Cgroups {
		depth := strings.Count(c.Path, "/")
		name := label[c.Path]
		if c.Path == "/" {
			depth, name = 0, "/"
		}
		fmt.Fprintf(w, "%-34s %5d %-17s %-9s %s\n", truncate(strings.Repeat("  ", max(depth-1, 0))+name, 34), c.Procs, memCell(c), cpuCell(c), pidsCell(c))
	}
	fmt.Fprintln(w, "(↑ a limit set by an ancestor; rates need two snapshots: --sample 1s)")
}

func memCell(c probe.Cgroup) string {
	m := c.Memory
	if m == nil || m.Current == nil {
		return "-"
	}
	return render.Bytes(*m.Current) + "/" + limitCell(m.EffectiveMax, m.EffectiveMaxFrom, c.Path, render.Bytes)
}

func cpuCell(c probe.Cgroup) string {
	p := c.CPU
	if p == nil || p.EffectiveCPUs == nil {
		return "-"
	}
	s := strconv.FormatFloat(*p.EffectiveCPUs, 'g', 3, 64)
	if p.EffectiveCPUsFrom != "" && p.EffectiveCPUsFrom != c.Path {
		s += "↑"
	}
	if p.RatePct != nil {
		s = strconv.FormatFloat(*p.RatePct, 'f', 0, 64) + "%/" + s
	}
	return s
}

func pidsCell(c probe.Cgroup) string {
	p := c.PIDsCtl
	if p == nil || p.Current == nil {
		return "-"
	}
	return strconv.FormatUint(*p.Current, 10) + "/" + limitCell(p.EffectiveMax, p.EffectiveMaxFrom, c.Path,
		func(v uint64) string { return strconv.FormatUint(v, 10) })
}

func limitCell(l *probe.Limit, from, self string, format func(uint64) string) string {
	if l == nil || *l == probe.Unlimited {
		return "max"
	}
	s := format(uint64(*l))
	if from != self {
		s += "↑"
	}
	return s
}
