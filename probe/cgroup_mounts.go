package probe

import (
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// CgroupMount is one mounted cgroup hierarchy: the v2 unified one, or a v1 one with its controllers.
type CgroupMount struct {
	Version     int      `json:"version"`
	Controllers []string `json:"controllers"` // v1: from the mount options (cpu, memory, name=systemd …)
	MountPoint  string   `json:"mount_point"`
	// Root is the cgroup mounted there: "/" normally, a subtree in a container or a bind mount.
	Root string `json:"root"`
}

// v1Controllers are the v1 controller names that can appear in a cgroup mount's super options.
var v1Controllers = []string{"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb",
	"memory", "misc", "net_cls", "net_prio", "perf_event", "pids", "rdma"}

// IsV1Controller reports whether name is a v1 controller (the directory a v1 hierarchy is
// usually mounted on under /sys/fs/cgroup).
func IsV1Controller(name string) bool { return slices.Contains(v1Controllers, name) }

const (
	cgroupSuperMagic  = 0x27e0eb
	cgroup2SuperMagic = 0x63677270
)

// cgroupMounts finds the cgroup hierarchies in a mountinfo, whatever their mount points, one per
// hierarchy (a hierarchy mounted twice is kept once, its "/" root preferred), and the host's mode:
// "v2" (unified only), "v1" (legacy only), "hybrid" (both), or "none".
func cgroupMounts(mounts []Mount) ([]CgroupMount, string) {
	var out []CgroupMount
	for _, m := range mounts {
		var cm CgroupMount
		switch m.FSType {
		case "cgroup2":
			cm = CgroupMount{Version: 2, Controllers: []string{}, MountPoint: m.Point, Root: m.Root}
		case "cgroup":
			cm = CgroupMount{Version: 1, Controllers: []string{}, MountPoint: m.Point, Root: m.Root}
			for _, opt := range strings.Split(m.SuperOpts, ",") {
				if slices.Contains(v1Controllers, opt) || strings.HasPrefix(opt, "name=") {
					cm.Controllers = append(cm.Controllers, opt)
				}
			}
			slices.Sort(cm.Controllers)
		default:
			continue
		}
		dup := slices.IndexFunc(out, func(o CgroupMount) bool {
			return o.Version == cm.Version && slices.Equal(o.Controllers, cm.Controllers)
		})
		switch {
		case dup < 0:
			out = append(out, cm)
		case out[dup].Root != "/" && cm.Root == "/":
			out[dup] = cm
		}
	}
	return out, cgroupMode(out)
}

// cgroupMode names a host's cgroup mode from its hierarchies.
func cgroupMode(hier []CgroupMount) string {
	v1, v2 := false, false
	for _, m := range hier {
		v1 = v1 || m.Version == 1
		v2 = v2 || m.Version == 2
	}
	switch {
	case v1 && v2:
		return "hybrid"
	case v2:
		return "v2"
	case v1:
		return "v1"
	}
	return "none"
}

// hostPath maps an absolute path on the host to where the FS sees it: itself on the live host, or
// inside a fixture tree (the directory holding the fixture's proc/ and sys/).
func (fs FS) hostPath(p string) string {
	return filepath.Join(filepath.Dir(fs.Proc), p)
}

// checkCgroupFS confirms with statfs(2) that a mount point really is a cgroup filesystem of the
// expected version (the live host only: a fixture is a plain directory tree).
func (fs FS) checkCgroupFS(m CgroupMount) error {
	if !fs.live() {
		return nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs(m.MountPoint, &st); err != nil {
		return err
	}
	want := int64(cgroupSuperMagic)
	if m.Version == 2 {
		want = cgroup2SuperMagic
	}
	if int64(st.Type) != want {
		return parseErr("statfs", "not a cgroup filesystem")
	}
	return nil
}

// CgroupMounts reads the cgroup hierarchies mounted in isotop's mount namespace and the host's
// mode ("v2", "v1", "hybrid", "none"), each mount point checked to be a cgroup filesystem.
func (fs FS) CgroupMounts() ([]CgroupMount, string, error) {
	return fs.cgroupHierarchies(func(string, error) {})
}

// cgroupHierarchies is CgroupMounts, telling bad of each mount point that is left out.
func (fs FS) cgroupHierarchies(bad func(path string, err error)) ([]CgroupMount, string, error) {
	info := fs.Proc + "/self/mountinfo"
	data, err := readFile(info)
	if err != nil {
		return nil, "none", err
	}
	mounts, err := parseMountinfo(data)
	if err != nil {
		bad(info, err) // the lines before the bad one stand
	}
	all, _ := cgroupMounts(mounts)
	var out []CgroupMount
	for _, m := range all {
		if err := fs.checkCgroupFS(m); err != nil {
			bad(m.MountPoint, err)
			continue
		}
		out = append(out, m)
	}
	return out, cgroupMode(out), nil
}
