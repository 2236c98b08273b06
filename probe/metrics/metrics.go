// Package metrics turns a snapshot into Prometheus metrics: per container the names and labels
// cAdvisor uses (so that existing dashboards and alerts work unchanged), and as isotop_* what only
// isotop knows (the limits in force and the cgroup that sets them, namespaces, network namespaces
// and their veth peers, OOM kills in cgroups that are gone). It does no I/O: a Source gives the
// snapshot to describe at each scrape.
package metrics

import (
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/isotop/isotop/probe"
)

// Source gives the snapshot a scrape describes (a cached one: scrapes at once share it).
type Source func() (*probe.Snapshot, error)

// Collector is a prometheus.Collector of a Source's snapshots. Prefix, when not empty, is put
// before the cAdvisor names (e.g. "isotop_" gives isotop_container_memory_usage_bytes), so that a
// Prometheus that also scrapes the kubelet's cAdvisor does not count the same containers twice.
type Collector struct {
	src    Source
	prefix string
	descs  map[string]*prometheus.Desc
}

// The cAdvisor metrics, by name: help and whether a counter.
var cadvisor = []struct {
	name, help string
	counter    bool
}{
	{"container_memory_working_set_bytes", "Current working set of the container in bytes (usage less inactive file).", false},
	{"container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed.", false},
	{"container_spec_memory_limit_bytes", "Memory limit for the container (0: none).", false},
	{"container_oom_events_total", "Count of out of memory events observed for the container.", true},
	{"container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", true},
	{"container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.", true},
	{"container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.", true},
	{"container_cpu_cfs_throttled_seconds_total", "Total time duration the container has been throttled.", true},
	{"container_spec_cpu_quota", "CPU quota of the container (microseconds per period; absent: none).", false},
	{"container_spec_cpu_period", "CPU period of the container (microseconds).", false},
	{"container_processes", "Number of processes running inside the container.", false},
	{"container_threads_max", "Maximum number of threads allowed inside the container (pids.max; 0: none).", false},
	{"container_pressure_cpu_stalled_seconds_total", "Total time duration no tasks in the container could make progress due to CPU congestion.", true},
	{"container_pressure_cpu_waiting_seconds_total", "Total time duration tasks in the container have waited due to CPU congestion.", true},
	{"container_pressure_memory_stalled_seconds_total", "Total time duration no tasks in the container could make progress due to memory congestion.", true},
	{"container_pressure_memory_waiting_seconds_total", "Total time duration tasks in the container have waited due to memory congestion.", true},
	{"container_pressure_io_stalled_seconds_total", "Total time duration no tasks in the container could make progress due to IO congestion.", true},
	{"container_pressure_io_waiting_seconds_total", "Total time duration tasks in the container have waited due to IO congestion.", true},
}

// containerLabels are cAdvisor's: id (the cgroup path), name, image, and for a Kubernetes
// container the pod's namespace, the pod and the container's name, as the kubelet's cAdvisor
// gives them.
var containerLabels = []string{"id", "name", "image", "namespace", "pod", "container"}

// isotop's own, with their labels.
var own = []struct {
	name, help string
	labels     []string
	counter    bool
}{
	{"isotop_cgroup_memory_limit_effective_bytes", "The tightest memory.max on the path from the root to the cgroup (of a container, or with a limit of its own), and the cgroup that sets it.", []string{"cgroup", "from"}, false},
	{"isotop_cgroup_cpu_limit_effective_cpus", "The tightest CPU limit on the path from the root, in CPUs (a quota or a cpuset), and the cgroup that sets it.", []string{"cgroup", "from"}, false},
	{"isotop_cgroup_pids_limit_effective", "The tightest pids.max on the path from the root, and the cgroup that sets it.", []string{"cgroup", "from"}, false},
	{"isotop_cgroup_oom_kills_total", "OOM kills seen in the cgroup since isotop serve started, including cgroups removed since (inotify on v2, the counters between scrapes on v1).", []string{"cgroup"}, true},
	{"isotop_namespaces", "Namespaces on the host, by type.", []string{"type"}, false},
	{"isotop_netns_info", "A network namespace: its inode and its best name (ip netns, container, command).", []string{"netns", "name"}, false},
	{"isotop_veth_peer_info", "A veth and where its other end is.", []string{"netns", "link", "peer_netns", "peer"}, false},
	{"isotop_processes", "Processes on the host.", nil, false},
	{"isotop_snapshot_errors", "Entries the last snapshot could not read (a process that vanished, a file denied).", nil, false},
}

// New is a Collector of src's snapshots.
func New(src Source, prefix string) *Collector {
	c := &Collector{src: src, prefix: prefix, descs: map[string]*prometheus.Desc{}}
	for _, m := range cadvisor {
		c.descs[m.name] = prometheus.NewDesc(prefix+m.name, m.help, containerLabels, nil)
	}
	for _, m := range own {
		c.descs[m.name] = prometheus.NewDesc(m.name, m.help, m.labels, nil)
	}
	return c
}

// Describe sends every metric's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect describes the Source's snapshot.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s, err := c.src()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.descs["isotop_processes"], err)
		return
	}
	byPath := make(map[string]*probe.Cgroup, len(s.Cgroups))
	for i := range s.Cgroups {
		byPath[s.Cgroups[i].Path] = &s.Cgroups[i]
	}
	emit := func(name string, typ prometheus.ValueType, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(c.descs[name], typ, v, labels...)
	}
	seen := map[string]bool{}
	for _, ctr := range s.Containers {
		cg := byPath[ctr.Cgroup]
		if cg == nil || seen[ctr.Cgroup] || ctr.Sandbox {
			continue // isolated trees without a cgroup of their own; a pod's pause container
		}
		seen[ctr.Cgroup] = true
		c.container(emit, ctr, cg)
	}
	c.cgroups(emit, s, seen)
	c.host(emit, s)
}

type emitter func(name string, typ prometheus.ValueType, v float64, labels ...string)

func (c *Collector) container(emit emitter, ctr probe.Container, cg *probe.Cgroup) {
	name, ns, pod, cname := ctr.Name, "", "", ""
	if ctr.Pod != nil {
		ns, pod, cname = ctr.Pod.Namespace, ctr.Pod.Name, ctr.Pod.Container
	}
	l := []string{cg.Path, name, ctr.Image, ns, pod, cname}
	g, k := prometheus.GaugeValue, prometheus.CounterValue
	if m := cg.Memory; m != nil {
		if m.WorkingSet != nil {
			emit("container_memory_working_set_bytes", g, float64(*m.WorkingSet), l...)
		}
		if m.Current != nil {
			emit("container_memory_usage_bytes", g, float64(*m.Current), l...)
		}
		limit := 0.0
		if m.Max != nil && *m.Max != probe.Unlimited {
			limit = float64(*m.Max)
		}
		emit("container_spec_memory_limit_bytes", g, limit, l...)
	}
	if e := cg.Events; e != nil && e.OOMKill != nil {
		emit("container_oom_events_total", k, float64(*e.OOMKill), l...)
	}
	if u := cg.CPU; u != nil {
		opt := func(name string, typ prometheus.ValueType, v *uint64, scale float64) {
			if v != nil {
				emit(name, typ, float64(*v)*scale, l...)
			}
		}
		opt("container_cpu_usage_seconds_total", k, u.UsageUsec, 1e-6)
		opt("container_cpu_cfs_periods_total", k, u.NrPeriods, 1)
		opt("container_cpu_cfs_throttled_periods_total", k, u.NrThrottled, 1)
		opt("container_cpu_cfs_throttled_seconds_total", k, u.ThrottledUsec, 1e-6)
		if u.QuotaUsec != nil && *u.QuotaUsec != probe.Unlimited {
			emit("container_spec_cpu_quota", g, float64(*u.QuotaUsec), l...)
		}
		opt("container_spec_cpu_period", g, u.PeriodUsec, 1)
	}
	emit("container_processes", g, float64(len(ctr.PIDs)), l...)
	if p := cg.PIDsCtl; p != nil {
		max := 0.0
		if p.Max != nil && *p.Max != probe.Unlimited {
			max = float64(*p.Max)
		}
		emit("container_threads_max", g, max, l...)
	}
	if p := cg.Pressure; p != nil {
		for kind, psi := range map[string]*probe.PSI{"cpu": p.CPU, "memory": p.Memory, "io": p.IO} {
			if psi == nil {
				continue
			}
			if psi.Full != nil {
				emit("container_pressure_"+kind+"_stalled_seconds_total", k, float64(psi.Full.Total)/1e6, l...)
			}
			if psi.Some != nil {
				emit("container_pressure_"+kind+"_waiting_seconds_total", k, float64(psi.Some.Total)/1e6, l...)
			}
		}
	}
}

// cgroups gives the limits in force of the containers' cgroups and of those with a limit of their
// own (a bounded set: not every cgroup of the host), and the OOM kills of every cgroup seen.
func (c *Collector) cgroups(emit emitter, s *probe.Snapshot, containers map[string]bool) {
	g := prometheus.GaugeValue
	for i := range s.Cgroups {
		cg := &s.Cgroups[i]
		if m := cg.Memory; m != nil && m.EffectiveMax != nil && *m.EffectiveMax != probe.Unlimited &&
			(containers[cg.Path] || m.EffectiveMaxFrom == cg.Path) {
			emit("isotop_cgroup_memory_limit_effective_bytes", g, float64(*m.EffectiveMax), cg.Path, m.EffectiveMaxFrom)
		}
		if u := cg.CPU; u != nil && u.EffectiveCPUs != nil && u.EffectiveCPUsFrom != "" && (containers[cg.Path] || u.EffectiveCPUsFrom == cg.Path) {
			emit("isotop_cgroup_cpu_limit_effective_cpus", g, *u.EffectiveCPUs, cg.Path, u.EffectiveCPUsFrom)
		}
		if p := cg.PIDsCtl; p != nil && p.EffectiveMax != nil && *p.EffectiveMax != probe.Unlimited &&
			(containers[cg.Path] || p.EffectiveMaxFrom == cg.Path) {
			emit("isotop_cgroup_pids_limit_effective", g, float64(*p.EffectiveMax), cg.Path, p.EffectiveMaxFrom)
		}
	}
	kills := map[string]uint64{}
	for _, e := range s.CgroupEvents {
		if e.Event == "oom_kill" {
			kills[e.Cgroup] += e.Count
		}
	}
	for cg, n := range kills {
		emit("isotop_cgroup_oom_kills_total", prometheus.CounterValue, float64(n), cg)
	}
}

func (c *Collector) host(emit emitter, s *probe.Snapshot) {
	g := prometheus.GaugeValue
	byType := map[string]int{}
	for _, n := range s.Namespaces {
		byType[string(n.Type)]++
	}
	for t, n := range byType {
		emit("isotop_namespaces", g, float64(n), t)
	}
	for _, n := range s.NetNamespaces {
		ino := strconv.FormatUint(n.Inode, 10)
		name := ""
		if len(n.Names) > 0 {
			name = n.Names[0]
		}
		emit("isotop_netns_info", g, 1, ino, name)
		for _, l := range n.Links {
			if l.Peer != nil {
				emit("isotop_veth_peer_info", g, 1, ino, l.Name, strconv.FormatUint(l.Peer.NetNS, 10), l.Peer.Name)
			}
		}
	}
	emit("isotop_processes", g, float64(len(s.Processes)))
	emit("isotop_snapshot_errors", g, float64(len(s.Errors)))
}

// Name is a metric's full name with the prefix (for the README and the tests).
func Name(prefix, name string) string {
	if strings.HasPrefix(name, "container_") {
		return prefix + name
	}
	return name
}
