package probe

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// FS is where the probe finds the kernel's files. The zero value is not useful; use DefaultFS for the
// live host, or NewFS with the roots of a fixture tree (testdata/v2/proc, …) in tests.
type FS struct {
	Proc string // procfs mount point, "/proc" on a live host
	Sys  string // sysfs mount point, "/sys" on a live host
	// Opener makes what needs a privilege the reading process may lack: a netlink socket in
	// another network namespace and the nodename of another UTS namespace (setns(2)), and the
	// runtimes' state that only root may read. nil does it all in isotop's own process; read-only
	// mode gives its helpers here.
	Opener Opener
}

// Opener makes what only a thread inside another namespace can make, NETLINK_ROUTE socket inside
// the network namespace open as nsfd and the nodename of the UTS namespace open as nsfd (the caller
// keeps nsfd; a returned socket is the caller's to close), and opens a runtime's state file or
// directory (Docker's, containerd's, Podman's, CRI-O's, LXC's) for reading.
type Opener interface {
	NetlinkSocket(nsfd int) (int, error)
	Hostname(nsfd int) (string, error)
	OpenFile(path string) (*os.File, error)
}

// DefaultFS is the live host's /proc and /sys.
func DefaultFS() FS { return FS{Proc: "/proc", Sys: "/sys"} }

// NewFS returns an FS rooted at the given procfs and sysfs mount points.
func NewFS(proc, sys string) FS { return FS{Proc: filepath.Clean(proc), Sys: filepath.Clean(sys)} }

// live reports whether the FS is the running kernel's own procfs, where the namespace ioctls apply.
func (fs FS) live() bool { return fs.Proc == "/proc" }

// readFileAt reads a whole kernel file, name relative to the directory fd dirfd, into *buf (grown as
// needed) and returns the bytes read. It neither stats the file (procfs reports sizes of 0 or 4096)
// nor goes through os.File (which would try to register every file with the network poller). It
// reads until the kernel returns 0: a seq_file of many records (mountinfo, uid_map, cgroup.procs)
// hands them out one page at a time.
func readFileAt(dirfd int, name string, buf *[]byte) ([]byte, error) {
	return readAt(dirfd, name, buf, false)
}

// readSingleAt reads a file the kernel produces in one piece: a single_open seq_file (/proc/PID/stat,
// status, cgroup), /proc/PID/cmdline, or a cgroup control file with one show callback (memory.stat,
// cpu.max …). These fill the buffer as far as their content goes, so a short read ends them and
// the refresh path saves one read per file.
func readSingleAt(dirfd int, name string, buf *[]byte) ([]byte, error) {
	return readAt(dirfd, name, buf, true)
}

func readAt(dirfd int, name string, buf *[]byte, single bool) ([]byte, error) {
	fd, err := openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	if len(*buf) == 0 {
		*buf = make([]byte, 16<<10)
	}
	off := 0
	for {
		if off == len(*buf) {
			grown := make([]byte, 2*len(*buf))
			copy(grown, *buf)
			*buf = grown
		}
		n, err := unix.Read(fd, (*buf)[off:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		want := len(*buf) - off
		off += n
		if n == 0 || (single && n < want) {
			return (*buf)[:off], nil
		}
	}
}

func openat(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// readFile reads a whole kernel file by absolute path.
func readFile(path string) ([]byte, error) {
	var buf []byte
	b, err := readFileAt(unix.AT_FDCWD, path, &buf)
	if err != nil {
		return nil, &pathError{path, err}
	}
	return b, nil
}

type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }
