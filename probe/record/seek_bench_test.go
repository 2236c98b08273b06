package record

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkSeek24h writes a 24-hour recording (8640 samples 10 s apart of a 2000-process host,
// a keyframe every 60, a container started and stopped every 10 minutes) once, then times what a
// replay does: opening it (the index of block heads, and the events) and decoding the sample in
// its middle (the first frame), then stepping to the next sample and to the sample after the next
// event.
func BenchmarkSeek24h(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "rec")
	if err := os.Mkdir(dir, 0o750); err != nil {
		b.Fatal(err)
	}
	d, err := os.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	r := &Recorder{Dir: DirOf(d), Header: Header{Hostname: "node-1", KeyEvery: 60}}
	t0w := time.Now()
	var prev []byte
	for i := range 8640 {
		s := hostOf(i%60, 2000) // the synthetic host's changes repeat every 10 minutes
		s.Taken = t0.Add(time.Duration(i) * 10 * time.Second)
		js := js(b, s)
		var evs []Event
		if prev != nil && i%60 == 3 {
			evs = []Event{{Time: s.Taken, Kind: "container-started", Object: "podman:web", Source: "sample"}}
		}
		if err := r.Add(s.Taken, js, evs); err != nil {
			b.Fatal(err)
		}
		prev = js
	}
	r.Close()
	d.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "*.rec"))
	var size int64
	for _, f := range files {
		st, _ := os.Stat(f)
		size += st.Size()
	}
	b.Logf("8640 samples of %d bytes written in %v: %d files, %d bytes", len(prev), time.Since(t0w).Round(time.Second), len(files), size)
	var open, first, step, event []float64
	for b.Loop() {
		t := time.Now()
		rec, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		open = append(open, ms(time.Since(t)))
		mid := rec.At(t0.Add(12 * time.Hour))
		if _, err := rec.Snapshot(mid); err != nil {
			b.Fatal(err)
		}
		first = append(first, ms(time.Since(t)))
		t = time.Now()
		if _, err := rec.Snapshot(mid + 1); err != nil {
			b.Fatal(err)
		}
		step = append(step, ms(time.Since(t)))
		t = time.Now()
		next := rec.At(rec.Events[len(rec.Events)/2+1].Time)
		if _, err := rec.Snapshot(next); err != nil {
			b.Fatal(err)
		}
		event = append(event, ms(time.Since(t)))
		rec.Close()
	}
	b.ReportMetric(medianMs(open), "open-ms")
	b.ReportMetric(medianMs(first), "first-frame-ms")
	b.ReportMetric(medianMs(step), "step-ms")
	b.ReportMetric(medianMs(event), "next-event-ms")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func medianMs(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}
