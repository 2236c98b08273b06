package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/record"
	"github.com/isotop/isotop/ui"
)

// runTUI opens the interactive views on the live host, or on a saved snapshot with --replay.
func runTUI(args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("isotop", flag.ContinueOnError)
	fl.SetOutput(cutting(stderr))
	interval := fl.Duration("interval", time.Second, "time between refreshes of the live host")
	replay := fl.String("replay", "", "show a recording (a directory or a file of isotop record: [ ] step, { } events, < > first and last) or a saved `isotop snapshot --json` instead of the live host")
	remote := fl.String("remote", "", "show a remote host through its `isotop serve` (http://HOST:7319; actions are refused)")
	tokenFile := fl.String("token-file", "", "with --remote: a file holding the bearer token that host's serve asks for")
	tlsCert := fl.String("tls-cert", "", "with an https:// --remote: the client certificate (PEM) a serve with --tls-client-ca asks for")
	tlsKey := fl.String("tls-key", "", "… and its key (PEM)")
	tlsCA := fl.String("tls-ca", "", "with an https:// --remote: the CA (PEM) that signed the serve's certificate (default: the system's)")
	at := fl.String("at", "", "with --replay of a recording: start at this instant (RFC 3339, 02:14 in the recorded host's zone, -10m; default: the last)")
	af := addActionFlags(fl)
	procRoot := fl.String("proc", "/proc", "procfs mount point to read")
	sysRoot := fl.String("sys", "/sys", "sysfs mount point to read")
	noMouse := fl.Bool("no-mouse", false, "leave the mouse to the terminal (to select text); else a click selects a tab or a row, and the wheel scrolls")
	fl.Usage = func() {
		fmt.Fprint(stderr, "Usage: isotop [--interval 1s] [--replay FILE|DIR [--at T]] [--remote URL [--token-file F] [--tls-cert F --tls-key F] [--tls-ca F]] [--read-only] [--audit-log FILE] [--no-mouse]\n\n"+
			"Opens the interactive views (press ? inside for every key).\n\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *interval <= 0 {
		fmt.Fprintf(stderr, "isotop: --interval %s: must be positive\n", *interval)
		return 2
	}
	actor, md, err := af.actor()
	if err != nil {
		fmt.Fprintf(stderr, "isotop: %v\n", err)
		return 1
	}
	opt := ui.Options{Interval: *interval, ReadOnly: md.readOnly, Color: os.Getenv("NO_COLOR") == "", NoMouse: *noMouse,
		Actor: actor, AuditLog: *af.auditLog}
	if md.readOnly {
		opt.Lockdown = md.lockdown.Summary()
		if !actions.IsTerminal(os.Stdin) {
			fmt.Fprintln(stderr, "isotop: read-only mode needs a terminal on standard input: the kernel lockdown forbids opening /dev/tty for writing")
			return 1
		}
	}
	var src ui.Source
	if *remote != "" {
		r, err := newRemote(remoteConfig{base: *remote, tokenFile: *tokenFile, cert: *tlsCert, key: *tlsKey, ca: *tlsCA, interval: *interval})
		if err != nil {
			fmt.Fprintf(stderr, "isotop: %v\n", err)
			return 2
		}
		src = r.Snapshot
		opt.Events = func() (ui.LiveEvents, error) {
			evs, replay, err := r.Events()
			return ui.LiveEvents{Events: uiEvents(evs), Replay: replay}, err
		}
		opt.Remote, opt.Actor = *remote, actions.Refusing{Why: actions.ErrRemote}
	} else if *replay != "" && isRecording(*replay) {
		rec, err := record.Open(*replay)
		if err != nil {
			fmt.Fprintf(stderr, "isotop: --replay %s: %v\n", *replay, err)
			return 1
		}
		defer rec.Close()
		for _, p := range rec.Problems {
			fmt.Fprintf(stderr, "isotop: --replay: %s\n", p)
		}
		tl := timeline{rec}
		opt.At = tl.Len() - 1
		if *at != "" {
			t, err := record.ParseInstant(*at, rec.Zone(), tl.Time(opt.At))
			if err != nil {
				fmt.Fprintf(stderr, "isotop: --at: %v\n", err)
				return 2
			}
			opt.At = rec.At(t)
		}
		src = func() (*probe.Snapshot, error) { return tl.Load(opt.At) }
		opt.Interval, opt.Replay, opt.Timeline, opt.Actor = 0, *replay, tl, actions.Refusing{Why: actions.ErrReplay}
	} else if *replay != "" {
		snap, err := readSnapshot(*replay)
		if err != nil {
			fmt.Fprintf(stderr, "isotop: --replay %s: %v\n", *replay, err)
			return 1
		}
		src = func() (*probe.Snapshot, error) { return snap, nil }
		opt.Interval, opt.Replay, opt.Actor = 0, *replay, actions.Refusing{Why: actions.ErrReplay}
	} else {
		fs, err := md.probeFS(*procRoot, *sysRoot)
		if err != nil {
			fmt.Fprintf(stderr, "isotop: %v\n", err)
			return 1
		}
		if fs.Opener != nil {
			opt.OpenFile = fs.Opener.OpenFile
		}
		col := probe.NewCollector(fs)
		defer col.Close()
		// The cgroups' event counters, followed with inotify (v2): an OOM kill in a cgroup
		// removed a moment later is recorded, which no refresh would see.
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		go col.Watch(ctx, nil)
		src, opt.First, opt.Lite = col.Snapshot, col.Quick, col.Lite
	}
	// ISOTOP_CPUPROFILE=FILE writes a Go CPU profile of the session, to measure the refresh path
	// on a real host (go tool pprof FILE).
	if path := os.Getenv("ISOTOP_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(stderr, "isotop: ISOTOP_CPUPROFILE: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "isotop: ISOTOP_CPUPROFILE: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	// 20 frames a second at most: the screen changes on a key or on a refresh (1 s), and Bubble
	// Tea's default of 60 wakes the renderer three times as often for nothing (make bench: 5–12%
	// of isotop's CPU); a key still shows within 50 ms.
	// Inside tmux, Bubble Tea and its renderer each run `tmux info` to learn whether it passes
	// true colour (20 ms each, before the first frame): isotop draws in the 16 ANSI colours,
	// which every tmux passes, so they are not told it runs in tmux.
	env := slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, "TMUX=") })
	if _, err := tea.NewProgram(ui.New(src, opt), tea.WithFPS(20), tea.WithEnvironment(env)).Run(); err != nil {
		fmt.Fprintf(stderr, "isotop: %v\n", err)
		return 1
	}
	return 0
}

// readSnapshot reads a snapshot saved by `isotop snapshot --json`.
func readSnapshot(path string) (*probe.Snapshot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return probe.DecodeSnapshot(data)
}

// isRecording says whether path is a recording of isotop record (a directory, or a file that
// starts with its magic line) rather than a saved snapshot.
func isRecording(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return true
	}
	head := make([]byte, len(record.Magic))
	n, _ := io.ReadFull(f, head)
	return string(head[:n]) == record.Magic
}

// timeline is a recording as the TUI's Timeline.
type timeline struct{ rec *record.Recording }

func (t timeline) Len() int                            { return len(t.rec.Samples) }
func (t timeline) Time(i int) time.Time                { return t.rec.Samples[i].Time }
func (t timeline) Load(i int) (*probe.Snapshot, error) { return t.rec.Snapshot(i) }
func (t timeline) Zone() *time.Location                { return t.rec.Zone() }
func (t timeline) Instant(s string) (int, error) {
	at, err := record.ParseInstant(s, t.rec.Zone(), t.Time(t.Len()-1))
	if err != nil {
		return 0, err
	}
	return t.rec.At(at), nil
}

func (t timeline) EventList() []ui.TimelineEvent { return uiEvents(t.rec.Events) }

// uiEvents are a recording's events as the Events box lists them (a replay's, a remote host's).
func uiEvents(evs []record.Event) []ui.TimelineEvent {
	out := make([]ui.TimelineEvent, len(evs))
	for i, e := range evs {
		out[i] = ui.TimelineEvent{Time: e.Time, Kind: e.Kind, Object: e.Object, Detail: e.Detail, Source: e.Source}
	}
	return out
}
