package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/isotop/isotop/probe/record"
	"github.com/isotop/isotop/ui/render"
)

// periodFlags are --from and --to of a command on a recording.
type periodFlags struct{ from, to *string }

func addPeriodFlags(fl *flag.FlagSet) periodFlags {
	return periodFlags{fl.String("from", "", "from this instant (default: the start)"), fl.String("to", "", "up to this instant (default: the end)")}
}

// period reads the flags against the recording: its first and last instants by default.
func (p periodFlags) period(rec *record.Recording) (time.Time, time.Time, error) {
	last := rec.Samples[len(rec.Samples)-1].Time
	b := [2]time.Time{rec.Samples[0].Time, last}
	for i, v := range []*string{p.from, p.to} {
		if *v != "" {
			t, err := record.ParseInstant(*v, rec.Zone(), last)
			if err != nil {
				return b[0], b[1], err
			}
			b[i] = t
		}
	}
	if b[1].Before(b[0]) {
		return b[0], b[1], fmt.Errorf("--to %s is before --from %s", *p.to, *p.from)
	}
	return b[0], b[1], nil
}

// openRecording parses a recording command's line (FILE|DIR first or last) and opens it.
func openRecording(name string, fl *flag.FlagSet, args []string, stderr io.Writer) (*record.Recording, int) {
	path, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		path, rest = args[0], args[1:]
	}
	if err := fl.Parse(rest); err != nil {
		if err == flag.ErrHelp {
			return nil, 0
		}
		return nil, 2
	}
	if path == "" && fl.NArg() == 1 {
		path = fl.Arg(0)
	} else if fl.NArg() > 0 || path == "" {
		fl.Usage()
		return nil, 2
	}
	rec, err := record.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "isotop %s: %s: %v\n", name, path, err)
		return nil, 1
	}
	for _, p := range rec.Problems {
		fmt.Fprintf(stderr, "isotop %s: %s\n", name, p)
	}
	return rec, -1
}

// runDiff prints what changed between two instants of a recording.
func runDiff(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("isotop diff", flag.ContinueOnError)
	fl.SetOutput(cutting(stderr))
	pf := addPeriodFlags(fl)
	asJSON := fl.Bool("json", false, "JSON lines, one change each")
	fl.Usage = func() {
		fmt.Fprint(stderr, "Usage: isotop diff FILE|DIR [--from T1] [--to T2] [--json]\n\n"+
			"What changed between the samples at T1 and T2 of a recording (default: its first and last):\n"+
			"containers, cgroups, namespaces, network namespaces and links that came or went, veth peers,\n"+
			"limits changed, memory that grew or shrank by a quarter; then the events recorded between.\n\n")
		fl.PrintDefaults()
	}
	rec, code := openRecording("diff", fl, args, stderr)
	if rec == nil {
		return code
	}
	defer rec.Close()
	from, to, err := pf.period(rec)
	if err != nil {
		fmt.Fprintf(stderr, "isotop diff: %v\n", err)
		return 2
	}
	i, j := rec.At(from), rec.At(to)
	a, err := rec.Snapshot(i)
	b, err2 := rec.Snapshot(j)
	if err != nil || err2 != nil {
		fmt.Fprintf(stderr, "isotop diff: %v\n", firstErr(err, err2))
		return 1
	}
	changes := record.Compare(a, b)
	var between []record.Event
	for _, e := range rec.Events {
		if e.Time.After(a.Taken) && !e.Time.After(b.Taken) {
			between = append(between, e)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, e := range changes {
			enc.Encode(map[string]any{"change": e})
		}
		for _, e := range between {
			enc.Encode(map[string]any{"event": e})
		}
		return 0
	}
	zone := rec.Zone()
	fmt.Fprintf(stdout, "from %s to %s (%d samples apart)\n\n", a.Taken.In(zone).Format(time.RFC3339), b.Taken.In(zone).Format(time.RFC3339), j-i)
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	if len(changes) == 0 {
		fmt.Fprintln(w, "no change")
	}
	for _, e := range changes {
		fmt.Fprintf(w, "%s\t%s\t%s\n", e.Kind, render.Clean(e.Object), render.Clean(e.Detail))
	}
	if len(between) > 0 {
		fmt.Fprintf(w, "\nthe events recorded between (%d)\n", len(between))
		for _, e := range between {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", e.Time.In(zone).Format("15:04:05"), e.Kind, render.Clean(e.Object), render.Clean(e.Detail), e.Source)
		}
	}
	w.Flush()
	return 0
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// runReport prints each container's and cgroup's percentiles over a period of a recording.
func runReport(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("isotop report", flag.ContinueOnError)
	fl.SetOutput(cutting(stderr))
	pf := addPeriodFlags(fl)
	asJSON := fl.Bool("json", false, "the report as one JSON document")
	all := fl.Bool("all", false, "every cgroup (default: the containers' and those with a limit, an OOM kill or CPU)")
	fl.Usage = func() {
		fmt.Fprint(stderr, "Usage: isotop report FILE|DIR [--from T1] [--to T2] [--json] [--all]\n\n"+
			"Per container and per cgroup over the period: p50, p95, p99 and max of CPU % (and of the CPU\n"+
			"limit in force), memory (and of the memory limit in force), PSI some avg10, throttled periods,\n"+
			"with the instants of the OOM kills and limit hits. Percentiles, not averages: a p99 at the\n"+
			"limit says that 1 % of the time the container sat at it.\n\n")
		fl.PrintDefaults()
	}
	rec, code := openRecording("report", fl, args, stderr)
	if rec == nil {
		return code
	}
	defer rec.Close()
	from, to, err := pf.period(rec)
	if err != nil {
		fmt.Fprintf(stderr, "isotop report: %v\n", err)
		return 2
	}
	r := record.MakeReport(rec, from, to)
	for _, p := range r.Problems {
		fmt.Fprintf(stderr, "isotop report: %s\n", p)
	}
	if !*all {
		kept := r.Usage[:0]
		for _, u := range r.Usage {
			if u.Container != "" || u.MemLimitPct != nil || len(u.OOMKills)+len(u.LimitHits) > 0 || (u.CPUPct != nil && u.CPUPct.Max >= 1) {
				kept = append(kept, u)
			}
		}
		r.Usage = kept
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "isotop report: %v\n", err)
			return 1
		}
		return 0
	}
	zone := rec.Zone()
	fmt.Fprintf(stdout, "%s to %s, %d samples; p50 / p95 / p99 / max\n\n", from.In(zone).Format(time.RFC3339), to.In(zone).Format(time.RFC3339), r.Samples)
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CGROUP\tCONTAINER\tCPU %\tOF CPU LIMIT %\tMEMORY\tOF MEM LIMIT %\tPSI MEM\tTHROTTLED\tOOM KILLS")
	for _, u := range r.Usage {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", render.Clean(u.Cgroup), render.Clean(dash(u.Container)), pct(u.CPUPct), pct(u.CPULimitPct),
			bytesStat(u.Memory), pct(u.MemLimitPct), pct(u.PSIMemory), pct(u.Throttled), instants(u.OOMKills, zone))
	}
	w.Flush()
	return 0
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func pct(s *record.Stat) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f/%.0f/%.0f/%.0f", s.P50, s.P95, s.P99, s.Max)
}

func bytesStat(s *record.Stat) string {
	if s == nil {
		return "-"
	}
	m := func(v float64) string { return fmt.Sprintf("%.0fM", v/(1<<20)) }
	return m(s.P50) + "/" + m(s.P95) + "/" + m(s.P99) + "/" + m(s.Max)
}

func instants(ts []time.Time, zone *time.Location) string {
	if len(ts) == 0 {
		return "-"
	}
	var out []string
	for _, t := range ts {
		out = append(out, t.In(zone).Format("15:04:05"))
	}
	return strings.Join(out, ",")
}
