package probe

import "time"

// CgroupEvent is a change of a cgroup's event counters: what happened, where, when it was seen, and
// how many times since the last look.
type CgroupEvent struct {
	Time   time.Time `json:"time"`
	Cgroup string    `json:"cgroup"`
	// Event is the counter's name: oom, oom_kill, oom_group_kill, max, high (memory.events),
	// failcnt (v1 memory limit hits), pids_max (forks refused by pids.max).
	Event string `json:"event"`
	Count uint64 `json:"count"`
	// Source says how it was seen: "inotify" (as it happened) or "snapshot" (between two reads).
	Source string `json:"source"`
}
