package record

import (
	"fmt"
	"strings"
	"time"
)

// ParseInstant reads an instant of a recording: RFC 3339 (2026-12-03T02:14:00+01:00); a time
// of day in the recorded host's zone (02:14 or 02:14:10), on the day of the recording's end (the
// day before when that is later than the end); or an offset from the end (-10m, -1h30m).
func ParseInstant(s string, zone *time.Location, end time.Time) (time.Time, error) {
	if strings.HasPrefix(s, "-") {
		d, err := time.ParseDuration(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("instant %q: not an offset such as -10m", s)
		}
		return end.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		tod, err := time.ParseInLocation(layout, s, zone)
		if err != nil {
			continue
		}
		e := end.In(zone)
		t := time.Date(e.Year(), e.Month(), e.Day(), tod.Hour(), tod.Minute(), tod.Second(), 0, zone)
		if t.After(end) {
			t = t.AddDate(0, 0, -1)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("instant %q: not RFC 3339 (2026-12-03T02:14:00+01:00), a time of day (02:14) or an offset from the end (-10m)", s)
}
