package ui

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

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
	numViews
)

var viewNames = [...]string{"Overview", "Namespaces", "Processes", "Cgroups", "Containers", "Network"}

// viewKeys are the keys that open each view.
var viewKeys = [...]string{"o", "n", "p", "g", "c", "w"}

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

// Explanation says where a row's values come from, for teaching labs.
type Explanation struct {
	Files   []string // the kernel files read
	Command string   // a shell command that shows the same
	Meaning string   // one line on what it means
}

// Row is one line of a table: a stable key (the object's identity, kept across refreshes), its
// cells, its indentation in a tree, where it links to, and how it is explained.
type Row struct {
	Key     string
	Cells   []string
	Depth   int
	Jumps   []Jump
	Explain Explanation
	// Sort holds a sortable value per column (numbers as zero-padded strings); empty: the cell.
	Sort []string
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

func num(n uint64) string { return fmt.Sprintf("%020d", n) }

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
	t := Table{Columns: []Column{{Title: "TYPE", Width: 6}, {Title: "NS", Width: 10, Right: true},
		{Title: "PROCS", Width: 5, Right: true}, {Title: "PID", Width: 7, Right: true}, {Title: "OWNER", Width: 10, Right: true},
		{Title: "COMMAND / HELD BY", Width: 20, Flex: true}}, TreeCol: 1}
	byKind := map[probe.NSKind][]probe.Namespace{}
	for _, ns := range s.Namespaces {
		byKind[ns.Type] = append(byKind[ns.Type], ns)
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
			owner := "-"
			if ns.OwnerUserNS != nil {
				owner = strconv.FormatUint(*ns.OwnerUserNS, 10)
			}
			pid := "-"
			row := Row{Key: nsKey(ns.Type, ns.Inode), Depth: depth[ns.Inode],
				Explain: Explanation{
					Files:   []string{fmt.Sprintf("/proc/%d/ns/%s", ns.PID, ns.Type)},
					Command: fmt.Sprintf("readlink /proc/%d/ns/%s   # or: lsns -t %s", ns.PID, ns.Type, ns.Type),
					Meaning: nsMeaning[ns.Type]}}
			if ns.PID > 0 {
				pid = strconv.Itoa(ns.PID)
				row.Jumps = append(row.Jumps, Jump{"lowest process", Processes, "proc:" + pid})
			} else if len(ns.Mounts) > 0 {
				row.Explain.Files = []string{ns.Mounts[0], "/proc/self/mountinfo"}
				row.Explain.Command = "grep nsfs /proc/self/mountinfo"
			}
			if ns.Type == probe.NSNet {
				row.Jumps = append(row.Jumps, Jump{"links", Network, netKey(ns.Inode)})
			}
			if ns.OwnerUserNS != nil {
				row.Jumps = append(row.Jumps, Jump{"owner user namespace", Namespaces, nsKey(probe.NSUser, *ns.OwnerUserNS)})
			}
			if ns.Parent != nil {
				row.Jumps = append(row.Jumps, Jump{"parent", Namespaces, nsKey(ns.Type, *ns.Parent)})
			}
			row.Cells = []string{string(ns.Type), strconv.FormatUint(ns.Inode, 10), strconv.Itoa(ns.Processes), pid, owner, held}
			row.Sort = []string{string(ns.Type), num(ns.Inode), num(uint64(ns.Processes)), num(uint64(ns.PID)), owner, held}
			t.Rows = append(t.Rows, row)
		}
	}
	return t
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
func treeOrder(list []probe.Namespace, depth map[uint64]int) []probe.Namespace {
	children := map[uint64][]probe.Namespace{}
	inList := map[uint64]bool{}
	for _, ns := range list {
		inList[ns.Inode] = true
	}
	var roots []probe.Namespace
	for _, ns := range list {
		if ns.Parent != nil && inList[*ns.Parent] {
			children[*ns.Parent] = append(children[*ns.Parent], ns)
		} else {
			roots = append(roots, ns)
		}
	}
	var out []probe.Namespace
	var walk func(ns probe.Namespace, d int)
	walk = func(ns probe.Namespace, d int) {
		if d > 64 {
			return
		}
		depth[ns.Inode] = d
		out = append(out, ns)
		for _, c := range children[ns.Inode] {
			walk(c, d+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
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
	var walk func(i, d int)
	walk = func(i, d int) {
		if d > 256 {
			return
		}
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
			Explain: Explanation{
				Files:   []string{fmt.Sprintf("/proc/%d/stat", p.PID), fmt.Sprintf("/proc/%d/status", p.PID), fmt.Sprintf("/proc/%d/ns/", p.PID)},
				Command: fmt.Sprintf("grep -E 'Uid|NSpid' /proc/%d/status; ls -l /proc/%d/ns", p.PID, p.PID),
				Meaning: "ISOLATED: the namespace kinds in which this process differs from the host (C cgroup, I ipc, M mnt, N net, P pid, T time, U user, u uts); NSPID: its pid inside its own pid namespace"}}
		if p.Container != "" {
			row.Jumps = append(row.Jumps, Jump{"container", Containers, "ct:" + p.Container})
		}
		if p.Cgroup != "" {
			row.Jumps = append(row.Jumps, Jump{"cgroup " + p.Cgroup, Cgroups, cgKey(p.Cgroup)})
		}
		for _, k := range probe.Kinds {
			if ino := p.Namespaces.Get(k); ino != 0 {
				row.Jumps = append(row.Jumps, Jump{string(k) + " namespace", Namespaces, nsKey(k, ino)})
			}
		}
		if p.Namespaces.Net != 0 {
			row.Jumps = append(row.Jumps, Jump{"network", Network, netKey(p.Namespaces.Net)})
		}
		t.Rows = append(t.Rows, row)
		for _, c := range children[p.PID] {
			walk(c, d+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return t
}

// CgroupTable lists the cgroup tree with usage against the limits in force.
func CgroupTable(s *probe.Snapshot) Table {
	t := Table{Columns: []Column{{Title: "CGROUP", Width: 16, Flex: true}, {Title: "PROCS", Width: 5, Right: true},
		{Title: "CPU%", Width: 5, Right: true}, {Title: "CPUS", Width: 5, Right: true}, {Title: "MEMORY", Width: 17},
		{Title: "PIDS", Width: 8, Right: true}, {Title: "PSI", Width: 5, Right: true}, {Title: "THROTL", Width: 6, Right: true}}}
	for _, c := range s.Cgroups {
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
		files := make([]string, 0, len(c.Dirs))
		for _, d := range c.Dirs {
			files = append(files, d)
		}
		slices.Sort(files)
		row := Row{Key: cgKey(c.Path), Depth: depth, Cells: []string{name, strconv.Itoa(c.Procs), cpuPct, cpus, mem, pids, psi, thr},
			Sort: []string{c.Path, num(uint64(c.Procs)), num(cpuSort), cpus, num(memSort), pids, psi, thr},
			Explain: Explanation{Files: files,
				Command: "cat " + firstDir(files) + "/memory.max " + firstDir(files) + "/cpu.max   # v1: memory.limit_in_bytes, cpu.cfs_quota_us",
				Meaning: "MEMORY used against the tightest limit from the root down (↑: set by an ancestor); CPUS the tightest quota or cpuset; PSI the share of the last 10 s some task waited for CPU"}}
		if c.Memory != nil && c.Memory.EffectiveMaxFrom != "" && c.Memory.EffectiveMaxFrom != c.Path {
			row.Jumps = append(row.Jumps, Jump{"memory limit set at " + c.Memory.EffectiveMaxFrom, Cgroups, cgKey(c.Memory.EffectiveMaxFrom)})
		}
		if len(c.PIDs) > 0 {
			row.Jumps = append(row.Jumps, Jump{"first process", Processes, "proc:" + strconv.Itoa(c.PIDs[0])})
		}
		for i := range s.Containers {
			if s.Containers[i].Cgroup == c.Path {
				row.Jumps = append(row.Jumps, Jump{"container " + s.Containers[i].Name, Containers, ctKey(&s.Containers[i])})
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func firstDir(d []string) string {
	if len(d) == 0 {
		return "/sys/fs/cgroup"
	}
	return d[0]
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

// HumanBytes formats bytes the way operators read them: 512, 20.0M, 1.5G.
func HumanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10)
	}
	div, exp := uint64(unit), 0
	for v := n / unit; v >= unit && exp < 4; v /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + string("KMGTP"[exp])
}

// ContainerTable lists containers with their usage and network.
func ContainerTable(s *probe.Snapshot) Table {
	t := Table{Columns: []Column{{Title: "RUNTIME", Width: 9}, {Title: "NAME", Width: 14, Flex: true},
		{Title: "PID", Width: 7, Right: true}, {Title: "PROCS", Width: 5, Right: true}, {Title: "CPU%", Width: 5, Right: true},
		{Title: "MEMORY", Width: 14}, {Title: "NETWORK", Width: 16, Flex: true}}}
	cgs := map[string]*probe.Cgroup{}
	for i := range s.Cgroups {
		cgs[s.Cgroups[i].Path] = &s.Cgroups[i]
	}
	for i := range s.Containers {
		c := &s.Containers[i]
		cpu, mem := "-", "-"
		if cg := cgs[c.Cgroup]; cg != nil {
			if cg.CPU != nil && cg.CPU.RatePct != nil {
				cpu = fmt.Sprintf("%.0f", *cg.CPU.RatePct)
			}
			if m := cg.Memory; m != nil && m.Current != nil {
				mem = HumanBytes(*m.Current) + "/" + limitStr(m.EffectiveMax)
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
				parts = append(parts, s)
			}
			if len(parts) > 0 {
				net = strings.Join(parts, ", ")
			}
		}
		row := Row{Key: ctKey(c), Cells: []string{c.Runtime, c.Name, strconv.Itoa(c.PID), strconv.Itoa(len(c.PIDs)), cpu, mem, net},
			Explain: Explanation{Files: []string{fmt.Sprintf("/proc/%d/cgroup", c.PID)},
				Command: fmt.Sprintf("cat /proc/%d/cgroup", c.PID),
				Meaning: "a container is recognised from its cgroup path, or as a tree of processes in namespaces of their own, and named from its runtime's files on disk"},
			Jumps: []Jump{{"init process", Processes, "proc:" + strconv.Itoa(c.PID)}}}
		if c.Cgroup != "" {
			row.Jumps = append(row.Jumps, Jump{"cgroup", Cgroups, cgKey(c.Cgroup)})
		}
		if c.NetNS != 0 {
			row.Jumps = append(row.Jumps, Jump{"network namespace", Network, netKey(c.NetNS)})
		}
		t.Rows = append(t.Rows, row)
	}
	return t
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
	for _, n := range s.NetNamespaces {
		cmd := "ip -d link"
		for _, nm := range n.Names {
			if !strings.Contains(nm, ":") && !strings.Contains(nm, " ") {
				cmd = "ip -n " + nm + " -d link"
				break
			}
		}
		t.Rows = append(t.Rows, Row{Key: netKey(n.Inode), Cells: []string{names[n.Inode], "netns", "", fmt.Sprintf("%d processes", n.Processes), ""},
			Explain: Explanation{Files: []string{"netlink RTM_GETLINK, RTM_GETADDR"}, Command: cmd,
				Meaning: "a network namespace: its own devices, addresses and routes"},
			Jumps: []Jump{{"namespace", Namespaces, nsKey(probe.NSNet, n.Inode)}}})
		for _, l := range n.Links {
			peer := strings.Join(l.Ports, " ")
			var jumps []Jump
			if l.Peer != nil {
				where := names[l.Peer.NetNS]
				if l.Peer.NetNS == n.Inode {
					where = "here"
				}
				peer = "↔ " + where + ":" + l.Peer.Name
				jumps = append(jumps, Jump{"peer " + l.Peer.Name, Network, linkKey(l.Peer.NetNS, l.Peer.Index)})
			}
			if l.Master != "" {
				peer = strings.TrimSpace("on " + l.Master + " " + peer)
			}
			t.Rows = append(t.Rows, Row{Key: linkKey(n.Inode, l.Index), Depth: 1,
				Cells: []string{l.Name, l.Kind, l.State, strings.Join(l.Addrs, " "), peer}, Jumps: jumps,
				Explain: Explanation{Files: []string{fmt.Sprintf("/sys/class/net/%s (in its namespace)", l.Name)}, Command: cmd + " show " + l.Name,
					Meaning: "a veth's other end is found from IFLA_LINK and IFLA_LINK_NETNSID, which ip shows only as link-netnsid"}})
		}
	}
	return t
}
