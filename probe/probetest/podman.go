package probetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// PodmanFlags are what Podman needs on these machines: runc (crun refuses hybrid cgroups), the
// cgroupfs manager (no systemd), and rlimits no higher than the host's (no CAP_SYS_RESOURCE).
var PodmanFlags = []string{"--runtime", "runc", "--cgroup-manager=cgroupfs",
	"--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096"}

// PodmanImage imports a tiny busybox image made from the host's busybox-static, under a test
// name, and removes it in t.Cleanup. It skips the test without podman, runc or busybox.
func PodmanImage(t testing.TB) string {
	t.Helper()
	Live(t)
	for _, bin := range []string{"podman", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s (make test installs it)", bin)
		}
	}
	busybox := "/bin/busybox"
	if _, err := os.Stat(busybox); err != nil {
		t.Skip("needs busybox-static (make test installs it)")
	}
	root := t.TempDir()
	for _, d := range []string{"bin", "proc", "sys", "dev", "etc", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	Run(t, "cp", busybox, filepath.Join(root, "bin/busybox"))
	for _, app := range []string{"sh", "sleep", "cat", "hostname", "ip", "ps"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", app)); err != nil {
			t.Fatal(err)
		}
	}
	tar := filepath.Join(t.TempDir(), "rootfs.tar")
	Run(t, "tar", "-C", root, "-cf", tar, ".")
	image := "localhost/" + Name(t) + ":latest"
	Run(t, "podman", "import", "--quiet", tar, image)
	t.Cleanup(func() { _ = exec.Command("podman", "rmi", "-f", image).Run() })
	return image
}

// PodmanRun starts a detached container named name and removes it in t.Cleanup; it returns the
// container's id.
func PodmanRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	full := append([]string{"run", "-d", "--name", name}, PodmanFlags...)
	id := strings.TrimSpace(Run(t, "podman", append(full, args...)...))
	t.Cleanup(func() { _ = exec.Command("podman", "rm", "-f", "-t", "0", name).Run() })
	return id
}
