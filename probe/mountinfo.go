package probe

import (
	"bytes"
	"strconv"
	"strings"
)

// Mount is one line of /proc/PID/mountinfo (proc(5)), the fields isotop uses.
type Mount struct {
	ID, Parent int
	Device     string // "major:minor" of the mounted filesystem
	Root       string // the path inside the filesystem that is mounted; for nsfs "net:[4026532284]"
	Point      string // the mount point, relative to the process's root
	Options    string
	FSType     string
	Source     string
	SuperOpts  string
}

// parseMountinfo parses /proc/PID/mountinfo. Fields are separated by single spaces; optional fields
// end with a lone "-". Paths escape space, tab, newline and backslash as octal (\040 …).
func parseMountinfo(data []byte) ([]Mount, error) {
	var out []Mount
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		f := strings.Fields(string(line))
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || len(f) < sep+3 {
			return out, parseErr("mountinfo", "no '-' separator followed by type and source")
		}
		id, err1 := strconv.Atoi(f[0])
		parent, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil || strings.Count(f[2], ":") != 1 {
			return out, parseErr("mountinfo", "bad ids or device")
		}
		m := Mount{ID: id, Parent: parent, Device: f[2], Root: unescapeOctal(f[3]), Point: unescapeOctal(f[4]),
			Options: f[5], FSType: f[sep+1], Source: unescapeOctal(f[sep+2])}
		if len(f) > sep+3 {
			m.SuperOpts = f[sep+3]
		}
		out = append(out, m)
	}
	return out, nil
}

// unescapeOctal undoes the kernel's mangling of paths in mountinfo (\040 for space, \011, \012, \134).
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
