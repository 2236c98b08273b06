package actions

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3/cgroup2"
	"golang.org/x/sys/unix"

	"github.com/isotop/isotop/probe"
)

// LimitRequest is what `isotop limit` and the TUI's limit form ask for. A nil field is left as it is.
type LimitRequest struct {
	Cgroup     string // the cgroup's path in its hierarchy ("/isotop-test/app")
	Target     string // what the user named, for the preview and the audit ("container web")
	Memory     *Setting
	MemoryHigh *Setting
	CPUs       *CPUs
	CPUWeight  *uint64
	PIDs       *Setting
	// Force sets a memory limit below the cgroup's current usage (the kernel then reclaims, and
	// OOM-kills what it cannot reclaim).
	Force bool
	// NoSwap allows no swap beyond the memory limit (memory.swap.max 0 on v2, memory+swap equal
	// to the limit on v1), as docker run --memory with --memory-swap equal to it: the sandbox's.
	NoSwap bool
}

// Empty reports whether the request sets nothing.
func (r LimitRequest) Empty() bool {
	return r.Memory == nil && r.MemoryHigh == nil && r.CPUs == nil && r.CPUWeight == nil && r.PIDs == nil
}

// Write is one write of a plan: the file, what it holds now and what will be written, each also
// in human units.
type Write struct {
	Controller string `json:"controller"`
	Version    int    `json:"cgroup_version"`
	File       string `json:"file"`
	Old        string `json:"old"`
	New        string `json:"new"`
	OldHuman   string `json:"old_human"`
	NewHuman   string `json:"new_human"`
	// What the planner derived and verified; the writer derives the file again from these, checks
	// them again, and refuses a plan whose File says anything else: a plan is data for the user
	// to read, not an authority to write where it says.
	mount string // the hierarchy's mount point
	group string // the cgroup's path below it
	name  string // the control file's name
}

// limitFiles are the only control files the writer writes, by hierarchy version.
var limitFiles = map[int][]string{
	1: {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "cpu.cfs_quota_us", "cpu.shares", "pids.max"},
	2: {"memory.max", "memory.high", "memory.swap.max", "cpu.max", "cpu.weight", "pids.max"},
}

// verify re-derives the file a write is for, against the hierarchies mounted now: a cgroup mount
// of the write's version, a clean cgroup path below it, one of the control files isotop writes;
// and it must be the File the plan shows.
func (w Write) verify(mounts []probe.CgroupMount) (string, error) {
	if !slices.ContainsFunc(mounts, func(m probe.CgroupMount) bool { return m.MountPoint == w.mount && m.Version == w.Version }) {
		return "", refusedf("writing %s: %q is not a cgroup v%d mount isotop found (a plan isotop did not make?)", w.File, w.mount, w.Version)
	}
	if w.group == "" || w.group[0] != '/' || path.Clean(w.group) != w.group || slices.Contains(strings.Split(w.group, "/"), "..") {
		return "", refusedf("writing %s: cgroup path %q is not clean", w.File, w.group)
	}
	if !slices.Contains(limitFiles[w.Version], w.name) {
		return "", refusedf("writing %s: %q is not a limit file isotop writes", w.File, w.name)
	}
	file := filepath.Join(w.mount, w.group, w.name)
	if file != w.File {
		return "", refusedf("the plan says %s, but its write was derived for %s: refused (nothing written)", w.File, file)
	}
	return file, nil
}

// LimitPlan is the exact writes that apply a LimitRequest, in the order they are made.
type LimitPlan struct {
	Target  string  `json:"target"`
	Cgroup  string  `json:"cgroup"`
	Mode    string  `json:"cgroup_mode"`
	Writes  []Write `json:"writes"`
	Notes   []string
	Request LimitRequest `json:"-"`
}

// ReadBack is a file's content after the writes.
type ReadBack struct {
	File  string `json:"file"`
	Value string `json:"value"`
	Human string `json:"human"`
	// Note says why the value differs from the one written, when the kernel rounded it (a
	// memory limit to a multiple of the page size: 50000000 reads back as 49999872).
	Note string `json:"note,omitempty"`
}

// roundedNote explains a value read back that is the one written rounded down to whole pages.
func roundedNote(written, read string) string {
	w, err1 := strconv.ParseUint(written, 10, 64)
	r, err2 := strconv.ParseUint(read, 10, 64)
	page := uint64(os.Getpagesize())
	if err1 != nil || err2 != nil || w == r || r != w/page*page {
		return ""
	}
	return fmt.Sprintf("the kernel rounded %d down to %d, a multiple of the %d-byte page (%d bytes less)", w, r, page, w-r)
}

// LimitResult is what ApplyLimit did: the writes made (all of the plan's unless Err), and every
// file read back.
type LimitResult struct {
	Plan     *LimitPlan
	Written  int
	ReadBack []ReadBack
}

// CleanCgroupPath checks a cgroup path given by a user and returns it absolute and clean. A path
// with a ".." component is refused outright (rather than cleaned): it names a place relative to
// where it would leave the cgroup root.
func CleanCgroupPath(p string) (string, error) {
	t := strings.TrimSpace(p)
	if t == "" {
		return "", refusedf("cgroup path is empty")
	}
	for _, part := range strings.Split(t, "/") {
		if part == ".." {
			return "", refusedf("cgroup path %q: \"..\" would leave the cgroup hierarchy", cut(p))
		}
	}
	if strings.ContainsRune(t, 0) {
		return "", refusedf("cgroup path %q: holds a NUL byte", cut(p))
	}
	if r, ok := strings.CutPrefix(t, "/sys/fs/cgroup"); ok && (r == "" || r[0] == '/') {
		// The hint drops a v1 hierarchy's (or the hybrid unified one's) directory too.
		first, rest, _ := strings.Cut(strings.TrimPrefix(r, "/"), "/")
		if first == "unified" || first == "systemd" || strings.Contains(first, ",") || probe.IsV1Controller(first) {
			r = "/" + rest
		}
		return "", refusedf("cgroup path %q: give the path inside the hierarchy (%q), not under its mount point", cut(p), cut(path.Clean("/"+r)))
	}
	c := path.Clean("/" + t)
	if c == "/" {
		return "", refusedf("cgroup path %q: the root cgroup has no limits to set", cut(p))
	}
	return c, nil
}

// hierarchy is where a controller's files are for one cgroup.
type hierarchy struct {
	probe.CgroupMount
	dir   string // the cgroup's directory
	group string // the cgroup's path below the mount point
}

// find returns the hierarchy that holds controller for cgroup (a v1 hierarchy that has it, else
// the v2 one when the controller is enabled there), checking that the cgroup exists in it.
func find(mounts []probe.CgroupMount, controller, cgroup string) (hierarchy, error) {
	var h *probe.CgroupMount
	for i := range mounts {
		if mounts[i].Version == 1 && slices.Contains(mounts[i].Controllers, controller) {
			h = &mounts[i]
			break
		}
	}
	if h == nil {
		for i := range mounts {
			if mounts[i].Version != 2 {
				continue
			}
			data, err := os.ReadFile(filepath.Join(mounts[i].MountPoint, "cgroup.controllers"))
			if err == nil && slices.Contains(strings.Fields(string(data)), controller) {
				h = &mounts[i]
			}
		}
	}
	if h == nil {
		return hierarchy{}, refusedf("no cgroup hierarchy on this host has the %s controller", controller)
	}
	group := cgroup
	if root := path.Clean(h.Root); root != "/" {
		rel, ok := strings.CutPrefix(cgroup, root)
		if !ok || (rel != "" && rel[0] != '/') {
			return hierarchy{}, refusedf("cgroup %s is outside the %s hierarchy mounted here (its root is %s)", cgroup, controller, root)
		}
		group = path.Clean("/" + rel)
	}
	dir := filepath.Join(h.MountPoint, group)
	// The mount point was checked to be a cgroup filesystem (CgroupMounts), and the path has no
	// "..": what is left to check is that the cgroup is there.
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return hierarchy{}, refusedf("cgroup %s: no such cgroup in the %s hierarchy (%s): it may have been removed", cgroup, controller, dir)
	case err != nil:
		return hierarchy{}, fmt.Errorf("cgroup %s: %w", cgroup, err)
	case !st.IsDir():
		return hierarchy{}, refusedf("cgroup %s: %s is a file, not a cgroup", cgroup, dir)
	}
	return hierarchy{CgroupMount: *h, dir: dir, group: group}, nil
}

func readTrim(file string) (string, error) {
	data, err := os.ReadFile(file)
	return strings.TrimSpace(string(data)), err
}

// human explains a control file's value in human units.
func human(file, v string) string {
	name := filepath.Base(file)
	switch name {
	case "memory.max", "memory.high", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
		"memory.current", "memory.usage_in_bytes":
		l, err := probe.ParseLimit([]byte(v))
		switch {
		case err != nil:
			return v
		case l == probe.Unlimited:
			return "no limit"
		}
		return probe.FormatBytes(uint64(l))
	case "cpu.max":
		q, p, ok := strings.Cut(v, " ")
		if q == "max" {
			return "no limit"
		}
		qn, err1 := strconv.ParseFloat(q, 64)
		pn, err2 := strconv.ParseFloat(p, 64)
		if !ok || err1 != nil || err2 != nil || pn == 0 {
			return v
		}
		return formatCPUs(qn / pn)
	case "cpu.cfs_quota_us":
		if v == "-1" {
			return "no limit"
		}
		return v + "µs per period"
	case "cpu.weight":
		return "weight " + v
	case "cpu.shares":
		return "shares " + v
	case "pids.max":
		if v == "max" {
			return "no limit"
		}
		return v + " pids"
	}
	return v
}

func formatCPUs(f float64) string {
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "1" {
		return "1 CPU"
	}
	return s + " CPUs"
}

// planner builds a plan's writes for one cgroup.
type planner struct {
	mounts []probe.CgroupMount
	req    LimitRequest
	plan   *LimitPlan
}

func (p *planner) write(h hierarchy, controller, file, newVal string) error {
	full := filepath.Join(h.dir, file)
	old, err := readTrim(full)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if h.Version == 2 {
				return refusedf("cgroup %s has no %s: the %s controller is not enabled for it (see cgroup.subtree_control of its parent)", p.plan.Cgroup, file, controller)
			}
			return refusedf("cgroup %s has no %s in %s", p.plan.Cgroup, file, h.dir)
		}
		return fmt.Errorf("cgroup %s: %w", p.plan.Cgroup, err)
	}
	p.plan.Writes = append(p.plan.Writes, Write{Controller: controller, Version: h.Version, File: full, Old: old, New: newVal,
		OldHuman: human(full, old), NewHuman: human(full, newVal), mount: h.MountPoint, group: h.group, name: file})
	return nil
}

// belowUsage refuses a memory limit under the cgroup's current usage unless forced.
func (p *planner) belowUsage(h hierarchy, flag string, s Setting) error {
	if s.Max || p.req.Force {
		return nil
	}
	file := "memory.current"
	if h.Version == 1 {
		file = "memory.usage_in_bytes"
	}
	cur, err := readTrim(filepath.Join(h.dir, file))
	if err != nil {
		return nil // no usage to compare with (the root of a v1 hierarchy): the kernel decides
	}
	used, err := strconv.ParseUint(cur, 10, 64)
	if err == nil && s.N < used {
		return &classified{fmt.Errorf("%s %s is below the current usage of cgroup %s, %s (%s): the kernel would reclaim and then OOM-kill its processes; pass --force to set it anyway",
			flag, probe.FormatBytes(s.N), p.plan.Cgroup, probe.FormatBytes(used), file), ErrBelowUsage}
	}
	return nil
}

func (p *planner) memory() error {
	r := p.req
	if r.Memory == nil && r.MemoryHigh == nil {
		return nil
	}
	h, err := find(p.mounts, "memory", p.plan.Cgroup)
	if err != nil {
		return err
	}
	if r.Memory != nil {
		if err := p.belowUsage(h, "--memory", *r.Memory); err != nil {
			return err
		}
	}
	if r.MemoryHigh != nil {
		if h.Version == 1 {
			return refusedf("--memory-high sets memory.high, which only cgroup v2 has; this host's memory controller is v1 (use --memory)")
		}
		if err := p.belowUsage(h, "--memory-high", *r.MemoryHigh); err != nil {
			return err
		}
	}
	if h.Version == 2 {
		if r.Memory != nil {
			if err := p.write(h, "memory", "memory.max", r.Memory.String()); err != nil {
				return err
			}
		}
		if r.MemoryHigh != nil {
			if err := p.write(h, "memory", "memory.high", r.MemoryHigh.String()); err != nil {
				return err
			}
		}
		return p.noSwap(h)
	}
	v := "-1"
	if !r.Memory.Max {
		v = strconv.FormatUint(r.Memory.N, 10)
	}
	// v1 wants memory+swap ≥ memory: raising the memory limit above a memsw limit needs the
	// memsw limit raised first, to the same value (shown in the plan like any other write).
	if sw, err := readTrim(filepath.Join(h.dir, "memory.memsw.limit_in_bytes")); err == nil {
		cur, err := probe.ParseLimit([]byte(sw))
		if err == nil && cur != probe.Unlimited && (r.Memory.Max || r.Memory.N > uint64(cur)) {
			if err := p.write(h, "memory", "memory.memsw.limit_in_bytes", v); err != nil {
				return err
			}
			p.plan.Notes = append(p.plan.Notes, "v1 keeps memory+swap at least the memory limit: memory.memsw.limit_in_bytes is raised first")
		}
	}
	if err := p.write(h, "memory", "memory.limit_in_bytes", v); err != nil {
		return err
	}
	return p.noSwap(h)
}

// noSwap adds the write that allows no swap beyond the memory limit, where the hierarchy has the file.
func (p *planner) noSwap(h hierarchy) error {
	m := p.req.Memory
	if !p.req.NoSwap || m == nil || m.Max {
		return nil
	}
	file, v := "memory.swap.max", "0"
	if h.Version == 1 {
		file, v = "memory.memsw.limit_in_bytes", strconv.FormatUint(m.N, 10)
	}
	if _, err := os.Stat(filepath.Join(h.dir, file)); err != nil {
		return nil // no swap accounting here: nothing to hold
	}
	return p.write(h, "memory", file, v)
}

func (p *planner) cpu() error {
	r := p.req
	if r.CPUs == nil && r.CPUWeight == nil {
		return nil
	}
	h, err := find(p.mounts, "cpu", p.plan.Cgroup)
	if err != nil {
		return err
	}
	if r.CPUs != nil {
		if h.Version == 2 {
			cur, err := readTrim(filepath.Join(h.dir, "cpu.max"))
			period := uint64(100000)
			if _, ps, ok := strings.Cut(cur, " "); err == nil && ok {
				if n, err := strconv.ParseUint(ps, 10, 64); err == nil && n > 0 {
					period = n
				}
			}
			q, err := quota(*r.CPUs, period)
			if err != nil {
				return err
			}
			if err := p.write(h, "cpu", "cpu.max", q+" "+strconv.FormatUint(period, 10)); err != nil {
				return err
			}
		} else {
			period := uint64(100000)
			if cur, err := readTrim(filepath.Join(h.dir, "cpu.cfs_period_us")); err == nil {
				if n, err := strconv.ParseUint(cur, 10, 64); err == nil && n > 0 {
					period = n
				}
			}
			q, err := quota(*r.CPUs, period)
			if err != nil {
				return err
			}
			if q == "max" {
				q = "-1"
			}
			if err := p.write(h, "cpu", "cpu.cfs_quota_us", q); err != nil {
				return err
			}
			// The quota alone says little: in CPUs, against cpu.cfs_period_us.
			w := &p.plan.Writes[len(p.plan.Writes)-1]
			w.OldHuman, w.NewHuman = v1CPUs(w.Old, period), v1CPUs(w.New, period)
		}
	}
	if r.CPUWeight != nil {
		if h.Version == 2 {
			return p.write(h, "cpu", "cpu.weight", strconv.FormatUint(*r.CPUWeight, 10))
		}
		// v1 has shares (2..262144, 1024 the default) instead: systemd's mapping between the two
		// (CPUWeight= on a v1 host), linear through the defaults, so that weight 100 is shares 1024.
		shares := min(max(*r.CPUWeight*1024/100, 2), 262144)
		p.plan.Notes = append(p.plan.Notes, fmt.Sprintf("v1 has cpu.shares, not cpu.weight: weight %d is shares %d", *r.CPUWeight, shares))
		return p.write(h, "cpu", "cpu.shares", strconv.FormatUint(shares, 10))
	}
	return nil
}

// v1CPUs explains a cpu.cfs_quota_us value in CPUs.
func v1CPUs(quota string, period uint64) string {
	if quota == "-1" {
		return "no limit"
	}
	p := strconv.FormatUint(period, 10)
	return human("cpu.max", quota+" "+p) + ", " + quota + "µs per " + p + "µs"
}

// quota is the CPU time per period that c CPUs are, in µs, or "max".
func quota(c CPUs, period uint64) (string, error) {
	if c.Max {
		return "max", nil
	}
	q := math.Round(c.N * float64(period))
	if q < 1000 {
		return "", badValuef("--cpus %s: %.0fµs per %dµs period is below the kernel's least quota of 1000µs", c, q, period)
	}
	return strconv.FormatFloat(q, 'f', 0, 64), nil
}

func (p *planner) pids() error {
	if p.req.PIDs == nil {
		return nil
	}
	h, err := find(p.mounts, "pids", p.plan.Cgroup)
	if err != nil {
		return err
	}
	return p.write(h, "pids", "pids.max", p.req.PIDs.String())
}

// planLimit reads the cgroup's current values from the hierarchies mounted in isotop's mount
// namespace and returns the writes that apply req.
func planLimit(fs probe.FS, req LimitRequest) (*LimitPlan, error) {
	if req.Empty() {
		return nil, badValuef("no limit given (--memory, --memory-high, --cpus, --cpu-weight or --pids)")
	}
	cg, err := CleanCgroupPath(req.Cgroup)
	if err != nil {
		return nil, err
	}
	mounts, mode, err := fs.CgroupMounts()
	if err != nil {
		return nil, err
	}
	return planLimitIn(mounts, mode, cg, req)
}

// planLimitIn plans req on cgroup cg (clean) in the hierarchies given.
func planLimitIn(mounts []probe.CgroupMount, mode, cg string, req LimitRequest) (*LimitPlan, error) {
	target := req.Target
	if target == "" {
		target = "cgroup " + cg
	}
	p := &planner{mounts: mounts, req: req, plan: &LimitPlan{Target: target, Cgroup: cg, Mode: mode, Request: req}}
	for _, step := range []func() error{p.memory, p.cpu, p.pids} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return p.plan, nil
}

// applyLimit makes the plan's writes in order, stopping at the first that fails, then reads every
// file of the plan back. v2 writes go through containerd/cgroups/v3's cgroup2 manager, except
// "max" for memory (its Memory fields are int64 and cannot say max); v1 writes are made here:
// cgroup1's Update re-creates a cgroup that has vanished (MkdirAll) and cannot write "max" to
// pids.max.
func applyLimit(plan *LimitPlan, mounts []probe.CgroupMount) (*LimitResult, error) {
	res := &LimitResult{Plan: plan}
	for _, w := range plan.Writes {
		if _, err := w.verify(mounts); err != nil {
			return res, err // before any write
		}
	}
	var failed error
	for _, w := range plan.Writes {
		if err := writeOne(w); err != nil { // w.File is what verify derived
			// The file was there when planned: gone now, the cgroup went with it (neither
			// writer creates a directory).
			failed = fmt.Errorf("writing %q to %s: %w", w.New, w.File, explainWriteErr(err))
			if errors.Is(err, unix.ENOENT) {
				failed = refusedf("cgroup %s vanished before %s was written", plan.Cgroup, filepath.Base(w.File))
			}
			break
		}
		res.Written++
	}
	for _, w := range plan.Writes {
		v, err := readTrim(w.File)
		if err != nil {
			v = "(" + err.Error() + ")"
		}
		h := human(w.File, v)
		switch v {
		case w.New:
			h = w.NewHuman // the planner's words, which may know more (a v1 quota's period)
		case w.Old:
			h = w.OldHuman
		}
		res.ReadBack = append(res.ReadBack, ReadBack{File: w.File, Value: v, Human: h, Note: roundedNote(w.New, v)})
	}
	return res, failed
}

func explainWriteErr(err error) error {
	switch {
	case errors.Is(err, unix.EBUSY):
		return fmt.Errorf("%w (the kernel could not reclaim enough memory to go below it)", err)
	case errors.Is(err, unix.EINVAL):
		return fmt.Errorf("%w (the kernel refused the value)", err)
	}
	return err
}

func writeOne(w Write) error {
	if w.Version == 2 {
		if res := cgroup2Resources(w); res != nil {
			m, err := cgroup2.Load(w.group, cgroup2.WithMountpoint(w.mount))
			if err != nil {
				return err
			}
			return m.Update(res)
		}
	}
	fd, err := unix.Open(w.File, unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: w.File, Err: err}
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, []byte(w.New)); err != nil {
		return &os.PathError{Op: "write", Path: w.File, Err: err}
	}
	return nil
}

// cgroup2Resources is the cgroup2.Resources that writes w, or nil where the library cannot say it.
func cgroup2Resources(w Write) *cgroup2.Resources {
	n, numErr := strconv.ParseInt(w.New, 10, 64)
	switch w.name {
	case "memory.max":
		if numErr == nil {
			return &cgroup2.Resources{Memory: &cgroup2.Memory{Max: &n}}
		}
	case "memory.high":
		if numErr == nil {
			return &cgroup2.Resources{Memory: &cgroup2.Memory{High: &n}}
		}
	case "cpu.max":
		return &cgroup2.Resources{CPU: &cgroup2.CPU{Max: cgroup2.CPUMax(w.New)}}
	case "cpu.weight":
		if numErr == nil {
			u := uint64(n)
			return &cgroup2.Resources{CPU: &cgroup2.CPU{Weight: &u}}
		}
	case "pids.max":
		if w.New == "max" {
			return &cgroup2.Resources{Pids: &cgroup2.Pids{Max: -1}}
		}
		if numErr == nil && n > 0 {
			return &cgroup2.Resources{Pids: &cgroup2.Pids{Max: n}}
		}
	}
	return nil
}
