package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/isotop/isotop/probe"
)

// NamespaceTable lists namespaces by kind; pid and user namespaces as trees under their parents.
func NamespaceTable(s *probe.Snapshot) Table {
	t := Table{Columns: []Column{{Title: "TYPE", Width: 6}, {Title: "NS", Width: 13},
		{Title: "PROCS", Width: 5, Right: true}, {Title: "PID", Width: 7, Right: true}, {Title: "OWNER", Width: 10, Right: true},
		{Title: "CONTAINER", Width: 12, Drop: 1}, {Title: "COMMAND / HELD BY", Width: 20, Flex: true}}, TreeCol: 1}
	in := namespaceContainers(s)
	byKind := map[probe.NSKind][]*probe.Namespace{}
	index := map[Ref]*probe.Namespace{}
	for i := range s.Namespaces {
		ns := &s.Namespaces[i]
		byKind[ns.Type] = append(byKind[ns.Type], ns)
		index[NSRef(ns.Type, ns.Inode)] = ns
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
			ctr := ""
			if cs := in[NSRef(ns.Type, ns.Inode)]; len(cs) > 0 {
				ctr = ContainerName(cs[0])
				if len(cs) > 1 {
					ctr += fmt.Sprintf(" +%d", len(cs)-1)
				}
			}
			t.Rows = append(t.Rows, Row{Ref: NSRef(ns.Type, ns.Inode), Depth: depth[ns.Inode],
				Cells:  []string{string(ns.Type), strconv.FormatUint(ns.Inode, 10), strconv.Itoa(ns.Processes), pid, owner, ctr, held},
				Sort:   []string{string(ns.Type), Num(ns.Inode), Num(uint64(ns.Processes)), Num(uint64(ns.PID)), owner, ctr, held},
				Expand: func() More { return namespaceMore(s, ns, index, in[NSRef(ns.Type, ns.Inode)]) }})
		}
	}
	return t
}

// namespaceContainers lists, per namespace that is not the host's, the containers in it (a pod's
// sandbox first: it holds the pod's net, ipc and uts).
func namespaceContainers(s *probe.Snapshot) map[Ref][]*probe.Container {
	in := map[Ref][]*probe.Container{}
	for i := range s.Containers {
		c := &s.Containers[i]
		for _, k := range probe.Kinds {
			if ino := c.Namespaces.Get(k); ino != 0 && ino != s.Host.NS.Get(k) {
				r := NSRef(k, ino)
				if c.Sandbox {
					in[r] = append([]*probe.Container{c}, in[r]...)
				} else {
					in[r] = append(in[r], c)
				}
			}
		}
	}
	return in
}

func namespaceMore(s *probe.Snapshot, ns *probe.Namespace, index map[Ref]*probe.Namespace, in []*probe.Container) More {
	var m More
	if ns.PID > 0 {
		m.Jumps = append(m.Jumps, Jump{"lowest process", Processes, ProcRef(ns.PID)})
	}
	if ns.Type == probe.NSNet {
		m.Jumps = append(m.Jumps, Jump{"links", Network, NetRef(ns.Inode)})
	}
	if ns.OwnerUserNS != nil {
		m.Jumps = append(m.Jumps, Jump{"owner user namespace", Namespaces, NSRef(probe.NSUser, *ns.OwnerUserNS)})
	}
	if ns.Parent != nil {
		m.Jumps = append(m.Jumps, Jump{"parent", Namespaces, NSRef(ns.Type, *ns.Parent)})
	}
	m.Explain = namespaceExplain(ns, in)
	m.Detail = append(m.Detail, fmt.Sprintf("%s namespace %d", ns.Type, ns.Inode), "")
	m.Detail = append(m.Detail, fmt.Sprintf("processes  %d", ns.Processes))
	for _, c := range in { // the containers in it (a pod's share their net, ipc and uts)
		m.Detail = append(m.Detail, "container  "+c.Runtime+":"+ContainerName(c))
		m.Jumps = append(m.Jumps, Jump{"container " + ContainerName(c), Containers, ContainerRef(c.Key())})
	}
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
			next := index[NSRef(ns.Type, *p)]
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

// nsMembers is the shell that lists the pids in namespace kind:[ino], lowest first: how isotop
// counts them, reading every process's link.
func nsMembers(kind probe.NSKind, ino uint64) string {
	return fmt.Sprintf(`find /proc/[0-9]*/ns/%s -maxdepth 0 -lname '%s:\[%d\]' 2>/dev/null | cut -d/ -f3 | sort -n`, kind, kind, ino)
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

func namespaceExplain(ns *probe.Namespace, in []*probe.Container) []Explanation {
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
	ctr := Explanation{Meaning: "no container is in it"}
	if len(in) > 0 { // the first container's name, where it comes from
		ctr = containerNameExplain(in[0])
		ctr.Meaning = "the container in it (+N: and N more, listed by i): " + ctr.Meaning
	}
	e = append(e[:5], ctr, e[5])
	var held []string
	if ns.PID > 0 {
		e[4].Command = fmt.Sprintf("lsns -t %s -n -o NS,ONS | awk '$1 == %d {print $2}'", ns.Type, ns.Inode)
		e[6].Files = append(e[6].Files, fmt.Sprintf("/proc/%d/cmdline", ns.PID))
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
		e[6].Command = strings.Join(held, "; ") + "   # its command (a kernel thread has no arguments: its name), its bind mounts, its uid map"
	}
	return e
}
