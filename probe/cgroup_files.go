package probe

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// Parsers for the cgroup control files (Documentation/admin-guide/cgroup-v2.rst and
// cgroup-v1/*.rst). Each takes the whole file; none allocates more than its result.

// Limit is a cgroup limit: a number, or Unlimited. Its JSON form is the number or "max", as the
// kernel writes it in v2; v1's "unlimited" values (9223372036854771712, -1) become "max" too.
type Limit uint64

// Unlimited is the Limit of a cgroup with no limit.
const Unlimited Limit = math.MaxUint64

// v1Unlimited is what v1 memory.limit_in_bytes holds when unset: PAGE_COUNTER_MAX pages, rounded
// down to a page; anything at or above it means no limit.
const v1Unlimited = 9223372036854771712

// MarshalJSON writes "max" for Unlimited.
func (l Limit) MarshalJSON() ([]byte, error) {
	if l == Unlimited {
		return []byte(`"max"`), nil
	}
	return strconv.AppendUint(nil, uint64(l), 10), nil
}

// UnmarshalJSON reads a number or "max".
func (l *Limit) UnmarshalJSON(b []byte) error {
	if string(b) == `"max"` {
		*l = Unlimited
		return nil
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return parseErr("limit", string(b))
	}
	*l = Limit(n)
	return nil
}

// ParseLimit parses a one-value limit file: "max", a number, v1's -1 or its page-counter maximum.
func ParseLimit(data []byte) (Limit, error) {
	s := string(bytes.TrimSpace(data))
	switch s {
	case "max", "-1":
		return Unlimited, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, parseErr("limit", strconv.Quote(s))
	}
	if n >= v1Unlimited {
		return Unlimited, nil
	}
	return Limit(n), nil
}

// parseUint parses a one-number file (memory.current, pids.current, cpuacct.usage …).
func parseUint(data []byte) (uint64, error) {
	n, err := strconv.ParseUint(string(bytes.TrimSpace(data)), 10, 64)
	if err != nil {
		return 0, parseErr("number", strconv.Quote(string(bytes.TrimSpace(data))))
	}
	return n, nil
}

// parseFlatKeyed parses "key value" lines (memory.stat, cpu.stat, memory.events, pids.events,
// v1 memory.oom_control) into a map. Unknown keys are kept: newer kernels add keys all the time.
func parseFlatKeyed(data []byte) (map[string]uint64, error) {
	out := map[string]uint64{}
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return out, parseErr("flat keyed", "line "+strconv.Quote(string(line)))
		}
		n, err := strconv.ParseUint(string(f[1]), 10, 64)
		if err != nil {
			return out, parseErr("flat keyed", "value of "+string(f[0]))
		}
		out[string(f[0])] = n
	}
	return out, nil
}

// parseCPUMax parses v2 cpu.max, "$MAX $PERIOD" where $MAX may be "max".
func parseCPUMax(data []byte) (quota Limit, period uint64, err error) {
	f := bytes.Fields(data)
	if len(f) != 2 {
		return 0, 0, parseErr("cpu.max", "not two fields")
	}
	if quota, err = ParseLimit(f[0]); err != nil {
		return 0, 0, err
	}
	if period, err = strconv.ParseUint(string(f[1]), 10, 64); err != nil || period == 0 {
		return 0, 0, parseErr("cpu.max", "bad period")
	}
	return quota, period, nil
}

// PSILine is one line of a pressure file: the share of time some (or all) tasks were stalled,
// averaged over 10, 60 and 300 seconds, in percent, and the total stall time in microseconds.
type PSILine struct {
	Avg10  float64 `json:"avg10"`
	Avg60  float64 `json:"avg60"`
	Avg300 float64 `json:"avg300"`
	Total  uint64  `json:"total_usec"`
}

// PSI is a pressure file (cpu.pressure, memory.pressure, io.pressure): "some" and "full".
type PSI struct {
	Some *PSILine `json:"some,omitempty"`
	Full *PSILine `json:"full,omitempty"`
}

// parsePSI parses a pressure file (Documentation/accounting/psi.rst).
func parsePSI(data []byte) (PSI, error) {
	var p PSI
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		var l PSILine
		seen := 0
		for _, kv := range f[1:] {
			k, v, ok := bytes.Cut(kv, []byte{'='})
			if !ok {
				return p, parseErr("pressure", "field without =")
			}
			var err error
			switch string(k) {
			case "avg10":
				l.Avg10, err = strconv.ParseFloat(string(v), 64)
			case "avg60":
				l.Avg60, err = strconv.ParseFloat(string(v), 64)
			case "avg300":
				l.Avg300, err = strconv.ParseFloat(string(v), 64)
			case "total":
				l.Total, err = strconv.ParseUint(string(v), 10, 64)
			default:
				continue
			}
			if err != nil || math.IsNaN(l.Avg10+l.Avg60+l.Avg300) || math.IsInf(l.Avg10+l.Avg60+l.Avg300, 0) {
				return p, parseErr("pressure", "bad "+string(k))
			}
			seen++
		}
		if seen != 4 {
			return p, parseErr("pressure", "missing fields")
		}
		switch string(f[0]) {
		case "some":
			p.Some = &l
		case "full":
			p.Full = &l
		default:
			return p, parseErr("pressure", "line is neither some nor full")
		}
	}
	if p.Some == nil && p.Full == nil {
		return p, parseErr("pressure", "empty")
	}
	return p, nil
}

// IODevice is the I/O of a cgroup on one block device.
type IODevice struct {
	Device string `json:"device"` // "major:minor"
	RBytes uint64 `json:"rbytes"`
	WBytes uint64 `json:"wbytes"`
	RIOs   uint64 `json:"rios"`
	WIOs   uint64 `json:"wios"`
}

// parseIOStat parses v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0", ignoring keys
// it does not know (cost.*, io latency …).
func parseIOStat(data []byte) ([]IODevice, error) {
	var out []IODevice
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		if !isDevice(f[0]) {
			return out, parseErr("io.stat", "bad device")
		}
		d := IODevice{Device: string(f[0])}
		for _, kv := range f[1:] {
			k, v, ok := bytes.Cut(kv, []byte{'='})
			if !ok {
				return out, parseErr("io.stat", "field without =")
			}
			var dst *uint64
			switch string(k) {
			case "rbytes":
				dst = &d.RBytes
			case "wbytes":
				dst = &d.WBytes
			case "rios":
				dst = &d.RIOs
			case "wios":
				dst = &d.WIOs
			default:
				continue
			}
			n, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				return out, parseErr("io.stat", "bad "+string(k))
			}
			*dst = n
		}
		out = append(out, d)
	}
	return out, nil
}

// parseBlkio parses v1 blkio.throttle.io_service_bytes or io_serviced: "8:0 Read 4096" lines and a
// final "Total N". Into each device it adds Read as bytes or ios, per the ios flag.
func parseBlkio(data []byte, devs []IODevice, ios bool) ([]IODevice, error) {
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		f := bytes.Fields(line)
		if len(f) == 0 || (len(f) == 2 && string(f[0]) == "Total") {
			continue
		}
		if len(f) != 3 || !isDevice(f[0]) {
			return devs, parseErr("blkio", "line "+strconv.Quote(string(line)))
		}
		n, err := strconv.ParseUint(string(f[2]), 10, 64)
		if err != nil {
			return devs, parseErr("blkio", "bad number")
		}
		i := slicesIndexDevice(devs, string(f[0]))
		if i < 0 {
			devs = append(devs, IODevice{Device: string(f[0])})
			i = len(devs) - 1
		}
		d := &devs[i]
		switch {
		case string(f[1]) == "Read" && !ios:
			d.RBytes = n
		case string(f[1]) == "Write" && !ios:
			d.WBytes = n
		case string(f[1]) == "Read":
			d.RIOs = n
		case string(f[1]) == "Write":
			d.WIOs = n
		}
	}
	return devs, nil
}

func slicesIndexDevice(devs []IODevice, dev string) int {
	for i := range devs {
		if devs[i].Device == dev {
			return i
		}
	}
	return -1
}

func isDevice(b []byte) bool {
	maj, min, ok := bytes.Cut(b, []byte{':'})
	if !ok {
		return false
	}
	_, e1 := strconv.ParseUint(string(maj), 10, 32)
	_, e2 := strconv.ParseUint(string(min), 10, 32)
	return e1 == nil && e2 == nil
}

// parseCPUList parses a cpuset list ("0-3,8,10-11") and returns how many CPUs it names.
func parseCPUList(data []byte) (int, error) {
	s := strings.TrimSpace(string(data))
	if s == "" {
		return 0, nil
	}
	n := 0
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return 0, parseErr("cpu list", strconv.Quote(part))
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0, parseErr("cpu list", strconv.Quote(part))
			}
		}
		if b-a >= 1<<16 {
			return 0, parseErr("cpu list", "range too large")
		}
		n += b - a + 1
	}
	return n, nil
}

// parseLines splits a file of lines (io.max, cgroup.controllers as words) without empty ones.
func parseLines(data []byte) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}
