package ui

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/isotop/isotop/probe"
)

// The explanations of each view's values: for each value, the files it comes from and a shell
// command whose output gives the value on screen (for a teaching lab: run it and compare). The
// command names the file where a value is set, not only the cgroup's own (a limit in force may be
// an ancestor's), and there is none for a file that does not exist (PSI on v1, a controller a
// hierarchy lacks): the meaning says why. TestExplainTellsTheTruth runs every command on a live
// host and checks its output against the screen.

// sq quotes s for sh when it holds anything but plain path characters.
func sq(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+,:@=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// nsMembers is the shell that lists the pids in namespace kind:[ino], lowest first: how isotop
// counts them, reading every process's link.
func nsMembers(kind probe.NSKind, ino uint64) string {
	return fmt.Sprintf(`find /proc/[0-9]*/ns/%s -maxdepth 0 -lname '%s:\[%d\]' 2>/dev/null | cut -d/ -f3 | sort -n`, kind, kind, ino)
}

// isolatedKinds is the shell that prints the kinds in which pid's namespaces differ from ref's.
func isolatedKinds(pid, ref int) string {
	return fmt.Sprintf(`for k in cgroup ipc mnt net pid time user uts; do [ "$(readlink /proc/%d/ns/$k)" = "$(readlink /proc/%d/ns/$k)" ] || echo $k; done`, pid, ref)
}

// nsRef is the process whose namespaces are the host's reference (1, isotop's own), 0 for none; a
// snapshot saved before ns_from_pid was written says it in ns_from.
func nsRef(h probe.Host) int {
	if h.NSFromPID > 0 {
		return h.NSFromPID
	}
	if h.NSFrom == "pid 1" {
		return 1
	}
	if rest, ok := strings.CutPrefix(h.NSFrom, "self (pid "); ok {
		n, _ := strconv.Atoi(rest[:strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })])
		return n
	}
	return 0
}

// nsHandle is a command that prints a namespace's identity, "net:[4026532252]", from a process in
// it or the bind mount that holds it ("" when only another namespace refers to it).
func nsHandle(ns *probe.Namespace) (file, cmd string) {
	if ns.PID > 0 {
		link := fmt.Sprintf("/proc/%d/ns/%s", ns.PID, ns.Type)
		return link, "readlink " + link
	}
	if len(ns.Mounts) > 0 {
		m := ns.Mounts[0]
		// One seen only in another mount namespace is /proc/PID/root/PATH.
		if rest, ok := strings.CutPrefix(m, "/proc/"); ok {
			if pid, p, ok := strings.Cut(rest, "/root"); ok {
				return m, "nsenter -t " + pid + " -m findmnt -n -o SOURCE " + sq(p)
			}
		}
		return m, "findmnt -n -o SOURCE " + sq(m)
	}
	return "", ""
}

func namespaceExplain(ns *probe.Namespace) []Explanation {
	file, handle := nsHandle(ns)
	files := []string{file}
	if file == "" {
		files = nil
	}
	byRef := "it has no process and no bind mount: only another namespace refers to it (as its owner or parent, ioctl NS_GET_USERNS or NS_GET_PARENT), and no file shows it"
	e := []Explanation{
		{Files: files, Command: handle, Meaning: nsMeaning[ns.Type]},
		{Files: files, Command: handle, Meaning: "the namespace's identity: the inode of its nsfs file, the same for every process in it (the device is nsfs's)"},
		{Files: []string{"/proc/*/ns/" + string(ns.Type)}, Command: nsMembers(ns.Type, ns.Inode) + " | wc -l",
			Meaning: "how many processes are in it: isotop reads the link of every process"},
		{Files: []string{"/proc/*/ns/" + string(ns.Type)}, Command: nsMembers(ns.Type, ns.Inode) + " | head -1",
			Meaning: "the lowest pid in it, as lsns shows"},
		{Files: files, Meaning: "the user namespace that owns it (ioctl NS_GET_USERNS): its root has capabilities over this namespace"},
		{Files: files, Meaning: "the lowest pid's command; a bind mount (ip netns add, a runtime) keeps a namespace alive without processes"},
	}
	if handle == "" {
		e[0].Meaning, e[1].Meaning = byRef, byRef
	}
	var held []string
	if ns.PID > 0 {
		e[4].Command = fmt.Sprintf("lsns -t %s -n -o NS,ONS | awk '$1 == %d {print $2}'", ns.Type, ns.Inode)
		e[5].Files = append(e[5].Files, fmt.Sprintf("/proc/%d/cmdline", ns.PID))
		held = append(held, fmt.Sprintf("tr '\\0' ' ' < /proc/%d/cmdline; echo; cat /proc/%d/comm", ns.PID, ns.PID))
	} else {
		e[4].Meaning += "; lsns lists only namespaces with processes, and no other tool shows it for this one"
	}
	if len(ns.Mounts) > 0 {
		held = append(held, "findmnt -n -t nsfs -o TARGET")
	}
	if ns.Type == probe.NSUser && ns.PID > 0 {
		held = append(held, fmt.Sprintf("cat /proc/%d/uid_map", ns.PID))
	}
	if len(held) > 0 {
		e[5].Command = strings.Join(held, "; ") + "   # its command (a kernel thread has no arguments: its name), its bind mounts, its uid map"
	}
	return e
}

func processExplain(s *probe.Snapshot, p *probe.Process, c *probe.Container) []Explanation {
	dir := "/proc/" + strconv.Itoa(p.PID)
	ref := nsRef(s.Host)
	isolated := Explanation{Files: []string{dir + "/ns/*"},
		Meaning: "the namespace kinds in which it differs from the host (C cgroup, I ipc, M mnt, N net, P pid, T time, U user, u uts); the host is " + s.Host.NSFrom}
	switch {
	case p.Namespaces.Len() == 0:
		isolated.Command = "ls -l " + dir + "/ns"
		isolated.Meaning = "its namespace links could not be read (-): " + isolated.Meaning
	case ref > 0:
		isolated.Files = append(isolated.Files, fmt.Sprintf("/proc/%d/ns/*", ref))
		isolated.Command = isolatedKinds(p.PID, ref)
	}
	cont := Explanation{Files: []string{dir + "/cgroup"}, Command: "cat " + dir + "/cgroup",
		Meaning: "the container it belongs to, recognised from its cgroup path or its runtime's state, or as an isolated tree"}
	if c != nil {
		cont = containerNameExplain(c)
	}
	cmd := Explanation{Files: []string{dir + "/cmdline"}, Command: "tr '\\0' ' ' < " + dir + "/cmdline; echo",
		Meaning: "its arguments"}
	if len(p.Cmdline) == 0 {
		cmd = Explanation{Files: []string{dir + "/comm"}, Command: "cat " + dir + "/comm",
			Meaning: "a process with no arguments (a kernel thread): [its name], from " + dir + "/comm"}
	}
	return []Explanation{
		{Files: []string{dir + "/stat"}, Command: "cut -d' ' -f1,4 " + dir + "/stat   # its pid, its parent's",
			Meaning: "the process id as the host numbers it; the tree is drawn from each process's parent"},
		{Files: []string{dir + "/status"}, Command: "grep NSpid " + dir + "/status",
			Meaning: "its pid inside its own pid namespace (the last NSpid); - when it is in the host's"},
		{Files: []string{dir + "/status"}, Command: "grep Uid " + dir + "/status   # real, effective, saved, filesystem",
			Meaning: "its effective uid as the host sees it; inside a user namespace it may be root"},
		isolated, cont, cmd,
	}
}

// containerNameExplain says where a container's name comes from, with a command that prints it.
func containerNameExplain(c *probe.Container) Explanation {
	e := Explanation{Meaning: "the name from the runtime's own state on disk; its short id when that does not say"}
	f := c.NameFrom
	switch {
	case f == "":
		e.Files, e.Command = []string{fmt.Sprintf("/proc/%d/cgroup", c.PID)}, fmt.Sprintf("cat /proc/%d/cgroup", c.PID)
		e.Meaning = "no runtime file names it: the start of its id, from its cgroup path"
	case c.Runtime == "isolated":
		e.Files, e.Command = []string{f}, "tr '\\0' ' ' < "+sq(f)+"; echo"
		e.Meaning = "a tree no runtime made: named by its topmost process's command"
	case strings.HasSuffix(f, "/containers.json"):
		e.Files = []string{f}
		e.Command = "tr '{' '\\n' < " + sq(f) + ` | grep '"id":"` + c.ID + `"' | grep -o '"names":\[[^]]*\]'`
	case strings.HasSuffix(f, "/config.v2.json"):
		e.Files, e.Command = []string{f}, `grep -o '"Name":"[^"]*"' `+sq(f)
	case strings.HasSuffix(f, "/config.json"):
		e.Files = []string{f}
		e.Command = `grep -o '"\(io.kubernetes.cri.container-name\|io.kubernetes.container.name\|nerdctl/name\)":"[^"]*"' ` + sq(f)
	case strings.HasSuffix(f, "/cgroup"):
		e.Files, e.Command = []string{f}, "cat "+sq(f)
		e.Meaning = "named in its cgroup path (lxc.payload.NAME, machine-NAME.scope)"
	default: // containerd's bundle: NAMESPACE/ID
		e.Files, e.Command = []string{f}, "ls -d "+sq(f)
		e.Meaning = "containerd's task bundle, NAMESPACE/ID: a container run with ctr is named by its id"
	}
	return e
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
			Meaning: "a cgroup, merged by path across the hierarchies that have it (v1: one per controller; v2: one)"},
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
	e := Explanation{Meaning: "memory charged to the cgroup (page cache included) against the tightest limit from the root down; ↑ when an ancestor sets it"}
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

// netnsIP is the ip command that shows network namespace ino: ip on the host's, ip -n NAME for an
// ip netns, nsenter into a process's otherwise.
func netnsIP(s *probe.Snapshot, ino uint64) string {
	if ino == s.Host.NS.Net {
		return "ip"
	}
	for i := range s.NetNamespaces {
		if n := &s.NetNamespaces[i]; n.Inode == ino {
			return ipCommand(n, netnsPID(s, ino))
		}
	}
	return "ip"
}

func netnsExplain(s *probe.Snapshot, n *probe.NetNamespace, pid int, ip string) []Explanation {
	name := Explanation{Files: []string{"/proc/*/ns/net"}, Meaning: "a network namespace, named by ip netns, its container or its lowest process"}
	var ct *probe.Container
	for i := range s.Containers {
		if c := &s.Containers[i]; len(n.Names) > 0 && n.Names[0] == c.Runtime+":"+c.Name {
			ct = c
		}
	}
	switch {
	case n.Inode == s.Host.NS.Net && nsRef(s.Host) > 0:
		name.Command = fmt.Sprintf("readlink /proc/%d/ns/net   # the host's", nsRef(s.Host))
	case ct != nil: // named after its container
		ce := containerNameExplain(ct)
		name.Files = append([]string{fmt.Sprintf("/proc/%d/ns/net", ct.PID)}, ce.Files...)
		name.Command = fmt.Sprintf("readlink /proc/%d/ns/net; %s", ct.PID, ce.Command)
		name.Meaning = "the network namespace of container " + ct.Name + " (" + ct.Runtime + "), named after it"
	case len(n.Mounts) > 0 && strings.HasPrefix(n.Mounts[0], "/run/netns/"):
		name.Files, name.Command = n.Mounts, "ip netns list"
	case pid > 0:
		name.Files, name.Command = []string{fmt.Sprintf("/proc/%d/cmdline", pid)}, fmt.Sprintf("readlink /proc/%d/ns/net; tr '\\0' ' ' < /proc/%d/cmdline", pid, pid)
	}
	return []Explanation{
		name,
		{Meaning: "a network namespace: its own devices, addresses, routes, firewall and sockets (a label; no file holds the word)"},
		{},
		{Files: []string{"/proc/*/ns/net"}, Command: nsMembers(probe.NSNet, n.Inode) + " | wc -l", Meaning: "how many processes are in it"},
		{},
	}
}

func linkExplain(s *probe.Snapshot, n *probe.NetNamespace, l *probe.Link, ip string) []Explanation {
	in := "netlink RTM_GETLINK in net:[" + strconv.FormatUint(n.Inode, 10) + "]"
	show := ip + " -o link show " + sq(l.Name)
	peer := Explanation{Files: []string{in}, Meaning: "a veth's other end (↔ namespace:name), which ip shows only as an index (@ifN) and a netns id; a bridge's ports; on: the bridge it is plugged into"}
	switch {
	case l.Peer != nil:
		peerIP := "ip"
		for i := range s.NetNamespaces {
			if p := &s.NetNamespaces[i]; p.Inode == l.Peer.NetNS && p.Inode != s.Host.NS.Net {
				peerIP = ipCommand(p, netnsPID(s, p.Inode))
			}
		}
		peer.Files = append(peer.Files, "ethtool peer_ifindex", "RTM_GETNSID")
		peer.Command = show + "; " + peerIP + " -o link show " + sq(l.Peer.Name) + "   # @ifN on each side is the other's index"
	case l.Master != "" || len(l.Ports) > 0:
		peer.Command = show
		if len(l.Ports) > 0 {
			peer.Command = ip + " -o link show master " + sq(l.Name)
		}
	}
	return []Explanation{
		{Files: []string{in}, Command: show, Meaning: "a network device of this namespace"},
		{Files: []string{in + " (IFLA_INFO_KIND)"}, Command: ip + " -d -o link show " + sq(l.Name),
			Meaning: "what kind of device: veth (a pair, one end per namespace), bridge (a switch), loopback, device (hardware) …"},
		{Files: []string{in + " (IFLA_OPERSTATE)"}, Command: show,
			Meaning: "operational state: up carries traffic; lowerlayerdown is a veth whose peer is down"},
		{Files: []string{"netlink RTM_GETADDR"}, Command: ip + " -o addr show dev " + sq(l.Name), Meaning: "its IPv4 and IPv6 addresses"},
		peer,
	}
}
