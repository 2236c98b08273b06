package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/isotop/isotop/probe/probetest"
)

// TestRecordCatchesWhatHappensBetweenSamples runs the real `isotop record` (samples 4 s apart,
// polling the cgroup directories every 300 ms) while the test makes a cgroup with a process in it
// and removes it within one interval (a container that lived a second), and changes the memory
// limit of a cgroup that outlives the samples; `isotop export` then prints both, at the right
// time, and every sample.
func TestRecordCatchesWhatHappensBetweenSamples(t *testing.T) {
	probetest.Live(t)
	bin := buildBinary(t)
	out := t.TempDir()
	base := probetest.Name(t)
	parent := probetest.NewCgroup(t, base, "memory", "pids")
	parent.SetMemoryMax(t, 512<<20)

	rec, stderr := startRecorder(t, bin, out, nil, "--interval", "4s", "--poll", "300ms", "--count", "3")

	// A cgroup that lives a second, with a process in it, between two samples.
	time.Sleep(500 * time.Millisecond)
	short := probetest.NewCgroup(t, base+"/short", "memory", "pids")
	sleeper := probetest.Start(t, exec.Command("sleep", "100"))
	short.Add(t, sleeper.Process.Pid)
	born := time.Now()
	time.Sleep(time.Second)
	_ = sleeper.Process.Kill()
	_, _ = sleeper.Process.Wait()
	for _, d := range short.Dirs {
		probetest.WaitFor(t, "the short cgroup removed", func() bool {
			err := syscall.Rmdir(d)
			return err == nil || os.IsNotExist(err)
		})
	}
	died := time.Now()
	parent.SetMemoryMax(t, 256<<20) // a limit changed by someone else than isotop

	if err := rec.Wait(); err != nil {
		t.Fatalf("isotop record: %v\n%s", err, stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(out, "isotop-*.rec"))
	if len(files) != 1 {
		t.Fatalf("recordings: %v", files)
	}
	exp, err := exec.Command(bin, "export", out).Output()
	if err != nil {
		t.Fatalf("isotop export: %v", err)
	}
	type line struct {
		Time     time.Time       `json:"time"`
		Snapshot json.RawMessage `json:"snapshot"`
		Event    *struct {
			Kind, Object, Detail, Source string
			Time                         time.Time
		} `json:"event"`
	}
	samples := 0
	var found []string
	sc := bufio.NewScanner(strings.NewReader(string(exp)))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("export line: %v", err)
		}
		if l.Snapshot != nil {
			samples++
			continue
		}
		e := l.Event
		if !strings.Contains(e.Object, base) {
			continue
		}
		found = append(found, e.Kind+" "+e.Object+" "+e.Source+" "+e.Detail)
		switch {
		case e.Kind == "cgroup-created" && strings.HasSuffix(e.Object, "/short"):
			if e.Source != "poll" || e.Time.Before(born.Add(-time.Second)) || e.Time.After(born.Add(time.Second)) {
				t.Errorf("the short cgroup's creation at %v by %s, made at %v", e.Time, e.Source, born)
			}
		case e.Kind == "cgroup-removed" && strings.HasSuffix(e.Object, "/short"):
			if e.Time.Before(died.Add(-time.Second)) || e.Time.After(died.Add(time.Second)) {
				t.Errorf("the short cgroup's removal at %v, removed at %v", e.Time, died)
			}
		}
	}
	got := strings.Join(found, "\n")
	for _, want := range []string{"cgroup-created /" + base + "/short poll", "cgroup-removed /" + base + "/short poll",
		"limit-changed /" + base + " sample memory max 536870912 → 268435456"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q among the events of the test's cgroups:\n%s", want, got)
		}
	}
	if samples != 3 {
		t.Errorf("%d samples exported, not 3", samples)
	}
	// isotop diff from the first instant to the last: the limit changed; the short cgroup is
	// among the events recorded between.
	diff, err := exec.Command(bin, "diff", out).CombinedOutput()
	if err != nil || !strings.Contains(string(diff), "limit-changed") || !strings.Contains(string(diff), "/"+base+"/short") {
		t.Errorf("isotop diff: %v\n%s", err, diff)
	}
	// isotop report: the test's cgroup, with its memory against its limit.
	report, err := exec.Command(bin, "report", out, "--json").Output()
	var r struct {
		Samples int
		Usage   []struct {
			Cgroup      string
			MemLimitPct *struct{ N int } `json:"memory_of_limit_pct"`
		}
	}
	if err == nil {
		err = json.Unmarshal(report, &r)
	}
	if err != nil || r.Samples != 3 {
		t.Fatalf("isotop report --json: %v, %d samples", err, r.Samples)
	}
	inReport := false
	for _, u := range r.Usage {
		inReport = inReport || (u.Cgroup == parent.Path && u.MemLimitPct != nil && u.MemLimitPct.N == 3)
	}
	if !inReport {
		t.Errorf("the report has no memory-of-limit figures of %s:\n%s", parent.Path, report)
	}
}

// lockedBuffer is a strings.Builder that a command writes to while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestJourneyRecordOOM: `isotop record` runs while a process is OOM-killed in a test cgroup; on v2
// the cgroup is removed at once (no sample ever sees it: only the watcher's inotify can tell), on
// v1 its counter is read by the next sample. `isotop export` has the kill, in that cgroup, between
// the samples around it. Run on this host and, by TestV2Journeys, on the pure-v2 kernel.
func TestJourneyRecordOOM(t *testing.T) {
	probetest.Live(t)
	cg := oomVictim(t)
	bin := buildBinary(t)
	out := t.TempDir()
	rec, stderr := startRecorder(t, bin, out, nil, "--interval", "3s", "--count", "3")
	time.Sleep(500 * time.Millisecond) // the watcher is set up after the first sample's cgroups
	oomKill(t, cg)
	killed := time.Now()
	if err := rec.Wait(); err != nil {
		t.Fatalf("isotop record: %v\n%s", err, stderr.String())
	}
	exp, err := exec.Command(bin, "export", out).Output()
	if err != nil {
		t.Fatalf("isotop export: %v", err)
	}
	var found []string
	for l := range strings.SplitSeq(string(exp), "\n") {
		if !strings.HasPrefix(l, `{"time":`) || !strings.Contains(l, `"event":`) {
			continue
		}
		var e struct {
			Event struct {
				Time                         time.Time
				Kind, Object, Source, Detail string
			} `json:"event"`
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		if e.Event.Object != cg.Path {
			continue
		}
		found = append(found, e.Event.Kind+" "+e.Event.Source)
		if e.Event.Kind == "oom-kill" && (e.Event.Time.Before(killed.Add(-4*time.Second)) || e.Event.Time.After(killed.Add(4*time.Second))) {
			t.Errorf("the OOM kill recorded at %v; it happened at %v", e.Event.Time, killed)
		}
	}
	if !strings.Contains(strings.Join(found, "\n"), "oom-kill") {
		t.Errorf("no oom-kill in %s among the recorded events: %v", cg.Path, found)
	}
	t.Logf("the events of %s: %v", cg.Path, found)
}

// TestRecordReadOnly: `isotop record` runs under the read-only lockdown unless told otherwise, and
// the kernel says so: its process is not root, has its seccomp filter and holds no descriptor of
// the directory; its writer helper holds CAP_DAC_OVERRIDE only, as the same user. What it records
// is what a recorder without the lockdown records (the same host, side by side). A missing
// directory is an error that names it and changes nothing; ISOTOP_READONLY=0 opts out.
func TestRecordReadOnly(t *testing.T) {
	probetest.Live(t)
	bin := buildBinary(t)
	ro, rw := t.TempDir(), t.TempDir()
	start := func(out string, env ...string) (*exec.Cmd, *lockedBuffer) {
		return startRecorder(t, bin, out, env, "--interval", "2s", "--count", "2")
	}
	status := func(pid int) string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	field := func(status, key string) string {
		for _, l := range strings.Split(status, "\n") {
			if v, ok := strings.CutPrefix(l, key+":"); ok {
				return strings.Fields(v)[0]
			}
		}
		return ""
	}
	recRO, errRO := start(ro)
	recRW, errRW := start(rw, "ISOTOP_READONLY=0")

	main := status(recRO.Process.Pid)
	if field(main, "Uid") == "0" || field(main, "Seccomp") != "2" || field(main, "NoNewPrivs") != "1" {
		t.Errorf("the recorder is not locked down:\n%s", main)
	}
	if field(status(recRW.Process.Pid), "Uid") != "0" {
		t.Errorf("ISOTOP_READONLY=0: the recorder is locked down anyway")
	}
	var writer int
	if _, after, ok := strings.Cut(errRO.String(), "writer helper pid "); ok {
		fmt.Sscan(after, &writer)
	}
	if writer == 0 {
		t.Fatalf("no writer helper named:\n%s", errRO.String())
	}
	ws := status(writer)
	if field(ws, "Uid") != field(main, "Uid") || field(ws, "CapEff") != fmt.Sprintf("%016x", 1<<1) || field(ws, "Seccomp") != "2" || field(ws, "PPid") != strconv.Itoa(recRO.Process.Pid) {
		t.Errorf("the writer helper (pid %d) is not the recorder's, as its user with dac_override only:\n%s", writer, ws)
	}
	var execs int
	if _, after, ok := strings.Cut(errRO.String(), "execs helper pid "); ok {
		fmt.Sscan(after, &execs)
	}
	if execs == 0 {
		t.Errorf("no execs helper named:\n%s", errRO.String())
	} else if xs := status(execs); field(xs, "Uid") != field(main, "Uid") || field(xs, "CapEff") != "0000000000000000" || field(xs, "Seccomp") != "2" {
		t.Errorf("the execs helper (pid %d) is not the recorder's, as its user with no capability:\n%s", execs, xs)
	}
	// The main process holds the file it writes, never the directory, and no connector socket
	// (protocol 11 in /proc/net/netlink): the execs helper has it.
	connector := map[string]bool{}
	nl, _ := os.ReadFile("/proc/net/netlink")
	for _, l := range strings.Split(string(nl), "\n")[1:] {
		if f := strings.Fields(l); len(f) > 9 && f[1] == "11" {
			connector["socket:["+f[9]+"]"] = true
		}
	}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", recRO.Process.Pid))
	for _, fd := range fds {
		target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", recRO.Process.Pid, fd.Name()))
		if target == ro {
			t.Errorf("the recorder's process holds its directory open (fd %s)", fd.Name())
		}
		if connector[target] {
			t.Errorf("the recorder's process holds a proc connector socket (fd %s)", fd.Name())
		}
	}
	if len(connector) == 0 {
		t.Errorf("no proc connector socket on the host: the execs helper's is missing")
	}
	// One recorder a directory: a second would prune the file the first writes.
	if out, err := exec.Command(bin, "record", "--output", ro, "--count", "1").CombinedOutput(); err == nil || !strings.Contains(string(out), "another isotop record writes into it") {
		t.Errorf("a second recorder on the same directory: %v\n%s", err, out)
	}
	for _, c := range []struct {
		rec    *exec.Cmd
		stderr *lockedBuffer
	}{{recRO, errRO}, {recRW, errRW}} {
		if err := c.rec.Wait(); err != nil {
			t.Fatalf("isotop record: %v\n%s", err, c.stderr.String())
		}
	}
	last := func(dir string) (procs, namespaces, netns, errs int) {
		out, err := exec.Command(bin, "export", dir).Output()
		if err != nil {
			t.Fatalf("isotop export %s: %v", dir, err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		var l struct {
			Snapshot struct {
				Processes, Namespaces, Errors []json.RawMessage
				NetNamespaces                 []json.RawMessage `json:"net_namespaces"`
			} `json:"snapshot"`
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &l); err != nil {
			t.Fatal(err)
		}
		s := l.Snapshot
		return len(s.Processes), len(s.Namespaces), len(s.NetNamespaces), len(s.Errors)
	}
	p1, n1, nn1, e1 := last(ro)
	p2, n2, nn2, e2 := last(rw)
	t.Logf("read-only recorder: %d processes, %d namespaces, %d netns, %d errors; without the lockdown %d, %d, %d, %d", p1, n1, nn1, e1, p2, n2, nn2, e2)
	if p1 < p2-20 || n1 < n2-3 || nn1 != nn2 || e1 > e2 {
		t.Errorf("the read-only recorder sees less: %d processes, %d namespaces, %d netns, %d errors; without the lockdown %d, %d, %d, %d",
			p1, n1, nn1, e1, p2, n2, nn2, e2)
	}

	missing := filepath.Join(t.TempDir(), "not-there")
	out, err := exec.Command(bin, "record", "--output", missing, "--count", "1").CombinedOutput()
	if err == nil || !strings.Contains(string(out), missing) || !strings.Contains(string(out), "install -d") {
		t.Errorf("a missing directory: %v\n%s", err, out)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a missing directory was made: %v", err)
	}
}

// TestRecordSeesExecsIntoContainers: `podman exec` of a command that lives a few milliseconds,
// between two samples of the real (read-only) recorder, is in the recording as a container-exec
// event of that container, from the proc connector, at the time it ran; the container's own
// processes (a shell that runs sleep after sleep) are not.
func TestRecordSeesExecsIntoContainers(t *testing.T) {
	image := probetest.PodmanImage(t)
	bin := buildBinary(t)
	name := probetest.Name(t)
	probetest.PodmanRun(t, name, "--network", "none", image, "sh", "-c", "while true; do sleep 0.3; done")
	out := t.TempDir()
	rec, stderr := startRecorder(t, bin, out, nil, "--interval", "3s", "--count", "3")
	time.Sleep(500 * time.Millisecond)
	before := time.Now()
	probetest.Run(t, "podman", "exec", name, "hostname", "-s")
	after := time.Now()
	if err := rec.Wait(); err != nil {
		t.Fatalf("isotop record: %v\n%s", err, stderr.String())
	}
	exp, err := exec.Command(bin, "export", out).Output()
	if err != nil {
		t.Fatalf("isotop export: %v", err)
	}
	var seen []string
	found := false
	for _, l := range strings.Split(string(exp), "\n") {
		var line struct {
			Event *struct {
				Kind, Object, Detail, Source string
				Time                         time.Time
			} `json:"event"`
		}
		if json.Unmarshal([]byte(l), &line) != nil || line.Event == nil || line.Event.Kind != "container-exec" {
			continue
		}
		e := line.Event
		seen = append(seen, e.Object+" "+e.Detail+" "+e.Source)
		if e.Object == "podman:"+name && strings.Contains(e.Detail, "hostname -s") && e.Source == "proc-connector" &&
			!e.Time.Before(before.Add(-time.Second)) && !e.Time.After(after.Add(time.Second)) {
			found = true
		}
		if strings.Contains(e.Detail, "sleep") && e.Object == "podman:"+name {
			t.Errorf("a process of the container's own is reported as an exec into it: %s", e.Detail)
		}
	}
	t.Logf("container-exec events: %q", seen)
	if !found {
		t.Errorf("the podman exec between %s and %s is not in the recording; container-exec events: %q\n%s", before.Format("15:04:05.000"), after.Format("15:04:05.000"), seen, stderr.String())
	}
}

// startRecorder starts the real `isotop record` into out (with the variables env besides the
// test's own), and returns once it has taken its first sample.
func startRecorder(t *testing.T, bin, out string, env []string, args ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	rec := exec.Command(bin, append([]string{"record", "--output", out}, args...)...)
	rec.Env = append(os.Environ(), env...)
	stderr := &lockedBuffer{}
	rec.Stderr = stderr
	probetest.Start(t, rec)
	probetest.WaitFor(t, "the first sample in "+out, func() bool { return strings.Contains(stderr.String(), "recording into") })
	return rec, stderr
}

// TestRecordDiesWithItsParent: a parent-death signal set on the recorder (setpriv --pdeathsig, as
// a test's exec.Cmd or a supervisor does) holds across the lockdown's change of uid, which clears
// it: when its parent ends, the read-only recorder ends too.
func TestRecordDiesWithItsParent(t *testing.T) {
	probetest.Live(t)
	bin := buildBinary(t)
	out := t.TempDir()
	pidFile := filepath.Join(t.TempDir(), "pid")
	// sh starts the recorder with the signal set, writes its pid, and ends once it has sampled.
	sh := exec.Command("sh", "-c", `setpriv --pdeathsig KILL "$0" record --output "$1" --interval 1s </dev/null >/dev/null 2>"$2.err" & echo $! >"$2"; sleep 3`, bin, out, pidFile)
	if b, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("sh: %v\n%s", err, b)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	stderr, _ := os.ReadFile(pidFile + ".err")
	if !strings.Contains(string(stderr), "recording into") {
		t.Fatalf("the recorder did not start:\n%s", stderr)
	}
	probetest.WaitFor(t, "the recorder to end with its parent", func() bool {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err != nil || strings.Contains(string(st), ") Z ")
	})
}
