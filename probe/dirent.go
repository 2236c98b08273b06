package probe

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// subdirs lists the subdirectories of the directory open as fd, from getdents64's d_type, so that a
// cgroup's children are found without a stat per entry. On a filesystem that does not fill d_type
// (DT_UNKNOWN) it asks fstatat.
func subdirs(fd int, buf []byte) ([]string, error) {
	var out []string
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return out, err
		}
		if n <= 0 {
			return out, nil
		}
		for off := 0; off+19 <= n; {
			reclen := int(binary.NativeEndian.Uint16(buf[off+16:]))
			if reclen < 19 || off+reclen > n {
				return out, parseErr("getdents", "bad record")
			}
			typ := buf[off+18]
			name := buf[off+19 : off+reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			off += reclen
			if string(name) == "." || string(name) == ".." {
				continue
			}
			if typ == unix.DT_UNKNOWN {
				var st unix.Stat_t
				if unix.Fstatat(fd, string(name), &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
					typ = unix.DT_DIR
				}
			}
			if typ == unix.DT_DIR {
				out = append(out, string(name))
			}
		}
	}
}
