package probe

import (
	"os/exec"
	"strconv"
	"testing"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	"github.com/isotop/isotop/probe/probetest"
)

// BenchmarkCgroupRead compares the refresh path's cgroup reading with containerd/cgroups/v3 on the
// same tree: 50 cgroups the benchmark makes (each with a process in it) next to the host's own.
// "direct" reads everything isotop shows (usage, limits, PSI, events) for every node; "containerd"
// only loads each node and calls Stat, which returns usage but not most limits.
func BenchmarkCgroupRead(b *testing.B) {
	probetest.Live(b)
	base := probetest.Name(b)
	probetest.NewCgroup(b, base, "memory", "cpu", "pids")
	for i := range 50 {
		cg := probetest.NewCgroup(b, base+"/c"+strconv.Itoa(i), "memory", "cpu", "pids")
		cg.SetMemoryMax(b, 256<<20)
		p := probetest.Start(b, exec.Command("sleep", "300"))
		cg.Add(b, p.Process.Pid)
	}
	fs := DefaultFS()
	var errs errorList
	mounts, mode, nodes := fs.cgroups(&errs)
	b.Logf("%s host, %d cgroups", mode, len(nodes))

	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			var errs errorList
			fs.cgroups(&errs)
		}
	})
	b.Run("containerd", func(b *testing.B) {
		v2mount := ""
		for _, m := range mounts {
			if m.Version == 2 && mode == "v2" {
				v2mount = m.MountPoint
			}
		}
		for b.Loop() {
			for p := range nodes {
				if v2mount != "" {
					m, err := cgroup2.Load(p, cgroup2.WithMountpoint(v2mount))
					if err == nil {
						_, _ = m.Stat()
					}
					continue
				}
				cg, err := cgroup1.Load(cgroup1.StaticPath(p))
				if err == nil {
					_, _ = cg.Stat(cgroup1.IgnoreNotExist)
				}
			}
		}
	})
}
