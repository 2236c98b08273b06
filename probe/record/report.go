package record

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/isotop/isotop/probe"
)

// Stat is a value's distribution over a period: percentiles (nearest rank) and the maximum.
type Stat struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func statOf(v []float64) *Stat {
	if len(v) == 0 {
		return nil
	}
	s := slices.Clone(v)
	slices.Sort(s)
	rank := func(p float64) float64 { return s[max(0, int(math.Ceil(p*float64(len(s))))-1)] }
	return &Stat{N: len(s), P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Max: s[len(s)-1]}
}

// Usage is one cgroup's (or container's) figures over a period.
type Usage struct {
	Cgroup    string `json:"cgroup"`
	Container string `json:"container,omitempty"` // runtime:name, when a container's cgroup
	// CPU in % of one CPU, and as a share of the CPU limit in force; memory in bytes and as a share
	// of the memory limit in force (when there is one); PSI some avg10 of cpu, memory, io; the
	// periods throttled between two samples.
	CPUPct      *Stat `json:"cpu_pct,omitempty"`
	CPULimitPct *Stat `json:"cpu_of_limit_pct,omitempty"`
	Memory      *Stat `json:"memory_bytes,omitempty"`
	MemLimitPct *Stat `json:"memory_of_limit_pct,omitempty"`
	PSICPU      *Stat `json:"psi_cpu_some_avg10,omitempty"`
	PSIMemory   *Stat `json:"psi_memory_some_avg10,omitempty"`
	PSIIO       *Stat `json:"psi_io_some_avg10,omitempty"`
	Throttled   *Stat `json:"throttled_periods,omitempty"`
	// OOMKills and LimitHits are the instants of the recorded events in this cgroup.
	OOMKills  []time.Time `json:"oom_kills"`
	LimitHits []time.Time `json:"limit_hits"`

	series map[string][]float64
}

// Report is a recording's period, per container and per cgroup.
type Report struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Samples int       `json:"samples"`
	Usage   []*Usage  `json:"usage"`
	// Problems are the samples that could not be read, and why.
	Problems []string `json:"problems"`
}

// MakeReport decodes every sample from from to to and gathers each cgroup's figures.
func MakeReport(rec *Recording, from, to time.Time) *Report {
	r := &Report{From: from, To: to, Problems: []string{}}
	by := map[string]*Usage{}
	var prevThrottled map[string]uint64
	for i, smp := range rec.Samples {
		if smp.Time.Before(from) || smp.Time.After(to) {
			continue
		}
		s, err := rec.Snapshot(i)
		if err != nil {
			r.Problems = append(r.Problems, err.Error())
			continue
		}
		r.Samples++
		names := map[string]string{}
		for _, c := range s.Containers {
			if c.Cgroup != "" {
				names[c.Cgroup] = c.Runtime + ":" + c.Name
			}
		}
		throttled := map[string]uint64{}
		for j := range s.Cgroups {
			cg := &s.Cgroups[j]
			u := by[cg.Path]
			if u == nil {
				u = &Usage{Cgroup: cg.Path, OOMKills: []time.Time{}, LimitHits: []time.Time{}, series: map[string][]float64{}}
				by[cg.Path] = u
			}
			if n := names[cg.Path]; n != "" {
				u.Container = n
			}
			add := func(k string, v float64) { u.series[k] = append(u.series[k], v) }
			if c := cg.CPU; c != nil {
				if c.RatePct != nil {
					add("cpu", *c.RatePct)
				}
				if c.QuotaPct != nil {
					add("cpulimit", *c.QuotaPct)
				}
				if c.NrThrottled != nil {
					throttled[cg.Path] = *c.NrThrottled
					if old, ok := prevThrottled[cg.Path]; ok && *c.NrThrottled >= old {
						add("throttled", float64(*c.NrThrottled-old))
					}
				}
			}
			if m := cg.Memory; m != nil && m.Current != nil {
				add("mem", float64(*m.Current))
				if m.EffectiveMax != nil && *m.EffectiveMax != probe.Unlimited && *m.EffectiveMax > 0 {
					add("memlimit", 100*float64(*m.Current)/float64(*m.EffectiveMax))
				}
			}
			if p := cg.Pressure; p != nil {
				for k, psi := range map[string]*probe.PSI{"psicpu": p.CPU, "psimem": p.Memory, "psiio": p.IO} {
					if psi != nil && psi.Some != nil {
						add(k, psi.Some.Avg10)
					}
				}
			}
		}
		prevThrottled = throttled
	}
	for _, e := range rec.Events {
		u := by[e.Object]
		if u == nil || e.Time.Before(from) || e.Time.After(to) {
			continue
		}
		switch e.Kind {
		case "oom-kill":
			u.OOMKills = append(u.OOMKills, e.Time)
		case "max", "failcnt", "pids_max":
			u.LimitHits = append(u.LimitHits, e.Time)
		}
	}
	for _, u := range by {
		u.CPUPct, u.CPULimitPct, u.Memory = statOf(u.series["cpu"]), statOf(u.series["cpulimit"]), statOf(u.series["mem"])
		u.MemLimitPct, u.Throttled = statOf(u.series["memlimit"]), statOf(u.series["throttled"])
		u.PSICPU, u.PSIMemory, u.PSIIO = statOf(u.series["psicpu"]), statOf(u.series["psimem"]), statOf(u.series["psiio"])
		r.Usage = append(r.Usage, u)
	}
	// Containers first, then the busiest cgroups by p99 CPU.
	sort.SliceStable(r.Usage, func(i, j int) bool {
		a, b := r.Usage[i], r.Usage[j]
		if (a.Container != "") != (b.Container != "") {
			return a.Container != ""
		}
		pa, pb := -1.0, -1.0
		if a.CPUPct != nil {
			pa = a.CPUPct.P99
		}
		if b.CPUPct != nil {
			pb = b.CPUPct.P99
		}
		if pa != pb {
			return pa > pb
		}
		return a.Cgroup < b.Cgroup
	})
	return r
}
