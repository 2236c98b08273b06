package record

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Recorder writes samples into files of one directory: a file a day (in the host's time), or
// sooner when one reaches a quarter of MaxSize; after each sample, the oldest files go while the
// directory's recordings are above MaxSize or older than Retention (whichever limit is hit first).
// It writes, reads and removes only files named isotop-*.rec in that directory, through Dir
// (opened once: a recorder need not be able to open any path).
type Recorder struct {
	Dir       Dir
	Header    Header // Hostname, Zone, Offset, Interval, KeyEvery, Writer; Started is the file's
	MaxSize   int64  // 0: no limit
	Retention time.Duration
	// Removed is told of each file pruned (for the recorder's log); may be nil.
	Removed func(name, why string)

	w   *Writer
	day string
}

// Add writes the events and then the sample taken at t.
func (r *Recorder) Add(t time.Time, snapJSON []byte, evs []Event) error {
	local := t.In(time.FixedZone(r.Header.Zone, r.Header.Offset))
	day := local.Format("20060102")
	if r.w != nil && (day != r.day || (r.MaxSize > 0 && r.w.Size() >= r.MaxSize/4)) {
		if err := r.w.Close(); err != nil {
			return err
		}
		r.w = nil
	}
	if r.w == nil {
		h := r.Header
		h.Started = t
		name := fmt.Sprintf("isotop-%s-%s.rec", safe(h.Hostname), local.Format("20060102-150405.000"))
		w, err := Create(r.Dir, name, h)
		if err != nil {
			return err
		}
		r.w, r.day = w, day
	}
	if err := r.w.Events(t, evs); err != nil {
		return err
	}
	if err := r.w.Sample(t, snapJSON); err != nil {
		return err
	}
	return r.prune(t)
}

// Current is the path of the file being written ("" before the first sample).
func (r *Recorder) Current() string {
	if r.w == nil {
		return ""
	}
	return r.w.Name()
}

// Close closes the file being written.
func (r *Recorder) Close() error {
	if r.w == nil {
		return nil
	}
	err := r.w.Close()
	r.w = nil
	return err
}

type recFile struct {
	name string
	size int64
	mod  time.Time
}

// prune removes the oldest recordings (never the one being written) while the directory's are
// above MaxSize or ended before now - Retention.
func (r *Recorder) prune(now time.Time) error {
	files, err := r.files()
	if err != nil {
		return err
	}
	var total int64
	for _, f := range files {
		total += f.size
	}
	current := r.Current()
	for _, f := range files { // oldest first
		var why string
		switch {
		case strings.HasSuffix(current, "/"+f.name):
			return nil
		case r.Retention > 0 && f.mod.Before(now.Add(-r.Retention)):
			why = fmt.Sprintf("older than the retention (%s)", r.Retention)
		case r.MaxSize > 0 && total > r.MaxSize:
			why = fmt.Sprintf("the recordings are %d bytes, above --max-size %d", total, r.MaxSize)
		default:
			return nil
		}
		if err := r.Dir.Remove(f.name); err != nil {
			return err
		}
		total -= f.size
		if r.Removed != nil {
			r.Removed(f.name, why)
		}
	}
	return nil
}

// files lists the directory's recordings, oldest first (their names hold their start).
func (r *Recorder) files() ([]recFile, error) {
	ents, err := r.Dir.List()
	if err != nil {
		return nil, err
	}
	var out []recFile
	for _, e := range ents {
		if ValidName(e.Name) == nil {
			out = append(out, recFile{name: e.Name, size: e.Size, mod: e.Mod})
		}
	}
	slices.SortFunc(out, func(a, b recFile) int {
		if c := a.mod.Compare(b.mod); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}

// safe is a hostname fit for a file name.
func safe(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, s)
	if s == "" {
		return "host"
	}
	return s
}
