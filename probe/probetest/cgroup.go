package probetest

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Cgroup is a cgroup a test made, in whichever hierarchies hold the controllers it asked for: the
// v1 hierarchy of each controller, or the unified one.
type Cgroup struct {
	Path string            // the cgroup path, "/isotop-test-…/app"
	Dirs map[string]string // controller → directory
}

// hierarchy is a mounted cgroup hierarchy.
type hierarchy struct {
	v2          bool
	controllers []string
	mount       string
}

func hierarchies(t testing.TB) []hierarchy {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []hierarchy
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		a, b := strings.Fields(pre), strings.Fields(post)
		if len(a) < 5 || len(b) < 3 || a[3] != "/" {
			continue
		}
		switch b[0] {
		case "cgroup2":
			ctrls, _ := os.ReadFile(filepath.Join(a[4], "cgroup.controllers"))
			out = append(out, hierarchy{v2: true, controllers: strings.Fields(string(ctrls)), mount: a[4]})
		case "cgroup":
			out = append(out, hierarchy{controllers: strings.Split(b[2], ","), mount: a[4]})
		}
	}
	// v1 first: on a hybrid host a controller bound to v1 is not usable in the unified hierarchy.
	slices.SortStableFunc(out, func(x, y hierarchy) int {
		if x.v2 == y.v2 {
			return 0
		}
		if x.v2 {
			return 1
		}
		return -1
	})
	return out
}

// NewCgroup creates the cgroup path (relative to the root, e.g. "isotop-test-…/app"; its parent must
// exist already, made by an earlier NewCgroup) with the given controllers, and removes it in
// t.Cleanup. It skips the test when the host has no hierarchy with one of the controllers.
func NewCgroup(t testing.TB, path string, controllers ...string) *Cgroup {
	t.Helper()
	Live(t)
	hs := hierarchies(t)
	c := &Cgroup{Path: "/" + path, Dirs: map[string]string{}}
	made := map[string]bool{}
	for _, ctrl := range controllers {
		i := slices.IndexFunc(hs, func(h hierarchy) bool { return slices.Contains(h.controllers, ctrl) })
		if i < 0 {
			t.Skipf("no cgroup hierarchy on this host has the %s controller", ctrl)
		}
		h := hs[i]
		dir := filepath.Join(h.mount, path)
		if h.v2 {
			// The parent must hand the controller down. Only a parent the test made is changed;
			// a host whose own cgroup does not delegate it skips the test.
			parentCtl := filepath.Join(filepath.Dir(dir), "cgroup.subtree_control")
			if strings.Contains(filepath.Dir(path), Prefix) {
				if err := os.WriteFile(parentCtl, []byte("+"+ctrl), 0); err != nil {
					t.Fatalf("enable %s in %s: %v", ctrl, parentCtl, err)
				}
			} else if b, _ := os.ReadFile(parentCtl); !slices.Contains(strings.Fields(string(b)), ctrl) {
				t.Skipf("the host's %s does not delegate %s", parentCtl, ctrl)
			}
		}
		if !made[dir] {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatalf("create cgroup: %v", err)
			}
			made[dir] = true
			t.Cleanup(func() { removeCgroupDir(t, dir) })
		}
		c.Dirs[ctrl] = dir
	}
	return c
}

// removeCgroupDir removes a cgroup the test made, waiting for its killed processes to be gone.
func removeCgroupDir(t testing.TB, dir string) {
	var err error
	for range 500 {
		if err = syscall.Rmdir(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		syscall.Nanosleep(&syscall.Timespec{Nsec: 10e6}, nil)
	}
	t.Errorf("could not remove test cgroup %s: %v", dir, err)
}

// Write writes value to the controller's file, by its v1 or its v2 name as the hierarchy needs.
func (c *Cgroup) Write(t testing.TB, ctrl, v1File, v2File, value string) {
	t.Helper()
	dir := c.Dirs[ctrl]
	file := v2File
	if !c.IsV2(ctrl) {
		file = v1File
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0); err != nil {
		t.Fatalf("write %s to %s/%s: %v", value, dir, file, err)
	}
}

// IsV2 reports whether the controller is in the unified hierarchy.
func (c *Cgroup) IsV2(ctrl string) bool {
	_, err := os.Stat(filepath.Join(c.Dirs[ctrl], "cgroup.controllers"))
	return err == nil
}

// SetMemoryMax sets the memory limit in bytes.
func (c *Cgroup) SetMemoryMax(t testing.TB, bytes int64) {
	c.Write(t, "memory", "memory.limit_in_bytes", "memory.max", strconv.FormatInt(bytes, 10))
}

// SetPIDsMax sets the pids limit.
func (c *Cgroup) SetPIDsMax(t testing.TB, n int) {
	c.Write(t, "pids", "pids.max", "pids.max", strconv.Itoa(n))
}

// SetCPUQuota sets the CPU bandwidth: quota microseconds per 100 ms period.
func (c *Cgroup) SetCPUQuota(t testing.TB, quotaUsec int) {
	if c.IsV2("cpu") {
		c.Write(t, "cpu", "", "cpu.max", strconv.Itoa(quotaUsec)+" 100000")
		return
	}
	c.Write(t, "cpu", "cpu.cfs_period_us", "", "100000")
	c.Write(t, "cpu", "cpu.cfs_quota_us", "", strconv.Itoa(quotaUsec))
}

// Add moves a process into the cgroup in each of its hierarchies.
func (c *Cgroup) Add(t testing.TB, pid int) {
	t.Helper()
	done := map[string]bool{}
	for _, dir := range c.Dirs {
		if done[dir] {
			continue
		}
		done[dir] = true
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			t.Fatalf("move %d into %s: %v", pid, dir, err)
		}
	}
}
