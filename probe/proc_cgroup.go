package probe

import (
	"bytes"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// CgroupMembership is one line of /proc/PID/cgroup (cgroups(7)): "hierarchy-ID:controllers:path".
// On cgroup v2 there is one line, "0::/path"; on v1 one per hierarchy ("4:cpu,cpuacct:/path",
// "1:name=systemd:/path"); a hybrid host has both.
type CgroupMembership struct {
	Hierarchy   int      `json:"hierarchy"`
	Controllers []string `json:"controllers"`
	Path        string   `json:"path"`
}

// parseProcCgroup parses /proc/PID/cgroup. The path may itself contain ':', so only the first two
// colons separate fields.
func parseProcCgroup(data []byte) ([]CgroupMembership, error) {
	var out []CgroupMembership
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		parts := bytes.SplitN(line, []byte{':'}, 3)
		if len(parts) != 3 {
			return out, parseErr("cgroup", "line without three fields")
		}
		id, err := strconv.Atoi(string(parts[0]))
		if err != nil || id < 0 {
			return out, parseErr("cgroup", "bad hierarchy id")
		}
		path := string(parts[2])
		if !strings.HasPrefix(path, "/") {
			return out, parseErr("cgroup", "path is not absolute")
		}
		ctrls := []string{}
		if len(parts[1]) > 0 {
			ctrls = strings.Split(string(parts[1]), ",")
		}
		out = append(out, CgroupMembership{Hierarchy: id, Controllers: ctrls, Path: path})
	}
	return out, nil
}

// ProcessCgroups reads /proc/PID/cgroup.
func (fs FS) ProcessCgroups(pid int) ([]CgroupMembership, error) {
	data, err := readFile(fs.Proc + "/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return nil, err
	}
	return parseProcCgroup(data)
}

// CgroupDir is the directory of a process's cgroup m (a line of /proc/PID/cgroup) under the mounts
// isotop sees: the v2 hierarchy for "0::", the v1 one with exactly m's controllers otherwise. ok
// is false when no mount holds it (a hierarchy not mounted here, or a cgroup outside a mount's root).
func CgroupDir(mounts []CgroupMount, m CgroupMembership) (string, bool) {
	for _, mt := range mounts {
		if (m.Hierarchy == 0) != (mt.Version == 2) {
			continue
		}
		if mt.Version == 1 {
			ctrls := slices.Clone(m.Controllers)
			slices.Sort(ctrls)
			if !slices.Equal(ctrls, mt.Controllers) {
				continue
			}
		}
		rel, ok := strings.CutPrefix(m.Path, strings.TrimSuffix(mt.Root, "/"))
		if !ok || (rel != "" && rel[0] != '/') {
			return "", false
		}
		return filepath.Join(mt.MountPoint, rel), true
	}
	return "", false
}
