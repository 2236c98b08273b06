package actions

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Setting is a limit to set: a number, or no limit ("max").
type Setting struct {
	Max bool
	N   uint64
}

func (s Setting) String() string {
	if s.Max {
		return "max"
	}
	return strconv.FormatUint(s.N, 10)
}

// ErrBadValue is wrapped by every error about a value given to an action.
var ErrBadValue = errors.New("bad value")

func badValue(what, value, why string) error {
	return badValuef("%s %q: %s", what, cut(value), why)
}

// sizeUnits are the suffixes ParseSize takes, powers of 1024 as docker, systemd and the kernel's
// memparse read them ("256M" is 256 MiB). "B" alone and the "iB" forms are accepted too.
var sizeUnits = map[string]uint64{"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50}

// ParseSize reads a memory size: "max", a byte count, or a number with a unit ("256M", "1.5G",
// "512KiB"). what names the value in the error ("--memory").
func ParseSize(what, s string) (Setting, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "max") || strings.EqualFold(t, "unlimited") {
		return Setting{Max: true}, nil
	}
	if t == "" {
		return Setting{}, badValue(what, s, "empty (give a size such as 256M, 1.5G, or max)")
	}
	if t[0] == '-' {
		return Setting{}, badValue(what, s, "negative")
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	if num == "" {
		return Setting{}, badValue(what, s, "not a number (give a size such as 256M, 1.5G, or max)")
	}
	unit = strings.TrimSuffix(unit, "IB")
	if len(unit) == 2 && unit[1] == 'B' {
		unit = unit[:1]
	}
	mult, ok := sizeUnits[unit]
	if !ok {
		return Setting{}, badValue(what, s, fmt.Sprintf("unknown unit %q (use K, M, G, T, or max)", t[i:]))
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return Setting{}, badValue(what, s, "not a number")
	}
	v := f * float64(mult)
	if v >= math.MaxInt64 {
		return Setting{}, badValue(what, s, "too large (use max for no limit)")
	}
	if unit == "" && f != math.Trunc(f) {
		return Setting{}, badValue(what, s, "a fraction of a byte")
	}
	return Setting{N: uint64(v)}, nil
}

// ParseCount reads a whole number or "max" (--pids).
func ParseCount(what, s string) (Setting, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "max") {
		return Setting{Max: true}, nil
	}
	if strings.HasPrefix(t, "-") {
		return Setting{}, badValue(what, s, "negative")
	}
	n, err := strconv.ParseUint(t, 10, 63)
	if err != nil {
		return Setting{}, badValue(what, s, "not a whole number or max")
	}
	return Setting{N: n}, nil
}

// CPUs is a CPU limit: a number of CPUs ("0.5", "2") or none ("max").
type CPUs struct {
	Max bool
	N   float64
}

func (c CPUs) String() string {
	if c.Max {
		return "max"
	}
	return strconv.FormatFloat(c.N, 'f', -1, 64)
}

// ParseCPUs reads a CPU count: "0.5", "2", "max".
func ParseCPUs(what, s string) (CPUs, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "max") {
		return CPUs{Max: true}, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	switch {
	case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
		return CPUs{}, badValue(what, s, "not a number of CPUs (such as 0.5, 2, or max)")
	case f < 0:
		return CPUs{}, badValue(what, s, "negative")
	case f == 0:
		return CPUs{}, badValue(what, s, "zero CPUs would stop every process in the cgroup (use 0.01 for the least, max for none)")
	case f > 1<<20:
		return CPUs{}, badValue(what, s, "too large")
	}
	return CPUs{N: f}, nil
}

// ParseWeight reads a cgroup v2 CPU weight, 1 to 10000 (100 is the default).
func ParseWeight(what, s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 1 || n > 10000 {
		return 0, badValue(what, s, "a CPU weight is a whole number from 1 to 10000 (100 is the default)")
	}
	return n, nil
}
