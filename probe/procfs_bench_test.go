package probe

import (
	"testing"
	"time"

	"github.com/prometheus/procfs"
)

// BenchmarkReadProcessesVsProcfs reads every process of this host the way a snapshot does (stat,
// status, cmdline, cgroup, the namespace links) with isotop's reader and with prometheus/procfs
// (AllProcs, then Stat, NewStatus, CmdLine, Cgroups and Namespaces of each), side by side on the
// same host, so that the reason isotop keeps its own reader on this path stays checkable. It only
// reads /proc.
func BenchmarkReadProcessesVsProcfs(b *testing.B) {
	fs := DefaultFS()
	b.Run("isotop", func(b *testing.B) {
		for b.Loop() {
			pids, err := fs.listPIDs()
			if err != nil {
				b.Fatal(err)
			}
			var errs errorList
			if recs := fs.readProcesses(pids, time.Time{}, &errs, nil, time.Now()); len(recs) == 0 {
				b.Fatal("no process read")
			}
		}
	})
	b.Run("procfs", func(b *testing.B) {
		pfs, err := procfs.NewFS("/proc")
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			procs, err := pfs.AllProcs()
			if err != nil {
				b.Fatal(err)
			}
			for _, p := range procs {
				_, _ = p.Stat()
				_, _ = p.NewStatus()
				_, _ = p.CmdLine()
				_, _ = p.Cgroups()
				_, _ = p.Namespaces()
			}
		}
	})
}
