package probe_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// initHost is what startInits runs: Podman containers whose pid 1 is an init (podman run --init,
// catatonit) or a supervisor (a stand-in for ContainerPilot, with its config in the container's
// root), and a tree no runtime made, in a UTS namespace of its own with a hostname.
type initHost struct {
	catatonit, pilot string // the containers' ids
	pilotConfig      string // the ContainerPilot config's path in its container
	jobs             []probe.InitJob
	tree             *exec.Cmd // unshare, the tree's topmost process
	treeHost         string
	sleep            string
}

// pilotScript stands in for ContainerPilot: pid 1 of its container, named containerpilot, running
// its two jobs' processes.
const pilotScript = "#!/bin/sh\nsleep %s &\nsleep %s &\nwait\n"

// pilotConfig is its config as people write it: JSON5, with comments, bare keys, single quotes
// and trailing commas.
const pilotConfig = `// ContainerPilot's config
{
  consul: 'localhost:8500',
  jobs: [
    {
      name: 'app',
      exec: ['/bin/sleep', '%s'],
      when: {source: 'db', once: 'healthy'},
      health: {exec: 'cat /etc/hostname', interval: 5, ttl: 10}, /* every 5 s */
    },
    {name: "db", exec: "/bin/sleep %s", restarts: "unlimited"},
  ],
}
`

func startInits(t *testing.T) *initHost {
	image := probetest.PodmanImage(t)
	name := probetest.Name(t)
	tag := strings.TrimPrefix(name, probetest.Prefix)
	d, _ := strconv.ParseUint(tag[:4], 16, 32)
	h := &initHost{sleep: strconv.Itoa(60000 + int(d%9999)), treeHost: "tree-" + tag, pilotConfig: "/etc/containerpilot.json5"}
	h.jobs = []probe.InitJob{
		{Name: "app", Exec: "/bin/sleep " + h.sleep, Health: "cat /etc/hostname", Interval: "5s", When: "once healthy: db"},
		{Name: "db", Exec: "/bin/sleep " + h.sleep},
	}
	h.catatonit = probetest.PodmanRun(t, name+"-init", "--init", "--network", "none", image, "sleep", h.sleep)

	dir := t.TempDir()
	script, config := filepath.Join(dir, "containerpilot"), filepath.Join(dir, "containerpilot.json5")
	if err := os.WriteFile(script, []byte(strings.ReplaceAll(pilotScript, "%s", h.sleep)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, []byte(strings.ReplaceAll(pilotConfig, "%s", h.sleep)), 0o644); err != nil {
		t.Fatal(err)
	}
	h.pilot = probetest.PodmanRun(t, name+"-pilot", "--network", "none", "-v", script+":/bin/containerpilot:ro",
		"-v", config+":"+h.pilotConfig+":ro", image, "/bin/containerpilot")

	h.tree = probetest.Start(t, exec.Command("unshare", "--fork", "--pid", "--mount-proc", "--uts", "--kill-child",
		"sh", "-c", "hostname "+h.treeHost+" && exec sleep "+h.sleep))
	return h
}

// snapshotInits waits for startInits's containers and tree to be complete in a snapshot.
func snapshotInits(t *testing.T, h *initHost, fs probe.FS) *probe.Snapshot {
	var s *probe.Snapshot
	probetest.WaitFor(t, "the inits' containers with their children, and the tree with its hostname", func() bool {
		var err error
		if s, err = fs.Snapshot(); err != nil {
			t.Fatal(err)
		}
		cat, pilot := findContainer(s, "podman:"+h.catatonit), findContainer(s, "podman:"+h.pilot)
		tree := findContainer(s, "isolated:"+strconv.Itoa(h.tree.Process.Pid))
		return cat != nil && len(cat.PIDs) == 2 && pilot != nil && len(pilot.PIDs) == 3 && tree != nil && tree.Hostname == h.treeHost
	})
	return s
}

// TestLiveInit: a container's pid 1 recognised as catatonit (podman run --init) and as
// ContainerPilot, with the processes each supervises and ContainerPilot's jobs from its config in
// the container's root; an isolated tree with a hostname of its own is named by it.
func TestLiveInit(t *testing.T) {
	h := startInits(t)
	s := snapshotInits(t, h, probe.DefaultFS())
	checkInits(t, h, s)
}

func checkInits(t *testing.T, h *initHost, s *probe.Snapshot) {
	t.Helper()
	cat, pilot := findContainer(s, "podman:"+h.catatonit), findContainer(s, "podman:"+h.pilot)
	children := func(c *probe.Container) []int {
		var out []int
		for _, pid := range c.PIDs {
			if p := findProc(t, s, pid); p.PPID == c.PID {
				out = append(out, pid)
			}
		}
		return out
	}
	if in := cat.Init; in == nil || in.Name != "catatonit" || in.From != "exe /run/podman-init" ||
		!slices.Equal(in.Supervises, children(cat)) || len(in.Supervises) != 1 || findProc(t, s, in.Supervises[0]).Comm != "sleep" {
		t.Errorf("podman --init: init %+v", in)
	}
	in := pilot.Init
	if in == nil || in.Name != "containerpilot" || in.From != "comm containerpilot" || !slices.Equal(in.Supervises, children(pilot)) ||
		len(in.Supervises) != 2 {
		t.Fatalf("containerpilot: init %+v (pids %v)", in, pilot.PIDs)
	}
	if !slices.Equal(in.Jobs, h.jobs) || in.JobsFrom != "/proc/"+strconv.Itoa(pilot.PID)+"/root"+h.pilotConfig {
		t.Errorf("containerpilot jobs %+v from %q, want %+v", in.Jobs, in.JobsFrom, h.jobs)
	}
	for _, e := range s.Errors {
		if strings.Contains(e.Path, "/root/") {
			t.Errorf("error: %+v", e)
		}
	}
	tree := findContainer(s, "isolated:"+strconv.Itoa(h.tree.Process.Pid))
	if tree.Name != h.treeHost || tree.NameFrom != "uts" || tree.Hostname != h.treeHost {
		t.Errorf("tree: name %q from %q, hostname %q", tree.Name, tree.NameFrom, tree.Hostname)
	}
	if tree.Init != nil {
		t.Errorf("tree: init %+v", tree.Init)
	}
}

// TestLiveInitTini: Docker's --init runs tini as docker-init, pid 1 of the container.
func TestLiveInitTini(t *testing.T) {
	d := probetest.Docker(t)
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	probetest.Run(t, "cp", "/bin/busybox", filepath.Join(root, "bin/busybox"))
	if err := os.Symlink("busybox", filepath.Join(root, "bin/sleep")); err != nil {
		t.Fatal(err)
	}
	image := d.Import(t, root)
	full := []string{"run", "-d", "--init", "--name", probetest.Name(t), "--network", "none", "--cgroup-parent", d.CgroupParent, image, "sleep", "86391"}
	id := strings.TrimSpace(d.Docker(t, full...))
	var c *probe.Container
	probetest.WaitFor(t, "the container with tini and its sleep", func() bool {
		s, err := probe.DefaultFS().Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		c = findContainer(s, "docker:"+id)
		return c != nil && len(c.PIDs) == 2
	})
	if in := c.Init; in == nil || in.Name != "tini" || !strings.HasSuffix(in.From, "/docker-init") || len(in.Supervises) != 1 {
		t.Errorf("docker run --init: init %+v (pids %v)", in, c.PIDs)
	}
}
