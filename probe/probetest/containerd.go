package probetest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ContainerdSocket is where Debian's containerd listens by default; its state (the tasks' bundles)
// is under /run/containerd, where isotop reads it.
const ContainerdSocket = "/run/containerd/containerd.sock"

// Containerd returns the address of a running containerd: the one at ContainerdSocket, or, when
// none runs there, one the test starts with Debian's default configuration and stops in
// t.Cleanup (removing /run/containerd and /var/lib/containerd if they were not there before).
// It skips without the containerd package (make test installs it).
func Containerd(t testing.TB) string {
	t.Helper()
	Live(t)
	for _, bin := range []string{"containerd", "ctr", "containerd-shim-runc-v2", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s (make test installs containerd and runc)", bin)
		}
	}
	if c, err := net.Dial("unix", ContainerdSocket); err == nil {
		c.Close()
		return ContainerdSocket
	}
	var made []string
	for _, d := range []string{"/run/containerd", "/var/lib/containerd"} {
		if _, err := os.Stat(d); os.IsNotExist(err) {
			made = append(made, d)
		}
	}
	log, err := os.Create(filepath.Join(t.TempDir(), "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("containerd")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopDaemon(cmd, 10*time.Second)
		for _, d := range made {
			os.RemoveAll(d)
		}
	})
	WaitFor(t, "containerd to listen", func() bool {
		c, err := net.Dial("unix", ContainerdSocket)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return ContainerdSocket
}

// CtrRun runs a container of the tests' busybox image (imported from Podman's, as a docker
// archive) with ctr, in a containerd namespace of the test's own, under id, and removes the task,
// the container, the image and the namespace in t.Cleanup. It returns the namespace.
func CtrRun(t testing.TB, address, id string, args ...string) string {
	t.Helper()
	s := newCtrSession(t, address)
	s.run(t, id, nil, args...)
	return s.ns
}

// ctrSession is a containerd namespace of a test's own, with the tests' busybox image in it.
type ctrSession struct {
	address, ns, image string
}

// newCtrSession makes the namespace and imports the image; t.Cleanup removes the image, the
// namespace and the cgroup containerd made for the namespace.
func newCtrSession(t testing.TB, address string) *ctrSession {
	t.Helper()
	s := &ctrSession{address: address, ns: Name(t), image: PodmanImage(t)}
	t.Cleanup(func() { // registered first: an import that fails half way leaves the namespace
		_ = exec.Command("ctr", s.args("images", "rm", s.image)...).Run()
		_ = exec.Command("ctr", "-a", address, "namespaces", "rm", s.ns).Run()
		// containerd makes a cgroup for the namespace (/NS/ID with cgroupfs) and removes only
		// the container's: the namespace's is the test's to remove, in every hierarchy.
		for _, h := range hierarchies(t) {
			removeCgroupDir(t, filepath.Join(h.mount, s.ns))
		}
		// Its state directories for the namespace stay behind, empty: os.Remove takes only an
		// empty directory.
		for _, d := range []string{"/run/containerd/io.containerd.runtime.v2.task", "/run/containerd/runc"} {
			_ = os.Remove(filepath.Join(d, s.ns))
		}
	})
	tar := filepath.Join(t.TempDir(), "image.tar")
	Run(t, "podman", "save", "--quiet", "--format", "docker-archive", "-o", tar, s.image)
	Run(t, "ctr", s.args("images", "import", tar)...)
	return s
}

// args are ctr's arguments for the session's containerd and namespace, then args.
func (s *ctrSession) args(args ...string) []string {
	return append([]string{"-a", s.address, "-n", s.ns}, args...)
}

// run runs a detached container of the image under id, with ctr run's flags, waits for its task
// to run and returns the task's pid; t.Cleanup kills and removes the task and the container.
func (s *ctrSession) run(t testing.TB, id string, flags []string, args ...string) int {
	t.Helper()
	t.Cleanup(func() {
		_ = exec.Command("ctr", s.args("tasks", "kill", "-s", "KILL", id)...).Run()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if exec.Command("ctr", s.args("tasks", "rm", id)...).Run() == nil {
				break
			}
		}
		_ = exec.Command("ctr", s.args("containers", "rm", id)...).Run()
	})
	run := append(append([]string{"run", "-d"}, flags...), s.image, id)
	Run(t, "ctr", s.args(append(run, args...)...)...)
	pid := 0
	WaitFor(t, "the task "+id+" to run", func() bool {
		out, _ := exec.Command("ctr", s.args("tasks", "ls")...).Output()
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == id && f[2] == "RUNNING" {
				pid, _ = strconv.Atoi(f[1])
				return pid > 0
			}
		}
		return false
	})
	return pid
}

// stopDaemon stops a daemon a test started: SIGINT, its own shutdown for up to grace, then SIGKILL.
func stopDaemon(cmd *exec.Cmd, grace time.Duration) {
	cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		cmd.Process.Kill()
		<-done
	}
}
