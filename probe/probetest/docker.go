package probetest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Dockerd is a Docker daemon of a test's own: its socket, data and state in the test's temporary
// directory, no iptables rules and no docker0 bridge (--iptables=false --bridge=none), the vfs
// storage driver (no overlay mounts of its own), its containers' cgroups under CgroupParent (a
// docker directory in a test cgroup: the layout isotop knows Docker's cgroupfs driver by). It is
// stopped and everything it made removed in t.Cleanup.
type Dockerd struct {
	Socket       string
	CgroupParent string // "/isotop-test-…/docker"
	cli          string
}

// Docker starts a Dockerd. It skips without dockerd (Debian's docker.io, which make test installs).
func Docker(t testing.TB) *Dockerd {
	t.Helper()
	Live(t)
	daemon, err := exec.LookPath("dockerd")
	if err != nil {
		t.Skip("needs dockerd (make test installs docker.io)")
	}
	// The client of the same package speaks the daemon's API version; any other negotiates.
	cli := "/usr/bin/docker"
	if _, err := os.Stat(cli); err != nil {
		if cli, err = exec.LookPath("docker"); err != nil {
			t.Skip("needs the docker client (make test installs docker.io)")
		}
	}
	// dockerd makes /run/docker (its plugins' sockets) whatever its exec root: removed after when it
	// was not there before.
	var made []string
	for _, d := range []string{"/run/docker"} {
		if _, err := os.Stat(d); os.IsNotExist(err) {
			made = append(made, d)
		}
	}
	dir, err := os.MkdirTemp("", "isotop-test-docker-")
	if err != nil {
		t.Fatal(err)
	}
	top := "/" + Name(t)
	d := &Dockerd{Socket: filepath.Join(dir, "docker.sock"), CgroupParent: top + "/docker", cli: cli}
	conf := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(conf, []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file", conf, "--iptables=false", "--ip6tables=false", "--bridge=none",
		"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "dockerd.pid"), "-H", "unix://"+d.Socket, "--storage-driver", "vfs",
		"--cgroup-parent", d.CgroupParent)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Its containers first (they were run with --rm; one a failed test left is removed here).
		if out, err := exec.Command(cli, "-H", "unix://"+d.Socket, "ps", "-aq").Output(); err == nil {
			for _, id := range strings.Fields(string(out)) {
				exec.Command(cli, "-H", "unix://"+d.Socket, "rm", "-f", id).Run()
			}
		}
		stopDaemon(cmd, 30*time.Second)
		for _, h := range hierarchies(t) {
			removeCgroupTree(t, filepath.Join(h.mount, top))
		}
		os.RemoveAll(dir)
		for _, m := range made {
			os.Remove(filepath.Join(m, "plugins"))
			os.Remove(m)
		}
	})
	WaitFor(t, "dockerd to answer", func() bool {
		return exec.Command(cli, "-H", "unix://"+d.Socket, "version").Run() == nil
	})
	return d
}

// removeCgroupTree removes a cgroup the test's daemon made and everything below it, deepest first.
func removeCgroupTree(t testing.TB, dir string) {
	var dirs []string
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		removeCgroupDir(t, dirs[i])
	}
}

// Run starts a detached container of image named name (removed with the daemon) and returns its id.
func (d *Dockerd) Run(t testing.TB, name, image string, args ...string) string {
	t.Helper()
	full := append([]string{"run", "-d", "--name", name, "--network", "none", "--cgroup-parent", d.CgroupParent, image}, args...)
	return strings.TrimSpace(d.Docker(t, full...))
}

// Docker runs the docker client against this daemon and returns its standard output, failing the
// test with both outputs when it fails.
func (d *Dockerd) Docker(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(d.cli, append([]string{"-H", "unix://" + d.Socket}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// Import makes an image of the directory root (docker import of its tar) and returns its name.
func (d *Dockerd) Import(t testing.TB, root string) string {
	t.Helper()
	tar := filepath.Join(t.TempDir(), "rootfs.tar")
	Run(t, "tar", "-C", root, "-cf", tar, ".")
	image := Name(t) + ":latest"
	d.Docker(t, "import", tar, image)
	return image
}

// Info is what docker info says of the daemon's security options (seccomp, apparmor, cgroupns).
func (d *Dockerd) Info(t testing.TB) []string {
	t.Helper()
	var info struct{ SecurityOptions []string }
	if err := json.Unmarshal([]byte(d.Docker(t, "info", "--format", "{{json .}}")), &info); err != nil {
		t.Fatal(err)
	}
	return info.SecurityOptions
}
