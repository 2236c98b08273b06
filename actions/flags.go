package actions

import (
	"flag"
	"slices"
)

// limitFlags are the limits as flags, for isotop limit, isotop sandbox and the TUI's forms alike.
var limitFlags = []struct {
	name, usage string
	set         func(r *LimitRequest, s string) error
}{
	{"memory", "memory limit: memory.max (v2) or memory.limit_in_bytes (v1), e.g. 256M, 1.5G, max", func(r *LimitRequest, s string) error {
		v, err := ParseSize("--memory", s)
		r.Memory = &v
		return err
	}},
	{"memory-high", "memory throttling threshold: memory.high (v2 only), e.g. 200M, max", func(r *LimitRequest, s string) error {
		v, err := ParseSize("--memory-high", s)
		r.MemoryHigh = &v
		return err
	}},
	{"cpus", "CPU limit in CPUs: cpu.max (v2) or cpu.cfs_quota_us (v1), e.g. 0.5, 2, max", func(r *LimitRequest, s string) error {
		v, err := ParseCPUs("--cpus", s)
		r.CPUs = &v
		return err
	}},
	{"cpu-weight", "CPU weight 1-10000 (100 default): cpu.weight (v2) or cpu.shares (v1)", func(r *LimitRequest, s string) error {
		v, err := ParseWeight("--cpu-weight", s)
		r.CPUWeight = &v
		return err
	}},
	{"pids", "most processes and threads: pids.max, e.g. 100, max", func(r *LimitRequest, s string) error {
		v, err := ParseCount("--pids", s)
		r.PIDs = &v
		return err
	}},
}

// LimitFlags defines the named limit flags on fl (every one when none is named: memory,
// memory-high, cpus, cpu-weight, pids) and returns what reads those given into a LimitRequest once
// fl is parsed. A value is parsed then, so that its error names the flag and the reason alone.
func LimitFlags(fl *flag.FlagSet, names ...string) func() (LimitRequest, error) {
	vals := map[string]*string{}
	for _, f := range limitFlags {
		if len(names) == 0 || slices.Contains(names, f.name) {
			vals[f.name] = fl.String(f.name, "", f.usage)
		}
	}
	return func() (LimitRequest, error) {
		var req LimitRequest
		var err error
		fl.Visit(func(given *flag.Flag) {
			for _, f := range limitFlags {
				if v, ok := vals[f.name]; ok && f.name == given.Name && err == nil {
					err = f.set(&req, *v)
				}
			}
		})
		return req, err
	}
}
