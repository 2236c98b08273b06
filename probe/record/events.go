package record

import (
	"fmt"
	"strconv"
	"time"

	"github.com/isotop/isotop/probe"
)

// Diff is what changed from prev to cur as events at cur's time (Source "sample"): containers
// started and stopped, cgroups created and removed, network namespaces created and removed, a
// veth's peer changed, memory, pids and CPU limits changed (by anyone); and the cgroup events the
// collector saw after prev was taken (an OOM kill, a limit hit; "inotify" as they happened on v2).
// prev nil: the cgroup events only.
func Diff(prev, cur *probe.Snapshot) []Event {
	var out []Event
	at := cur.Taken
	add := func(kind, object, detail string) {
		out = append(out, Event{Time: at, Kind: kind, Object: object, Detail: detail, Source: "sample"})
	}
	since := time.Time{}
	if prev != nil {
		since = prev.Taken
	}
	for _, e := range cur.CgroupEvents {
		if e.Time.After(since) {
			kind := e.Event
			if kind == "oom_kill" {
				kind = "oom-kill"
			}
			out = append(out, Event{Time: e.Time, Kind: kind, Object: e.Cgroup, Detail: "count " + strconv.FormatUint(e.Count, 10), Source: e.Source})
		}
	}
	if prev == nil {
		return out
	}
	ctr := func(c probe.Container) string { return c.Runtime + ":" + c.Name }
	changes(prev.Containers, cur.Containers, func(c probe.Container) string { return c.Runtime + ":" + c.ID },
		func(c probe.Container) { add("container-started", ctr(c), c.Image) },
		func(c probe.Container) { add("container-stopped", ctr(c), c.Image) }, nil)
	changes(prev.Cgroups, cur.Cgroups, func(c probe.Cgroup) string { return c.Path },
		func(c probe.Cgroup) { add("cgroup-created", c.Path, "") },
		func(c probe.Cgroup) { add("cgroup-removed", c.Path, "") },
		func(a, b probe.Cgroup) {
			for _, l := range limits(a, b) {
				add("limit-changed", b.Path, l)
			}
		})
	out = append(out, containerExecs(prev, cur)...)
	netns := func(n probe.NetNamespace) string {
		name := ""
		if len(n.Names) > 0 {
			name = " " + n.Names[0]
		}
		return "netns:" + strconv.FormatUint(n.Inode, 10) + name
	}
	changes(prev.NetNamespaces, cur.NetNamespaces, func(n probe.NetNamespace) string { return strconv.FormatUint(n.Inode, 10) },
		func(n probe.NetNamespace) { add("netns-created", netns(n), "") },
		func(n probe.NetNamespace) { add("netns-removed", netns(n), "") },
		func(a, b probe.NetNamespace) {
			changes(a.Links, b.Links, func(l probe.Link) string { return l.Name }, nil, nil, func(x, y probe.Link) {
				if p, q := peer(x), peer(y); p != q && x.Kind == "veth" {
					add("veth-peer-changed", netns(b)+" "+y.Name, p+" → "+q)
				}
			})
		})
	return out
}

// containerExecs are the processes new since prev that an exec put into a container from outside
// (docker exec, podman exec, kubectl exec, nsenter): in a container, with a parent outside it, and
// not the container's first process. A sample sees those alive at its time; isotop record's proc
// connector sees every one as it happens.
func containerExecs(prev, cur *probe.Snapshot) []Event {
	type id struct {
		pid   int
		start uint64
	}
	old := make(map[id]bool, len(prev.Processes))
	for _, p := range prev.Processes {
		old[id{p.PID, p.StartTicks}] = true
	}
	byPID := make(map[int]*probe.Process, len(cur.Processes))
	for i := range cur.Processes {
		byPID[cur.Processes[i].PID] = &cur.Processes[i]
	}
	ctrs := map[string]*probe.Container{}
	for i := range cur.Containers {
		c := &cur.Containers[i]
		ctrs[c.Runtime+":"+c.ID] = c
	}
	var out []Event
	for _, p := range cur.Processes {
		c := ctrs[p.Container]
		if c == nil || old[id{p.PID, p.StartTicks}] || p.PID == c.PID || (len(p.NSPids) > 1 && p.NSPids[len(p.NSPids)-1] == 1) {
			continue
		}
		parent := byPID[p.PPID]
		if parent == nil || parent.Container == p.Container {
			continue
		}
		e := probe.ContainerExec{Container: c, PID: p.PID, Cmdline: p.Cmdline, PPID: p.PPID, Parent: parent.Comm}
		out = append(out, Event{Time: cur.Taken, Kind: "container-exec", Object: c.Runtime + ":" + c.Name, Detail: e.Detail(), Source: "sample"})
	}
	return out
}

// changes calls added, removed and same for the elements of a and b, matched by key.
func changes[T any](a, b []T, key func(T) string, added, removed func(T), same func(T, T)) {
	old := make(map[string]int, len(a))
	for i, x := range a {
		old[key(x)] = i
	}
	seen := make(map[string]bool, len(b))
	for _, y := range b {
		k := key(y)
		seen[k] = true
		if i, ok := old[k]; !ok {
			if added != nil {
				added(y)
			}
		} else if same != nil {
			same(a[i], y)
		}
	}
	for _, x := range a {
		if !seen[key(x)] && removed != nil {
			removed(x)
		}
	}
}

func peer(l probe.Link) string {
	if l.Peer == nil {
		return "none"
	}
	return fmt.Sprintf("netns %d %s", l.Peer.NetNS, l.Peer.Name)
}

// limits says which of a cgroup's own limits changed: "memory.max 1G → 512M".
func limits(a, b probe.Cgroup) []string {
	var out []string
	cmp := func(name string, x, y *probe.Limit) {
		if str(x) != str(y) {
			out = append(out, name+" "+str(x)+" → "+str(y))
		}
	}
	if a.Memory != nil && b.Memory != nil {
		cmp("memory max", a.Memory.Max, b.Memory.Max)
		cmp("memory high", a.Memory.High, b.Memory.High)
	}
	if a.PIDsCtl != nil && b.PIDsCtl != nil {
		cmp("pids max", a.PIDsCtl.Max, b.PIDsCtl.Max)
	}
	if a.CPU != nil && b.CPU != nil {
		cmp("cpu quota_usec", a.CPU.QuotaUsec, b.CPU.QuotaUsec)
	}
	return out
}

func str(l *probe.Limit) string {
	switch {
	case l == nil:
		return "unset"
	case *l == probe.Unlimited:
		return "max"
	}
	return strconv.FormatUint(uint64(*l), 10)
}
