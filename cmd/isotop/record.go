package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/actions/early"
	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/record"
	"golang.org/x/sys/unix"
)

// runRecord samples the host into a directory of recordings until it is stopped (SIGINT, SIGTERM)
// or has taken --count samples.
func runRecord(args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("isotop record", flag.ContinueOnError)
	fl.SetOutput(cutting(stderr))
	interval := fl.Duration("interval", 10*time.Second, "between two samples")
	output := fl.String("output", "/var/lib/isotop/record", "the directory of the recordings (made if missing; only isotop-*.rec files in it are written or removed)")
	maxSize := fl.String("max-size", "500M", "the most the recordings may take together: the oldest files go first")
	retention := fl.String("retention", "7d", "how long a recording is kept (a number with s, m, h or d)")
	keyEvery := fl.Int("key-every", 60, "a keyframe every this many samples (seeking decodes at most this many)")
	poll := fl.Duration("poll", time.Second, "between two cheap reads of the cgroup directories, for cgroups (containers) that come and go between samples; 0: none")
	count := fl.Int("count", 0, "stop after this many samples (0: until stopped)")
	readOnly := fl.Bool("read-only", recordReadOnly(), "the read-only lockdown, with one exception: the writer helper, which makes and removes isotop-*.rec files in --output (which must exist) and nothing else; --read-only=false (or ISOTOP_READONLY=0) records without it")
	fl.Usage = func() {
		fmt.Fprint(stderr, "Usage: isotop record [--interval 10s] [--output DIR] [--max-size 500M] [--retention 7d] [--key-every 60] [--poll 1s] [--count N] [--read-only=false]\n\n"+
			"Records the host: a snapshot each interval (keyframes and deltas, zstd) and the events between\n"+
			"samples (containers, cgroups, netns, veth peers, limits changed, OOM kills), into a file a day\n"+
			"in DIR, pruned by size and age. isotop --replay DIR and isotop export DIR read them.\n\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	size, err := actions.ParseSize("--max-size", *maxSize)
	if err == nil && size.Max {
		size.N = 0
	}
	keep, err2 := parseAge("--retention", *retention)
	switch {
	case err != nil || err2 != nil:
		fmt.Fprintf(stderr, "isotop record: %v\n", errors.Join(err, err2))
		return 2
	case *interval < 100*time.Millisecond:
		fmt.Fprintf(stderr, "isotop record: --interval %s: at least 100ms\n", *interval)
		return 2
	case *keyEvery < 1 || *count < 0 || *poll < 0:
		fmt.Fprintln(stderr, "isotop record: --key-every must be at least 1, --count and --poll not negative")
		return 2
	case fl.NArg() > 0:
		fmt.Fprintf(stderr, "isotop record: unexpected argument %q\n", actions.Cut(fl.Arg(0)))
		return 2
	}
	md, fs, err := readOnlyHost(*readOnly, "/proc", "/sys")
	var dir record.Dir
	if err == nil {
		dir, err = outputDir(md, *output)
	}
	if err != nil {
		fmt.Fprintf(stderr, "isotop record: %v\n", err)
		return 1
	}
	if md.readOnly {
		fmt.Fprintf(stderr, "isotop record: read-only: %s\n", md.lockdown.Summary())
	}
	zone, offset := time.Now().Zone()
	host, _ := os.Hostname()
	rec := &record.Recorder{Dir: dir, MaxSize: int64(size.N), Retention: keep,
		Header: record.Header{Schema: probe.Schema, Hostname: host, Zone: zone, Offset: offset,
			Interval: interval.String(), KeyEvery: *keyEvery, Writer: version},
		Removed: func(name, why string) { fmt.Fprintf(stderr, "isotop record: removed %s: %s\n", name, why) }}
	defer rec.Close()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	col := probe.NewCollector(fs)
	defer col.Close()
	go col.Watch(ctx, nil) // OOM kills as they happen (v2 inotify), even in a cgroup removed at once
	execs := openExecs(md, fs, stderr)
	if execs != nil {
		defer execs.close()
		go execs.run()
	}
	if err := recordLoop(ctx, col, rec, execs, *interval, *poll, *count, stderr); err != nil {
		fmt.Fprintf(stderr, "isotop record: %v\n", err)
		return 1
	}
	return 0
}

// recordLoop takes a sample each interval (and polls the cgroup directories in between) until ctx
// ends or count samples are taken.
func recordLoop(ctx context.Context, col *probe.Collector, rec *record.Recorder, execs *execLog, interval, poll time.Duration, count int, stderr io.Writer) error {
	var prev *probe.Snapshot
	var polled cgroupPoll
	var pending []record.Event // seen by the poll since the last sample
	next := time.Now()
	for n := 0; count == 0 || n < count; n++ {
		s, err := col.Snapshot()
		if err != nil {
			return err
		}
		var js bytes.Buffer
		if err := s.WriteJSON(&js); err != nil {
			return err
		}
		sampled := record.Diff(prev, s)
		if execs != nil { // what it saw as it happened, and not again from the sample
			seen := execs.take(s)
			pending = append(pending, seen...)
			sampled = slices.DeleteFunc(sampled, func(e record.Event) bool {
				return e.Kind == "container-exec" && slices.ContainsFunc(seen, func(x record.Event) bool { return x.Kind == e.Kind && x.Object == e.Object && execPID(x) == execPID(e) })
			})
		}
		evs := append(pending, fromSample(sampled, pending)...)
		slices.SortStableFunc(evs, func(a, b record.Event) int { return a.Time.Compare(b.Time) })
		pending = nil
		if err := rec.Add(s.Taken, js.Bytes(), evs); err != nil {
			return err
		}
		if prev == nil {
			fmt.Fprintf(stderr, "isotop record: recording into %s every %s\n", rec.Current(), interval)
		}
		prev = s
		polled.reset(s)
		if count > 0 && n+1 == count {
			return nil
		}
		if next = next.Add(interval); time.Until(next) < 0 { // a sample took longer than the interval
			next = time.Now().Add(interval)
		}
		for time.Until(next) > 0 {
			wait := time.Until(next)
			if poll > 0 {
				wait = min(wait, poll)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
			if poll > 0 && time.Until(next) > 0 {
				pending = append(pending, polled.poll(time.Now())...)
			}
		}
	}
	return nil
}

// execLog turns the proc connector's execs into container-exec events as they happen, against
// the containers of the last sample.
type execLog struct {
	w  *probe.ExecWatcher
	fs probe.FS

	mu      sync.Mutex
	snap    *probe.Snapshot
	pending []record.Event
	lost    int64 // w.Lost at the last take
}

// openExecs subscribes to the proc connector (in read-only mode, early.c did before the lockdown);
// nil, said on stderr, when it cannot: then the samples alone see execs into containers.
func openExecs(md mode, fs probe.FS, stderr io.Writer) *execLog {
	var w *probe.ExecWatcher
	var err error
	if md.readOnly {
		fd, why := early.ExecsFD()
		if fd < 0 {
			err = errors.New(why)
		} else {
			w, err = probe.ExecWatcherFromFD(fd)
		}
	} else {
		w, err = probe.OpenExecWatcher()
	}
	if err != nil {
		fmt.Fprintf(stderr, "isotop record: no proc connector (%v): execs into containers are seen by the samples alone\n", err)
		return nil
	}
	return &execLog{w: w, fs: fs}
}

func (l *execLog) run() {
	buf := make([]byte, 64<<10)
	for {
		evs, err := l.w.Next(buf)
		if err != nil {
			return // closed
		}
		l.mu.Lock()
		snap := l.snap
		l.mu.Unlock()
		if snap == nil {
			continue
		}
		for _, e := range evs {
			if x, ok := l.fs.ExecIntoContainer(snap, e.PID); ok {
				ev := record.Event{Time: e.Time, Kind: "container-exec", Object: x.Container.Runtime + ":" + x.Container.Name, Detail: x.Detail(), Source: "proc-connector"}
				l.mu.Lock()
				l.pending = append(l.pending, ev)
				l.mu.Unlock()
			}
		}
	}
}

// take returns the events since the last call (and, when the kernel dropped some, an event that
// says so), and sets the containers to check against.
func (l *execLog) take(s *probe.Snapshot) []record.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.pending
	l.pending, l.snap = nil, s
	if lost := l.w.Lost.Load(); lost > l.lost {
		out = append(out, record.Event{Time: s.Taken, Kind: "execs-lost", Object: "proc-connector",
			Detail: fmt.Sprintf("the kernel dropped exec events %d times (its socket's buffer was full): the sample's execs stand for them", lost-l.lost), Source: "proc-connector"})
		l.lost = lost
	}
	return out
}

// execPID is the pid a container-exec event's detail begins with ("pid 1234: …"), 0 without one.
func execPID(e record.Event) int {
	var pid int
	fmt.Sscanf(e.Detail, "pid %d:", &pid)
	return pid
}

func (l *execLog) close() { l.w.Close() }

// fromSample leaves out of a sample's events the cgroups the poll already reported.
func fromSample(evs, polled []record.Event) []record.Event {
	seen := map[string]bool{}
	for _, e := range polled {
		seen[e.Kind+" "+e.Object] = true
	}
	out := evs[:0:0]
	for _, e := range evs {
		if !seen[e.Kind+" "+e.Object] {
			out = append(out, e)
		}
	}
	return out
}

// cgroupPoll lists the cgroup directories (names only: no file is read) to see a cgroup that is
// made and removed between two samples, such as a container that lived 3 s.
type cgroupPoll struct {
	mounts []probe.CgroupMount
	known  map[string]bool
}

func (p *cgroupPoll) reset(s *probe.Snapshot) {
	p.mounts, p.known = s.Host.CgroupMounts, map[string]bool{}
	for _, c := range s.Cgroups {
		p.known[c.Path] = true
	}
}

func (p *cgroupPoll) poll(now time.Time) []record.Event {
	seen := map[string]bool{}
	for _, m := range p.mounts {
		_ = filepath.WalkDir(m.MountPoint, func(path string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			rel := strings.TrimPrefix(path, m.MountPoint)
			if rel == "" {
				rel = "/"
			}
			seen[filepath.Join(m.Root, rel)] = true
			return nil
		})
	}
	var out []record.Event
	for path := range seen {
		if !p.known[path] {
			p.known[path] = true
			out = append(out, record.Event{Time: now, Kind: "cgroup-created", Object: path, Source: "poll"})
		}
	}
	for path := range p.known {
		if !seen[path] {
			delete(p.known, path)
			out = append(out, record.Event{Time: now, Kind: "cgroup-removed", Object: path, Source: "poll"})
		}
	}
	return out
}

// recordReadOnly is --read-only's default for isotop record: on, unless ISOTOP_READONLY says an
// explicit no (as early.c reads it).
func recordReadOnly() bool {
	if _, set := os.LookupEnv("ISOTOP_READONLY"); set {
		return readOnlyEnv()
	}
	return true
}

// outputDir is where the recorder writes: in read-only mode the writer helper, whose directory
// early.c opened before the lockdown; else the directory, made if missing.
func outputDir(md mode, output string) (record.Dir, error) {
	if !md.readOnly {
		f, err := openOutput(output)
		if err != nil {
			return nil, err
		}
		return record.DirOf(f), nil
	}
	w, err := early.NewWriter(output)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("--output %s does not exist; read-only, the recorder makes nothing but its recordings: make it first (install -d -m 0750 %s), or record with --read-only=false", output, output)
	}
	return w, err
}

// openOutput makes the directory if it is missing (0750) and opens it, refusing a symlink.
func openOutput(path string) (*os.File, error) {
	if err := os.MkdirAll(path, 0o750); err != nil {
		return nil, err
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("--output %s: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err == nil && st.Mode&unix.S_IWOTH != 0 && st.Mode&unix.S_ISVTX == 0 { // as early.c
		unix.Close(fd)
		return nil, fmt.Errorf("--output %s: writable by every user (mode %o): not a directory of recordings", path, st.Mode&0o7777)
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil { // as early.c does in read-only mode
		unix.Close(fd)
		if err == unix.EWOULDBLOCK {
			return nil, fmt.Errorf("--output %s: another isotop record writes into it", path)
		}
		return nil, fmt.Errorf("--output %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// parseAge reads a duration that may end in d (days).
func parseAge(what, s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.ParseFloat(n, 64)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%s %q: not a number of days", what, s)
		}
		return time.Duration(d * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q: not a duration (7d, 12h, 30m)", what, s)
	}
	return d, nil
}

// runExport prints a recording as JSON lines: each sample ({"time":…, "snapshot":{…}}) and each
// event ({"time":…, "event":{…}}) in time order, at one instant or over a period.
func runExport(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("isotop export", flag.ContinueOnError)
	fl.SetOutput(cutting(stderr))
	at := fl.String("at", "", "the sample at this instant (the last taken at or before it) and no events")
	pf := addPeriodFlags(fl)
	fl.Usage = func() {
		fmt.Fprint(stderr, "Usage: isotop export FILE|DIR [--at T | --from T1 --to T2]\n\n"+
			"Prints a recording (isotop record) as JSON lines: {\"time\":…,\"snapshot\":{…}} for each sample and\n"+
			"{\"time\":…,\"event\":{…}} for each event, in time order. T is RFC 3339 (2026-12-03T02:14:00+01:00),\n"+
			"a time of day in the recorded host's zone (02:14, 02:14:10; on the recording's last day),\n"+
			"or an offset from the recording's end (-10m).\n\n")
		fl.PrintDefaults()
	}
	rec, code := openRecording("export", fl, args, stderr)
	if rec == nil {
		return code
	}
	defer rec.Close()
	if *at != "" && (*pf.from != "" || *pf.to != "") {
		fmt.Fprintln(stderr, "isotop export: --at is one instant: not with --from or --to")
		return 2
	}
	from, to, err := pf.period(rec)
	if err == nil && *at != "" {
		var t time.Time
		if t, err = record.ParseInstant(*at, rec.Zone(), to); err == nil {
			from = rec.Samples[rec.At(t)].Time
			to = from
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "isotop export: %v\n", err)
		return 2
	}
	bounds := [2]time.Time{from, to}
	w := bufio.NewWriterSize(stdout, 64<<10)
	defer w.Flush()
	ev := 0
	for i, s := range rec.Samples {
		for ; *at == "" && ev < len(rec.Events) && !rec.Events[ev].Time.After(s.Time); ev++ {
			if e := rec.Events[ev]; !e.Time.Before(bounds[0]) && !e.Time.After(bounds[1]) {
				line, _ := json.Marshal(struct {
					Time  time.Time    `json:"time"`
					Event record.Event `json:"event"`
				}{e.Time, e})
				w.Write(append(line, '\n'))
			}
		}
		if s.Time.Before(bounds[0]) || s.Time.After(bounds[1]) {
			continue
		}
		data, err := rec.SnapshotJSON(i)
		if err != nil {
			fmt.Fprintf(stderr, "isotop export: %v\n", err)
			continue
		}
		fmt.Fprintf(w, `{"time":%q,"snapshot":%s}`+"\n", s.Time.Format(time.RFC3339Nano), bytes.TrimSpace(data))
	}
	return 0
}
