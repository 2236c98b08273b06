package probe

// NSSet holds a namespace inode per kind, 0 where unknown. Its JSON form is an object with the
// known kinds only, in alphabetical order: the same as a map[kind]inode, without a map per process
// to build, sort and encode on every refresh.
type NSSet struct {
	Cgroup          uint64 `json:"cgroup,omitempty"`
	IPC             uint64 `json:"ipc,omitempty"`
	Mnt             uint64 `json:"mnt,omitempty"`
	Net             uint64 `json:"net,omitempty"`
	PID             uint64 `json:"pid,omitempty"`
	PIDForChildren  uint64 `json:"pid_for_children,omitempty"`
	Time            uint64 `json:"time,omitempty"`
	TimeForChildren uint64 `json:"time_for_children,omitempty"`
	User            uint64 `json:"user,omitempty"`
	UTS             uint64 `json:"uts,omitempty"`
}

// field returns the slot of kind k (one of Kinds or the two *_for_children names), or nil.
func (s *NSSet) field(k NSKind) *uint64 {
	switch k {
	case NSCgroup:
		return &s.Cgroup
	case NSIPC:
		return &s.IPC
	case NSMnt:
		return &s.Mnt
	case NSNet:
		return &s.Net
	case NSPID:
		return &s.PID
	case PIDForChildren:
		return &s.PIDForChildren
	case NSTime:
		return &s.Time
	case TimeForChildren:
		return &s.TimeForChildren
	case NSUser:
		return &s.User
	case NSUTS:
		return &s.UTS
	}
	return nil
}

// Get returns the inode of kind k, 0 when unknown.
func (s NSSet) Get(k NSKind) uint64 {
	if f := s.field(k); f != nil {
		return *f
	}
	return 0
}

func (s *NSSet) set(k NSKind, ino uint64) { *s.field(k) = ino }

// Len counts the kinds that are known.
func (s NSSet) Len() int {
	n := 0
	for _, k := range nsLinks {
		if s.Get(k) != 0 {
			n++
		}
	}
	return n
}
