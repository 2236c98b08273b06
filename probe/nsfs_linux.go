package probe

import (
	"errors"
	"strconv"

	"golang.org/x/sys/unix"
)

var errNoRelations = errors.New("owner and parent namespaces are asked of the live kernel (ioctl on nsfs) and are not in a fixture")

// relations asks the kernel, for every namespace, which user namespace owns it (NS_GET_USERNS), the
// parent of pid and user namespaces (NS_GET_PARENT) and the creator of user namespaces
// (NS_GET_OWNER_UID), see ioctl_ns(2). Owners and parents that no process or mount holds are added
// to the table too, so the pid and user hierarchies are complete up to what isotop may see: EPERM
// means the answer lies outside the caller's own namespaces (the top of the tree), not a failure.
func (fs FS) relations(t *nsTable, errs *errorList) {
	type pending struct {
		key nsKey
		fd  int
	}
	var queue []pending
	for key, path := range t.handle {
		fd, err := openat(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_CLOEXEC)
		if err != nil {
			if !gone(err) {
				errs.add(path, err)
			}
			continue
		}
		queue = append(queue, pending{key, fd})
	}
	// follow opens the namespace an ioctl returned, records its inode, and queues it when new.
	follow := func(fd int, req uint, kind NSKind, what string, path string) *uint64 {
		nfd, err := unix.IoctlRetInt(fd, req)
		if err != nil {
			if err != unix.EPERM {
				errs.add(path, errors.New(what+": "+reason(err)))
			}
			return nil
		}
		var st unix.Stat_t
		if err := unix.Fstat(nfd, &st); err != nil {
			unix.Close(nfd)
			errs.add(path, errors.New(what+": "+reason(err)))
			return nil
		}
		key := nsKey{kind, st.Ino}
		if _, known := t.byKey[key]; known {
			unix.Close(nfd)
		} else {
			t.get(key, "")
			queue = append(queue, pending{key, nfd})
		}
		ino := st.Ino
		return &ino
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		ns := t.byKey[p.key]
		path := t.handle[p.key]
		if path == "" {
			path = string(p.key.kind) + ":[" + strconv.FormatUint(p.key.ino, 10) + "]"
		}
		ns.OwnerUserNS = follow(p.fd, unix.NS_GET_USERNS, NSUser, "NS_GET_USERNS", path)
		if p.key.kind == NSPID || p.key.kind == NSUser {
			ns.Parent = follow(p.fd, unix.NS_GET_PARENT, p.key.kind, "NS_GET_PARENT", path)
		}
		if p.key.kind == NSUser {
			if uid, err := unix.IoctlGetUint32(p.fd, unix.NS_GET_OWNER_UID); err == nil {
				ns.OwnerUID = &uid
			} else {
				errs.add(path, errors.New("NS_GET_OWNER_UID: "+reason(err)))
			}
		}
		unix.Close(p.fd)
	}
}
