package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	probetest.Live(b)
	lsns, err := exec.LookPath("lsns")
	if err != nil {
		b.Skip("needs lsns from util-linux")
	}
	bin := filepath.Join(b.TempDir(), "isotop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	fillHost(b, 8, 250)

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

// fillHost starts groups sets of new pid, mnt, net, uts and ipc namespaces with perGroup sleeps in
// each, and waits for them; they are killed when the benchmark ends.
func fillHost(b *testing.B, groups, perGroup int) {
	before := countProcs(b)
	for range groups {
		// The shell is init of a new pid namespace: killing it makes the kernel kill the rest.
		// Each extra process is a forked shell blocked reading a pipe that is never written
		// (no exec: thousands start in seconds).
		r, w, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { w.Close() })
		cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt "+strconv.Itoa(perGroup)+" ]; do read x <&3 & i=$((i+1)); done; wait")
		cmd.ExtraFiles = []*os.File{r}
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL,
			Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC}
		probetest.Start(b, cmd)
		r.Close()
	}
	for deadline := time.Now().Add(2 * time.Minute); countProcs(b) < before+groups*(perGroup+1); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d processes after 2 minutes, not %d", countProcs(b), before+groups*(perGroup+1))
		}
	}
	b.Logf("%d processes on the host during the benchmark", countProcs(b))
}

// BenchmarkTUIVsHtop runs the isotop TUI and htop side by side in tmux for 30 s, both refreshing
// every second at 200x50, on a host with about 4000 processes, and reports the CPU time each used
// (utime+stime of /proc/PID/stat) and their ratio (isotop/htop; lower is better). Run it with
// -benchtime 1x: one run is 30 s.
func BenchmarkTUIVsHtop(b *testing.B) {
	probetest.Live(b)
	htop, err := exec.LookPath("htop")
	if err != nil {
		b.Skip("needs htop (make bench installs it)")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		b.Skip("needs tmux")
	}
	bin := filepath.Join(b.TempDir(), "isotop")
	if other := os.Getenv("ISOTOP_BENCH_BIN"); other != "" { // another build, to compare
		bin = other
	} else if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	if n := countProcs(b); n < 4000 {
		fillHost(b, 16, (4000-n)/16)
	}
	socket := filepath.Join(b.TempDir(), "tmux") // a tmux server of its own
	tmux := func(args ...string) string {
		out, err := exec.Command("tmux", append([]string{"-S", socket}, args...)...).CombinedOutput()
		if err != nil {
			b.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	b.Cleanup(func() { _ = exec.Command("tmux", "-S", socket, "kill-server").Run() })
	// htop gets a HOME of its own: it writes its settings there when it quits.
	home := b.TempDir()
	tmux("new-session", "-d", "-s", "htop", "-x", "200", "-y", "50", "env", "HOME="+home, htop, "-d", "10")
	tmux("new-session", "-d", "-s", "isotop", "-x", "200", "-y", "50", bin, "--interval", "1s")
	pid := func(session string) int {
		p, err := strconv.Atoi(tmux("list-panes", "-t", session, "-F", "#{pane_pid}"))
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	htopPID, isotopPID := pid("htop"), pid("isotop")
	time.Sleep(time.Second)
	view := "p" // the process list, as htop shows; ISOTOP_BENCH_VIEW=g (Cgroups), c, w, o: another view
	if v := os.Getenv("ISOTOP_BENCH_VIEW"); v != "" {
		view = v
	}
	tmux("send-keys", "-t", "isotop", view)
	for b.Loop() {
		time.Sleep(3 * time.Second) // both past their start
		hu0, hs0 := cpuTicks(b, htopPID)
		iu0, is0 := cpuTicks(b, isotopPID)
		time.Sleep(30 * time.Second)
		hu1, hs1 := cpuTicks(b, htopPID)
		iu1, is1 := cpuTicks(b, isotopPID)
		h, i := float64(hu1-hu0+hs1-hs0)/100, float64(iu1-iu0+is1-is0)/100
		b.Logf("30 s at 1 s refresh, %d processes: isotop %.2f CPU s (user %.2f, system %.2f), htop %.2f CPU s (user %.2f, system %.2f)",
			countProcs(b), i, float64(iu1-iu0)/100, float64(is1-is0)/100, h, float64(hu1-hu0)/100, float64(hs1-hs0)/100)
		b.ReportMetric(i, "isotop-cpu-s")
		b.ReportMetric(h, "htop-cpu-s")
		b.ReportMetric(i/h, "isotop/htop")
	}
	if s := tmux("capture-pane", "-p", "-t", "isotop"); !strings.Contains(s, "["+view+" ") {
		b.Errorf("isotop was not showing the view %s:\n%s", view, s)
	}
}

// cpuTicks is the user and system CPU time of pid, in clock ticks (1/100 s).
func cpuTicks(b *testing.B, pid int) (user, system uint64) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	user, _ = strconv.ParseUint(f[11], 10, 64)
	system, _ = strconv.ParseUint(f[12], 10, 64)
	return user, system
}

// BenchmarkFirstFrame starts the TUI in tmux on a host with about 4000 processes (ISOTOP_BENCH_PROCS
// for another number) and reports, per start, the time from its exec to the first frame with data
// (the title's process count) and to the whole host (the Overview's cgroups, which need the full
// read). tmux copies what the program writes to a pipe as it comes (pipe-pane), read here: no
// screen polling in between. The pane's shell writes the clock just before it execs isotop.
func BenchmarkFirstFrame(b *testing.B) {
	probetest.Live(b)
	if _, err := exec.LookPath("tmux"); err != nil {
		b.Skip("needs tmux")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "isotop")
	if other := os.Getenv("ISOTOP_BENCH_BIN"); other != "" { // another build, to compare (an older commit's)
		bin = other
	} else if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	want := 4000
	if v, err := strconv.Atoi(os.Getenv("ISOTOP_BENCH_PROCS")); err == nil {
		want = v
	}
	if n := countProcs(b); n < want {
		fillHost(b, 16, (want-n)/16)
	}
	socket := filepath.Join(dir, "tmux")
	tmux := func(args ...string) {
		if out, err := exec.Command("tmux", append([]string{"-S", socket}, args...)...).CombinedOutput(); err != nil {
			b.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
	}
	b.Cleanup(func() { _ = exec.Command("tmux", "-S", socket, "kill-server").Run() })
	tmux("new-session", "-d", "-s", "keep", "sleep", "3600") // the server lives between the starts
	var first, full []float64
	for b.Loop() {
		fifo, stamp := filepath.Join(dir, "out"), filepath.Join(dir, "t0")
		_ = os.Remove(fifo)
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			b.Fatal(err)
		}
		tmux("new-session", "-d", "-s", "ff", "-x", "120", "-y", "40", "sh", "-c",
			"read go; date +%s%N > "+stamp+"; exec env NO_COLOR=1 "+bin+" --interval 10s")
		tmux("pipe-pane", "-t", "ff", "-o", "cat > "+fifo)
		f, err := os.Open(fifo)
		if err != nil {
			b.Fatal(err)
		}
		tmux("send-keys", "-t", "ff", "Enter")
		at := readUntil(f, " procs", "busiest cgroups")
		t1, t2 := at[0], at[1]
		f.Close()
		data, _ := os.ReadFile(stamp)
		ns, _ := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		t0 := time.Unix(0, ns)
		first, full = append(first, float64(t1.Sub(t0).Microseconds())/1000), append(full, float64(t2.Sub(t0).Microseconds())/1000)
		tmux("kill-session", "-t", "ff")
	}
	b.Logf("%d processes: first frame with data %v ms, the whole host %v ms", countProcs(b), first, full)
	b.ReportMetric(median(first), "first-frame-ms")
	b.ReportMetric(median(full), "whole-host-ms")
}

// readUntil reads r until each of whats has come (possibly split between reads, in any order)
// and returns when each came.
func readUntil(r io.Reader, whats ...string) []time.Time {
	at := make([]time.Time, len(whats))
	var seen []byte
	buf := make([]byte, 64<<10)
	for left := len(whats); left > 0; {
		n, err := r.Read(buf)
		seen = append(seen, buf[:n]...)
		for i, w := range whats {
			if at[i].IsZero() && strings.Contains(string(seen), w) {
				at[i] = time.Now()
				left--
			}
		}
		if err != nil {
			return at
		}
	}
	return at
}

// BenchmarkLargeHostTUI builds the large host (probetest.BigFull) at 10 %, 50 % and 100 %
// (ISOTOP_BENCH_STEPS) and at each step reports, for the real binary: a fresh `snapshot --json`'s
// wall and CPU time against `lsns --json`'s, and the TUI's CPU per refresh (1 s, 20 s in tmux at
// 200x50) on the Processes and on the Cgroups view, and its resident memory; each also per 1000
// objects of the snapshot (processes, cgroups, namespaces, network namespaces), which must stay flat.
func BenchmarkLargeHostTUI(b *testing.B) {
	probetest.Live(b)
	if _, err := exec.LookPath("tmux"); err != nil {
		b.Skip("needs tmux")
	}
	bin := filepath.Join(b.TempDir(), "isotop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	names, sizes := probetest.BigSteps(b)
	for i, size := range sizes {
		b.Run(names[i], func(b *testing.B) {
			probetest.BigHost(b, size)
			for b.Loop() {
				largeHostTUIStep(b, bin, size)
			}
		})
	}
}

func largeHostTUIStep(b *testing.B, bin string, size probetest.BigSize) {
	// A fresh process each time: no cache across runs. Five of each, alternating; medians.
	var wall, cpu, lsns []float64
	objects := 0
	for range 5 {
		cmd := exec.Command(bin, "snapshot", "--json")
		var out strings.Builder
		cmd.Stdout = &out
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("snapshot: %v", err)
		}
		wall = append(wall, float64(time.Since(t0).Microseconds())/1000)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu = append(cpu, float64(ru.Utime.Nano()+ru.Stime.Nano())/1e6)
		objects = countObjects(b, out.String())
		t0 = time.Now()
		if err := exec.Command("lsns", "--json").Run(); err != nil {
			b.Fatalf("lsns: %v", err)
		}
		lsns = append(lsns, float64(time.Since(t0).Microseconds())/1000)
	}
	k := float64(objects) / 1000
	b.ReportMetric(median(wall), "snapshot-ms")
	b.ReportMetric(median(cpu), "snapshot-cpu-ms")
	b.ReportMetric(median(wall)/median(lsns), "snapshot/lsns")
	b.ReportMetric(median(cpu)/k, "snapshot-cpu-ms/1000obj")
	line := fmt.Sprintf("%s: %d objects; snapshot %.0f ms wall, %.0f ms CPU (%.1f ms CPU a 1000 objects), lsns %.0f ms (%.2f×)",
		size, objects, median(wall), median(cpu), median(cpu)/k, median(lsns), median(wall)/median(lsns))
	for _, view := range []string{"p", "g"} {
		perRefresh, rss := tuiCost(b, bin, view, 20)
		b.ReportMetric(perRefresh, "tui-"+view+"-cpu-ms/refresh")
		b.ReportMetric(perRefresh/k, "tui-"+view+"-cpu-ms/refresh/1000obj")
		b.ReportMetric(rss, "tui-"+view+"-rss-MiB")
		line += fmt.Sprintf("; TUI on [%s]: %.1f ms CPU a refresh (%.2f a 1000 objects), %.0f MiB resident", view, perRefresh, perRefresh/k, rss)
	}
	b.Log(line)
}

// countObjects counts a snapshot's processes, cgroups, namespaces and network namespaces.
func countObjects(b *testing.B, js string) int {
	var s struct {
		Processes     []json.RawMessage `json:"processes"`
		Cgroups       []json.RawMessage `json:"cgroups"`
		Namespaces    []json.RawMessage `json:"namespaces"`
		NetNamespaces []json.RawMessage `json:"net_namespaces"`
	}
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		b.Fatal(err)
	}
	return len(s.Processes) + len(s.Cgroups) + len(s.Namespaces) + len(s.NetNamespaces)
}

// tuiCost runs the TUI in tmux on a view for secs seconds past its start, refreshing every second,
// and returns its CPU time a refresh in ms and its resident memory at the end in MiB.
func tuiCost(b *testing.B, bin, view string, secs int) (float64, float64) {
	socket := filepath.Join(b.TempDir(), "tmux")
	tmux := func(args ...string) string {
		out, err := exec.Command("tmux", append([]string{"-S", socket}, args...)...).CombinedOutput()
		if err != nil {
			b.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	defer func() { _ = exec.Command("tmux", "-S", socket, "kill-server").Run() }()
	tmux("new-session", "-d", "-s", "isotop", "-x", "200", "-y", "50", bin, "--interval", "1s")
	pid, err := strconv.Atoi(tmux("list-panes", "-t", "isotop", "-F", "#{pane_pid}"))
	if err != nil {
		b.Fatal(err)
	}
	time.Sleep(time.Second)
	tmux("send-keys", "-t", "isotop", view)
	time.Sleep(3 * time.Second)
	u0, s0 := cpuTicks(b, pid)
	time.Sleep(time.Duration(secs) * time.Second)
	u1, s1 := cpuTicks(b, pid)
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	var rssKB float64
	for l := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			rssKB, _ = strconv.ParseFloat(strings.Fields(v)[0], 64)
		}
	}
	if s := tmux("capture-pane", "-p", "-t", "isotop"); !strings.Contains(s, "["+view+" ") {
		b.Errorf("isotop was not showing the view %s:\n%s", view, s)
	}
	return float64(u1-u0+s1-s0) * 10 / float64(secs), rssKB / 1024
}

// BenchmarkRecordVsAtop runs `isotop record --interval 10s` and `atop -w FILE 10` side by side for
// ISOTOP_BENCH_SECS (600 by default) on a host with about 2000 extra processes in 8 sets of
// namespaces, and reports each one's bytes an hour and CPU time (utime+stime), and the ratios.
func BenchmarkRecordVsAtop(b *testing.B) {
	probetest.Live(b)
	atop, err := exec.LookPath("atop")
	if err != nil {
		b.Skip("needs atop (make bench installs it)")
	}
	bin := filepath.Join(b.TempDir(), "isotop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	secs := 600
	if v, err := strconv.Atoi(os.Getenv("ISOTOP_BENCH_SECS")); err == nil && v > 0 {
		secs = v
	}
	fillHost(b, 8, 250)
	for b.Loop() {
		dir := b.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "rec"), 0o750); err != nil { // read-only, the recorder makes no directory
			b.Fatal(err)
		}
		rec := exec.Command(bin, "record", "--interval", "10s", "--output", filepath.Join(dir, "rec"))
		at := exec.Command(atop, "-w", filepath.Join(dir, "atop.raw"), "10")
		for _, c := range []*exec.Cmd{rec, at} {
			c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			probetest.Start(b, c)
		}
		time.Sleep(time.Duration(secs) * time.Second)
		ru, rs := cpuTicks(b, rec.Process.Pid)
		for _, k := range probetest.Children(rec.Process.Pid) { // the lockdown's helpers (the writer's, …) count too
			u, s := cpuTicks(b, k)
			ru, rs = ru+u, rs+s
		}
		au, as := cpuTicks(b, at.Process.Pid)
		_ = rec.Process.Signal(syscall.SIGTERM)
		_ = rec.Wait()
		_ = at.Process.Kill()
		_ = at.Wait()
		var recBytes int64
		files, _ := filepath.Glob(filepath.Join(dir, "rec", "*.rec"))
		for _, f := range files {
			if st, err := os.Stat(f); err == nil {
				recBytes += st.Size()
			}
		}
		st, err := os.Stat(filepath.Join(dir, "atop.raw"))
		if err != nil {
			b.Fatal(err)
		}
		hour := 3600 / float64(secs)
		ri, ai := float64(recBytes)*hour, float64(st.Size())*hour
		rc, ac := float64(ru+rs)/100, float64(au+as)/100
		b.Logf("%d s at 10 s on %d processes: isotop record %d bytes (%.1f MB an hour), %.2f CPU s; atop %d bytes (%.1f MB an hour), %.2f CPU s",
			secs, countProcs(b), recBytes, ri/1e6, rc, st.Size(), ai/1e6, ac)
		b.ReportMetric(ri/1e6, "isotop-MB/h")
		b.ReportMetric(ai/1e6, "atop-MB/h")
		b.ReportMetric(ri/ai, "isotop/atop-bytes")
		b.ReportMetric(rc, "isotop-cpu-s")
		b.ReportMetric(ac, "atop-cpu-s")
		b.ReportMetric(rc/ac, "isotop/atop-cpu")
	}
}

// BenchmarkServe measures isotop serve on this host with ISOTOP_BENCH_CONTAINERS Podman
// containers (50 by default) and about 2000 extra processes: 50 concurrent scrapers of /metrics for
// 60 s on loopback (every error counted, the p99 latency, serve's CPU and resident memory), and its
// CPU per scrape at one scrape every 15 s beside prometheus-node-exporter's, scraped the same way in
// the same run (ISOTOP_BENCH_SECS for that part, 120 by default).
func BenchmarkServe(b *testing.B) {
	probetest.Live(b)
	bin := filepath.Join(b.TempDir(), "isotop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	n := 50
	if v, err := strconv.Atoi(os.Getenv("ISOTOP_BENCH_CONTAINERS")); err == nil {
		n = v
	}
	image := probetest.PodmanImage(b)
	for i := range n {
		probetest.PodmanRun(b, probetest.Name(b)+"-"+strconv.Itoa(i), image, "sleep", "100000")
	}
	fillHost(b, 8, 250)
	port := freeBenchPort(b)
	serve := exec.Command(bin, "serve", "--listen", "127.0.0.1:"+port)
	serve.Stderr = os.Stderr
	probetest.Start(b, serve)
	url := "http://127.0.0.1:" + port + "/metrics"
	waitHTTP(b, url)
	for b.Loop() {
		u0, s0 := cpuTicks(b, serve.Process.Pid)
		lat, errs := scrapeLoad(url, 50, 60*time.Second)
		u1, s1 := cpuTicks(b, serve.Process.Pid)
		slices.Sort(lat)
		p99 := lat[len(lat)*99/100]
		cpu := float64(u1-u0+s1-s0) / 100
		b.Logf("50 scrapers for 60 s: %d scrapes, %d errors, p50 %v, p99 %v; serve %.2f CPU s (%.1f ms a scrape), %.0f MiB resident",
			len(lat), errs, lat[len(lat)/2], p99, cpu, cpu*1000/float64(len(lat)), rssMiB(b, serve.Process.Pid))
		b.ReportMetric(float64(errs), "errors")
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(cpu*1000/float64(len(lat)), "cpu-ms/scrape")
		b.ReportMetric(rssMiB(b, serve.Process.Pid), "rss-MiB")
		peerScrapes(b, serve.Process.Pid, url)
	}
}

// peerScrapes scrapes serve and prometheus-node-exporter every 15 s for ISOTOP_BENCH_SECS and
// reports each one's CPU as a share of one core, and serve's memory.
func peerScrapes(b *testing.B, servePID int, url string) {
	secs := 120
	if v, err := strconv.Atoi(os.Getenv("ISOTOP_BENCH_SECS")); err == nil && v > 0 {
		secs = v
	}
	ne, err := exec.LookPath("prometheus-node-exporter")
	if err != nil {
		b.Log("no prometheus-node-exporter (make bench installs it): serve alone")
	}
	nePort := freeBenchPort(b)
	var neCmd *exec.Cmd
	if ne != "" {
		neCmd = exec.Command(ne, "--web.listen-address=127.0.0.1:"+nePort)
		probetest.Start(b, neCmd)
		waitHTTP(b, "http://127.0.0.1:"+nePort+"/metrics")
	}
	u0, s0 := cpuTicks(b, servePID)
	var nu0, ns0 uint64
	if neCmd != nil {
		nu0, ns0 = cpuTicks(b, neCmd.Process.Pid)
	}
	for t := 0; t < secs; t += 15 {
		get(url)
		if neCmd != nil {
			get("http://127.0.0.1:" + nePort + "/metrics")
		}
		time.Sleep(15 * time.Second)
	}
	u1, s1 := cpuTicks(b, servePID)
	share := float64(u1-u0+s1-s0) / float64(secs)
	line := fmt.Sprintf("a scrape every 15 s for %d s: serve %.2f %% of a core, %.0f MiB", secs, share, rssMiB(b, servePID))
	b.ReportMetric(share, "serve-core-%")
	if neCmd != nil {
		nu1, ns1 := cpuTicks(b, neCmd.Process.Pid)
		neShare := float64(nu1-nu0+ns1-ns0) / float64(secs)
		line += fmt.Sprintf("; node-exporter %.2f %% of a core, %.0f MiB", neShare, rssMiB(b, neCmd.Process.Pid))
		b.ReportMetric(neShare, "node-exporter-core-%")
	}
	b.Log(line)
}

// scrapeLoad runs n scrapers of url for d and returns every scrape's latency and the errors.
func scrapeLoad(url string, n int, d time.Duration) ([]time.Duration, int) {
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				t := time.Now()
				err := get(url)
				mu.Lock()
				if err != nil {
					errs++
				} else {
					lat = append(lat, time.Since(t))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return lat, errs
}

func get(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	return nil
}

func waitHTTP(b *testing.B, url string) {
	for deadline := time.Now().Add(30 * time.Second); get(url) != nil; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%s does not answer", url)
		}
	}
}

func freeBenchPort(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func rssMiB(b *testing.B, pid int) float64 {
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for l := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.Fields(v)[0], 64)
			return kb / 1024
		}
	}
	return 0
}
