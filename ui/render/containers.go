package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/isotop/isotop/probe"
)

// ContainerTable lists containers with their usage and network; a pod's containers are grouped
// under its sandbox (the pause container), which stands for the pod.
func ContainerTable(s *probe.Snapshot) Table {
	t := Table{Columns: []Column{{Title: "RUNTIME", Width: 10, Drop: 2}, {Title: "NAME", Width: 14, Flex: true},
		{Title: "HOSTNAME", Width: 12, Drop: 4}, {Title: "INIT", Width: 9, Drop: 6},
		{Title: "PID", Width: 7, Right: true, Drop: 5}, {Title: "PROCS", Width: 5, Right: true, Drop: 7},
		{Title: "CPU%", Width: 5, Right: true, Drop: 3}, {Title: "MEMORY", Width: 14, Keep: true},
		{Title: "NETWORK", Width: 16, Flex: true, Keep: true}}, TreeCol: 1}
	cgs := map[string]*probe.Cgroup{}
	for i := range s.Cgroups {
		cgs[s.Cgroups[i].Path] = &s.Cgroups[i]
	}
	names := NetNames(s)
	members := map[string][]int{} // a sandbox's key → its pod's other containers
	for i := range s.Containers {
		if sb := s.Containers[i].PodSandbox; sb != "" && slices.ContainsFunc(s.Containers, func(c probe.Container) bool { return c.Key() == sb }) {
			members[sb] = append(members[sb], i)
		}
	}
	for i := range s.Containers {
		c := &s.Containers[i]
		if c.PodSandbox != "" && len(members[c.PodSandbox]) > 0 {
			continue // under its sandbox
		}
		t.Rows = append(t.Rows, containerRow(s, c, cgs[c.Cgroup], names, 0))
		for _, j := range members[c.Key()] {
			t.Rows = append(t.Rows, containerRow(s, &s.Containers[j], cgs[s.Containers[j].Cgroup], names, 1))
		}
	}
	return t
}

// ContainerName is a container's name as the tables show it: a pod's sandbox as the pod.
func ContainerName(c *probe.Container) string {
	if c.Sandbox && c.Pod != nil && c.Pod.Name != "" {
		return "pod " + c.Pod.Namespace + "/" + c.Pod.Name
	}
	return c.Name
}

// InitName is what a container's pid 1 is when it is an init or a supervisor, else "-".
func InitName(c *probe.Container) string {
	if c.Init == nil {
		return "-"
	}
	return c.Init.Name
}

func containerRow(s *probe.Snapshot, c *probe.Container, cg *probe.Cgroup, names map[uint64]string, depth int) Row {
	cpu, mem := "-", "-"
	var cpuSort, memSort uint64
	alert := make([]Level, 9)
	if cg != nil {
		if cg.CPU != nil && cg.CPU.RatePct != nil {
			cpu = fmt.Sprintf("%.0f", *cg.CPU.RatePct)
			cpuSort = uint64(*cg.CPU.RatePct * 100)
		}
		if m := cg.Memory; m != nil && m.Current != nil {
			mem = Bytes(*m.Current) + "/" + limitStr(m.EffectiveMax) + inherited(m.EffectiveMaxFrom, cg.Path)
			memSort = *m.Current
			alert[7] = limitLevel(*m.Current, m.EffectiveMax)
		}
	}
	host := c.Hostname
	if host == "" {
		host = "-"
	}
	net, name := ContainerNetwork(s, c, names), ContainerName(c)
	return Row{Ref: ContainerRef(c.Key()), Depth: depth, Alert: alert, Match: strings.Join([]string{c.Runtime, name, c.Name, c.ID, host, net}, " "),
		Cells: []string{c.Runtime, name, host, InitName(c), strconv.Itoa(c.PID), strconv.Itoa(len(c.PIDs)), cpu, mem, net},
		Sort: []string{c.Runtime, name, host, InitName(c), Num(uint64(c.PID)), Num(uint64(len(c.PIDs))), Num(cpuSort),
			Num(memSort), net},
		Expand: func() More { return containerMore(s, c, cg, names) }}
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
	m.Detail = []string{fmt.Sprintf("%s container %s", c.Runtime, ContainerName(c)), "", "id         " + c.ID}
	if c.Image != "" {
		m.Detail = append(m.Detail, "image      "+c.Image)
	}
	if c.Hostname != "" {
		m.Detail = append(m.Detail, "hostname   "+c.Hostname)
	}
	m.Detail = append(m.Detail, podDetail(s, c)...)
	m.Detail = append(m.Detail, initDetail(s, c)...)
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
				shared = "shared with " + strings.Join(containerNames(s, w), ", ")
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

// podDetail: the pod a container belongs to, its addresses, its sandbox and its containers.
func podDetail(s *probe.Snapshot, c *probe.Container) []string {
	p := c.Pod
	if p == nil {
		return nil
	}
	d := []string{"", "pod        " + p.Namespace + "/" + p.Name, "  uid      " + p.UID, "  qos      " + p.QoS}
	if len(p.Addrs) > 0 {
		d = append(d, "  address  "+strings.Join(p.Addrs, " ")+"  (the pod IP first)")
	}
	switch {
	case c.Sandbox:
		d = append(d, "  this is the pod's sandbox (pause): it holds the pod's network, ipc and uts namespaces")
	case c.PodSandbox != "":
		d = append(d, "  sandbox  "+strings.Join(containerNames(s, []string{c.PodSandbox}), ""))
	}
	if p.Container != "" {
		d = append(d, "  spec     container "+p.Container)
	}
	var in []string
	for i := range s.Containers {
		o := &s.Containers[i]
		if o.Pod != nil && o.Pod.UID == p.UID && o.Key() != c.Key() {
			in = append(in, o.Runtime+":"+ContainerName(o))
		}
	}
	if len(in) > 0 {
		d = append(d, "  with     "+strings.Join(in, ", "))
	}
	return append(d, "")
}

// initDetail: the container's pid 1, and when it is an init or a supervisor, what it supervises
// (ContainerPilot's jobs and health checks from its config).
func initDetail(s *probe.Snapshot, c *probe.Container) []string {
	if c.Init == nil {
		return []string{fmt.Sprintf("init       %d (pid 1 inside: the program itself)", c.PID)}
	}
	d := []string{fmt.Sprintf("init       %d: %s, an init/supervisor (from its %s)", c.PID, c.Init.Name, c.Init.From)}
	cmds := map[int]string{}
	for i := range s.Processes {
		cmds[s.Processes[i].PID] = strings.Join(s.Processes[i].Cmdline, " ")
	}
	for _, pid := range c.Init.Supervises {
		d = append(d, fmt.Sprintf("  runs     %d %s", pid, cmds[pid]))
	}
	if c.Init.JobsFrom != "" {
		d = append(d, "  jobs from "+c.Init.JobsFrom)
	}
	for _, j := range c.Init.Jobs {
		line := "  job      " + j.Name + ": " + j.Exec
		if j.When != "" {
			line += "  (" + j.When + ")"
		}
		d = append(d, line)
		if j.Health != "" {
			d = append(d, "    health "+j.Health+" every "+j.Interval)
		}
	}
	return d
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
		hostnameExplain(s, c),
		initExplain(c),
		{Files: []string{fmt.Sprintf("/proc/%d/status", c.PID)}, Command: fmt.Sprintf("grep NSpid /proc/%d/status", c.PID),
			Meaning: "the container's init as the host numbers it: pid 1 inside its pid namespace"},
		procs, rate, mem,
		networkExplain(s, c),
	}
}

// hostnameExplain: the nodename of its own UTS namespace, or "-" when it shares the host's.
func hostnameExplain(s *probe.Snapshot, c *probe.Container) Explanation {
	uts := fmt.Sprintf("/proc/%d/ns/uts", c.PID)
	if c.Hostname == "" && nsRef(s.Host) > 0 {
		return Explanation{Files: []string{uts}, Command: fmt.Sprintf("readlink %s /proc/%d/ns/uts", uts, nsRef(s.Host)),
			Meaning: "-: it has no UTS namespace of its own (or its hostname could not be read): the host's name is its"}
	}
	return Explanation{Files: []string{uts}, Command: fmt.Sprintf("nsenter -t %d -u hostname", c.PID),
		Meaning: "the hostname inside it (uname -n): the nodename of its own UTS namespace"}
}

// initExplain: what its pid 1 is, recognised from its executable and arguments.
func initExplain(c *probe.Container) Explanation {
	dir := fmt.Sprintf("/proc/%d", c.PID)
	e := Explanation{Files: []string{dir + "/exe", dir + "/cmdline"}, Command: "readlink " + dir + "/exe; tr '\\0' ' ' < " + dir + "/cmdline; echo",
		Meaning: "-: its pid 1 is the program itself, no init or supervisor isotop knows (tini, dumb-init, s6-svscan, supervisord, systemd, catatonit, ContainerPilot …)"}
	if c.Init != nil {
		e.Meaning = "its pid 1 is " + c.Init.Name + ", an init or supervisor (recognised from its " + c.Init.From + "): the real work runs under it (see i)"
		if c.Init.JobsFrom != "" {
			e.Files = append(e.Files, c.Init.JobsFrom)
			e.Command += "; cat " + sq(c.Init.JobsFrom) + "   # its jobs"
		}
	}
	return e
}

// networkExplain: host, shared, none, or its interfaces with each veth's other end.
func networkExplain(s *probe.Snapshot, c *probe.Container) Explanation {
	ns := fmt.Sprintf("/proc/%d/ns/net", c.PID)
	e := Explanation{Files: []string{ns}}
	switch {
	case c.NetNS == s.Host.NS.Net && nsRef(s.Host) > 0:
		e.Command = fmt.Sprintf("readlink %s /proc/%d/ns/net", ns, nsRef(s.Host))
		e.Meaning = "it is in the host's network namespace: the same link as the host's"
	case len(c.SharedWith[probe.NSNet]) > 0 && c.SharedWith[probe.NSNet][0] != "host" && len(c.Interfaces) == 0:
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
	shared := c.SharedWith[probe.NSNet]
	if c.NetNS == s.Host.NS.Net || (len(shared) > 0 && shared[0] == "host") {
		return "host"
	}
	if len(shared) > 0 && len(c.Interfaces) == 0 { // nothing but lo: say whose namespace it is
		return "shares " + strings.Join(containerNames(s, shared), ", ")
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

// containerNames names containers by their keys ("runtime:id" → "runtime:name"), a pod's sandbox
// as its pod.
func containerNames(s *probe.Snapshot, keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		name := k
		for i := range s.Containers {
			if s.Containers[i].Key() == k {
				name = s.Containers[i].Runtime + ":" + ContainerName(&s.Containers[i])
			}
		}
		out = append(out, name)
	}
	return out
}
