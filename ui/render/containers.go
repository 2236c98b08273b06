package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/isotop/isotop/probe"
)

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
				mem = Bytes(*m.Current) + "/" + limitStr(m.EffectiveMax)
				memSort = *m.Current
			}
		}
		net := ContainerNetwork(s, c, names)
		t.Rows = append(t.Rows, Row{Ref: ContainerRef(c.Key()), Cells: []string{c.Runtime, c.Name, strconv.Itoa(c.PID), strconv.Itoa(len(c.PIDs)), cpu, mem, net},
			Sort:   []string{c.Runtime, c.Name, Num(uint64(c.PID)), Num(uint64(len(c.PIDs))), Num(cpuSort), Num(memSort), net},
			Expand: func() More { return containerMore(s, c, cg, names) }})
	}
	return t
}

func containerMore(s *probe.Snapshot, c *probe.Container, cg *probe.Cgroup, names map[uint64]string) More {
	m := More{Jumps: []Jump{{"init process", Processes, ProcRef(c.PID)}}}
	if c.Cgroup != "" {
		m.Jumps = append(m.Jumps, Jump{"cgroup", Cgroups, CgroupRef(c.Cgroup)})
	}
	if c.NetNS != 0 {
		m.Jumps = append(m.Jumps, Jump{"network namespace", Network, NetRef(c.NetNS)})
	}
	for _, ifc := range c.Interfaces {
		if ifc.Peer != nil {
			m.Jumps = append(m.Jumps, Jump{"host side of " + ifc.Name + ": " + ifc.Peer.Name, Network, LinkRef(ifc.Peer.NetNS, ifc.Peer.Index)})
		}
	}
	for k, others := range c.SharedWith {
		for _, o := range others {
			if o != "host" {
				m.Jumps = append(m.Jumps, Jump{string(k) + " shared with " + o, Containers, ContainerRef(o)})
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

// runtimeExplain shows what a container's runtime is recognised by.
func runtimeExplain(s *probe.Snapshot, c *probe.Container) Explanation {
	cg := fmt.Sprintf("/proc/%d/cgroup", c.PID)
	e := Explanation{Files: []string{cg}, Command: "cat " + cg,
		Meaning: "the runtime, recognised from the cgroup path (docker-<id>.scope, libpod-<id>, kubepods…/pod<uid>, lxc.payload.<name> …) or from its own state"}
	switch {
	case c.Runtime == "isolated" && nsRef(s.Host) > 0:
		e.Files = []string{fmt.Sprintf("/proc/%d/ns/*", c.PID)}
		e.Command = isolatedKinds(c.PID, nsRef(s.Host))
		e.Meaning = "isolated: a tree of processes in namespaces of their own (these kinds) that no runtime made"
	case c.Runtime == "containerd" && c.NameFrom != "" && !strings.HasSuffix(c.NameFrom, ".json"):
		e.Files, e.Command = []string{c.NameFrom + "/init.pid"}, "cat "+sq(c.NameFrom+"/init.pid")+"   # containerd's task bundle: its init"
		e.Meaning = "containerd: a task bundle of its (under /run/containerd/io.containerd.runtime.v2.task, or another containerd's state) holds this init"
	}
	return e
}

func containerExplain(s *probe.Snapshot, c *probe.Container, cg *probe.Cgroup) []Explanation {
	procs := Explanation{Meaning: "the processes of the container: those in its cgroup"}
	rate, mem := Explanation{Meaning: "CPU time its cgroup used, as % of one CPU"}, Explanation{Meaning: "memory charged to its cgroup against the limit in force"}
	if cg != nil {
		f := cgroupFiles{cg, s.Host.CgroupMode}
		procs.Files = []string{f.procsDir() + "/cgroup.procs"}
		procs.Command = "wc -l < " + sq(f.procsDir()+"/cgroup.procs")
		rate, mem = cpuRateExplain(f), memoryExplain(f)
	} else {
		procs.Meaning = "the processes of the tree: its topmost process and every descendant"
		procs.Files = []string{"/proc/*/stat"}
		procs.Command = fmt.Sprintf(`ps -e -o pid=,ppid= | awk '{p[$1] = $2} END {for (k in p) {x = k; while (x > 1 && x != %d) x = p[x]; if (x == %d) n++} print n}'`, c.PID, c.PID)
		rate.Meaning += "; it has no cgroup of its own (it shares one with processes outside it)"
		mem.Meaning = rate.Meaning
	}
	return []Explanation{
		runtimeExplain(s, c),
		containerNameExplain(c),
		{Files: []string{fmt.Sprintf("/proc/%d/status", c.PID)}, Command: fmt.Sprintf("grep NSpid /proc/%d/status", c.PID),
			Meaning: "the container's init as the host numbers it: pid 1 inside its pid namespace"},
		procs, rate, mem,
		networkExplain(s, c),
	}
}

// networkExplain: host, shared, none, or its interfaces with each veth's other end.
func networkExplain(s *probe.Snapshot, c *probe.Container) Explanation {
	ns := fmt.Sprintf("/proc/%d/ns/net", c.PID)
	e := Explanation{Files: []string{ns}}
	switch {
	case c.NetNS == s.Host.NS.Net && nsRef(s.Host) > 0:
		e.Command = fmt.Sprintf("readlink %s /proc/%d/ns/net", ns, nsRef(s.Host))
		e.Meaning = "it is in the host's network namespace: the same link as the host's"
	case len(c.SharedWith[probe.NSNet]) > 0 && c.SharedWith[probe.NSNet][0] != "host":
		e.Command = "readlink " + ns
		e.Meaning = "its network namespace is another container's (a pod's containers share one)"
	default:
		e.Command = fmt.Sprintf("nsenter -t %d -n ip -o addr show", c.PID)
		e.Meaning = "its interfaces and their addresses; none: loopback only"
		peers := false
		for _, ifc := range c.Interfaces {
			if ifc.Peer != nil {
				e.Command += fmt.Sprintf("; nsenter -t %d -n ip -o link show %s; %s -o link show %s",
					c.PID, sq(ifc.Name), netnsIP(s, ifc.Peer.NetNS), sq(ifc.Peer.Name))
				peers = true
			}
		}
		if peers {
			e.Command += "   # @ifN on each side of a veth is the other's index"
			e.Meaning = "its interfaces; ↔ the other end of each veth (ip shows only its index, @ifN, and a netns id)"
		}
	}
	return e
}

// ContainerNetwork is a container's network in a few words, the same in the TUI and in isotop
// snapshot: "host", "shares web" (another container's namespace), "none" (loopback only), or each
// interface with its first address and where its veth ends ("eth0 10.88.0.5 ↔ host:veth1a2b").
// names are NetNames(s).
func ContainerNetwork(s *probe.Snapshot, c *probe.Container, names map[uint64]string) string {
	if shared := c.SharedWith[probe.NSNet]; len(shared) > 0 {
		if shared[0] == "host" {
			return "host"
		}
		return "shares " + strings.Join(shared, ", ")
	}
	if c.NetNS == s.Host.NS.Net {
		return "host"
	}
	var parts []string
	for _, ifc := range c.Interfaces {
		p := ifc.Name
		if len(ifc.Addrs) > 0 {
			p += " " + ifc.Addrs[0]
		}
		if ifc.Peer != nil {
			p += " ↔ " + names[ifc.Peer.NetNS] + ":" + ifc.Peer.Name
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
