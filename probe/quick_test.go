package probe

import (
	"slices"
	"testing"
)

// TestQuick: the quick first snapshot has every process of the full one with what its stat says
// (parent, name, state, threads, CPU time, RSS), the host and the cgroup mode, says it is partial,
// and has none of what needs the rest of /proc/PID (command lines, uids, namespaces, cgroups).
func TestQuick(t *testing.T) {
	for _, name := range []string{"hybrid", "v1", "v2"} {
		fs := NewFS("testdata/"+name+"/proc", "testdata/"+name+"/sys")
		full, err := fs.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		q, err := fs.Quick()
		if err != nil {
			t.Fatal(err)
		}
		if q.Partial == "" || full.Partial != "" {
			t.Errorf("%s: Partial %q (quick), %q (full)", name, q.Partial, full.Partial)
		}
		if !slices.Equal(pids(q), pids(full)) {
			t.Errorf("%s: quick has pids %v, the full one %v", name, pids(q), pids(full))
		}
		for _, f := range full.Processes {
			p := q.proc(t, f.PID)
			if p.PPID != f.PPID || p.Comm != f.Comm || p.State != f.State || p.Threads != f.Threads || p.CPUUsec != f.CPUUsec ||
				p.RSSBytes != f.RSSBytes || p.StartTicks != f.StartTicks || !p.Started.Equal(f.Started) {
				t.Errorf("%s: pid %d reads %+v quick, %+v in full", name, f.PID, p, f)
			}
			if len(p.Cmdline) > 0 || p.Namespaces.Len() > 0 || p.Cgroup != "" {
				t.Errorf("%s: pid %d: the quick one read more than stat: %+v", name, f.PID, p)
			}
		}
		if q.Host.Kernel != full.Host.Kernel || q.Host.CgroupMode != full.Host.CgroupMode || q.Host.CPUs != full.Host.CPUs {
			t.Errorf("%s: host %+v quick, %+v in full", name, q.Host, full.Host)
		}
		if len(q.Namespaces)+len(q.Cgroups)+len(q.Containers)+len(q.NetNamespaces) != 0 {
			t.Errorf("%s: the quick one has namespaces, cgroups, containers or network", name)
		}
	}
}
