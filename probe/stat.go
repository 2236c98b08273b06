package probe

import (
	"bytes"
	"strconv"
	"time"
)

// parseBootTime finds "btime SECONDS" in /proc/stat: the boot time, needed to turn a process's start
// time (clock ticks after boot) into a wall-clock time.
func parseBootTime(data []byte) (time.Time, error) {
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		if rest, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			s, err := strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
			if err != nil || s < 0 {
				return time.Time{}, parseErr("stat", "bad btime")
			}
			return time.Unix(s, 0).UTC(), nil
		}
	}
	return time.Time{}, parseErr("stat", "no btime line")
}
