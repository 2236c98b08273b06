package probe

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// errNotRegular refuses what is not a regular file: opening a FIFO would block, and opening a
// device can act on it (a watchdog starts), whatever a container made its file.
var errNotRegular = errors.New("not a regular file")

// readInRoot reads the regular file name beneath the directory root (a container's root as the
// host reaches it, /proc/PID/root), at most limit bytes (more is an error). The path is resolved
// as the container would resolve it, with root as its "/": see openInRoot.
func readInRoot(root, name string, limit int64) ([]byte, error) {
	f, err := openInRoot(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errors.New("larger than " + strconv.FormatInt(limit>>10, 10) + " KiB")
	}
	return data, nil
}

// openInRoot opens the regular file name beneath root for reading, resolving the path one
// component at a time itself: each is opened O_PATH|O_NOFOLLOW relative to the one before, a
// symlink's target is read and walked in its place (an absolute one from root), and ".." never
// climbs above root. The kernel alone would not keep it there: through /proc/PID/root, an
// absolute symlink in the container (/etc/x → /etc/shadow) resolves against the reader's own
// root, the host's. (openat2's RESOLVE_IN_ROOT does the same, but read-only mode's filter refuses
// openat2.) The file is then opened again through its O_PATH descriptor, non-blocking and never as
// a controlling terminal, once fstat says it is a regular file.
func openInRoot(root, name string) (*os.File, error) {
	rootFD, err := openat(unix.AT_FDCWD, root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return nil, &pathError{root, err}
	}
	defer unix.Close(rootFD)
	var dirs []int // the directories walked down from root; the last is the current one
	defer func() {
		for _, fd := range dirs {
			unix.Close(fd)
		}
	}()
	cur := func() int {
		if len(dirs) == 0 {
			return rootFD
		}
		return dirs[len(dirs)-1]
	}
	todo, links := strings.Split(name, "/"), 0
	for len(todo) > 0 {
		part := todo[0]
		todo = todo[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if n := len(dirs); n > 0 {
				unix.Close(dirs[n-1])
				dirs = dirs[:n-1]
			}
			continue
		}
		fd, err := openat(cur(), part, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC)
		if err != nil {
			return nil, &pathError{root + "/" + name, err}
		}
		target, isLink, err := linkTarget(fd)
		if err != nil {
			unix.Close(fd)
			return nil, &pathError{root + "/" + name, err}
		}
		if !isLink {
			dirs = append(dirs, fd)
			continue
		}
		unix.Close(fd)
		if links++; links > 40 {
			return nil, &pathError{root + "/" + name, unix.ELOOP}
		}
		if strings.HasPrefix(target, "/") {
			for _, d := range dirs {
				unix.Close(d)
			}
			dirs = nil
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	return reopenRegular(cur(), root+"/"+name)
}

// linkTarget says whether the O_PATH descriptor fd is a symlink, and where it points.
func linkTarget(fd int) (string, bool, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "", false, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return "", false, nil
	}
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(fd, "", buf) // the link fd itself (O_PATH|O_NOFOLLOW)
	if err != nil {
		return "", false, err
	}
	return string(buf[:n]), true, nil
}

// reopenRegular opens the O_PATH descriptor fd for reading when it is a regular file.
func reopenRegular(fd int, name string) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &pathError{name, err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, errNotRegular
	}
	rfd, err := openat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC)
	if err != nil {
		return nil, &pathError{name, err}
	}
	return os.NewFile(uintptr(rfd), name), nil
}
