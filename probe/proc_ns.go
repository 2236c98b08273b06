package probe

import (
	"bytes"
	"strconv"
)

// NSKind is a namespace type as the kernel names it in /proc/PID/ns (namespaces(7)).
type NSKind string

// The eight namespace kinds. pid_for_children and time_for_children are not kinds of their own:
// they are the pid and time namespaces a process's next children will be born in.
const (
	NSCgroup NSKind = "cgroup"
	NSIPC    NSKind = "ipc"
	NSMnt    NSKind = "mnt"
	NSNet    NSKind = "net"
	NSPID    NSKind = "pid"
	NSTime   NSKind = "time"
	NSUser   NSKind = "user"
	NSUTS    NSKind = "uts"
)

// Kinds lists the namespace kinds in a fixed order (alphabetical, as lsns sorts them).
var Kinds = []NSKind{NSCgroup, NSIPC, NSMnt, NSNet, NSPID, NSTime, NSUser, NSUTS}

// The names of the two *_for_children links, used as keys in Process.Namespaces when they differ.
const (
	PIDForChildren  NSKind = "pid_for_children"
	TimeForChildren NSKind = "time_for_children"
)

// nsLinks are the /proc/PID/ns entries read for every process, in the order they are stored.
var nsLinks = [...]NSKind{NSCgroup, NSIPC, NSMnt, NSNet, NSPID, PIDForChildren, NSTime, TimeForChildren, NSUser, NSUTS}

// baseKind maps a *_for_children link to the kind of namespace it points at.
func baseKind(k NSKind) NSKind {
	switch k {
	case PIDForChildren:
		return NSPID
	case TimeForChildren:
		return NSTime
	}
	return k
}

// parseNSLink parses the target of a /proc/PID/ns/KIND link, "net:[4026531833]", into its kind and
// inode. All namespaces live on the one internal nsfs superblock, so the inode together with that
// superblock's device (Host.NSDevice) is the namespace's identity.
func parseNSLink(target []byte) (NSKind, uint64, error) {
	colon := bytes.IndexByte(target, ':')
	if colon <= 0 || len(target) < colon+4 || target[colon+1] != '[' || target[len(target)-1] != ']' {
		return "", 0, parseErr("ns link", "not KIND:[INODE]")
	}
	ino, err := strconv.ParseUint(string(target[colon+2:len(target)-1]), 10, 64)
	if err != nil || ino == 0 {
		return "", 0, parseErr("ns link", "bad inode")
	}
	kind := NSKind(target[:colon])
	if !knownKind(kind) {
		return "", 0, parseErr("ns link", "unknown kind "+strconv.Quote(string(kind)))
	}
	return kind, ino, nil
}

func knownKind(k NSKind) bool {
	for _, known := range Kinds {
		if k == known {
			return true
		}
	}
	return false
}
