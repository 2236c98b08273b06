package probe

import (
	"bytes"
	"cmp"
	"slices"
	"strconv"
	"strings"
)

type nsKey struct {
	kind NSKind
	ino  uint64
}

// nsTable gathers namespaces in the order they are found, with a path to open each by.
type nsTable struct {
	byKey  map[nsKey]*Namespace
	handle map[nsKey]string // a path that opens the namespace: a member's ns link or a bind mount
	// Bind mounts seen in the host's mount namespace, and in others (as /proc/PID/root/PATH). The
	// latter are kept only for namespaces with none of the former: /run/netns propagates into
	// containers, and the host's own path is the one an operator wants.
	hostMounts, foreignMounts map[nsKey][]string
}

func (t *nsTable) get(k nsKey, handle string) *Namespace {
	ns := t.find(k)
	if _, ok := t.handle[k]; !ok && handle != "" {
		t.handle[k] = handle
	}
	return ns
}

// find is get without a handle: the namespace, added when it is new.
func (t *nsTable) find(k nsKey) *Namespace {
	ns, ok := t.byKey[k]
	if !ok {
		ns = &Namespace{Type: k.kind, Inode: k.ino}
		t.byKey[k] = ns
	}
	return ns
}

// namespaces builds the namespace list from the processes' links, the nsfs bind mounts in every
// mount namespace's mountinfo, and (on the live kernel) the owner and parent relations.
func (fs FS) namespaces(recs []procRecord, host procRecord, errs *errorList) []Namespace {
	t := &nsTable{byKey: map[nsKey]*Namespace{}, handle: map[nsKey]string{},
		hostMounts: map[nsKey][]string{}, foreignMounts: map[nsKey][]string{}}
	for i := range recs {
		r := &recs[i]
		for j, link := range nsLinks {
			ino := r.ns[j]
			if ino == 0 {
				continue
			}
			kind := baseKind(link)
			k := nsKey{kind, ino}
			ns := t.find(k)
			if _, ok := t.handle[k]; !ok { // the path is made once per namespace, not per process
				t.handle[k] = fs.Proc + "/" + strconv.Itoa(r.PID) + "/" + nsLinkPaths[j]
			}
			switch {
			case link == kind:
				ns.PIDs = append(ns.PIDs, r.PID)
				if ns.PID == 0 {
					ns.PID, ns.Command = r.PID, command(&r.Process)
				}
			case (link == PIDForChildren && ino != r.ns[idxPID]) || (link == TimeForChildren && ino != r.ns[idxTime]):
				ns.ForChildren = append(ns.ForChildren, r.PID)
			}
		}
	}
	fs.bindMounts(t, recs, host, errs)
	for key, ns := range t.byKey {
		if ns.Mounts = t.hostMounts[key]; ns.Mounts == nil {
			ns.Mounts = t.foreignMounts[key]
		}
	}
	fs.userNSMaps(t, errs)
	if fs.live() {
		fs.relations(t, errs)
	} else {
		errs.add(fs.Proc, errNoRelations)
	}

	out := make([]Namespace, 0, len(t.byKey))
	for _, ns := range t.byKey {
		ns.Processes = len(ns.PIDs)
		if ns.PIDs == nil {
			ns.PIDs = []int{}
		}
		if ns.Mounts == nil {
			ns.Mounts = []string{}
		}
		out = append(out, *ns)
	}
	kindOrder := func(k NSKind) int { return slices.Index(Kinds, k) }
	slices.SortFunc(out, func(a, b Namespace) int {
		return cmp.Or(cmp.Compare(kindOrder(a.Type), kindOrder(b.Type)), cmp.Compare(a.Inode, b.Inode))
	})
	return out
}

func command(p *Process) string {
	if len(p.Cmdline) == 0 {
		return p.Comm
	}
	return strings.Join(p.Cmdline, " ")
}

// bindMounts adds the namespaces held by nsfs mounts (ip netns add, docker's /run/docker/netns,
// a persisted `unshare --net=FILE`) as seen in each mount namespace's mountinfo. lsns lists only
// namespaces that have a process; a network namespace with none is exactly what an operator hunts.
func (fs FS) bindMounts(t *nsTable, recs []procRecord, host procRecord, errs *errorList) {
	// One reader per mount namespace: the lowest pid in it whose mountinfo can be read; the host's
	// first, so that a namespace it mounts is not looked for in the copies of its table that
	// every container's mount namespace holds (a host with many of both: trees × netns lines).
	order := make([]*procRecord, 0, len(recs)+1)
	order = append(order, &host)
	for i := range recs {
		order = append(order, &recs[i])
	}
	seen := map[uint64]bool{}
	type pathKey struct {
		key  nsKey
		path string
	}
	listed := map[pathKey]bool{}
	for _, r := range order {
		mnt := r.ns[idxMnt]
		if mnt == 0 || seen[mnt] || r.PID == 0 {
			continue
		}
		pid := strconv.Itoa(r.PID)
		data, err := readFile(fs.Proc + "/" + pid + "/mountinfo")
		if err != nil {
			if !gone(err) {
				errs.add(fs.Proc+"/"+pid+"/mountinfo", err)
			}
			continue // another member of this mount namespace may do
		}
		seen[mnt] = true
		prefix, mounts := "", t.hostMounts
		if mnt != host.ns[idxMnt] {
			prefix, mounts = fs.Proc+"/"+pid+"/root", t.foreignMounts
		}
		for line := range bytes.SplitSeq(data, []byte{'\n'}) {
			if !bytes.Contains(line, []byte(" - nsfs ")) { // only nsfs lines are parsed
				continue
			}
			ms, err := parseMountinfo(line)
			if err != nil {
				errs.add(fs.Proc+"/"+pid+"/mountinfo", err)
				continue
			}
			kind, ino, err := parseNSLink([]byte(ms[0].Root))
			if err != nil {
				continue // an nsfs mount of something that is not a namespace link
			}
			key := nsKey{kind, ino}
			if prefix != "" && t.hostMounts[key] != nil {
				continue // the host mounts it: the path an operator wants
			}
			path := prefix + ms[0].Point
			t.get(key, path)
			if !listed[pathKey{key, path}] {
				listed[pathKey{key, path}] = true
				mounts[key] = append(mounts[key], path)
			}
		}
	}
}

// userNSMaps reads uid_map and gid_map of every user namespace that has a process in it.
func (fs FS) userNSMaps(t *nsTable, errs *errorList) {
	for _, ns := range t.byKey {
		if ns.Type != NSUser || len(ns.PIDs) == 0 {
			continue
		}
		for _, f := range []struct {
			name string
			dst  *[]IDMapRange
		}{{"uid_map", &ns.UIDMap}, {"gid_map", &ns.GIDMap}} {
			path := fs.Proc + "/" + strconv.Itoa(ns.PIDs[0]) + "/" + f.name
			data, err := readFile(path)
			if err == nil {
				*f.dst, err = parseIDMap(data)
			}
			if err != nil && !gone(err) {
				errs.add(path, err)
			}
		}
	}
}
