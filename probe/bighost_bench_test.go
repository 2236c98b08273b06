package probe

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/isotop/isotop/probe/probetest"
)

// BenchmarkLargeHost builds the large host of the performance goals (probetest.BigFull: 10,000
// processes, 1,000 nested cgroups, 300 netns with veth pairs on bridges, 200 isolated trees) at
// 10 %, 50 % and 100 % (ISOTOP_BENCH_STEPS, percents separated by commas), and at each step times
// a fresh snapshot (no cache: what `isotop snapshot` does) and each of its parts, against lsns
// --json for the whole and `ip -all netns exec ip -j link` for the network links, on the same
// host in the same run. Per object (processes + cgroups + namespaces + network namespaces of the
// snapshot), the cost must stay flat from step to step.
func BenchmarkLargeHost(b *testing.B) {
	probetest.Live(b)
	names, sizes := probetest.BigSteps(b)
	for i, size := range sizes {
		b.Run(names[i], func(b *testing.B) {
			probetest.BigHost(b, size)
			largeHostStep(b, size)
		})
	}
}

// largeHostStep measures one step; the medians of each figure over the loop are reported.
func largeHostStep(b *testing.B, size probetest.BigSize) {
	fs := DefaultFS()
	fig := map[string][]float64{}
	add := func(name string, d time.Duration) { fig[name] = append(fig[name], float64(d.Microseconds())/1000) }
	objects := 0
	// A TUI's collector, warm: its refresh of every process (Processes on screen) and its lite one
	// (any other view).
	col := NewCollector(fs)
	defer col.Close()
	if _, err := col.Snapshot(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for _, lite := range []bool{false, true} {
			time.Sleep(time.Second) // as a TUI's refresh: the stat of a process is re-read after a second
			cpu0, t0 := cpuTime(), time.Now()
			if _, err := col.take(lite); err != nil {
				b.Fatal(err)
			}
			name := map[bool]string{false: "refresh", true: "lite-refresh"}[lite]
			add(name+"-ms", time.Since(t0))
			add(name+"-cpu-ms", cpuTime()-cpu0)
		}
		cpu0, t0 := cpuTime(), time.Now()
		s, err := fs.Snapshot()
		if err != nil {
			b.Fatal(err)
		}
		add("snapshot-ms", time.Since(t0))
		add("snapshot-cpu-ms", cpuTime()-cpu0)
		t0 = time.Now()
		var out countingWriter
		if err := s.WriteJSON(&out); err != nil {
			b.Fatal(err)
		}
		add("json-ms", time.Since(t0))
		fig["json-MB"] = append(fig["json-MB"], float64(out)/1e6)
		objects = len(s.Processes) + len(s.Cgroups) + len(s.Namespaces) + len(s.NetNamespaces)

		// The parts, one at a time (in a snapshot the cgroup walk runs beside the processes).
		var errs errorList
		t0 = time.Now()
		pids, _ := fs.listPIDs()
		recs := fs.readProcesses(pids, s.Host.BootTime, &errs, nil, time.Now())
		fs.forChildren(recs, &errs)
		add("processes-ms", time.Since(t0))
		t0 = time.Now()
		host, _ := fs.hostNamespaces(recs, &errs)
		fs.namespaces(recs, host, &errs)
		add("namespaces-ms", time.Since(t0))
		t0 = time.Now()
		fs.netNamespaces(s.Namespaces, &errs)
		add("netns-ms", time.Since(t0))
		t0 = time.Now()
		w := cgroupWalk{}
		w.mounts, w.mode, w.nodes = fs.cgroups(&w.errs)
		fs.cgroupTree(w, s.Processes, s.Host.CPUs)
		add("cgroups-ms", time.Since(t0))
		t0 = time.Now()
		fs.containers(s, &errs)
		add("containers-ms", time.Since(t0))

		add("lsns-ms", timeRun(b, "lsns", "--json"))
		add("ip-netns-ms", timeRun(b, "ip", "-all", "netns", "exec", "ip", "-j", "link"))
	}
	med := map[string]float64{}
	for name, v := range fig {
		med[name] = medianOf(v)
		b.ReportMetric(med[name], name)
	}
	perObj := med["snapshot-ms"] * 1000 / float64(objects)
	b.ReportMetric(perObj, "µs/object")
	b.ReportMetric(med["snapshot-ms"]/med["lsns-ms"], "snapshot/lsns")
	b.ReportMetric(med["netns-ms"]/med["ip-netns-ms"], "netns/ip")
	b.Logf("%s: %d objects in the snapshot; snapshot %.0f ms (CPU %.0f ms), %.1f µs an object; processes %.0f, namespaces %.0f, netns %.0f, cgroups %.0f, containers %.0f ms, its JSON %.0f ms (%.1f MB); lsns %.0f ms, ip -all netns exec ip -j link %.0f ms; a collector's refresh %.0f ms (CPU %.0f ms), lite %.0f ms (CPU %.0f ms)",
		size, objects, med["snapshot-ms"], med["snapshot-cpu-ms"], perObj, med["processes-ms"], med["namespaces-ms"],
		med["netns-ms"], med["cgroups-ms"], med["containers-ms"], med["json-ms"], med["json-MB"], med["lsns-ms"], med["ip-netns-ms"],
		med["refresh-ms"], med["refresh-cpu-ms"], med["lite-refresh-ms"], med["lite-refresh-cpu-ms"])
}

// countingWriter counts what is written to it.
type countingWriter int

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

// timeRun is the wall time of a command whose output goes to /dev/null.
func timeRun(b *testing.B, name string, args ...string) time.Duration {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = devnull, devnull
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return time.Since(t0)
}

// cpuTime is this process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
