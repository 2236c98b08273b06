package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
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

	rec := exec.Command(bin, "record", "--output", out, "--interval", "4s", "--poll", "300ms", "--count", "3")
	var stderr lockedBuffer
	rec.Stderr = &stderr
	probetest.Start(t, rec)
	probetest.WaitFor(t, "the first sample", func() bool { return strings.Contains(stderr.String(), "recording into") })

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
	rec := exec.Command(bin, "record", "--output", out, "--interval", "3s", "--count", "3")
	var stderr lockedBuffer
	rec.Stderr = &stderr
	probetest.Start(t, rec)
	probetest.WaitFor(t, "the first sample", func() bool { return strings.Contains(stderr.String(), "recording into") })
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
