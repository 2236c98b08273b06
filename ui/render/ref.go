package render

import (
	"strconv"

	"github.com/isotop/isotop/probe"
)

// RefKind is the kind of object a Ref names.
type RefKind uint8

// The kinds of objects the views list.
const (
	NoRef RefKind = iota
	RefProcess
	RefNamespace
	RefCgroup
	RefContainer
	RefNetNS
	RefLink
	RefAudit
)

// Ref names an object of a snapshot across refreshes: a row's identity, a jump's target, a
// selection. It is comparable (a map key) and built only by the constructors below.
type Ref struct {
	Kind  RefKind
	NS    probe.NSKind // a namespace's kind
	ID    uint64       // a pid, a namespace's or a network namespace's inode, an audit record's index
	Index int          // a link's index in its network namespace (ID)
	Name  string       // a cgroup's path, a container's "runtime:id"
}

// ProcRef names a process.
func ProcRef(pid int) Ref { return Ref{Kind: RefProcess, ID: uint64(pid)} }

// NSRef names a namespace.
func NSRef(kind probe.NSKind, ino uint64) Ref { return Ref{Kind: RefNamespace, NS: kind, ID: ino} }

// CgroupRef names a cgroup by its path.
func CgroupRef(path string) Ref { return Ref{Kind: RefCgroup, Name: path} }

// ContainerRef names a container by its key, "runtime:id".
func ContainerRef(key string) Ref { return Ref{Kind: RefContainer, Name: key} }

// NetRef names a network namespace.
func NetRef(ino uint64) Ref { return Ref{Kind: RefNetNS, ID: ino} }

// LinkRef names a link of a network namespace.
func LinkRef(ino uint64, index int) Ref { return Ref{Kind: RefLink, ID: ino, Index: index} }

// AuditRef names an audit record by its place in the log.
func AuditRef(i int) Ref { return Ref{Kind: RefAudit, ID: uint64(i)} }

// PID is the process a Ref names (0 for another kind).
func (r Ref) PID() int {
	if r.Kind != RefProcess {
		return 0
	}
	return int(r.ID)
}

// String says what a Ref names, for people: "process 42", "cgroup /a/b".
func (r Ref) String() string {
	switch r.Kind {
	case RefProcess:
		return "process " + strconv.FormatUint(r.ID, 10)
	case RefNamespace:
		return string(r.NS) + " namespace " + strconv.FormatUint(r.ID, 10)
	case RefCgroup:
		return "cgroup " + r.Name
	case RefContainer:
		return "container " + r.Name
	case RefNetNS:
		return "network namespace " + strconv.FormatUint(r.ID, 10)
	case RefLink:
		return "link " + strconv.Itoa(r.Index) + " of network namespace " + strconv.FormatUint(r.ID, 10)
	case RefAudit:
		return "audit record " + strconv.FormatUint(r.ID, 10)
	}
	return "nothing"
}
