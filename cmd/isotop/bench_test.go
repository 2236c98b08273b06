package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/isotop/isotop/probe/probetest"
)

// BenchmarkSnapshotVsLsns times the isotop binary's `snapshot --json` against util-linux's
// `lsns --json` on this host, alternating the two in one run, with about 2000 extra processes spread
// over 8 sets of new pid, mnt, net, uts and ipc namespaces that the benchmark creates and removes.
// It reports both times per run and their ratio (isotop/lsns; lower is better).
func BenchmarkSnapshotVsLsns(b *testing.B) {
	probetest.RequireRoot(b)
	lsns, err := exec.LookPath("lsns")
	if err != nil {
		b.Skip("needs lsns from util-linux")
	}
	bin := filepath.Join(b.TempDir(), "isotop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	const groups, perGroup = 8, 250
	before := countProcs(b)
	for range groups {
		// The shell is init of a new pid namespace: killing it makes the kernel kill its sleeps.
		cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt "+strconv.Itoa(perGroup)+" ]; do sleep 3600 & i=$((i+1)); done; wait")
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL,
			Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC}
		probetest.Start(b, cmd)
	}
	probetest.WaitFor(b, "the extra processes", func() bool { return countProcs(b) >= before+groups*(perGroup+1) })
	b.Logf("%d processes on the host during the benchmark", countProcs(b))

	runOnce := func(name string, args ...string) time.Duration {
		// Both write straight into /dev/null (a file, not a pipe this process would have to drain).
		devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer devnull.Close()
		var stderr strings.Builder
		cmd := exec.Command(name, args...)
		cmd.Stdout, cmd.Stderr = devnull, &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s: %v\n%s", name, err, stderr.String())
		}
		return time.Since(start)
	}
	// The two run in alternation, and the figures are medians (of each one's times, and of the
	// ratio within each pair), so that a slow moment of a shared machine does not decide.
	var isotop, peer, ratio []float64
	for b.Loop() {
		i := runOnce(bin, "snapshot", "--json")
		l := runOnce(lsns, "--json")
		isotop = append(isotop, float64(i.Microseconds())/1000)
		peer = append(peer, float64(l.Microseconds())/1000)
		ratio = append(ratio, float64(i)/float64(l))
	}
	b.ReportMetric(median(isotop), "isotop-ms/op")
	b.ReportMetric(median(peer), "lsns-ms/op")
	b.ReportMetric(median(ratio), "isotop/lsns")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func countProcs(b *testing.B) int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if strings.Trim(e.Name(), "0123456789") == "" {
			n++
		}
	}
	return n
}
