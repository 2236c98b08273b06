package probe

import "time"

// Schema is the version of the Snapshot's JSON form. It changes only when a field changes meaning or
// goes away; new fields do not change it.
const Schema = 1

// Snapshot is what the probe saw at one moment. It is built once and never changed afterwards: the
// UI renders it, `isotop snapshot --json` prints it, and `--replay` reads it back.
type Snapshot struct {
	Schema     int         `json:"schema"`
	Taken      time.Time   `json:"taken"`
	Host       Host        `json:"host"`
	Processes  []Process   `json:"processes"`
	Namespaces []Namespace `json:"namespaces"`
	// Containers are the containers, pods' containers and isolated process trees.
	Containers []Container `json:"containers"`
	// NetNamespaces are the network namespaces with their links, veth peers and bridges.
	NetNamespaces []NetNamespace `json:"net_namespaces"`
	// Cgroups is the cgroup tree, parents before children, sorted by path.
	Cgroups []Cgroup `json:"cgroups"`
	// CgroupEvents are changes of the cgroups' event counters (an OOM kill, a limit hit) seen
	// since isotop started watching: empty for a one-shot snapshot.
	CgroupEvents []CgroupEvent `json:"cgroup_events"`
	// EventsFrom says how the events were seen: by inotify as they happened (v2, while a
	// Collector's Watch runs), and by the counters' increases between two snapshots.
	EventsFrom string `json:"events_from,omitempty"`
	// Partial says what a quick first snapshot left out (Quick: no namespaces, cgroups, network
	// or containers yet); empty for a full one.
	Partial string  `json:"partial,omitempty"`
	Errors  []Error `json:"errors"`

	lite bool // Collector.Lite's: the processes' figures are their last full read's
}

// Host describes the machine as a whole.
type Host struct {
	Kernel   string    `json:"kernel"`   // /proc/sys/kernel/osrelease
	Hostname string    `json:"hostname"` // /proc/sys/kernel/hostname, in isotop's uts namespace
	BootTime time.Time `json:"boot_time"`
	// NS is the host's namespace of each kind, the reference for Process.Isolated.
	NS NSSet `json:"ns"`
	// NSFrom says whose namespaces NS are: "pid 1", or isotop's own when PID 1's cannot be read,
	// with the reason ("self (pid 812): /proc/1/ns: permission denied").
	NSFrom string `json:"ns_from"`
	// NSFromPID is the process whose namespaces NS are: 1, isotop's own, or 0 for none.
	NSFromPID int `json:"ns_from_pid,omitempty"`
	// NSDevice is the device ("major:minor") of nsfs, the filesystem every namespace inode is on;
	// with an inode it identifies a namespace. Empty when read from a fixture.
	NSDevice string `json:"ns_device,omitempty"`
	// CPUs is the number of online CPUs (/sys/devices/system/cpu/online), the CPU limit of a
	// cgroup nothing limits.
	CPUs int `json:"cpus"`
	// CgroupMode is "v2" (unified), "v1" (legacy), "hybrid" (both) or "none", from the mounts.
	CgroupMode   string        `json:"cgroup_mode"`
	CgroupMounts []CgroupMount `json:"cgroup_mounts"`
}

// Process is one process (thread group) on the host.
type Process struct {
	PID     int      `json:"pid"`
	PPID    int      `json:"ppid"`
	Comm    string   `json:"comm"`
	Cmdline []string `json:"cmdline"`
	State   string   `json:"state"`
	UID     int      `json:"uid"` // effective
	GID     int      `json:"gid"` // effective
	Threads int      `json:"threads"`
	// StartTicks is the start time in clock ticks after boot: with PID it identifies a process
	// across snapshots, since PIDs are reused.
	StartTicks uint64    `json:"start_ticks"`
	Started    time.Time `json:"started"`
	CPUUsec    uint64    `json:"cpu_usec"` // user + system time
	// CPUPct is the CPU used since the previous snapshot, in % of one CPU (a Collector's second
	// snapshot on; isotop snapshot --sample).
	CPUPct   *float64 `json:"cpu_pct,omitempty"`
	RSSBytes uint64   `json:"rss_bytes"`
	// NSPids is the pid in each nested pid namespace, host first, own namespace last (NSpid).
	NSPids           []int              `json:"ns_pids"`
	CgroupMembership []CgroupMembership `json:"cgroup_membership"`
	// Cgroup is the one path that stands for the process: its v2 path on a v2 host; on v1 and
	// hybrid hosts its path in the memory hierarchy (else cpu, else pids).
	Cgroup string `json:"cgroup"`
	// Container is the container the process runs in, "runtime:id", or "".
	Container string `json:"container"`
	// Namespaces maps each kind to the namespace inode; pid_for_children and time_for_children
	// appear only when they differ from pid and time (after unshare(2) without a fork).
	Namespaces NSSet `json:"namespaces"`
	// Isolated lists the kinds in which the process is in another namespace than the host.
	Isolated []NSKind `json:"isolated"`
}

// Namespace is one namespace, held by processes, by nsfs bind mounts, or only by reference (the
// owner of another namespace, or the parent of a pid or user namespace).
type Namespace struct {
	Type      NSKind `json:"type"`
	Inode     uint64 `json:"inode"`
	Processes int    `json:"processes"`
	PIDs      []int  `json:"pids"`
	// PID and Command are the lowest member pid and its command, as lsns shows them.
	PID     int    `json:"pid,omitempty"`
	Command string `json:"command,omitempty"`
	// ForChildren lists processes whose pid_for_children or time_for_children is this namespace
	// while they themselves are not in it.
	ForChildren []int `json:"for_children,omitempty"`
	// OwnerUserNS is the user namespace that owns this one (NS_GET_USERNS); null when it is outside
	// what isotop can see or could not be asked.
	OwnerUserNS *uint64 `json:"owner_user_ns"`
	// Parent is the parent pid or user namespace (NS_GET_PARENT); null at the top.
	Parent *uint64 `json:"parent"`
	// OwnerUID is the uid that created a user namespace (NS_GET_OWNER_UID).
	OwnerUID *uint32      `json:"owner_uid,omitempty"`
	UIDMap   []IDMapRange `json:"uid_map,omitempty"`
	GIDMap   []IDMapRange `json:"gid_map,omitempty"`
	// Mounts are the nsfs bind mounts that hold the namespace (/run/netns/NAME, …). One seen in
	// another mount namespace is given as reachable from the host: /proc/PID/root/PATH.
	Mounts []string `json:"mounts"`
}
