package probe

import (
	"path"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Cgroup is one node of the host's cgroup tree. On v1 and hybrid hosts the per-controller
// hierarchies are merged by path: /docker/abc in the memory and in the cpu hierarchy is one node
// with both controllers. A sub-object (memory, cpu, pids, io) is absent where no such files exist.
type Cgroup struct {
	Path        string   `json:"path"`
	Controllers []string `json:"controllers"`
	// Dirs maps each hierarchy that has this node ("unified", or a v1 mount's controllers such as
	// "cpu,cpuacct") to its directory: where every value below was read.
	Dirs     map[string]string  `json:"dirs"`
	Procs    int                `json:"procs"`
	PIDs     []int              `json:"pids_list"`
	Children []string           `json:"children"`
	Memory   *CgroupMemory      `json:"memory,omitempty"`
	CPU      *CgroupCPU         `json:"cpu,omitempty"`
	PIDsCtl  *CgroupPIDs        `json:"pids,omitempty"`
	IO       *CgroupIO          `json:"io,omitempty"`
	Pressure *CgroupPressure    `json:"pressure,omitempty"`
	Events   *CgroupEventCounts `json:"events,omitempty"`
}

// CgroupMemory is the memory controller's view of a cgroup, in bytes. Limits are numbers or "max".
type CgroupMemory struct {
	Current *uint64 `json:"current,omitempty"` // v2 memory.current, v1 memory.usage_in_bytes
	Max     *Limit  `json:"max,omitempty"`     // v2 memory.max, v1 memory.limit_in_bytes
	High    *Limit  `json:"high,omitempty"`    // v2 only
	Low     *Limit  `json:"low,omitempty"`     // v2 only
	Min     *Limit  `json:"min,omitempty"`     // v2 only
	// SoftLimit is v1 memory.soft_limit_in_bytes.
	SoftLimit *Limit `json:"soft_limit,omitempty"`
	// EffectiveMax is the tightest max on the path from the root to this cgroup, and
	// EffectiveMaxFrom the cgroup that sets it ("" when nothing does: "max").
	EffectiveMax     *Limit `json:"effective_max,omitempty"`
	EffectiveMaxFrom string `json:"effective_max_from"`
	// WorkingSet is current minus inactive file pages, as the kubelet computes it for evictions.
	WorkingSet *uint64 `json:"working_set,omitempty"`
	Anon       *uint64 `json:"anon,omitempty"`
	File       *uint64 `json:"file,omitempty"`
	Kernel     *uint64 `json:"kernel,omitempty"`
	Shmem      *uint64 `json:"shmem,omitempty"`
	Swap       *uint64 `json:"swap,omitempty"`
	SwapMax    *Limit  `json:"swap_max,omitempty"` // v2 memory.swap.max
	// MemSwapMax is v1 memory.memsw.limit_in_bytes: memory plus swap.
	MemSwapMax *Limit  `json:"memsw_max,omitempty"`
	Peak       *uint64 `json:"peak,omitempty"` // v2 memory.peak, v1 memory.max_usage_in_bytes
}

// CgroupCPU is the cpu, cpuacct and cpuset controllers' view of a cgroup.
type CgroupCPU struct {
	UsageUsec  *uint64 `json:"usage_usec,omitempty"`
	UserUsec   *uint64 `json:"user_usec,omitempty"`
	SystemUsec *uint64 `json:"system_usec,omitempty"`
	// QuotaUsec per PeriodUsec is the bandwidth limit (v2 cpu.max, v1 cpu.cfs_quota_us/period_us).
	QuotaUsec  *Limit  `json:"quota_usec,omitempty"`
	PeriodUsec *uint64 `json:"period_usec,omitempty"`
	Weight     *uint64 `json:"weight,omitempty"` // v2 cpu.weight (1-10000, default 100)
	Shares     *uint64 `json:"shares,omitempty"` // v1 cpu.shares (default 1024)
	Cpuset     string  `json:"cpuset,omitempty"` // the effective cpuset.cpus
	Mems       string  `json:"mems,omitempty"`   // the effective cpuset.mems
	CpusetCPUs *int    `json:"cpuset_cpus,omitempty"`
	// EffectiveCPUs is the tightest CPU limit on the path from the root, in CPUs: a quota
	// (quota/period) or a cpuset's size, or the host's CPU count when nothing limits it.
	// EffectiveCPUsFrom is the cgroup that imposes it, EffectiveCPUsBy the file.
	EffectiveCPUs     *float64 `json:"effective_cpus,omitempty"`
	EffectiveCPUsFrom string   `json:"effective_cpus_from"`
	EffectiveCPUsBy   string   `json:"effective_cpus_by,omitempty"`
	NrPeriods         *uint64  `json:"nr_periods,omitempty"`
	NrThrottled       *uint64  `json:"nr_throttled,omitempty"`
	ThrottledUsec     *uint64  `json:"throttled_usec,omitempty"`
	// RatePct is the CPU used between the previous snapshot and this one, in % of one CPU;
	// QuotaPct the same as a share of EffectiveCPUs. Present only when there is a previous one.
	RatePct  *float64 `json:"rate_pct,omitempty"`
	QuotaPct *float64 `json:"quota_pct,omitempty"`
}

// CgroupPIDs is the pids controller's view.
type CgroupPIDs struct {
	Current          *uint64 `json:"current,omitempty"`
	Max              *Limit  `json:"max,omitempty"`
	EffectiveMax     *Limit  `json:"effective_max,omitempty"`
	EffectiveMaxFrom string  `json:"effective_max_from"`
}

// CgroupIO is the io (v2) or blkio (v1) controller's view: per-device counters, and the limits as
// the kernel lists them (v2 io.max lines, or v1 "DEV rbps=N" from blkio.throttle.*_device).
type CgroupIO struct {
	Devices []IODevice `json:"devices"`
	Max     []string   `json:"max,omitempty"`
}

// CgroupPressure holds the PSI files of a cgroup (v2, or the unified hierarchy of a hybrid host).
type CgroupPressure struct {
	CPU    *PSI `json:"cpu,omitempty"`
	Memory *PSI `json:"memory,omitempty"`
	IO     *PSI `json:"io,omitempty"`
}

// CgroupEventCounts are the kernel's event counters for a cgroup, since it was created.
type CgroupEventCounts struct {
	// v2 memory.events (hierarchical: a child's OOM kill counts in its parents too).
	Low          *uint64 `json:"low,omitempty"`
	High         *uint64 `json:"high,omitempty"`
	Max          *uint64 `json:"max,omitempty"`
	OOM          *uint64 `json:"oom,omitempty"`
	OOMKill      *uint64 `json:"oom_kill,omitempty"` // also v1 memory.oom_control oom_kill
	OOMGroupKill *uint64 `json:"oom_group_kill,omitempty"`
	// Failcnt is v1 memory.failcnt: how often usage hit the limit.
	Failcnt *uint64 `json:"failcnt,omitempty"`
	// UnderOOM is v1 memory.oom_control under_oom: 1 while the group is stuck at its limit.
	UnderOOM *uint64 `json:"under_oom,omitempty"`
	// PIDsMax counts forks refused by pids.max (pids.events max).
	PIDsMax *uint64 `json:"pids_max,omitempty"`
}

func u64(v uint64) *uint64 { return &v }

// field names a key of a flat-keyed file and where its value goes.
type field struct {
	key string
	dst **uint64
}

// pick copies the values of the keys present in m.
func pick(m map[string]uint64, fields ...field) {
	for _, f := range fields {
		if v, ok := m[f.key]; ok {
			*f.dst = u64(v)
		}
	}
}
func lim(v Limit) *Limit { return &v }

// cgReader reads cgroup directories with one buffer.
type cgReader struct {
	fs   FS
	errs *errorList
	buf  []byte
	dent []byte
}

// file reads one control file of the cgroup directory open as dfd. A file that does not exist is
// not an error (controllers and kernel versions differ); any other failure is recorded.
func (r *cgReader) file(dfd int, dir, name string) []byte {
	data, err := readSingleAt(dfd, name, &r.buf)
	if err != nil {
		if !gone(err) && err != unix.ENODEV { // ENODEV: the cgroup was removed after it was opened
			r.errs.add(dir+"/"+name, err)
		}
		return nil
	}
	return data
}

// Cgroups reads the cgroup tree of every hierarchy mounted in isotop's mount namespace.
func (fs FS) cgroups(errs *errorList) ([]CgroupMount, string, map[string]*Cgroup) {
	hier, mode, err := fs.cgroupHierarchies(errs.add)
	if err != nil {
		errs.add(fs.Proc+"/self/mountinfo", err)
		return nil, "none", nil
	}
	nodes := map[string]*Cgroup{}
	r := &cgReader{fs: fs, errs: errs, dent: make([]byte, 32<<10)}
	for _, h := range hier {
		dir := fs.hostPath(h.MountPoint)
		fd, err := openat(unix.AT_FDCWD, dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
		if err != nil {
			errs.add(dir, err)
			continue
		}
		r.walk(h, fd, dir, path.Clean(h.Root), nodes, 0)
	}
	for p, n := range nodes {
		if p == "/" {
			continue
		}
		if parent, ok := nodes[path.Dir(p)]; ok {
			parent.Children = append(parent.Children, p)
		}
		_ = n
	}
	for _, n := range nodes {
		slices.Sort(n.Children)
		slices.Sort(n.Controllers)
		n.Controllers = slices.Compact(n.Controllers)
		if n.Children == nil {
			n.Children = []string{}
		}
		if n.Controllers == nil {
			n.Controllers = []string{}
		}
	}
	return hier, mode, nodes
}

// testHookBeforeOpenCgroup lets a test remove a cgroup between the listing and the open.
var testHookBeforeOpenCgroup func(dir string)

// maxCgroupDepth bounds the walk; the kernel's own default limit (cgroup.max.depth) is unlimited,
// but no real host nests this deep.
const maxCgroupDepth = 64

// walk reads the cgroup directory open as fd (closing it), then its children.
func (r *cgReader) walk(h CgroupMount, fd int, dir, cgPath string, nodes map[string]*Cgroup, depth int) {
	defer unix.Close(fd)
	n := nodes[cgPath]
	if n == nil {
		n = &Cgroup{Path: cgPath, Dirs: map[string]string{}}
		nodes[cgPath] = n
	}
	name := "unified"
	if h.Version == 1 {
		name = strings.Join(h.Controllers, ",")
		n.Controllers = append(n.Controllers, h.Controllers...)
		r.readV1(fd, dir, h.Controllers, n)
	} else {
		r.readV2(fd, dir, n)
	}
	n.Dirs[name] = dir
	if depth >= maxCgroupDepth {
		r.errs.add(dir, parseErr("cgroup tree", "deeper than 64 levels; not walked further"))
		return
	}
	children, err := subdirs(fd, r.dent)
	if err != nil && !gone(err) && err != unix.ENODEV {
		r.errs.add(dir, err)
	}
	for _, c := range children {
		if testHookBeforeOpenCgroup != nil {
			testHookBeforeOpenCgroup(dir + "/" + c)
		}
		cfd, err := openat(fd, c, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
		if err != nil {
			if !gone(err) { // removed since the listing: nothing to show
				r.errs.add(dir+"/"+c, err)
			}
			continue
		}
		r.walk(h, cfd, dir+"/"+c, path.Join(cgPath, c), nodes, depth+1)
	}
}

// parseInto runs parse on the file's content when the file exists, recording a parse error.
func parseInto[T any](r *cgReader, dfd int, dir, name string, parse func([]byte) (T, error), set func(T)) {
	data := r.file(dfd, dir, name)
	if data == nil {
		return
	}
	v, err := parse(data)
	if err != nil {
		r.errs.add(dir+"/"+name, err)
		return
	}
	set(v)
}

func (n *Cgroup) memory() *CgroupMemory {
	if n.Memory == nil {
		n.Memory = &CgroupMemory{}
	}
	return n.Memory
}

func (n *Cgroup) cpu() *CgroupCPU {
	if n.CPU == nil {
		n.CPU = &CgroupCPU{}
	}
	return n.CPU
}

func (n *Cgroup) pids() *CgroupPIDs {
	if n.PIDsCtl == nil {
		n.PIDsCtl = &CgroupPIDs{}
	}
	return n.PIDsCtl
}

func (n *Cgroup) events() *CgroupEventCounts {
	if n.Events == nil {
		n.Events = &CgroupEventCounts{}
	}
	return n.Events
}

func (n *Cgroup) pressure() *CgroupPressure {
	if n.Pressure == nil {
		n.Pressure = &CgroupPressure{}
	}
	return n.Pressure
}

// readV2 reads a cgroup of the unified hierarchy: on a v2 host everything, on a hybrid host what the
// unified hierarchy has there (cpu.stat and the pressure files, whatever controllers v1 holds).
func (r *cgReader) readV2(dfd int, dir string, n *Cgroup) {
	var ctrls []string
	if data := r.file(dfd, dir, "cgroup.controllers"); data != nil {
		ctrls = strings.Fields(string(data))
		n.Controllers = append(n.Controllers, ctrls...)
	}
	has := func(c string) bool { return slices.Contains(ctrls, c) }

	// cpu.stat's usage lines exist with or without the cpu controller.
	parseInto(r, dfd, dir, "cpu.stat", parseFlatKeyed, func(m map[string]uint64) {
		c := n.cpu()
		pick(m, field{"usage_usec", &c.UsageUsec}, field{"user_usec", &c.UserUsec}, field{"system_usec", &c.SystemUsec},
			field{"nr_periods", &c.NrPeriods}, field{"nr_throttled", &c.NrThrottled}, field{"throttled_usec", &c.ThrottledUsec})
	})
	for _, p := range []struct {
		file string
		dst  func(*CgroupPressure) **PSI
	}{{"cpu.pressure", func(p *CgroupPressure) **PSI { return &p.CPU }},
		{"memory.pressure", func(p *CgroupPressure) **PSI { return &p.Memory }},
		{"io.pressure", func(p *CgroupPressure) **PSI { return &p.IO }}} {
		parseInto(r, dfd, dir, p.file, parsePSI, func(v PSI) { *p.dst(n.pressure()) = &v })
	}
	if has("memory") || n.Path == "/" {
		r.readV2Memory(dfd, dir, n)
	}
	if has("cpu") {
		parseInto(r, dfd, dir, "cpu.max", func(b []byte) ([2]uint64, error) {
			q, p, err := parseCPUMax(b)
			return [2]uint64{uint64(q), p}, err
		}, func(v [2]uint64) { n.cpu().QuotaUsec, n.cpu().PeriodUsec = lim(Limit(v[0])), u64(v[1]) })
		parseInto(r, dfd, dir, "cpu.weight", parseUint, func(v uint64) { n.cpu().Weight = &v })
	}
	if has("cpuset") || n.Path == "/" {
		r.readCpuset(dfd, dir, n, "cpuset.cpus.effective", "cpuset.mems.effective")
	}
	if has("pids") {
		parseInto(r, dfd, dir, "pids.current", parseUint, func(v uint64) { n.pids().Current = &v })
		parseInto(r, dfd, dir, "pids.max", ParseLimit, func(v Limit) { n.pids().Max = &v })
		parseInto(r, dfd, dir, "pids.events", parseFlatKeyed, func(m map[string]uint64) {
			if v, ok := m["max"]; ok {
				n.events().PIDsMax = u64(v)
			}
		})
	}
	if has("io") || n.Path == "/" {
		parseInto(r, dfd, dir, "io.stat", parseIOStat, func(d []IODevice) {
			n.IO = &CgroupIO{Devices: d}
		})
		if data := r.file(dfd, dir, "io.max"); data != nil && n.IO != nil {
			n.IO.Max = parseLines(data)
		}
		if n.IO != nil && n.IO.Devices == nil {
			n.IO.Devices = []IODevice{}
		}
	}
}

func (r *cgReader) readV2Memory(dfd int, dir string, n *Cgroup) {
	for _, f := range []struct {
		name string
		dst  func(*CgroupMemory) **uint64
	}{{"memory.current", func(m *CgroupMemory) **uint64 { return &m.Current }},
		{"memory.peak", func(m *CgroupMemory) **uint64 { return &m.Peak }},
		{"memory.swap.current", func(m *CgroupMemory) **uint64 { return &m.Swap }}} {
		parseInto(r, dfd, dir, f.name, parseUint, func(v uint64) { *f.dst(n.memory()) = &v })
	}
	for _, f := range []struct {
		name string
		dst  func(*CgroupMemory) **Limit
	}{{"memory.max", func(m *CgroupMemory) **Limit { return &m.Max }},
		{"memory.high", func(m *CgroupMemory) **Limit { return &m.High }},
		{"memory.low", func(m *CgroupMemory) **Limit { return &m.Low }},
		{"memory.min", func(m *CgroupMemory) **Limit { return &m.Min }},
		{"memory.swap.max", func(m *CgroupMemory) **Limit { return &m.SwapMax }}} {
		parseInto(r, dfd, dir, f.name, ParseLimit, func(v Limit) { *f.dst(n.memory()) = &v })
	}
	parseInto(r, dfd, dir, "memory.stat", parseFlatKeyed, func(st map[string]uint64) {
		m := n.memory()
		set := func(dst **uint64, key string) {
			if v, ok := st[key]; ok {
				*dst = u64(v)
			}
		}
		set(&m.Anon, "anon")
		set(&m.File, "file")
		set(&m.Shmem, "shmem")
		if v, ok := st["kernel"]; ok { // Linux 5.18+
			m.Kernel = u64(v)
		} else if v, ok := st["kernel_stack"]; ok {
			m.Kernel = u64(v + st["pagetables"] + st["percpu"] + st["sock"] + st["slab"])
		}
		if inactive, ok := st["inactive_file"]; ok && m.Current != nil {
			m.WorkingSet = u64(*m.Current - min(*m.Current, inactive))
		}
	})
	parseInto(r, dfd, dir, "memory.events", parseFlatKeyed, func(ev map[string]uint64) {
		e := n.events()
		pick(ev, field{"low", &e.Low}, field{"high", &e.High}, field{"max", &e.Max}, field{"oom", &e.OOM},
			field{"oom_kill", &e.OOMKill}, field{"oom_group_kill", &e.OOMGroupKill})
	})
}

func (r *cgReader) readCpuset(dfd int, dir string, n *Cgroup, cpus, mems string) {
	if data := r.file(dfd, dir, cpus); data != nil {
		count, err := parseCPUList(data)
		if err != nil {
			r.errs.add(dir+"/"+cpus, err)
		} else {
			c := n.cpu()
			c.Cpuset, c.CpusetCPUs = strings.TrimSpace(string(data)), &count
		}
	}
	if data := r.file(dfd, dir, mems); data != nil {
		n.cpu().Mems = strings.TrimSpace(string(data))
	}
}

// readV1 reads the files of the v1 controllers of one hierarchy.
func (r *cgReader) readV1(dfd int, dir string, ctrls []string, n *Cgroup) {
	for _, c := range ctrls {
		switch c {
		case "memory":
			r.readV1Memory(dfd, dir, n)
		case "cpu":
			parseInto(r, dfd, dir, "cpu.cfs_quota_us", ParseLimit, func(v Limit) { n.cpu().QuotaUsec = &v })
			parseInto(r, dfd, dir, "cpu.cfs_period_us", parseUint, func(v uint64) { n.cpu().PeriodUsec = &v })
			parseInto(r, dfd, dir, "cpu.shares", parseUint, func(v uint64) { n.cpu().Shares = &v })
			parseInto(r, dfd, dir, "cpu.stat", parseFlatKeyed, func(m map[string]uint64) {
				cp := n.cpu()
				if v, ok := m["nr_periods"]; ok {
					cp.NrPeriods = u64(v)
				}
				if v, ok := m["nr_throttled"]; ok {
					cp.NrThrottled = u64(v)
				}
				if v, ok := m["throttled_time"]; ok { // nanoseconds
					cp.ThrottledUsec = u64(v / 1000)
				}
			})
		case "cpuacct":
			// On a hybrid host the unified hierarchy's cpu.stat says the same in microseconds (not in
			// ticks), and wins whichever hierarchy is read first.
			parseInto(r, dfd, dir, "cpuacct.usage", parseUint, func(v uint64) {
				if c := n.cpu(); c.UsageUsec == nil {
					c.UsageUsec = u64(v / 1000)
				}
			})
			parseInto(r, dfd, dir, "cpuacct.stat", parseFlatKeyed, func(m map[string]uint64) {
				c := n.cpu()
				if v, ok := m["user"]; ok && c.UserUsec == nil { // USER_HZ ticks
					c.UserUsec = u64(v * (1e6 / clockTicks))
				}
				if v, ok := m["system"]; ok && c.SystemUsec == nil {
					c.SystemUsec = u64(v * (1e6 / clockTicks))
				}
			})
		case "cpuset":
			r.readCpuset(dfd, dir, n, "cpuset.effective_cpus", "cpuset.effective_mems")
		case "pids":
			parseInto(r, dfd, dir, "pids.current", parseUint, func(v uint64) { n.pids().Current = &v })
			parseInto(r, dfd, dir, "pids.max", ParseLimit, func(v Limit) { n.pids().Max = &v })
			parseInto(r, dfd, dir, "pids.events", parseFlatKeyed, func(m map[string]uint64) {
				if v, ok := m["max"]; ok {
					n.events().PIDsMax = u64(v)
				}
			})
		case "blkio":
			var devs []IODevice
			var err error
			if data := r.file(dfd, dir, "blkio.throttle.io_service_bytes"); data != nil {
				if devs, err = parseBlkio(data, devs, false); err != nil {
					r.errs.add(dir+"/blkio.throttle.io_service_bytes", err)
				}
			}
			if data := r.file(dfd, dir, "blkio.throttle.io_serviced"); data != nil {
				if devs, err = parseBlkio(data, devs, true); err != nil {
					r.errs.add(dir+"/blkio.throttle.io_serviced", err)
				}
			}
			io := &CgroupIO{Devices: devs}
			if io.Devices == nil {
				io.Devices = []IODevice{}
			}
			for _, f := range []struct{ file, key string }{{"blkio.throttle.read_bps_device", "rbps"},
				{"blkio.throttle.write_bps_device", "wbps"}, {"blkio.throttle.read_iops_device", "riops"},
				{"blkio.throttle.write_iops_device", "wiops"}} {
				for _, line := range parseLines(r.file(dfd, dir, f.file)) {
					if dev, v, ok := strings.Cut(line, " "); ok {
						io.Max = append(io.Max, dev+" "+f.key+"="+strings.TrimSpace(v))
					}
				}
			}
			n.IO = io
		}
	}
}

func (r *cgReader) readV1Memory(dfd int, dir string, n *Cgroup) {
	parseInto(r, dfd, dir, "memory.usage_in_bytes", parseUint, func(v uint64) { n.memory().Current = &v })
	parseInto(r, dfd, dir, "memory.max_usage_in_bytes", parseUint, func(v uint64) { n.memory().Peak = &v })
	parseInto(r, dfd, dir, "memory.kmem.usage_in_bytes", parseUint, func(v uint64) { n.memory().Kernel = &v })
	parseInto(r, dfd, dir, "memory.limit_in_bytes", ParseLimit, func(v Limit) { n.memory().Max = &v })
	parseInto(r, dfd, dir, "memory.soft_limit_in_bytes", ParseLimit, func(v Limit) { n.memory().SoftLimit = &v })
	parseInto(r, dfd, dir, "memory.memsw.limit_in_bytes", ParseLimit, func(v Limit) { n.memory().MemSwapMax = &v })
	parseInto(r, dfd, dir, "memory.stat", parseFlatKeyed, func(st map[string]uint64) {
		// The total_ keys count the whole subtree, as usage_in_bytes does.
		m := n.memory()
		pick(st, field{"total_rss", &m.Anon}, field{"total_cache", &m.File}, field{"total_shmem", &m.Shmem}, field{"total_swap", &m.Swap})
		if inactive, ok := st["total_inactive_file"]; ok && m.Current != nil {
			m.WorkingSet = u64(*m.Current - min(*m.Current, inactive))
		}
	})
	parseInto(r, dfd, dir, "memory.failcnt", parseUint, func(v uint64) { n.events().Failcnt = &v })
	parseInto(r, dfd, dir, "memory.oom_control", parseFlatKeyed, func(m map[string]uint64) {
		if v, ok := m["oom_kill"]; ok { // Linux 4.13+
			n.events().OOMKill = u64(v)
		}
		if v, ok := m["under_oom"]; ok {
			n.events().UnderOOM = u64(v)
		}
	})
}

// cgroupTree reads the cgroups, joins the processes to them (from the membership lines already
// read, so cgroup.procs is not read again) and computes the effective limits.
func (fs FS) cgroupTree(walk cgroupWalk, procs []Process, hostCPUs int) ([]CgroupMount, string, []Cgroup) {
	mounts, mode, nodes := walk.mounts, walk.mode, walk.nodes
	if mounts == nil {
		mounts = []CgroupMount{}
	}
	for i := range procs {
		p := &procs[i]
		p.Cgroup = primaryCgroup(p.CgroupMembership, mode)
		for _, l := range p.CgroupMembership {
			if n := nodes[l.Path]; n != nil && (len(n.PIDs) == 0 || n.PIDs[len(n.PIDs)-1] != p.PID) {
				n.PIDs = append(n.PIDs, p.PID) // processes come in pid order: a repeat is the last
			}
		}
	}
	if root := nodes["/"]; root != nil && root.CPU != nil && root.CPU.CpusetCPUs != nil && hostCPUs == 0 {
		hostCPUs = *root.CPU.CpusetCPUs
	}
	applyEffective(nodes, hostCPUs)
	out := make([]Cgroup, 0, len(nodes))
	for _, n := range nodes {
		n.Procs = len(n.PIDs)
		if n.PIDs == nil {
			n.PIDs = []int{}
		}
		out = append(out, *n)
	}
	slices.SortFunc(out, func(a, b Cgroup) int { return strings.Compare(a.Path, b.Path) })
	return mounts, mode, out
}

// cgroupWalk is the result of fs.cgroups, taken on its own goroutine while the processes are read.
type cgroupWalk struct {
	mounts []CgroupMount
	mode   string
	nodes  map[string]*Cgroup
	errs   errorList
}

// onlineCPUs counts /sys/devices/system/cpu/online; 0 when it cannot be read (a fixture without it).
func (fs FS) onlineCPUs(errs *errorList) int {
	p := fs.Sys + "/devices/system/cpu/online"
	data, err := readFile(p)
	if err != nil {
		if !gone(err) {
			errs.add(p, err)
		}
		return 0
	}
	n, err := parseCPUList(data)
	if err != nil {
		errs.add(p, err)
	}
	return n
}
