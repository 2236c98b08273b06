// Package probetest has the helpers isotop's tests use to build real namespaces, processes and
// network namespaces on the test host, each under a unique isotop-test-… name, removed again in
// t.Cleanup. Tests kill only the processes they started.
package probetest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Prefix starts the name of everything a test creates on the host.
const Prefix = "isotop-test-"

// EnvLive is the switch for the tests that change the host they run on: they make namespaces,
// mounts, cgroups, links, network namespaces and containers (each under Prefix, removed after), so
// `go test ./...` alone skips them and touches nothing. make test sets it to 1.
const EnvLive = "ISOTOP_TEST_LIVE"

// Live skips t unless EnvLive is 1 and the test runs as root, saying why.
func Live(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvLive) != "1" {
		t.Skipf("changes this host (namespaces, cgroups, links or containers, removed after): set %s=1 to run it (make test does)", EnvLive)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates namespaces, cgroups or network namespaces on this host")
	}
}

// Name returns a fresh name under Prefix, short enough for an interface name when n <= 15.
func Name(t testing.TB) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return Prefix + hex.EncodeToString(b[:])
}

// Start starts cmd and registers its kill in t.Cleanup. Killing the first process of a new pid
// namespace (its init) makes the kernel kill everything else in that namespace.
func Start(t testing.TB, cmd *exec.Cmd) *exec.Cmd {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// Run runs a command and fails the test with its output when it fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// NetnsAdd creates a network namespace held only by its bind mount /run/netns/NAME (ip netns add),
// deleted in t.Cleanup. It returns the name.
func NetnsAdd(t testing.TB) string {
	t.Helper()
	Live(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip from iproute2 (make test installs it)")
	}
	name := Name(t)
	Run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	return name
}

// WaitFor polls cond every 10 ms until it holds or 10 s pass: for a child to have exec'd or
// forked before the test reads it. It fails the test on time-out.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// RunInNetns runs a command inside the network namespace at nsPath (nsenter from util-linux: the
// test process itself never changes namespace).
func RunInNetns(t testing.TB, nsPath, name string, args ...string) string {
	t.Helper()
	return Run(t, "nsenter", append([]string{"--net=" + nsPath, "--", name}, args...)...)
}

// Children lists the pids of pid's children (/proc/PID/task/*/children: each thread's); none when
// it is gone.
func Children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(data)) {
			if n, err := strconv.Atoi(s); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}
