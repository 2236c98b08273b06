package render

import (
	"fmt"
	"sort"
	"strings"

	"github.com/isotop/isotop/probe"
)

// OverviewText is the host at a glance: its kernel and cgroup mode, the namespaces, containers and
// network namespaces counted, the busiest cgroups, the recent cgroup events (OOM kills…), and
// what could not be read. readOnly and lockdown say how read-only mode holds, when it is on.
func OverviewText(s *probe.Snapshot, readOnly bool, lockdown string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "host %s, kernel %s, %d CPUs, cgroup mode %s\n", Clean(s.Host.Hostname), Clean(s.Host.Kernel), s.Host.CPUs, s.Host.CgroupMode)
	fmt.Fprintf(&b, "host namespaces from %s\n", Clean(s.Host.NSFrom))
	if readOnly {
		b.WriteString("read-only: every action is refused")
		if lockdown != "" {
			// One line per process of the lockdown ("; " between them in the account).
			b.WriteString(", and the kernel holds it:")
			for _, part := range strings.Split(lockdown, "; ") {
				b.WriteString("\n  " + part)
			}
		}
		b.WriteString("\n")
	}
	if s.Partial != "" {
		fmt.Fprintf(&b, "\n%d processes\n%s…\n", len(s.Processes), s.Partial)
		return b.String()
	}
	counts := map[probe.NSKind]int{}
	for _, ns := range s.Namespaces {
		counts[ns.Type]++
	}
	b.WriteString("\nnamespaces  ")
	for _, k := range probe.Kinds {
		fmt.Fprintf(&b, "%s %d  ", k, counts[k])
	}
	runtimes := map[string]int{}
	for _, c := range s.Containers {
		runtimes[c.Runtime]++
	}
	b.WriteString("\ncontainers  ")
	if len(runtimes) == 0 {
		b.WriteString("none")
	}
	var rs []string
	for r := range runtimes {
		rs = append(rs, r)
	}
	sort.Strings(rs)
	for _, r := range rs {
		fmt.Fprintf(&b, "%s %d  ", r, runtimes[r])
	}
	fmt.Fprintf(&b, "\nnetwork     %d namespaces\n", len(s.NetNamespaces))
	// The busiest cgroups: by CPU rate when there is one, else by memory.
	type busy struct {
		path string
		cpu  float64
		mem  uint64
	}
	var bs []busy
	for _, c := range s.Cgroups {
		x := busy{path: Clean(c.Path)}
		if c.CPU != nil && c.CPU.RatePct != nil {
			x.cpu = *c.CPU.RatePct
		}
		if c.Memory != nil && c.Memory.Current != nil {
			x.mem = *c.Memory.Current
		}
		if c.Path != "/" {
			bs = append(bs, x)
		}
	}
	sort.Slice(bs, func(i, j int) bool {
		if bs[i].cpu != bs[j].cpu {
			return bs[i].cpu > bs[j].cpu
		}
		return bs[i].mem > bs[j].mem
	})
	b.WriteString("\nbusiest cgroups\n")
	for i, x := range bs {
		if i == 5 {
			break
		}
		fmt.Fprintf(&b, "  %-40s %5.0f%% cpu  %8s\n", Fit(x.path, 40), x.cpu, Bytes(x.mem))
	}
	nearLimits(&b, s)
	switch {
	case strings.HasPrefix(s.EventsFrom, "inotify"):
		b.WriteString("\nrecent cgroup events (followed with inotify)\n")
	case s.EventsFrom != "":
		b.WriteString("\nrecent cgroup events (seen between refreshes)\n")
	default:
		b.WriteString("\nrecent cgroup events\n")
	}
	if len(s.CgroupEvents) == 0 {
		b.WriteString("  none since isotop started\n")
	}
	for i := len(s.CgroupEvents) - 1; i >= 0 && i >= len(s.CgroupEvents)-5; i-- {
		e := s.CgroupEvents[i]
		fmt.Fprintf(&b, "  %s %-10s ×%d %s\n", e.Time.Format("15:04:05"), Clean(e.Event), e.Count, Clean(e.Cgroup))
	}
	if n := len(s.Errors); n > 0 {
		things := "things"
		if n == 1 {
			things = "thing"
		}
		fmt.Fprintf(&b, "\n%d %s could not be read (partial data), the first: %s: %s\n", n, things, Clean(s.Errors[0].Path), Clean(s.Errors[0].Error))
	}
	return b.String()
}

// Compare sets two processes' namespaces side by side, kind by kind: shared or not.
func Compare(s *probe.Snapshot, x, y Ref) string {
	var ps [2]*probe.Process
	for i, r := range []Ref{x, y} {
		for j := range s.Processes {
			if r.Kind == RefProcess && s.Processes[j].PID == r.PID() {
				ps[i] = &s.Processes[j]
			}
		}
	}
	if ps[0] == nil || ps[1] == nil {
		return "a marked process is gone"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Namespaces of %d (%s) and %d (%s)\n\n", ps[0].PID, Clean(ps[0].Comm), ps[1].PID, Clean(ps[1].Comm))
	fmt.Fprintf(&b, "  %-8s %-12s %-12s\n", "KIND", fmt.Sprint(ps[0].PID), fmt.Sprint(ps[1].PID))
	for _, k := range probe.Kinds {
		a, c := ps[0].Namespaces.Get(k), ps[1].Namespaces.Get(k)
		same := "differ"
		if a == c && a != 0 {
			same = "shared"
		}
		fmt.Fprintf(&b, "  %-8s %-12d %-12d %s\n", k, a, c, same)
	}
	return b.String()
}

// NearMarks start the Overview's lines of values near their limits: the TUI colours them (with
// NO_COLOR the marks say it).
const (
	WarnMark  = "!  "
	AlarmMark = "‼  "
)

// nearLimits lists the cgroups whose memory or pids are at 80 % of the limit in force or more
// (95 %: alarm), the closest first, with a bar in eighths.
func nearLimits(b *strings.Builder, s *probe.Snapshot) {
	type near struct {
		line  string
		ratio float64
	}
	var ns []near
	owners := CgroupOwners(s)
	for i := range s.Cgroups {
		c := &s.Cgroups[i]
		where := Clean(c.Path)
		if o, ok := owners[c.Path]; ok {
			where = o.Label + "  " + shortenID(where, o.ID)
		}
		if m := c.Memory; m != nil && m.Current != nil && limitLevel(*m.Current, m.EffectiveMax) != OK {
			r := float64(*m.Current) / float64(*m.EffectiveMax)
			ns = append(ns, near{fmt.Sprintf("%s %3.0f%%  memory %s/%s%s  %s", memBar(*m.Current, m.EffectiveMax, 6), 100*r,
				Bytes(*m.Current), limitStr(m.EffectiveMax), inherited(m.EffectiveMaxFrom, c.Path), where), r})
		}
		if p := c.PIDsCtl; p != nil && p.Current != nil && limitLevel(*p.Current, p.EffectiveMax) != OK {
			r := float64(*p.Current) / float64(*p.EffectiveMax)
			ns = append(ns, near{fmt.Sprintf("%s %3.0f%%  pids %d/%d%s  %s", memBar(*p.Current, p.EffectiveMax, 6), 100*r,
				*p.Current, uint64(*p.EffectiveMax), inherited(p.EffectiveMaxFrom, c.Path), where), r})
		}
	}
	if len(ns) == 0 {
		return
	}
	sort.SliceStable(ns, func(i, j int) bool { return ns[i].ratio > ns[j].ratio })
	b.WriteString("\nnear their limits (80 % and more of the limit in force)\n")
	for i, n := range ns {
		if i == 8 {
			fmt.Fprintf(b, "  … %d more (the Cgroups view, sorted with M)\n", len(ns)-8)
			break
		}
		mark := WarnMark
		if n.ratio >= 0.95 {
			mark = AlarmMark
		}
		b.WriteString(mark + n.line + "\n")
	}
}
