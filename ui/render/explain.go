package render

import (
	"strconv"
	"strings"

	"github.com/isotop/isotop/probe"
)

// The explanations of each view's values: for each value, the files it comes from and a shell
// command whose output gives the value on screen (for a teaching lab: run it and compare). The
// command names the file where a value is set, not only the cgroup's own (a limit in force may be
// an ancestor's), and there is none for a file that does not exist (PSI on v1, a controller a
// hierarchy lacks): the meaning says why. TestExplainTellsTheTruth runs every command on a live
// host and checks its output against the screen.

// sq quotes s for sh when it holds anything but plain path characters.
func sq(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+,:@=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// nsRef is the process whose namespaces are the host's reference (1, isotop's own), 0 for none; a
// snapshot saved before ns_from_pid was written says it in ns_from.
func nsRef(h probe.Host) int {
	if h.NSFromPID > 0 {
		return h.NSFromPID
	}
	if h.NSFrom == "pid 1" {
		return 1
	}
	if rest, ok := strings.CutPrefix(h.NSFrom, "self (pid "); ok {
		n, _ := strconv.Atoi(rest[:strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })])
		return n
	}
	return 0
}
