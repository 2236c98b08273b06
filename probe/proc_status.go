package probe

import (
	"bytes"
	"strconv"
)

// procStatus holds the fields isotop uses from /proc/PID/status (proc(5)).
type procStatus struct {
	UID, GID int // effective ids, the second of the four Uid:/Gid: columns
	// NSpid is the process's pid in each pid namespace it belongs to, from the host's (outermost
	// one visible to the reader) to its own innermost one. Absent before Linux 4.1.
	NSpid []int
}

// parseProcStatus parses /proc/PID/status, reading only the Uid, Gid and NSpid lines.
func parseProcStatus(data []byte) (procStatus, error) {
	var s procStatus
	seen := 0
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		key, val := line[:colon], line[colon+1:]
		switch string(key) {
		case "Uid", "Gid":
			ids := bytes.Fields(val)
			if len(ids) < 2 {
				return s, parseErr("status", string(key)+" has "+strconv.Itoa(len(ids))+" fields")
			}
			id, err := atoi(ids[1])
			if err != nil || id < 0 {
				return s, parseErr("status", "bad "+string(key))
			}
			if key[0] == 'U' {
				s.UID = id
			} else {
				s.GID = id
			}
			seen++
		case "NSpid":
			for _, f := range bytes.Fields(val) {
				p, err := atoi(f)
				if err != nil || p <= 0 {
					return s, parseErr("status", "bad NSpid")
				}
				s.NSpid = append(s.NSpid, p)
			}
		}
	}
	if seen < 2 {
		return s, parseErr("status", "no Uid/Gid")
	}
	return s, nil
}
