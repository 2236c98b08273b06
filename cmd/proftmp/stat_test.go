package prof

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func pids(b *testing.B) []int {
	d, _ := os.Open("/proc")
	names, _ := d.Readdirnames(-1)
	d.Close()
	var out []int
	for _, n := range names {
		if p, err := strconv.Atoi(n); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func BenchmarkStatAbs(b *testing.B) {
	ps := pids(b)
	buf := make([]byte, 4096)
	for b.Loop() {
		for _, p := range ps {
			fd, err := unix.Open("/proc/"+strconv.Itoa(p)+"/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				continue
			}
			unix.Read(fd, buf)
			unix.Close(fd)
		}
	}
}

func BenchmarkStatRel(b *testing.B) {
	ps := pids(b)
	buf := make([]byte, 4096)
	pfd, _ := unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	for b.Loop() {
		for _, p := range ps {
			fd, err := unix.Openat(pfd, strconv.Itoa(p)+"/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				continue
			}
			unix.Read(fd, buf)
			unix.Close(fd)
		}
	}
}

func BenchmarkStatm(b *testing.B) {
	ps := pids(b)
	buf := make([]byte, 4096)
	pfd, _ := unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	for b.Loop() {
		for _, p := range ps {
			fd, err := unix.Openat(pfd, strconv.Itoa(p)+"/statm", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				continue
			}
			unix.Read(fd, buf)
			unix.Close(fd)
		}
	}
}

func BenchmarkGetdents(b *testing.B) {
	for b.Loop() {
		d, _ := os.Open("/proc")
		d.Readdirnames(-1)
		d.Close()
	}
}

func BenchmarkStatDirfd(b *testing.B) {
	ps := pids(b)
	buf := make([]byte, 4096)
	var dfds []int
	for _, p := range ps {
		fd, err := unix.Open("/proc/"+strconv.Itoa(p), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == nil {
			dfds = append(dfds, fd)
		}
	}
	defer func() {
		for _, fd := range dfds {
			unix.Close(fd)
		}
	}()
	for b.Loop() {
		for _, d := range dfds {
			fd, err := unix.Openat(d, "stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				continue
			}
			unix.Read(fd, buf)
			unix.Close(fd)
		}
	}
}

func BenchmarkStatPread(b *testing.B) {
	ps := pids(b)
	buf := make([]byte, 4096)
	var fds []int
	for _, p := range ps {
		fd, err := unix.Open("/proc/"+strconv.Itoa(p)+"/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			fds = append(fds, fd)
		}
	}
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for b.Loop() {
		for _, fd := range fds {
			unix.Pread(fd, buf, 0)
		}
	}
}
