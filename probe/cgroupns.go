package probe

import (
	"bytes"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
)

// In a cgroup namespace of its own (a pod's, by default on cgroup v2), /proc/PID/cgroup gives paths
// relative to the reader's namespace root: "/" for its own cgroup, "/../../kubepods/…" for another
// container's. The cgroup walk sees the host's tree (the host's /sys mounted into the pod). To join
// the two, the probe finds its own cgroup in the host's tree (the directory whose cgroup.procs holds
// its pid), which gives the host path of its namespace root, and maps every path from there.

// nsRoots caches, per hierarchy and namespace-relative path of isotop's own cgroup, the host path of
// its namespace root: finding it reads cgroup.procs files, once.
var nsRoots sync.Map // string → string

// hostCgroupPaths rewrites the processes' cgroup paths into the host's tree when they were read from
// inside a cgroup namespace; it changes nothing otherwise (no path starts with "/..").
func hostCgroupPaths(procs []Process, nodes map[string]*Cgroup, self int) {
	namespaced := false
	var mine []CgroupMembership
	for i := range procs {
		for _, m := range procs[i].CgroupMembership {
			namespaced = namespaced || strings.HasPrefix(m.Path, "/..")
		}
		if procs[i].PID == self {
			mine = procs[i].CgroupMembership
		}
	}
	if !namespaced || mine == nil {
		return
	}
	roots := map[string]string{} // hierarchy key → host path of the namespace root
	for _, m := range mine {
		key := hierarchyKey(m)
		cacheKey := key + "\x00" + m.Path
		if r, ok := nsRoots.Load(cacheKey); ok {
			roots[key] = r.(string)
			continue
		}
		if own := findOwnCgroup(nodes, key, self); own != "" {
			root := strings.TrimSuffix(own, strings.TrimSuffix(m.Path, "/"))
			if root == "" {
				root = "/"
			}
			roots[key] = root
			nsRoots.Store(cacheKey, root)
		}
	}
	// The membership slices are shared between processes with the same lines (and kept by the
	// cache across refreshes): each process gets a mapped copy.
	mapped := map[*CgroupMembership][]CgroupMembership{}
	for i := range procs {
		lines := procs[i].CgroupMembership
		if len(lines) == 0 {
			continue
		}
		if out, ok := mapped[&lines[0]]; ok {
			procs[i].CgroupMembership = out
			continue
		}
		out := make([]CgroupMembership, len(lines))
		for j, m := range lines {
			out[j] = m
			if root, ok := roots[hierarchyKey(m)]; ok {
				out[j].Path = path.Clean(root + "/" + m.Path)
			}
		}
		mapped[&lines[0]] = out
		procs[i].CgroupMembership = out
	}
}

// hierarchyKey names a membership line's hierarchy as Cgroup.Dirs does: "unified", or the v1
// mount's controllers ("cpu,cpuacct", "name=systemd").
func hierarchyKey(m CgroupMembership) string {
	if len(m.Controllers) == 0 {
		return "unified"
	}
	return strings.Join(m.Controllers, ",")
}

// findOwnCgroup is the path of the cgroup of the hierarchy key whose cgroup.procs holds pid.
func findOwnCgroup(nodes map[string]*Cgroup, key string, pid int) string {
	want := []byte(strconv.Itoa(pid))
	for p, n := range nodes {
		dir, ok := n.Dirs[key]
		if !ok {
			continue
		}
		data, err := os.ReadFile(dir + "/cgroup.procs")
		if err != nil {
			continue
		}
		for line := range bytes.SplitSeq(data, []byte{'\n'}) {
			if bytes.Equal(line, want) {
				return p
			}
		}
	}
	return ""
}
