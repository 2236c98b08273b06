package probe

import (
	"bytes"
	"strconv"
)

// procStat holds the fields isotop uses from /proc/PID/stat (proc(5)): the process's state, parent,
// CPU time, thread count, start time (clock ticks after boot) and resident set (pages).
type procStat struct {
	PID        int
	Comm       string
	State      byte
	PPID       int
	UTime      uint64 // field 14, clock ticks
	STime      uint64 // field 15, clock ticks
	Threads    int    // field 20
	StartTicks uint64 // field 22
	RSSPages   uint64 // field 24
}

// parseProcStat parses one /proc/PID/stat line. comm may hold spaces and parentheses, so it is
// everything between the first '(' and the LAST ')', as the kernel writes it unescaped.
func parseProcStat(data []byte) (procStat, error) {
	var s procStat
	open := bytes.IndexByte(data, '(')
	closing := bytes.LastIndexByte(data, ')')
	if open < 1 || closing < open {
		return s, parseErr("stat", "no (comm)")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(data[:open])))
	if err != nil || pid <= 0 {
		return s, parseErr("stat", "bad pid")
	}
	s.PID = pid
	s.Comm = string(data[open+1 : closing])

	// Fields after ") " are numbered from 3 (state) as in proc(5).
	rest := data[closing+1:]
	field := 2
	for len(rest) > 0 {
		rest = bytes.TrimLeft(rest, " ")
		if len(rest) == 0 {
			break
		}
		end := bytes.IndexAny(rest, " \n")
		if end < 0 {
			end = len(rest)
		}
		tok := rest[:end]
		rest = rest[end:]
		if len(rest) > 0 && rest[0] == '\n' {
			rest = nil
		}
		field++
		switch field {
		case 3:
			if len(tok) != 1 {
				return s, parseErr("stat", "bad state")
			}
			s.State = tok[0]
		case 4:
			s.PPID, err = atoi(tok)
		case 14:
			s.UTime, err = atou(tok)
		case 15:
			s.STime, err = atou(tok)
		case 20:
			s.Threads, err = atoi(tok)
		case 22:
			s.StartTicks, err = atou(tok)
		case 24:
			s.RSSPages, err = atou(tok)
		}
		if err != nil {
			return s, parseErr("stat", "bad field "+strconv.Itoa(field))
		}
		if field == 24 {
			return s, nil
		}
	}
	return s, parseErr("stat", "only "+strconv.Itoa(field)+" fields")
}

func atoi(b []byte) (int, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	return int(n), err
}

func atou(b []byte) (uint64, error) {
	return strconv.ParseUint(string(b), 10, 64)
}

// ProcessStart reads the start time (clock ticks after boot) and comm of pid from /proc/PID/stat:
// with the pid, the start time tells one process from a later one that reuses its pid.
func (fs FS) ProcessStart(pid int) (uint64, string, error) {
	data, err := readFile(fs.Proc + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, "", err
	}
	st, err := parseProcStat(data)
	if err != nil {
		return 0, "", err
	}
	return st.StartTicks, st.Comm, nil
}

// ProcessAlive reports whether pid is still the process that started at start (clock ticks after
// boot) and has not ended: a zombie, dead but not yet reaped by its parent, is not alive.
func (fs FS) ProcessAlive(pid int, start uint64) bool {
	data, err := readFile(fs.Proc + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	st, err := parseProcStat(data)
	return err == nil && st.StartTicks == start && st.State != 'Z' && st.State != 'X'
}
