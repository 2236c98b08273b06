package probe

import (
	"encoding/json"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Container is a container, a pod's container, or an isolated process tree no runtime made.
type Container struct {
	// Runtime: docker, podman, containerd, cri-o, cri (a Kubernetes container whose runtime the
	// files did not tell), lxc, nspawn, isotop (its sandboxes), or isolated (a tree of processes in
	// namespaces of their own, made by unshare, a sandbox, a test).
	Runtime string `json:"runtime"`
	ID      string `json:"id"`
	Name    string `json:"name"`
	// NameFrom is where the name was read: a runtime's file (config.v2.json, containers.json, an
	// OCI bundle's config.json), containerd's bundle directory (its id is the name), the cgroup
	// path (LXC, nspawn), the top process's cmdline (an isolated tree); empty for a short id.
	NameFrom string `json:"name_from,omitempty"`
	Image    string `json:"image,omitempty"`
	// Namespace is containerd's namespace of a containerd container (default, k8s.io, or any
	// that ctr -n, nerdctl or another client made).
	Namespace string `json:"namespace,omitempty"`
	Pod       *Pod   `json:"pod,omitempty"`
	// Sandbox is true for a pod's sandbox (its pause container, which holds the pod's network,
	// ipc and uts namespaces): the CRI annotation io.kubernetes.cri.container-type=sandbox, or
	// CRI-O's io.kubernetes.cri-o.ContainerType=sandbox; without annotations (dockershim), the
	// pod's container whose pid 1 is pause.
	Sandbox bool `json:"sandbox,omitempty"`
	// PodSandbox is the key ("runtime:id") of the sandbox of the pod this container belongs to
	// (the sandbox id of its annotations, io.kubernetes.cri.sandbox-id or CRI-O's SandboxID);
	// empty for a sandbox itself, for a container in no pod, and when the sandbox is not running.
	PodSandbox string `json:"pod_sandbox,omitempty"`
	// Init is what the container's pid 1 is when it is an init or a supervisor (tini, dumb-init,
	// s6-svscan, supervisord, systemd, catatonit, ContainerPilot …); nil for a plain program.
	// See initNames for the table.
	Init *Init `json:"init,omitempty"`
	// PID is the container's init: pid 1 inside it, as the host numbers it.
	PID  int   `json:"pid"`
	PIDs []int `json:"pids"`
	// Cgroup is the container's own cgroup; "" for an isolated tree that shares its cgroup with
	// processes outside it (its usage there is not its own).
	Cgroup     string `json:"cgroup"`
	Namespaces NSSet  `json:"namespaces"`
	// Hostname is the nodename of the container's own UTS namespace (uname -n inside it); empty
	// when it shares the host's.
	Hostname string `json:"hostname,omitempty"`
	// SharedWith lists, per kind, who else is in the same namespace: "host", or other containers
	// as "runtime:id" (the containers of a pod share net, ipc and uts).
	SharedWith map[NSKind][]string `json:"shared_with"`
	NetNS      uint64              `json:"netns"`
	Interfaces []ContainerIface    `json:"interfaces"`

	bundle string // a containerd task's bundle directory, where its config.json is
	// sandboxID is the id of the pod's sandbox as the container's annotations give it
	// (io.kubernetes.cri.sandbox-id, CRI-O's io.kubernetes.cri-o.SandboxID).
	sandboxID string
}

// Init is a container's pid 1 recognised as an init or a supervisor, with what it supervises.
type Init struct {
	// Name is the init's well-known name: tini (Docker's docker-init too), dumb-init, s6-svscan,
	// supervisord, systemd, catatonit (Podman's podman-init too), containerpilot, runit
	// (runsvdir), openrc-init, monit, pm2.
	Name string `json:"name"`
	// From says how it was recognised, and from what: "exe /usr/bin/tini" (the target of
	// /proc/PID/exe), "comm containerpilot", "argv[0] /sbin/tini", or "argv[1]
	// /usr/bin/supervisord" (a script its interpreter, python or node, runs).
	From string `json:"from"`
	// Supervises are the pids of its children (host pids), the real work it runs.
	Supervises []int `json:"supervises"`
	// Jobs are the jobs of a supervisor that declares them in a config file (ContainerPilot's
	// jobs with their health checks), read from the container's root; JobsFrom is that file as the
	// host reaches it (/proc/PID/root/etc/containerpilot.json5).
	Jobs     []InitJob `json:"jobs,omitempty"`
	JobsFrom string    `json:"jobs_from,omitempty"`
}

// InitJob is one job a supervisor's config declares.
type InitJob struct {
	Name string `json:"name"`
	Exec string `json:"exec"`
	// Health is its health check's command, "" for none; Interval that check's interval as
	// written ("10s"; a bare number, seconds, as "10s"); When what starts it: "once healthy: db"
	// (an event, then its source), "each changed: watch.app", "every 1h" (a periodic job), with
	// " (timeout 60s)" when it has one; "" when it starts with ContainerPilot. An exec given as
	// an argv is joined by spaces (an argument with a space quoted).
	Health   string `json:"health,omitempty"`
	Interval string `json:"interval,omitempty"`
	When     string `json:"when,omitempty"`
}

// ContainerIface is a network interface of a container, with the other end of a veth.
type ContainerIface struct {
	Name  string    `json:"name"`
	Kind  string    `json:"kind"`
	Addrs []string  `json:"addrs"`
	Peer  *LinkPeer `json:"peer,omitempty"`
}

// Key is how processes refer to the container: "runtime:id".
func (c *Container) Key() string { return c.Runtime + ":" + c.ID }

// containers groups the processes into containers (from their cgroup paths, then from their
// namespaces for trees no runtime made) and names them from the runtimes' own files. It sets each
// process's Container, links a pod's containers to its sandbox, recognises each container's init,
// and names container network namespaces after their containers.
func (fs FS) containers(s *Snapshot, errs *errorList) []Container {
	g := newContainerSet(s.Processes)
	fs.groupByCgroup(s, g, errs)
	groupIsolated(s, g, fs.Proc)
	if len(g.order) == 0 {
		return []Container{}
	}
	meta := newRuntimeMeta(fs, errs)
	meta.dockerRoots = dockerRoots(s.Processes)
	netByIno := map[uint64]*NetNamespace{}
	for i := range s.NetNamespaces {
		netByIno[s.NetNamespaces[i].Inode] = &s.NetNamespaces[i]
	}
	out := make([]Container, 0, len(g.order))
	for _, key := range g.order {
		c := g.byKey[key]
		fs.fill(c, s, g.procIdx, meta, netByIno)
		out = append(out, *c)
	}
	ownCgroups(out, s.Cgroups)
	sharedWith(out, s.Host.NS)
	linkPods(out, s.Processes, g.procIdx)
	nameNetNamespaces(out, netByIno, s.Host.NS.Net)
	return out
}

// containerSet is the containers being grouped, by key in the order first seen.
type containerSet struct {
	byKey   map[string]*Container
	order   []string
	procIdx map[int]int // pid → index in the snapshot's processes
}

func newContainerSet(procs []Process) *containerSet {
	g := &containerSet{byKey: map[string]*Container{}, procIdx: make(map[int]int, len(procs))}
	for i := range procs {
		g.procIdx[procs[i].PID] = i
	}
	return g
}

// add puts p in the container key, which describe makes the first time it is seen.
func (g *containerSet) add(key string, p *Process, describe func() Container) {
	ct, ok := g.byKey[key]
	if !ok {
		c := describe()
		ct = &c
		g.byKey[key] = ct
		g.order = append(g.order, key)
	}
	ct.PIDs = append(ct.PIDs, p.PID)
	p.Container = key
}

// groupByCgroup puts each process whose cgroup a runtime made in that runtime's container.
func (fs FS) groupByCgroup(s *Snapshot, g *containerSet, errs *errorList) {
	// Most processes share a few cgroups: each path is parsed once.
	type fromCgroup struct {
		c   cgroupContainer
		key string
		ok  bool
	}
	parsed := map[string]fromCgroup{}
	// containerd's running tasks, from its own state: the cgroup of each task's first process is
	// the container's, whatever the path looks like (ctr run … web in a namespace of its own).
	tasks := map[string]containerdTask{}
	for _, t := range fs.containerdTasks(s.Processes, errs) {
		if i, ok := g.procIdx[t.pid]; ok && s.Processes[i].Cgroup != "" && s.Processes[i].Cgroup != "/" {
			tasks[s.Processes[i].Cgroup] = t
		}
	}
	for i := range s.Processes {
		p := &s.Processes[i]
		f, seen := parsed[p.Cgroup]
		if !seen {
			f.c, f.ok = containerFromCgroup(p.Cgroup)
			if t, ok := tasks[p.Cgroup]; ok {
				pod := f.c.Pod
				runtime := "containerd"
				if t.namespace == "moby" { // Docker's engine runs its containers in containerd's moby namespace
					runtime = "docker"
				}
				f.c, f.ok = cgroupContainer{Runtime: runtime, ID: t.id, Namespace: t.namespace, Pod: pod, Cgroup: p.Cgroup}, true
			}
			f.ok = f.ok && !f.c.Monitor && f.c.ID != ""
			f.key = f.c.Runtime + ":" + f.c.ID
			parsed[p.Cgroup] = f
		}
		if !f.ok {
			continue
		}
		g.add(f.key, p, func() Container {
			c := Container{Runtime: f.c.Runtime, ID: f.c.ID, Namespace: f.c.Namespace, Pod: f.c.Pod, Cgroup: f.c.Cgroup}
			if t, ok := tasks[p.Cgroup]; ok {
				c.bundle = t.root + "/" + t.namespace + "/" + t.id
			}
			return c
		})
	}
}

// groupIsolated makes the isolated trees: a process in namespaces of its own (not a kernel
// thread, in no container) goes under its topmost ancestor that is too.
func groupIsolated(s *Snapshot, g *containerSet, proc string) {
	candidate := make([]bool, len(s.Processes))
	for i := range s.Processes {
		p := &s.Processes[i]
		candidate[i] = len(p.Isolated) > 0 && p.Container == "" && p.PID != 2 && p.PPID != 2
	}
	for i := range s.Processes {
		p := &s.Processes[i]
		if !candidate[i] {
			continue
		}
		top := p
		for seen := 0; seen < len(s.Processes); seen++ { // bounded: a ppid loop cannot hang it
			j, ok := g.procIdx[top.PPID]
			if !ok || !candidate[j] || j == g.procIdx[top.PID] {
				break
			}
			top = &s.Processes[j]
		}
		id := strconv.Itoa(top.PID)
		g.add("isolated:"+id, p, func() Container {
			return Container{Runtime: "isolated", ID: id, Name: command(top), NameFrom: proc + "/" + id + "/cmdline", Cgroup: top.Cgroup}
		})
	}
}

// fill completes a grouped container: its init, namespaces, names (from the runtime's files, or
// an isolated tree's hostname), hostname, interfaces and what its init is.
func (fs FS) fill(c *Container, s *Snapshot, idx map[int]int, meta *runtimeMeta, nets map[uint64]*NetNamespace) {
	slices.Sort(c.PIDs)
	c.PID = initPID(c, s.Processes, idx)
	var init *Process
	if j, ok := idx[c.PID]; ok {
		init = &s.Processes[j]
		c.Namespaces = init.Namespaces
		meta.describe(c, init)
	}
	if c.Name == "" {
		c.Name = shortID(c.ID)
	}
	c.NetNS = c.Namespaces.Net
	if uts := c.Namespaces.UTS; uts != 0 && uts != s.Host.NS.UTS && fs.live() {
		c.Hostname = fs.hostname(c.PID, uts, meta.errs)
	}
	// An isolated tree that set a hostname of its own is known by it (nsenter -t PID -u hostname);
	// one that kept the host's (unshare --uts alone copies it) stays named by its command.
	if c.Runtime == "isolated" && c.Hostname != "" && c.Hostname != s.Host.Hostname {
		c.Name, c.NameFrom = c.Hostname, "uts"
	}
	c.Interfaces = []ContainerIface{}
	if n := nets[c.NetNS]; n != nil && c.NetNS != s.Host.NS.Net {
		for _, l := range n.Links {
			if l.Kind == "loopback" {
				continue
			}
			c.Interfaces = append(c.Interfaces, ContainerIface{Name: l.Name, Kind: l.Kind, Addrs: l.Addrs, Peer: l.Peer})
		}
	}
	if init != nil {
		c.Init = meta.recognizeInit(c, init, s.Processes, idx)
	}
}

// initPID picks the container's init: the process that is pid 1 in its own pid namespace, else
// the one whose parent is outside the container (the earliest started).
func initPID(c *Container, procs []Process, idx map[int]int) int {
	best := 0
	for _, pid := range c.PIDs {
		p := &procs[idx[pid]]
		if n := len(p.NSPids); n > 1 && p.NSPids[n-1] == 1 {
			return pid
		}
		if pi, ok := idx[p.PPID]; ok && procs[pi].Container == c.Key() {
			continue
		}
		if best == 0 || p.StartTicks < procs[idx[best]].StartTicks {
			best = pid
		}
	}
	if best == 0 && len(c.PIDs) > 0 {
		best = c.PIDs[0]
	}
	return best
}

// ownCgroups clears the cgroup of an isolated tree whose cgroup holds other processes too: a
// runtime makes a cgroup per container, unshare does not.
func ownCgroups(cs []Container, cgroups []Cgroup) {
	members := make(map[string][]int, len(cgroups))
	for i := range cgroups {
		members[cgroups[i].Path] = cgroups[i].PIDs
	}
	for i := range cs {
		c := &cs[i]
		if c.Runtime != "isolated" {
			continue
		}
		for _, pid := range members[c.Cgroup] {
			if _, in := slices.BinarySearch(c.PIDs, pid); !in {
				c.Cgroup = ""
				break
			}
		}
	}
}

// sharedWith fills, for each container and kind, "host" or the other containers in the same
// namespace.
func sharedWith(cs []Container, host NSSet) {
	for i := range cs {
		c := &cs[i]
		c.SharedWith = map[NSKind][]string{}
		for _, k := range Kinds {
			ino := c.Namespaces.Get(k)
			if ino == 0 {
				continue
			}
			if ino == host.Get(k) {
				c.SharedWith[k] = append(c.SharedWith[k], "host")
				continue
			}
			for j := range cs {
				if j != i && cs[j].Namespaces.Get(k) == ino {
					c.SharedWith[k] = append(c.SharedWith[k], cs[j].Key())
				}
			}
		}
	}
}

// nameNetNamespaces names the containers' network namespaces after them: the names people gave
// (ip netns) first, then the containers' names (a pod's "pod NAMESPACE/NAME" for each of its
// containers), then the names runtimes made up; an isolated tree's command only when nothing else
// names the namespace (see orderNetNames).
func nameNetNamespaces(cs []Container, nets map[uint64]*NetNamespace, host uint64) {
	type named struct{ containers, isolated []string }
	byNet := map[uint64]*named{}
	var order []uint64
	for i := range cs {
		c := &cs[i]
		n := nets[c.NetNS]
		if n == nil || c.NetNS == host {
			continue
		}
		nm := byNet[c.NetNS]
		if nm == nil {
			nm = &named{}
			byNet[c.NetNS] = nm
			order = append(order, c.NetNS)
		}
		switch {
		case c.Pod != nil && c.Pod.Name != "":
			nm.containers = appendNew(nm.containers, "pod "+podName(c.Pod))
		case c.Runtime == "isolated" && c.NameFrom != "uts":
			nm.isolated = appendNew(nm.isolated, c.Runtime+":"+c.Name)
		default:
			nm.containers = appendNew(nm.containers, c.Runtime+":"+c.Name)
		}
	}
	for _, ino := range order {
		n, nm := nets[ino], byNet[ino]
		n.Names = orderNetNames(n.Mounts, nm.containers, nm.isolated, n.command)
	}
}

// podName is a pod's "NAMESPACE/NAME", or its name alone when its namespace is not known.
func podName(p *Pod) string {
	if p.Namespace == "" {
		return p.Name
	}
	return p.Namespace + "/" + p.Name
}

// appendNew appends s unless list holds it already.
func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func shortID(id string) string {
	if len(id) > 12 && reHex64.MatchString(id) {
		return id[:12]
	}
	return id
}

// runtimeMeta reads the runtimes' state on disk, each file at most once per snapshot. Missing
// files are not errors: a container without them is named by its short id.
type runtimeMeta struct {
	fs     FS
	errs   *errorList
	podman map[string]podmanEntry // by id, from every containers.json read so far
	read   map[string]bool
	homes  map[int]string // uid → home, from /etc/passwd, read once
	// dockerRoots are the data roots of the Docker daemons running (their --data-root), the
	// default /var/lib/docker first.
	dockerRoots []string
}

type podmanEntry struct {
	name, image, file string
}

func newRuntimeMeta(fs FS, errs *errorList) *runtimeMeta {
	return &runtimeMeta{fs: fs, errs: errs, podman: map[string]podmanEntry{}, read: map[string]bool{}}
}

// readState reads a runtime's state file (often root's only: through the FS's Opener).
func (m *runtimeMeta) readState(path string) ([]byte, error) {
	f, err := m.fs.opener().OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// glob is filepath.Glob over the runtimes' state, listing directories through the FS's Opener.
func (m *runtimeMeta) glob(pattern string) []string {
	parts := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	paths := []string{""}
	for i, part := range parts {
		var next []string
		for _, p := range paths {
			if !strings.ContainsAny(part, "*?[") {
				next = append(next, p+"/"+part)
				continue
			}
			d, err := m.fs.opener().OpenFile(p + "/")
			if err != nil {
				continue
			}
			names, _ := d.Readdirnames(-1)
			d.Close()
			slices.Sort(names)
			for _, n := range names {
				if ok, _ := filepath.Match(part, n); ok {
					next = append(next, p+"/"+n)
				}
			}
		}
		paths = next
		if i == len(parts)-1 {
			break
		}
	}
	var out []string
	for _, p := range paths {
		if f, err := m.fs.opener().OpenFile(p); err == nil {
			f.Close()
			out = append(out, p)
		}
	}
	return out
}

// readJSON reads a runtime's JSON file into v; false when absent or unreadable (recorded unless
// absent).
func (m *runtimeMeta) readJSON(path string, v any) bool {
	data, err := m.readState(m.fs.hostPath(path))
	if err != nil {
		if !gone(err) {
			m.errs.add(m.fs.hostPath(path), err)
		}
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		m.errs.add(m.fs.hostPath(path), parseErr("json", err.Error()))
		return false
	}
	return true
}

func (m *runtimeMeta) describe(c *Container, init *Process) {
	switch c.Runtime {
	case "docker":
		m.docker(c)
	case "podman":
		m.podmanNames(c, init.UID)
	case "containerd", "cri":
		if !m.ociBundle(c, containerdTaskRoot) && c.Runtime == "cri" {
			if !m.ociBundle(c, "/run/containers/storage") {
				m.docker(c)
			}
		}
	case "cri-o":
		m.ociBundle(c, "/run/containers/storage")
	case "lxc":
		c.Name, c.NameFrom = c.ID, m.fs.Proc+"/"+strconv.Itoa(init.PID)+"/cgroup"
		m.lxc(c)
	case "nspawn":
		c.Name, c.NameFrom = c.ID, m.fs.Proc+"/"+strconv.Itoa(init.PID)+"/cgroup"
	}
	if c.Name == "" && c.bundle != "" {
		c.Name, c.NameFrom = c.ID, c.bundle // containerd: ctr's id is the name it was given
	}
}

func (m *runtimeMeta) docker(c *Container) bool {
	var cfg struct {
		Name   string
		Config struct{ Image string }
	}
	roots := m.dockerRoots
	if len(roots) == 0 {
		roots = []string{defaultDockerRoot}
	}
	for _, root := range roots {
		file := root + "/containers/" + c.ID + "/config.v2.json"
		f, err := m.fs.opener().OpenFile(m.fs.hostPath(file))
		if err != nil {
			if !gone(err) {
				m.errs.add(m.fs.hostPath(file), err)
			}
			continue // another daemon's container, or none's
		}
		f.Close()
		if !m.readJSON(file, &cfg) {
			return false
		}
		if c.Runtime == "cri" {
			c.Runtime = "docker"
		}
		c.Name, c.Image = strings.TrimPrefix(cfg.Name, "/"), cfg.Config.Image
		c.NameFrom = m.fs.hostPath(file)
		return true
	}
	return false
}

const defaultDockerRoot = "/var/lib/docker"

// dockerRoots are the data roots of the running Docker daemons: /var/lib/docker, and each
// dockerd's --data-root (or the older -g/--graph) when it gives another.
func dockerRoots(procs []Process) []string {
	roots := []string{defaultDockerRoot}
	for i := range procs {
		p := &procs[i]
		if p.Comm != "dockerd" {
			continue
		}
		for _, name := range []string{"--data-root", "-data-root", "--graph", "-g"} {
			if v := flagValue(p.Cmdline, name); strings.HasPrefix(v, "/") && !slices.Contains(roots, path.Clean(v)) {
				roots = append(roots, path.Clean(v))
			}
		}
	}
	return roots
}

// podmanDrivers are containers/storage's drivers, each with its <driver>-containers directory.
var podmanDrivers = []string{"overlay", "vfs", "btrfs", "zfs", "aufs", "devicemapper"}

// podmanNames looks the container up in Podman's containers.json: root's storage, then the storage
// of the user the container's init runs as (rootless Podman keeps it in the user's home).
func (m *runtimeMeta) podmanNames(c *Container, uid int) {
	roots := []string{"/var/lib/containers/storage"}
	if home := m.home(uid); home != "" && uid != 0 {
		roots = append(roots, home+"/.local/share/containers/storage")
	}
	for _, root := range roots {
		// One directory per storage driver. Named, not listed: read-only mode may read the
		// *-containers directories, not the storage root, whose layers hold the containers' files.
		var files []string
		for _, driver := range podmanDrivers {
			files = append(files, m.fs.hostPath(root+"/"+driver+"-containers/containers.json"))
		}
		for _, f := range files {
			if m.read[f] {
				continue
			}
			m.read[f] = true
			var entries []struct {
				ID       string   `json:"id"`
				Names    []string `json:"names"`
				Metadata string   `json:"metadata"`
			}
			rel, _ := filepath.Rel(filepath.Dir(m.fs.Proc), f)
			if !m.readJSON("/"+rel, &entries) {
				continue
			}
			for _, e := range entries {
				var md struct {
					ImageName string `json:"image-name"`
				}
				_ = json.Unmarshal([]byte(e.Metadata), &md)
				pe := podmanEntry{image: md.ImageName, file: f}
				if len(e.Names) > 0 {
					pe.name = e.Names[0]
				}
				m.podman[e.ID] = pe
			}
		}
		if e, ok := m.podman[c.ID]; ok {
			c.Name, c.Image, c.NameFrom = e.name, e.image, e.file
			return
		}
	}
}

// home finds a user's home directory in the host's /etc/passwd, read once per snapshot.
func (m *runtimeMeta) home(uid int) string {
	if m.homes == nil {
		m.homes = map[int]string{}
		data, _ := readFile(m.fs.hostPath("/etc/passwd"))
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Split(line, ":"); len(f) >= 6 {
				if id, err := strconv.Atoi(f[2]); err == nil {
					m.homes[id] = f[5]
				}
			}
		}
	}
	return m.homes[uid]
}

// ociBundle reads the OCI runtime spec a runtime keeps for a running container (containerd's
// task bundle, CRI-O's userdata), whose annotations carry the Kubernetes and nerdctl names.
func (m *runtimeMeta) ociBundle(c *Container, root string) bool {
	var paths []string
	switch root {
	case containerdTaskRoot:
		ns := "*"
		if c.Namespace != "" {
			ns = c.Namespace
		}
		if c.bundle != "" {
			paths = []string{m.fs.hostPath(c.bundle + "/config.json")}
		} else {
			paths = m.glob(m.fs.hostPath(root + "/" + ns + "/" + c.ID + "/config.json"))
		}
	default:
		paths = []string{m.fs.hostPath(root + "/overlay-containers/" + c.ID + "/userdata/config.json")}
	}
	for _, p := range paths {
		var spec struct {
			Annotations map[string]string `json:"annotations"`
		}
		rel, _ := filepath.Rel(filepath.Dir(m.fs.Proc), p)
		if !m.readJSON("/"+rel, &spec) {
			continue
		}
		a := spec.Annotations
		first := func(keys ...string) string {
			for _, k := range keys {
				if v := a[k]; v != "" {
					return v
				}
			}
			return ""
		}
		if c.Runtime == "cri" {
			c.Runtime = "containerd"
			if root != containerdTaskRoot {
				c.Runtime = "cri-o"
			}
		}
		c.Name = first("io.kubernetes.cri.container-name", "io.kubernetes.container.name", "nerdctl/name")
		if c.Name != "" {
			c.NameFrom = p
		}
		c.Image = first("io.kubernetes.cri.image-name", "io.kubernetes.cri-o.ImageName", "io.kubernetes.cri-o.Image")
		if c.Pod != nil {
			c.Pod.Name = first("io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name")
			c.Pod.Namespace = first("io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace")
			c.Pod.Container = c.Name
		}
		c.Sandbox = first("io.kubernetes.cri.container-type", "io.kubernetes.cri-o.ContainerType") == "sandbox"
		c.sandboxID = first("io.kubernetes.cri.sandbox-id", "io.kubernetes.cri-o.SandboxID")
		if c.Name == "" && c.Sandbox {
			c.Name, c.NameFrom = "pause", p
		}
		return true
	}
	return false
}

// lxc reads the image (rootfs) of an LXC container from its config.
func (m *runtimeMeta) lxc(c *Container) {
	data, err := m.readState(m.fs.hostPath("/var/lib/lxc/" + c.ID + "/config"))
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == "lxc.rootfs.path" {
			c.Image = strings.TrimSpace(v)
		}
	}
}
