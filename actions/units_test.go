package actions

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Setting
	}{
		{"256M", Setting{N: 256 << 20}},
		{"1.5G", Setting{N: 3 << 29}},
		{"512KiB", Setting{N: 512 << 10}},
		{"512kb", Setting{N: 512 << 10}},
		{"2 T", Setting{N: 2 << 40}},
		{"1P", Setting{N: 1 << 50}},
		{"1024", Setting{N: 1024}},
		{"1024B", Setting{N: 1024}},
		{" 64M ", Setting{N: 64 << 20}},
		{"0", Setting{N: 0}},
		{"max", Setting{Max: true}},
		{"MAX", Setting{Max: true}},
		{"unlimited", Setting{Max: true}},
	} {
		got, err := ParseSize("--memory", tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseSizeErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // each must be in the message
	}{
		{"12XB", []string{"--memory", `"12XB"`, `unknown unit "XB"`}},
		{"12E", []string{`unknown unit "E"`}},
		{"-5M", []string{`"-5M"`, "negative"}},
		{"", []string{"empty"}},
		{"   ", []string{"empty"}},
		{"1.5", []string{"fraction of a byte"}},
		{"M", []string{"not a number"}},
		{"1.2.3M", []string{"not a number"}},
		{"99999999P", []string{"too large"}},
		{"9223372036854775808", []string{"too large"}},
	} {
		got, err := ParseSize("--memory", tc.in)
		if err == nil {
			t.Errorf("ParseSize(%q) = %+v, want an error", tc.in, got)
			continue
		}
		if !errors.Is(err, ErrBadValue) || errors.Is(err, ErrRefused) {
			t.Errorf("ParseSize(%q): %v is not (only) ErrBadValue", tc.in, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseSize(%q): %q does not say %q", tc.in, err, w)
			}
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"256M", "1.5G", "512KiB", "1024", "max", "12XB", "-5M", "", "1.5", "0.1K",
		"9223372036854775807", "8191P", "1e3", ".", "1..", " 1 kb ", "ı", "1\x00M"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSize("--memory", s)
		if err != nil {
			if !errors.Is(err, ErrBadValue) {
				t.Fatalf("ParseSize(%q): %v is not ErrBadValue", s, err)
			}
			return
		}
		if !v.Max && v.N > math.MaxInt64 {
			t.Fatalf("ParseSize(%q) = %d, more than the kernel takes", s, v.N)
		}
		// What is accepted is written as Setting.String(): that must read back as the same value.
		again, err := ParseSize("--memory", v.String())
		if err != nil || again != v {
			t.Fatalf("ParseSize(%q) = %+v, but its String %q parses as %+v, %v", s, v, v.String(), again, err)
		}
	})
}

func TestParseCPUs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want CPUs
		str  string
	}{
		{"0.5", CPUs{N: 0.5}, "0.5"},
		{"2", CPUs{N: 2}, "2"},
		{" 1.25 ", CPUs{N: 1.25}, "1.25"},
		{"max", CPUs{Max: true}, "max"},
		{"Max", CPUs{Max: true}, "max"},
	} {
		got, err := ParseCPUs("--cpus", tc.in)
		if err != nil || got != tc.want || got.String() != tc.str {
			t.Errorf("ParseCPUs(%q) = %+v (%q), %v; want %+v (%q)", tc.in, got, got.String(), err, tc.want, tc.str)
		}
	}
	for _, tc := range []struct{ in, why string }{
		{"0", "zero CPUs"},
		{"-1", "negative"},
		{"abc", "not a number of CPUs"},
		{"", "not a number of CPUs"},
		{"NaN", "not a number of CPUs"},
		{"Inf", "not a number of CPUs"},
		{"1e9", "too large"},
	} {
		got, err := ParseCPUs("--cpus", tc.in)
		if !errors.Is(err, ErrBadValue) {
			t.Errorf("ParseCPUs(%q) = %+v, %v; want ErrBadValue", tc.in, got, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "--cpus") || !strings.Contains(msg, tc.why) {
			t.Errorf("ParseCPUs(%q): %q should name --cpus and say %q", tc.in, msg, tc.why)
		}
	}
}

func TestParseWeight(t *testing.T) {
	for in, want := range map[string]uint64{"1": 1, "100": 100, " 250 ": 250, "10000": 10000} {
		if got, err := ParseWeight("--cpu-weight", in); err != nil || got != want {
			t.Errorf("ParseWeight(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "10001", "-1", "abc", "", "1.5", "max", "18446744073709551616"} {
		got, err := ParseWeight("--cpu-weight", in)
		if !errors.Is(err, ErrBadValue) {
			t.Errorf("ParseWeight(%q) = %d, %v; want ErrBadValue", in, got, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "--cpu-weight") || !strings.Contains(msg, "1 to 10000") {
			t.Errorf("ParseWeight(%q): %q should name the flag and the range", in, msg)
		}
	}
}

func TestParseCount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Setting
	}{
		{"100", Setting{N: 100}},
		{" 7 ", Setting{N: 7}},
		{"0", Setting{N: 0}},
		{"9223372036854775807", Setting{N: math.MaxInt64}},
		{"max", Setting{Max: true}},
		{"MAX", Setting{Max: true}},
	} {
		if got, err := ParseCount("--pids", tc.in); err != nil || got != tc.want {
			t.Errorf("ParseCount(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, why string }{
		{"-1", "negative"},
		{"abc", "not a whole number"},
		{"1.5", "not a whole number"},
		{"", "not a whole number"},
		{"10K", "not a whole number"},
		{"9223372036854775808", "not a whole number"},
	} {
		got, err := ParseCount("--pids", tc.in)
		if !errors.Is(err, ErrBadValue) {
			t.Errorf("ParseCount(%q) = %+v, %v; want ErrBadValue", tc.in, got, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "--pids") || !strings.Contains(msg, tc.why) {
			t.Errorf("ParseCount(%q): %q should name --pids and say %q", tc.in, msg, tc.why)
		}
	}
}

func TestSettingString(t *testing.T) {
	if s := (Setting{Max: true, N: 5}).String(); s != "max" {
		t.Errorf("max setting: %q", s)
	}
	if s := (Setting{N: 67108864}).String(); s != "67108864" {
		t.Errorf("64M setting: %q", s)
	}
}

func TestCleanCgroupPath(t *testing.T) {
	for in, want := range map[string]string{
		"a/b":               "/a/b",
		"/a/b":              "/a/b",
		" /a//b/ ":          "/a/b",
		"./a":               "/a",
		"/system.slice/x":   "/system.slice/x",
		"/a/...":            "/a/...",
		"a..b":              "/a..b",
		"/sys/fs/cgroupish": "/sys/fs/cgroupish", // a cgroup of that name, not the mount point
	} {
		if got, err := CleanCgroupPath(in); err != nil || got != want {
			t.Errorf("CleanCgroupPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, tc := range []struct{ in, why string }{
		{"..", `".."`},
		{"../x", `".."`},
		{"/a/../b", `".."`},
		{"a/b/..", `".."`},
		{"/a/b/../../..", `".."`},
		{"/", "root cgroup"},
		{"//", "root cgroup"},
		{".", "root cgroup"},
		{"", "empty"},
		{"  ", "empty"},
		{"/sys/fs/cgroup/x", `not under its mount point`},
		{"/sys/fs/cgroup", `not under its mount point`},
		{"/sys/fs/cgroup/unified/x/y", `("/x/y")`},
		{"a\x00b", "NUL"},
	} {
		got, err := CleanCgroupPath(tc.in)
		if !errors.Is(err, ErrRefused) || errors.Is(err, ErrBadValue) {
			t.Errorf("CleanCgroupPath(%q) = %q, %v; want only ErrRefused", tc.in, got, err)
			continue
		}
		if got != "" {
			t.Errorf("CleanCgroupPath(%q) refused but returned %q", tc.in, got)
		}
		if !strings.Contains(err.Error(), tc.why) {
			t.Errorf("CleanCgroupPath(%q): %q does not say %q", tc.in, err, tc.why)
		}
	}
}
