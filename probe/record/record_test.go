package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/isotop/isotop/probe"
)

var t0 = time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)

// host is a small host at sample i: 300 processes whose CPU time grows, one that comes and goes,
// a cgroup whose memory limit changes at sample 5, a container from sample 3 to 7.
func host(i int) *probe.Snapshot { return hostOf(i, 300) }

// hostOf is host with n processes.
func hostOf(i, n int) *probe.Snapshot {
	s := &probe.Snapshot{Schema: probe.Schema, Taken: t0.Add(time.Duration(i) * 10 * time.Second),
		Host: probe.Host{Hostname: "node-1", Kernel: "6.1.0", CPUs: 2, CgroupMode: "v2"}}
	for p := 1; p <= n; p++ {
		if p == 77 && i%2 == 1 {
			continue
		}
		s.Processes = append(s.Processes, probe.Process{PID: p, PPID: 1, Comm: fmt.Sprintf("worker-%d", p),
			Cmdline: []string{"/usr/bin/worker", "--id", fmt.Sprint(p)}, CPUUsec: uint64(p*1000 + i*(p%7)*10000), RSSBytes: uint64(p) << 20})
	}
	limit := probe.Limit(1 << 30)
	if i >= 5 {
		limit = 512 << 20
	}
	used, rate := uint64(100+i%10)<<20, float64(i%10*10) // 100..109 MiB; 0..90 % of a CPU
	s.Cgroups = []probe.Cgroup{{Path: "/"}, {Path: "/app", Memory: &probe.CgroupMemory{Max: &limit, EffectiveMax: &limit, Current: &used},
		CPU: &probe.CgroupCPU{RatePct: &rate}}}
	if i >= 3 && i < 7 {
		s.Cgroups = append(s.Cgroups, probe.Cgroup{Path: "/app/ctr"})
		s.Containers = []probe.Container{{Runtime: "podman", ID: "3054abc", Name: "web", Image: "busybox"}}
	}
	return s
}

func js(t testing.TB, s *probe.Snapshot) []byte {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// write records n samples of host into a new directory with the recorder, and returns it.
func write(t testing.TB, n, keyEvery int) string {
	dir := t.TempDir()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r := &Recorder{Dir: DirOf(d), Header: Header{Hostname: "node-1", Zone: "CET", Offset: 3600, Interval: "10s", KeyEvery: keyEvery, Writer: "test"}}
	var prev *probe.Snapshot
	for i := range n {
		s := host(i)
		if err := r.Add(s.Taken, js(t, s), Diff(prev, s)); err != nil {
			t.Fatal(err)
		}
		prev = s
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRecordingReadsBackEverySampleExactly(t *testing.T) {
	dir := write(t, 130, 60)
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if len(rec.Samples) != 130 || len(rec.Problems) != 0 {
		t.Fatalf("%d samples, problems %v", len(rec.Samples), rec.Problems)
	}
	// Forward, backward and jumping: each sample's JSON is what was written.
	for _, i := range []int{0, 1, 2, 59, 60, 61, 129, 128, 5, 64, 63, 0, 100} {
		got, err := rec.SnapshotJSON(i)
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		if want := js(t, host(i)); !bytes.Equal(got, want) {
			t.Fatalf("sample %d differs from what was written", i)
		}
		if !rec.Samples[i].Time.Equal(host(i).Taken) {
			t.Errorf("sample %d at %v, not %v", i, rec.Samples[i].Time, host(i).Taken)
		}
	}
	if i := rec.At(t0.Add(25 * time.Second)); i != 2 {
		t.Errorf("At(t0+25s) = %d, want 2 (the sample at t0+20s)", i)
	}
	// The events: the container's start and stop, its cgroup's, the limit change.
	var kinds []string
	for _, e := range rec.Events {
		kinds = append(kinds, e.Kind+" "+e.Object+" "+e.Detail)
	}
	got := strings.Join(kinds, "\n")
	for _, want := range []string{"container-started podman:web", "container-stopped podman:web", "cgroup-created /app/ctr",
		"cgroup-removed /app/ctr", "limit-changed /app memory max 1073741824 → 536870912"} {
		if !strings.Contains(got, want) {
			t.Errorf("no event %q in:\n%s", want, got)
		}
	}
	// Size: 130 samples of 300 processes; the deltas hold what changed.
	st, _ := os.Stat(rec.Files[0].Path)
	full := len(js(t, host(0)))
	t.Logf("130 samples of a %d-byte snapshot: %d bytes (%.1f%% of the raw JSON)", full, st.Size(), 100*float64(st.Size())/float64(130*full))
	if st.Size() > int64(130*full/20) {
		t.Errorf("%d bytes for 130 samples of %d: the deltas do not work", st.Size(), full)
	}
}

func TestRecordingCutOrDamagedOpensWhatIsReadable(t *testing.T) {
	dir := write(t, 20, 8)
	paths, _ := filepath.Glob(filepath.Join(dir, "*.rec"))
	data, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	// Cut anywhere: what comes before the cut block opens, the cut is reported, nothing panics.
	for cut := len(data) - 1; cut > len(data)-3000; cut -= 97 {
		rec, err := Read(bytes.NewReader(data[:cut]), int64(cut), "cut.rec")
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if len(rec.Samples) < 15 || len(rec.Problems) == 0 {
			t.Fatalf("cut at %d: %d samples, problems %v", cut, len(rec.Samples), rec.Problems)
		}
		if _, err := rec.SnapshotJSON(len(rec.Samples) - 1); err != nil {
			t.Fatalf("cut at %d: the last whole sample: %v", cut, err)
		}
	}
	// A damaged delta (sample 3): it and the deltas after it up to the next keyframe (8) fail
	// with a reason; the keyframe and its deltas read.
	rec, err := Read(bytes.NewReader(data), int64(len(data)), "x.rec")
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(data)
	bad[rec.Samples[3].off+10] ^= 0xff
	rec, err = Read(bytes.NewReader(bad), int64(len(bad)), "damaged.rec")
	if err != nil {
		t.Fatal(err)
	}
	for i := range rec.Samples {
		_, err := rec.SnapshotJSON(i)
		if broken := i >= 3 && i < 8; broken != (err != nil) {
			t.Errorf("sample %d of a file damaged in sample 3: error %v", i, err)
		} else if err != nil && !strings.Contains(err.Error(), "checksum") {
			t.Errorf("sample %d: the error does not say why: %v", i, err)
		}
	}
	// A file from a newer isotop: refused, saying so.
	newer := bytes.Replace(data, []byte(`"format":1`), []byte(`"format":9`), 1)
	if _, err := Read(bytes.NewReader(newer), int64(len(newer)), "newer.rec"); err == nil || !strings.Contains(err.Error(), "newer isotop") {
		t.Errorf("a format 9 file: %v", err)
	}
	if _, err := Read(bytes.NewReader([]byte("hello")), 5, "hello.rec"); err == nil || !strings.Contains(err.Error(), "not an isotop recording") {
		t.Errorf("a text file: %v", err)
	}
}

func TestRecorderRotatesAndPrunes(t *testing.T) {
	dir := t.TempDir()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// A file not the recorder's is never touched.
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	var removed []string
	r := &Recorder{Dir: DirOf(d), Header: Header{Hostname: "node/1", KeyEvery: 5}, MaxSize: 60 << 10,
		Removed: func(name, why string) { removed = append(removed, name+": "+why) }}
	for i := range 200 {
		s := host(i)
		s.Taken = t0.Add(time.Duration(i) * 10 * time.Minute) // 200 samples over 33 hours: two days
		if err := r.Add(s.Taken, js(t, s), nil); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "isotop-node_1-*.rec"))
	var total int64
	for _, f := range files {
		st, _ := os.Stat(f)
		total += st.Size()
	}
	t.Logf("%d files, %d bytes; %d removed", len(files), total, len(removed))
	if len(removed) == 0 || total > 60<<10+60<<10/4 {
		t.Errorf("%d bytes kept in %d files (max 60 KiB); removed %v", total, len(files), removed)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("the recorder touched a file not its own: %v", err)
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if last, _ := rec.Snapshot(len(rec.Samples) - 1); last == nil || !last.Taken.Equal(t0.Add(199*10*time.Minute)) {
		t.Errorf("the last sample is not the last written")
	}
}

// TestFormat1FixtureOpens: a recording written by the first version of the format, committed,
// keeps opening (testdata/format1.rec; ISOTOP_UPDATE_FIXTURE=1 writes it again, which only a
// change of Format may do).
func TestFormat1FixtureOpens(t *testing.T) {
	path := filepath.Join("testdata", "format1.rec")
	if os.Getenv("ISOTOP_UPDATE_FIXTURE") == "1" {
		dir := write(t, 12, 5)
		files, _ := filepath.Glob(filepath.Join(dir, "*.rec"))
		data, _ := os.ReadFile(files[0])
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if len(rec.Samples) != 12 || len(rec.Problems) > 0 || rec.Files[0].Header.Format != 1 {
		t.Fatalf("%d samples, problems %v, header %+v", len(rec.Samples), rec.Problems, rec.Files[0].Header)
	}
	for i := range rec.Samples {
		s, err := rec.Snapshot(i)
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		if len(s.Processes) < 299 || s.Host.Hostname != "node-1" {
			t.Errorf("sample %d: %d processes, host %q", i, len(s.Processes), s.Host.Hostname)
		}
	}
	if len(rec.Events) == 0 {
		t.Error("no events in the fixture")
	}
}

// FuzzRead: any bytes give a recording or an error, never a panic, and every sample of what
// opens decodes or says why not.
func FuzzRead(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("testdata", "format1.rec")); err == nil {
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add([]byte(Magic + `{"format":1}` + "\nIBK"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := Read(bytes.NewReader(data), int64(len(data)), "fuzz.rec")
		if err != nil {
			return
		}
		for i := range min(len(rec.Samples), 50) {
			_, _ = rec.Snapshot(i)
		}
	})
}

func TestReportAndCompare(t *testing.T) {
	rec, err := Open(write(t, 100, 30))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	r := MakeReport(rec, rec.Samples[0].Time, rec.Samples[99].Time)
	var app *Usage
	for _, u := range r.Usage {
		if u.Cgroup == "/app" {
			app = u
		}
	}
	if r.Samples != 100 || app == nil || app.CPUPct == nil || app.Memory == nil || app.MemLimitPct == nil {
		t.Fatalf("%d samples, /app %+v", r.Samples, app)
	}
	// CPU is 0, 10, … 90 % ten times each: the nearest-rank p50 is 40, p95 and p99 90.
	if c := app.CPUPct; c.P50 != 40 || c.P95 != 90 || c.P99 != 90 || c.Max != 90 || c.N != 100 {
		t.Errorf("CPU %+v", c)
	}
	if m := app.Memory; m.Max != 109<<20 || m.P50 != 104<<20 {
		t.Errorf("memory %+v", m)
	}
	// The limit drops from 1 GiB to 512 MiB at sample 5: 109 MiB of 512 MiB is the max share.
	if got, want := app.MemLimitPct.Max, 100*float64(109<<20)/float64(512<<20); got != want {
		t.Errorf("memory of its limit at most %.2f %%, want %.2f", got, want)
	}
	// Compare the instants around the container's life.
	a, _ := rec.Snapshot(2)
	b, _ := rec.Snapshot(5)
	var got []string
	for _, e := range Compare(a, b) {
		got = append(got, e.Kind+" "+e.Object+" "+e.Detail)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"container-started podman:web", "cgroup-created /app/ctr", "limit-changed /app memory max 1073741824 → 536870912"} {
		if !strings.Contains(all, want) {
			t.Errorf("Compare(2, 5) lacks %q:\n%s", want, all)
		}
	}
}
