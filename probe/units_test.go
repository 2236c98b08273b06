package probe

import (
	"math"
	"testing"
)

func TestFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		in   uint64
		want string
	}{
		{0, "0"},
		{512, "512"},
		{1023, "1023"},
		{1024, "1.0K"},
		{1536, "1.5K"},
		{20 << 20, "20.0M"},
		{3 << 29, "1.5G"},
		{1 << 40, "1.0T"},
		{1 << 50, "1.0P"},
		{1 << 60, "1024.0P"},
		{math.MaxUint64, "16384.0P"},
	} {
		if got := FormatBytes(tc.in); got != tc.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
