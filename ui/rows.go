package ui

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/probe"
)

// ViewID names a view.
type ViewID int

// The views, in Tab order.
const (
	Overview ViewID = iota
	Namespaces
	Processes
	Cgroups
	Containers
	Network
	Audit
	numViews
)

var viewNames = [...]string{"Overview", "Namespaces", "Processes", "Cgroups", "Containers", "Network", "Audit"}

// viewKeys are the keys that open each view.
var viewKeys = [...]string{"o", "n", "p", "g", "c", "w", "a"}

func (v ViewID) String() string { return viewNames[v] }

// Column is a table column: a title, a minimum width, and whether it takes the spare width.
type Column struct {
	Title string
	Width int
	Flex  bool
	Right bool
}

// Jump is a cross-link from a row to an object in another view.
type Jump struct {
	Label string
	View  ViewID
	Key   string
}

// Explanation says where one value comes from, for teaching labs.
type Explanation struct {
	Files   []string // the kernel files read (or the interface, such as netlink)
	Command string   // a shell command that shows the same
	Meaning string   // one line on what it means
}

// More is what a row shows on demand: where it links to, where each of its values comes from (one
// Explanation per column), and the object in full for the detail pane. It is built when asked for,
// not on every refresh: a host has thousands of rows and an operator looks at one.
type More struct {
	Jumps   []Jump
	Explain []Explanation
	Detail  []string
}

// Row is one line of a table: a stable key (the object's identity, kept across refreshes), its
// cells, its indentation in a tree, and what it shows on demand.
type Row struct {
	Key   string
	Cells []string
	Depth int
	// Sort holds a sortable value per column (numbers as zero-padded strings); empty: the cell.
	Sort []string
	more func() More
}

// More builds what the row shows on demand.
func (r *Row) More() More {
	if r.more == nil {
		return More{}
	}
	return r.more()
}

// Table is a view's columns and rows; TreeCol is the column indented by a row's depth.
type Table struct {
	Columns []Column
	Rows    []Row
	TreeCol int
}

func procKey(p *probe.Process) string { return "proc:" + strconv.Itoa(p.PID) }
func nsKey(kind probe.NSKind, ino uint64) string {
	return "ns:" + string(kind) + ":" + strconv.FormatUint(ino, 10)
}
func cgKey(path string) string        { return "cg:" + path }
func ctKey(c *probe.Container) string { return "ct:" + c.Key() }
func netKey(ino uint64) string        { return "net:" + strconv.FormatUint(ino, 10) }
func linkKey(ino uint64, idx int) string {
	return "link:" + strconv.FormatUint(ino, 10) + ":" + strconv.Itoa(idx)
}

func num(n uint64) string {
	const zeros = "00000000000000000000"
	d := strconv.FormatUint(n, 10)
	return zeros[len(d):] + d
}

// kindLetters abbreviates namespace kinds for the isolation column: C I M N P T U u (uts).
var kindLetters = map[probe.NSKind]string{probe.NSCgroup: "C", probe.NSIPC: "I", probe.NSMnt: "M", probe.NSNet: "N",
	probe.NSPID: "P", probe.NSTime: "T", probe.NSUser: "U", probe.NSUTS: "u"}

func isolation(kinds []probe.NSKind) string {
	if len(kinds) == 0 {
		return "-"
	}
	var b strings.Builder
	for _, k := range probe.Kinds {
		if slices.Contains(kinds, k) {
			b.WriteString(kindLetters[k])
		}
	}
	return b.String()
}

// NamespaceTable lists namespaces by kind; pid and user namespaces as trees under their parents.
func NamespaceTable(s *probe.Snapshot) Table {
	t := Table{Columns: []Column{{Title: "TYPE", Width: 6}, {Title: "NS", Width: 13},
		{Title: "PROCS", Width: 5, Right: true}, {Title: "PID", Width: 7, Right: true}, {Title: "OWNER", Width: 10, Right: true},
		{Title: "COMMAND / HELD BY", Width: 20, Flex: true}}, TreeCol: 1}
	byKind := map[probe.NSKind][]*probe.Namespace{}
	index := map[string]*probe.Namespace{}
	for i := range s.Namespaces {
		ns := &s.Namespaces[i]
		byKind[ns.Type] = append(byKind[ns.Type], ns)
		index[nsKey(ns.Type, ns.Inode)] = ns
	}
	for _, kind := range probe.Kinds {
		list := byKind[kind]
		depth := map[uint64]int{}
		if kind == probe.NSPID || kind == probe.NSUser {
			list = treeOrder(list, depth)
		}
		for _, ns := range list {
			held := ns.Command
			if len(ns.Mounts) > 0 {
				held = strings.TrimSpace(held + " mount " + strings.Join(ns.Mounts, " "))
			}
			for _, r := range ns.UIDMap {
				if !(r.Inside == 0 && r.Outside == 0 && r.Count == 4294967295) {
					held += fmt.Sprintf(" uid %d→%d", r.Inside, r.Outside)
				}
			}
			if held == "" {
				held = "(owner or parent of another namespace)"
			}
			owner, pid := "-", "-"
			if ns.OwnerUserNS != nil {
				owner = strconv.FormatUint(*ns.OwnerUserNS, 10)
			}
			if ns.PID > 0 {
				pid = strconv.Itoa(ns.PID)
			}
			t.Rows = append(t.Rows, Row{Key: nsKey(ns.Type, ns.Inode), Depth: depth[ns.Inode],
				Cells: []string{string(ns.Type), strconv.FormatUint(ns.Inode, 10), strconv.Itoa(ns.Processes), pid, owner, held},
				Sort:  []string{string(ns.Type), num(ns.Inode), num(uint64(ns.Processes)), num(uint64(ns.PID)), owner, held},
				more:  func() More { return namespaceMore(s, ns, index) }})
		}
	}
	return t
}

func namespaceMore(s *probe.Snapshot, ns *probe.Namespace, index map[string]*probe.Namespace) More {
	var m More
	if ns.PID > 0 {
		m.Jumps = append(m.Jumps, Jump{"lowest process", Processes, "proc:" + strconv.Itoa(ns.PID)})
	}
	if ns.Type == probe.NSNet {
		m.Jumps = append(m.Jumps, Jump{"links", Network, netKey(ns.Inode)})
	}
	if ns.OwnerUserNS != nil {
		m.Jumps = append(m.Jumps, Jump{"owner user namespace", Namespaces, nsKey(probe.NSUser, *ns.OwnerUserNS)})
	}
	if ns.Parent != nil {
		m.Jumps = append(m.Jumps, Jump{"parent", Namespaces, nsKey(ns.Type, *ns.Parent)})
	}
	m.Explain = namespaceExplain(ns)
	m.Detail = append(m.Detail, fmt.Sprintf("%s namespace %d", ns.Type, ns.Inode), "")
	m.Detail = append(m.Detail, fmt.Sprintf("processes  %d", ns.Processes))
	if len(ns.PIDs) > 0 {
		m.Detail = append(m.Detail, wrapInts("pids      ", ns.PIDs, 200)...)
	}
	if len(ns.ForChildren) > 0 {
		m.Detail = append(m.Detail, wrapInts("children  ", ns.ForChildren, 50)...)
	}
	for _, mnt := range ns.Mounts {
		m.Detail = append(m.Detail, "bind mount "+mnt)
	}
	if ns.OwnerUserNS != nil {
		m.Detail = append(m.Detail, fmt.Sprintf("owner      user %d", *ns.OwnerUserNS))
	}
	if ns.OwnerUID != nil {
		m.Detail = append(m.Detail, fmt.Sprintf("created by uid %d", *ns.OwnerUID))
	}
	for _, r := range ns.UIDMap {
		m.Detail = append(m.Detail, fmt.Sprintf("uid_map    %d-%d inside = %d-%d outside", r.Inside, r.Inside+r.Count-1, r.Outside, r.Outside+r.Count-1))
	}
	for _, r := range ns.GIDMap {
		m.Detail = append(m.Detail, fmt.Sprintf("gid_map    %d-%d inside = %d-%d outside", r.Inside, r.Inside+r.Count-1, r.Outside, r.Outside+r.Count-1))
	}
	if ns.Parent != nil {
		chain := []string{strconv.FormatUint(ns.Inode, 10)}
		for p, n := ns.Parent, 0; p != nil && n < 33; n++ { // the kernel nests at most 32 deep
			chain = append(chain, strconv.FormatUint(*p, 10))
			next := index[nsKey(ns.Type, *p)]
			if next == nil {
				break
			}
			p = next.Parent
		}
		m.Detail = append(m.Detail, "parents    "+strings.Join(chain, " → "))
	}
	return m
}

// wrapInts lists numbers after a label, at most limit of them, 10 to a line.
func wrapInts(label string, v []int, limit int) []string {
	var out []string
	for i := 0; i < len(v) && i < limit; i += 10 {
		var b strings.Builder
		if i == 0 {
			b.WriteString(label)
		} else {
			b.WriteString(strings.Repeat(" ", len(label)))
		}
		for _, n := range v[i:min(i+10, len(v), limit)] {
			b.WriteString(" " + strconv.Itoa(n))
		}
		out = append(out, b.String())
	}
	if len(v) > limit {
		out = append(out, fmt.Sprintf("%s … and %d more", strings.Repeat(" ", len(label)), len(v)-limit))
	}
	return out
}

var nsMeaning = map[probe.NSKind]string{
	probe.NSCgroup: "which part of the cgroup tree the processes see as their root",
	probe.NSIPC:    "System V IPC objects and POSIX message queues the processes share",
	probe.NSMnt:    "the mount table: what the processes see as their filesystems",
	probe.NSNet:    "network devices, addresses, routes, firewall and sockets",
	probe.NSPID:    "the process ids the processes see; the first process in it is its pid 1",
	probe.NSTime:   "offsets of the monotonic and boot clocks",
	probe.NSUser:   "user and group ids and capabilities: root inside may be anyone outside",
	probe.NSUTS:    "the hostname and domain name",
}

// treeOrder puts namespaces after their parents, depth-first, and fills their depth.
func treeOrder(list []*probe.Namespace, depth map[uint64]int) []*probe.Namespace {
	children := map[uint64][]*probe.Namespace{}
	inList := map[uint64]bool{}
	for _, ns := range list {
		inList[ns.Inode] = true
	}
	var roots []*probe.Namespace
	for _, ns := range list {
		if ns.Parent != nil && inList[*ns.Parent] {
			children[*ns.Parent] = append(children[*ns.Parent], ns)
		} else {
			roots = append(roots, ns)
		}
	}
	var out []*probe.Namespace
	seen := map[*probe.Namespace]bool{} // each once: a replayed file may hold cycles and duplicates
	var walk func(ns *probe.Namespace, d int)
	walk = func(ns *probe.Namespace, d int) {
		if d > 64 || seen[ns] {
			return
		}
		seen[ns] = true
		depth[ns.Inode] = d
		out = append(out, ns)
		for _, c := range children[ns.Inode] {
			walk(c, d+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	for _, ns := range list { // in a cycle of parents: no root leads there
		walk(ns, 0)
	}
	return out
}

// ProcessTable lists processes as a tree by parent, with their isolation and container.
func ProcessTable(s *probe.Snapshot) Table {
	t := Table{Columns: []Column{{Title: "PID", Width: 7, Right: true}, {Title: "NSPID", Width: 5, Right: true},
		{Title: "UID", Width: 6, Right: true}, {Title: "ISOLATED", Width: 8}, {Title: "CONTAINER", Width: 12},
		{Title: "COMMAND", Width: 20, Flex: true}}, TreeCol: 5}
	children := map[int][]int{}
	idx := map[int]int{}
	for i := range s.Processes {
		idx[s.Processes[i].PID] = i
	}
	var roots []int
	for i := range s.Processes {
		p := &s.Processes[i]
		if _, ok := idx[p.PPID]; ok && p.PPID != p.PID {
			children[p.PPID] = append(children[p.PPID], i)
		} else {
			roots = append(roots, i)
		}
	}
	names := map[string]string{}
	for i := range s.Containers {
		names[s.Containers[i].Key()] = s.Containers[i].Name
	}
	// Each process once: a replayed file may hold duplicate pids or a cycle of parents, which
	// a walk by pid alone would follow without end.
	seen := make([]bool, len(s.Processes))
	var walk func(i, d int)
	walk = func(i, d int) {
		if d > 256 || seen[i] {
			return
		}
		seen[i] = true
		p := &s.Processes[i]
		nspid := "-"
		if n := len(p.NSPids); n > 1 {
			nspid = strconv.Itoa(p.NSPids[n-1])
		}
		cmd := strings.Join(p.Cmdline, " ")
		if cmd == "" {
			cmd = "[" + p.Comm + "]"
		}
		row := Row{Key: procKey(p), Depth: d,
			Cells: []string{strconv.Itoa(p.PID), nspid, strconv.Itoa(p.UID), isolation(p.Isolated), names[p.Container], cmd},
			Sort:  []string{num(uint64(p.PID)), nspid, num(uint64(p.UID)), isolation(p.Isolated), names[p.Container], cmd},
			more:  func() More { return processMore(s, p) }}
		t.Rows = append(t.Rows, row)
		for _, c := range children[p.PID] {
			walk(c, d+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	for i := range s.Processes { // in a cycle of parents: no root leads there
		walk(i, 0)
	}
	return t
}

func processMore(s *probe.Snapshot, p *probe.Process) More {
	var m More
	if p.Container != "" {
		m.Jumps = append(m.Jumps, Jump{"container", Containers, "ct:" + p.Container})
	}
	if p.Cgroup != "" {
		m.Jumps = append(m.Jumps, Jump{"cgroup " + p.Cgroup, Cgroups, cgKey(p.Cgroup)})
	}
	for _, k := range probe.Kinds {
		if ino := p.Namespaces.Get(k); ino != 0 {
			m.Jumps = append(m.Jumps, Jump{string(k) + " namespace", Namespaces, nsKey(k, ino)})
		}
	}
	if p.Namespaces.Net != 0 {
		m.Jumps = append(m.Jumps, Jump{"network", Network, netKey(p.Namespaces.Net)})
	}
	var ct *probe.Container
	for i := range s.Containers {
		if s.Containers[i].Key() == p.Container {
			ct = &s.Containers[i]
		}
	}
	m.Explain = processExplain(s, p, ct)
	m.Detail = []string{fmt.Sprintf("process %d  %s", p.PID, p.Comm), "",
		fmt.Sprintf("parent     %d", p.PPID),
		fmt.Sprintf("state      %s, %d threads", p.State, p.Threads),
		fmt.Sprintf("uid/gid    %d/%d", p.UID, p.GID),
		fmt.Sprintf("started    %s", p.Started.Local().Format("2006-01-02 15:04:05")),
		fmt.Sprintf("cpu        %.2f s", float64(p.CPUUsec)/1e6),
		fmt.Sprintf("rss        %s", HumanBytes(p.RSSBytes))}
	if len(p.NSPids) > 1 {
		var chain []string
		for _, n := range p.NSPids {
			chain = append(chain, strconv.Itoa(n))
		}
		m.Detail = append(m.Detail, "pid chain  "+strings.Join(chain, " → ")+"  (host → innermost)")
	}
	if p.Cgroup != "" {
		m.Detail = append(m.Detail, "cgroup     "+p.Cgroup)
	}
	if p.Container != "" {
		m.Detail = append(m.Detail, "container  "+p.Container)
	}
	m.Detail = append(m.Detail, "", "namespaces")
	for _, k := range probe.Kinds {
		if ino := p.Namespaces.Get(k); ino != 0 {
			mark := ""
			if slices.Contains(p.Isolated, k) {
				mark = "  isolated"
			}
			m.Detail = append(m.Detail, fmt.Sprintf("  %-7s %d%s", k, ino, mark))
		}
	}
	m.Detail = append(m.Detail, "", "command")
	cmd := strings.Join(p.Cmdline, " ")
	if cmd == "" {
		cmd = "[" + p.Comm + "]"
	}
	m.Detail = append(m.Detail, "  "+cmd)
	return m
}

// CgroupTable lists the cgroup tree with usage against the limits in force.
func CgroupTable(s *probe.Snapshot) Table {
	t := Table{Columns: []Column{{Title: "CGROUP", Width: 16, Flex: true}, {Title: "PROCS", Width: 5, Right: true},
		{Title: "CPU%", Width: 5, Right: true}, {Title: "CPUS", Width: 5, Right: true}, {Title: "MEMORY", Width: 17},
		{Title: "PIDS", Width: 8, Right: true}, {Title: "PSI", Width: 5, Right: true}, {Title: "THROTL", Width: 6, Right: true}}}
	for i := range s.Cgroups {
		c := &s.Cgroups[i]
		name := path.Base(c.Path)
		depth := strings.Count(c.Path, "/")
		if c.Path == "/" {
			depth = 0
		} else {
			depth--
		}
		cpuPct, cpus, mem, pids, psi, thr := "-", "-", "-", "-", "-", "-"
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
			mem = memBar(*m.Current, m.EffectiveMax, 6) + " " + HumanBytes(*m.Current) + "/" + limitStr(m.EffectiveMax) + inherited(m.EffectiveMaxFrom, c.Path)
			memSort = *m.Current
		}
		if p := c.PIDsCtl; p != nil && p.Current != nil {
			pids = strconv.FormatUint(*p.Current, 10) + "/max"
			if l := p.EffectiveMax; l != nil && *l != probe.Unlimited {
				pids = strconv.FormatUint(*p.Current, 10) + "/" + strconv.FormatUint(uint64(*l), 10)
			}
		}
		if c.Pressure != nil && c.Pressure.CPU != nil && c.Pressure.CPU.Some != nil {
			psi = fmt.Sprintf("%.1f", c.Pressure.CPU.Some.Avg10)
		}
		t.Rows = append(t.Rows, Row{Key: cgKey(c.Path), Depth: depth, Cells: []string{name, strconv.Itoa(c.Procs), cpuPct, cpus, mem, pids, psi, thr},
			Sort: []string{c.Path, num(uint64(c.Procs)), num(cpuSort), cpus, num(memSort), pids, psi, thr},
			more: func() More { return cgroupMore(s, c) }})
	}
	return t
}

func cgroupMore(s *probe.Snapshot, c *probe.Cgroup) More {
	var m More
	if c.Memory != nil && c.Memory.EffectiveMaxFrom != "" && c.Memory.EffectiveMaxFrom != c.Path {
		m.Jumps = append(m.Jumps, Jump{"memory limit set at " + c.Memory.EffectiveMaxFrom, Cgroups, cgKey(c.Memory.EffectiveMaxFrom)})
	}
	if c.CPU != nil && c.CPU.EffectiveCPUsFrom != "" && c.CPU.EffectiveCPUsFrom != c.Path {
		m.Jumps = append(m.Jumps, Jump{"cpu limit set at " + c.CPU.EffectiveCPUsFrom, Cgroups, cgKey(c.CPU.EffectiveCPUsFrom)})
	}
	if len(c.PIDs) > 0 {
		m.Jumps = append(m.Jumps, Jump{"first process", Processes, "proc:" + strconv.Itoa(c.PIDs[0])})
	}
	for i := range s.Containers {
		if s.Containers[i].Cgroup == c.Path {
			m.Jumps = append(m.Jumps, Jump{"container " + s.Containers[i].Name, Containers, ctKey(&s.Containers[i])})
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
		return HumanBytes(*p)
	}
	if mem := c.Memory; mem != nil {
		d = append(d, "", "memory")
		d = append(d, fmt.Sprintf("  current %s  peak %s  working set %s", u(mem.Current), u(mem.Peak), u(mem.WorkingSet)))
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
	return HumanBytes(uint64(*l))
}

// memBar draws used against the limit in width cells; unlimited draws none.
func memBar(used uint64, limit *probe.Limit, width int) string {
	if limit == nil || *limit == probe.Unlimited || *limit == 0 {
		return strings.Repeat("·", width)
	}
	filled := int(float64(used) / float64(*limit) * float64(width))
	filled = max(0, min(width, filled))
	return strings.Repeat("█", filled) + strings.Repeat("·", width-filled)
}

// HumanBytes formats bytes the way operators read them: 512, 20.0M, 1.5G (as actions reads them).
func HumanBytes(n uint64) string { return actions.FormatBytes(n) }

// ContainerTable lists containers with their usage and network.
func ContainerTable(s *probe.Snapshot) Table {
	t := Table{Columns: []Column{{Title: "RUNTIME", Width: 9}, {Title: "NAME", Width: 14, Flex: true},
		{Title: "PID", Width: 7, Right: true}, {Title: "PROCS", Width: 5, Right: true}, {Title: "CPU%", Width: 5, Right: true},
		{Title: "MEMORY", Width: 14}, {Title: "NETWORK", Width: 16, Flex: true}}}
	cgs := map[string]*probe.Cgroup{}
	for i := range s.Cgroups {
		cgs[s.Cgroups[i].Path] = &s.Cgroups[i]
	}
	names := NetNames(s)
	for i := range s.Containers {
		c := &s.Containers[i]
		cpu, mem := "-", "-"
		var cpuSort, memSort uint64
		cg := cgs[c.Cgroup]
		if cg != nil {
			if cg.CPU != nil && cg.CPU.RatePct != nil {
				cpu = fmt.Sprintf("%.0f", *cg.CPU.RatePct)
				cpuSort = uint64(*cg.CPU.RatePct * 100)
			}
			if m := cg.Memory; m != nil && m.Current != nil {
				mem = HumanBytes(*m.Current) + "/" + limitStr(m.EffectiveMax)
				memSort = *m.Current
			}
		}
		net := "host"
		if len(c.SharedWith[probe.NSNet]) > 0 && c.SharedWith[probe.NSNet][0] != "host" {
			net = "shares " + c.SharedWith[probe.NSNet][0]
		} else if c.NetNS != s.Host.NS.Net {
			net = "none"
			var parts []string
			for _, ifc := range c.Interfaces {
				s := ifc.Name
				if len(ifc.Addrs) > 0 {
					s += " " + ifc.Addrs[0]
				}
				if ifc.Peer != nil {
					s += " ↔ " + names[ifc.Peer.NetNS] + ":" + ifc.Peer.Name
				}
				parts = append(parts, s)
			}
			if len(parts) > 0 {
				net = strings.Join(parts, ", ")
			}
		}
		t.Rows = append(t.Rows, Row{Key: ctKey(c), Cells: []string{c.Runtime, c.Name, strconv.Itoa(c.PID), strconv.Itoa(len(c.PIDs)), cpu, mem, net},
			Sort: []string{c.Runtime, c.Name, num(uint64(c.PID)), num(uint64(len(c.PIDs))), num(cpuSort), num(memSort), net},
			more: func() More { return containerMore(s, c, cg, names) }})
	}
	return t
}

func containerMore(s *probe.Snapshot, c *probe.Container, cg *probe.Cgroup, names map[uint64]string) More {
	m := More{Jumps: []Jump{{"init process", Processes, "proc:" + strconv.Itoa(c.PID)}}}
	if c.Cgroup != "" {
		m.Jumps = append(m.Jumps, Jump{"cgroup", Cgroups, cgKey(c.Cgroup)})
	}
	if c.NetNS != 0 {
		m.Jumps = append(m.Jumps, Jump{"network namespace", Network, netKey(c.NetNS)})
	}
	for _, ifc := range c.Interfaces {
		if ifc.Peer != nil {
			m.Jumps = append(m.Jumps, Jump{"host side of " + ifc.Name + ": " + ifc.Peer.Name, Network, linkKey(ifc.Peer.NetNS, ifc.Peer.Index)})
		}
	}
	for k, others := range c.SharedWith {
		for _, o := range others {
			if o != "host" {
				m.Jumps = append(m.Jumps, Jump{string(k) + " shared with " + o, Containers, "ct:" + o})
			}
		}
	}
	slices.SortStableFunc(m.Jumps[1:], func(a, b Jump) int { return strings.Compare(a.Label, b.Label) })
	m.Explain = containerExplain(s, c, cg)
	m.Detail = []string{fmt.Sprintf("%s container %s", c.Runtime, c.Name), "", "id         " + c.ID}
	if c.Image != "" {
		m.Detail = append(m.Detail, "image      "+c.Image)
	}
	if c.Pod != nil {
		m.Detail = append(m.Detail, fmt.Sprintf("pod        %+v", *c.Pod))
	}
	m.Detail = append(m.Detail, fmt.Sprintf("init       %d", c.PID))
	m.Detail = append(m.Detail, wrapInts("pids      ", c.PIDs, 50)...)
	cgroup := c.Cgroup
	if cgroup == "" {
		cgroup = "(shares its cgroup with processes outside it)"
	}
	m.Detail = append(m.Detail, "cgroup     "+cgroup, "", "namespaces")
	for _, k := range probe.Kinds {
		if ino := c.Namespaces.Get(k); ino != 0 {
			shared := "own"
			if w := c.SharedWith[k]; len(w) > 0 {
				shared = "shared with " + strings.Join(w, ", ")
			}
			m.Detail = append(m.Detail, fmt.Sprintf("  %-7s %d  %s", k, ino, shared))
		}
	}
	if len(c.Interfaces) > 0 {
		m.Detail = append(m.Detail, "", "interfaces")
		for _, ifc := range c.Interfaces {
			line := fmt.Sprintf("  %s %s %s", ifc.Name, ifc.Kind, strings.Join(ifc.Addrs, " "))
			if ifc.Peer != nil {
				line += " ↔ " + names[ifc.Peer.NetNS] + ":" + ifc.Peer.Name
			}
			m.Detail = append(m.Detail, line)
		}
	}
	if cg != nil {
		m.Detail = append(m.Detail, "")
		m.Detail = append(m.Detail, cgroupDetail(cg)...)
	}
	return m
}

// NetNames gives each network namespace the name people know it by: "host", its first name (the
// container's, the ip netns name), else its inode.
func NetNames(s *probe.Snapshot) map[uint64]string {
	names := make(map[uint64]string, len(s.NetNamespaces))
	for _, n := range s.NetNamespaces {
		switch {
		case n.Inode == s.Host.NS.Net:
			names[n.Inode] = "host"
		case len(n.Names) > 0:
			names[n.Inode] = n.Names[0]
		default:
			names[n.Inode] = strconv.FormatUint(n.Inode, 10)
		}
	}
	return names
}

// NetworkTable lists each network namespace and, under it, its links.
func NetworkTable(s *probe.Snapshot) Table {
	t := Table{Columns: []Column{{Title: "NAMESPACE / LINK", Width: 18}, {Title: "KIND", Width: 8}, {Title: "STATE", Width: 7},
		{Title: "ADDRESSES", Width: 18, Flex: true}, {Title: "PEER / PORTS", Width: 18, Flex: true}}}
	names := NetNames(s)
	for i := range s.NetNamespaces {
		n := &s.NetNamespaces[i]
		t.Rows = append(t.Rows, Row{Key: netKey(n.Inode), Cells: []string{names[n.Inode], "netns", "", fmt.Sprintf("%d processes", n.Processes), ""},
			more: func() More { return netnsMore(s, n) }})
		for j := range n.Links {
			l := &n.Links[j]
			peer := strings.Join(l.Ports, " ")
			if l.Peer != nil {
				where := names[l.Peer.NetNS]
				if l.Peer.NetNS == n.Inode {
					where = "here"
				}
				peer = "↔ " + where + ":" + l.Peer.Name
			}
			if l.Master != "" {
				peer = strings.TrimSpace("on " + l.Master + " " + peer)
			}
			t.Rows = append(t.Rows, Row{Key: linkKey(n.Inode, l.Index), Depth: 1,
				Cells: []string{l.Name, l.Kind, l.State, strings.Join(l.Addrs, " "), peer},
				more:  func() More { return linkMore(s, n, l, names) }})
		}
	}
	return t
}

// ipCommand is the ip command that shows a namespace: by its ip netns name when it has one.
func ipCommand(n *probe.NetNamespace, pid int) string {
	for _, nm := range n.Names {
		if !strings.Contains(nm, ":") && !strings.Contains(nm, " ") && !strings.HasPrefix(nm, "pid ") {
			for _, m := range n.Mounts {
				if path.Base(m) == nm {
					return "ip -n " + nm
				}
			}
		}
	}
	if pid > 0 {
		return fmt.Sprintf("nsenter -t %d -n ip", pid)
	}
	return "ip"
}

func netnsMore(s *probe.Snapshot, n *probe.NetNamespace) More {
	pid := netnsPID(s, n.Inode)
	ip := ipCommand(n, pid)
	if n.Inode == s.Host.NS.Net {
		ip = "ip"
	}
	m := More{Jumps: []Jump{{"namespace", Namespaces, nsKey(probe.NSNet, n.Inode)}}}
	if pid > 0 {
		m.Jumps = append(m.Jumps, Jump{"lowest process", Processes, "proc:" + strconv.Itoa(pid)})
	}
	m.Explain = netnsExplain(s, n, pid, ip)
	m.Detail = []string{fmt.Sprintf("network namespace %d", n.Inode), "", "names      " + strings.Join(n.Names, ", "),
		fmt.Sprintf("processes  %d", n.Processes)}
	for _, mnt := range n.Mounts {
		m.Detail = append(m.Detail, "bind mount "+mnt)
	}
	m.Detail = append(m.Detail, "", "links")
	for _, l := range n.Links {
		m.Detail = append(m.Detail, fmt.Sprintf("  %d: %s %s %s", l.Index, l.Name, l.Kind, l.State))
	}
	return m
}

// netnsPID is the lowest pid in the network namespace ino (0: none).
func netnsPID(s *probe.Snapshot, ino uint64) int {
	for i := range s.Namespaces {
		if ns := &s.Namespaces[i]; ns.Type == probe.NSNet && ns.Inode == ino {
			return ns.PID
		}
	}
	return 0
}

func linkMore(s *probe.Snapshot, n *probe.NetNamespace, l *probe.Link, names map[uint64]string) More {
	var m More
	if l.Peer != nil {
		m.Jumps = append(m.Jumps, Jump{"peer " + l.Peer.Name, Network, linkKey(l.Peer.NetNS, l.Peer.Index)})
	}
	if l.Master != "" {
		for _, o := range n.Links {
			if o.Name == l.Master {
				m.Jumps = append(m.Jumps, Jump{"bridge " + o.Name, Network, linkKey(n.Inode, o.Index)})
			}
		}
	}
	ip := ipCommand(n, netnsPID(s, n.Inode))
	if n.Inode == s.Host.NS.Net {
		ip = "ip"
	}
	m.Explain = linkExplain(s, n, l, ip)
	m.Detail = []string{fmt.Sprintf("link %d: %s in %s", l.Index, l.Name, names[n.Inode]), "",
		fmt.Sprintf("kind %s, state %s, mtu %d, mac %s", l.Kind, l.State, l.MTU, l.MAC)}
	if l.Master != "" {
		m.Detail = append(m.Detail, "master     "+l.Master)
	}
	if len(l.Ports) > 0 {
		m.Detail = append(m.Detail, "ports      "+strings.Join(l.Ports, " "))
	}
	for _, a := range l.Addrs {
		m.Detail = append(m.Detail, "address    "+a)
	}
	if l.Peer != nil {
		m.Detail = append(m.Detail, fmt.Sprintf("peer       %s (index %d) in %s", l.Peer.Name, l.Peer.Index, names[l.Peer.NetNS]))
	}
	m.Detail = append(m.Detail, fmt.Sprintf("rx         %s, %d packets", HumanBytes(l.RxBytes), l.RxPackets),
		fmt.Sprintf("tx         %s, %d packets", HumanBytes(l.TxBytes), l.TxPackets))
	if l.RxBps != nil && l.TxBps != nil {
		m.Detail = append(m.Detail, fmt.Sprintf("rate       rx %s/s, tx %s/s", HumanBytes(uint64(*l.RxBps)), HumanBytes(uint64(*l.TxBps))))
	}
	return m
}
