package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/isotop/isotop/probe"
)

// ProcessTable lists processes as a tree by parent, with their isolation and container.
func ProcessTable(s *probe.Snapshot) Table {
	t := Table{Columns: []Column{{Title: "PID", Width: 7, Right: true}, {Title: "NSPID", Width: 5, Right: true, Drop: 3},
		{Title: "UID", Width: 6, Right: true, Drop: 4}, {Title: "CPU%", Width: 5, Right: true, Keep: true},
		{Title: "RSS", Width: 6, Right: true, Keep: true}, {Title: "THR", Width: 4, Right: true, Drop: 6},
		{Title: "TIME", Width: 8, Right: true, Drop: 5}, {Title: "ISOLATED", Width: 8, Drop: 2},
		{Title: "CONTAINER", Width: 12, Drop: 1}, {Title: "COMMAND", Width: 20, Flex: true}}, TreeCol: 9}
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
		names[s.Containers[i].Key()] = ContainerName(&s.Containers[i])
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
		iso, ctr, uid := isolation(p.Isolated), names[p.Container], strconv.Itoa(p.UID)
		if s.Partial != "" { // not read yet; the command is its name for now
			iso, ctr, uid, nspid, cmd = "…", "…", "…", "…", p.Comm
		}
		cpu, cpuSort := "-", ""
		if p.CPUPct != nil {
			cpu, cpuSort = strconv.FormatFloat(*p.CPUPct, 'f', 1, 64), Num(uint64(*p.CPUPct*100)+1)
		}
		row := Row{Ref: ProcRef(p.PID), Depth: d,
			Cells: []string{strconv.Itoa(p.PID), nspid, uid, cpu, Bytes(p.RSSBytes), strconv.Itoa(p.Threads),
				CPUTime(p.CPUUsec), iso, ctr, cmd},
			Sort: []string{Num(uint64(p.PID)), nspid, Num(uint64(p.UID)), cpuSort, Num(p.RSSBytes), Num(uint64(p.Threads)),
				Num(p.CPUUsec), iso, ctr, cmd},
			Expand: func() More { return processMore(s, p) }}
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
		m.Jumps = append(m.Jumps, Jump{"container", Containers, ContainerRef(p.Container)})
	}
	if p.Cgroup != "" {
		m.Jumps = append(m.Jumps, Jump{"cgroup " + p.Cgroup, Cgroups, CgroupRef(p.Cgroup)})
	}
	for _, k := range probe.Kinds {
		if ino := p.Namespaces.Get(k); ino != 0 {
			m.Jumps = append(m.Jumps, Jump{string(k) + " namespace", Namespaces, NSRef(k, ino)})
		}
	}
	if p.Namespaces.Net != 0 {
		m.Jumps = append(m.Jumps, Jump{"network", Network, NetRef(p.Namespaces.Net)})
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
		fmt.Sprintf("state      %s, %s", p.State, plural(p.Threads, "thread")),
		fmt.Sprintf("uid/gid    %d/%d", p.UID, p.GID),
		fmt.Sprintf("started    %s", p.Started.Local().Format("2006-01-02 15:04:05")),
		fmt.Sprintf("cpu        %.2f s", float64(p.CPUUsec)/1e6),
		fmt.Sprintf("rss        %s (%d bytes)", Bytes(p.RSSBytes), p.RSSBytes)}
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
		label := p.Container
		if ct != nil {
			label = ct.Runtime + ":" + ContainerName(ct) + "  (" + shortenID(p.Container, ct.ID) + ")"
		}
		m.Detail = append(m.Detail, "container  "+label)
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

// plural is n and the word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// CPUTime is CPU time as htop's TIME+ shows it: M:SS.cc, or H:MM:SS past an hour.
func CPUTime(usec uint64) string {
	cs := usec / 10000
	if h := cs / 360000; h > 0 {
		return fmt.Sprintf("%dh%02d:%02d", h, cs/6000%60, cs/100%60)
	}
	return fmt.Sprintf("%d:%02d.%02d", cs/6000, cs/100%60, cs%100)
}

// isolatedKinds is the shell that prints the kinds in which pid's namespaces differ from ref's.
func isolatedKinds(pid, ref int) string {
	return fmt.Sprintf(`for k in cgroup ipc mnt net pid time user uts; do [ "$(readlink /proc/%d/ns/$k)" = "$(readlink /proc/%d/ns/$k)" ] || echo $k; done`, pid, ref)
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
		cpuExplain(dir),
		{Files: []string{dir + "/stat"}, Command: "echo $(( $(sed 's/.*) //' " + dir + "/stat | cut -d' ' -f22) * $(getconf PAGESIZE) ))   # rss pages × page size",
			Meaning: "its resident memory (RSS): the pages of it in RAM, shared ones included, as top and htop count them"},
		{Files: []string{dir + "/status"}, Command: "grep Threads " + dir + "/status", Meaning: "how many threads it has"},
		{Files: []string{dir + "/stat"}, Command: "echo $(( $(" + statTicks(dir) + ") * 100 / $(getconf CLK_TCK) ))   # centiseconds",
			Meaning: "the CPU time it used since it started, user and system (utime + stime), as htop's TIME+: M:SS.cc"},
		isolated, cont, cmd,
	}
}

// statTicks is the shell that prints a process's utime + stime in clock ticks (after the comm,
// which may hold spaces and parentheses: the fields from the last ") ").
func statTicks(dir string) string {
	return "sed 's/.*) //' " + dir + "/stat | cut -d' ' -f12,13 | tr ' ' +"
}

func cpuExplain(dir string) Explanation {
	return Explanation{Files: []string{dir + "/stat"},
		Command: "a=$(( $(" + statTicks(dir) + ") )); sleep 1; echo $(( ( $(" + statTicks(dir) + ") - a ) * 100 / $(getconf CLK_TCK) ))%",
		Meaning: "the CPU it used between the last two refreshes, in % of one CPU (100 = one CPU busy; a process with many threads can use more): utime + stime in /proc/PID/stat, per second"}
}

// containerNameExplain says where a container's name comes from, with a command that prints it.
func containerNameExplain(c *probe.Container) Explanation {
	e := Explanation{Meaning: "the name from the runtime's own state on disk; its short id when that does not say"}
	f := c.NameFrom
	switch {
	case f == "":
		e.Files, e.Command = []string{fmt.Sprintf("/proc/%d/cgroup", c.PID)}, fmt.Sprintf("cat /proc/%d/cgroup", c.PID)
		e.Meaning = "no runtime file names it: the start of its id, from its cgroup path"
	case c.Runtime == "isolated" && f == "uts":
		e.Files, e.Command = []string{fmt.Sprintf("/proc/%d/ns/uts", c.PID)}, fmt.Sprintf("nsenter -t %d -u hostname", c.PID)
		e.Meaning = "a tree no runtime made, in a UTS namespace of its own: named by its hostname"
	case c.Runtime == "isolated":
		e.Files, e.Command = []string{f}, "tr '\\0' ' ' < "+sq(f)+"; echo"
		e.Meaning = "a tree no runtime made: named by its topmost process's command"
	case strings.HasSuffix(f, "/containers.json"):
		e.Files = []string{f}
		e.Command = "tr '{' '\\n' < " + sq(f) + ` | grep '"id":"` + c.ID + `"' | grep -o '"names":\[[^]]*\]'`
	case strings.HasSuffix(f, "/config.v2.json"):
		e.Files, e.Command = []string{f}, `grep -o '"Name":"[^"]*"' `+sq(f)
	case strings.HasSuffix(f, "/config.json") && c.Sandbox:
		e.Files = []string{f}
		e.Command = `grep -o '"\(io.kubernetes.cri.sandbox-name\|io.kubernetes.cri.sandbox-namespace\|io.kubernetes.pod.name\|io.kubernetes.pod.namespace\)":"[^"]*"' ` + sq(f)
		e.Meaning = "a pod's sandbox (pause), named as its pod: namespace/name from the CRI annotations of its OCI spec"
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
