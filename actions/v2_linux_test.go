package actions

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/isotop/isotop/probe/probetest/v2host"
)

// limitV2Tests run inside the pure cgroup v2 kernel; each must pass there, not skip.
var limitV2Tests = []string{"TestLiveLimitMemory", "TestLiveLimitMemoryHigh", "TestLiveLimitCPUs", "TestLiveLimitCPUWeight",
	"TestLiveLimitPIDs", "TestLiveLimitAll", "TestLiveLimitRefusals", "TestLiveLimitUnauditable", "TestLiveLimitCLI"}

// TestV2Limits boots a real kernel whose only cgroup hierarchy is v2 (package v2host, qemu)
// and runs the live limit tests and the CLI in it: on a hybrid host they only see v1 memory, cpu
// and pids.
func TestV2Limits(t *testing.T) {
	v2host.Require(t)
	dir := t.TempDir()
	// With cgo, as isotop is built: early.c is linked in; the run script brings the shared
	// libraries of a dynamic executable along.
	for _, args := range [][]string{
		{"test", "-c", "-o", filepath.Join(dir, "actions.test"), "./actions"},
		{"build", "-o", filepath.Join(dir, "isotop"), "./cmd/isotop"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	script := "ISOTOP_TEST_BIN=/bin/isotop /bin/actions.test -test.v -test.count=1 -test.run '^(" +
		strings.Join(limitV2Tests, "|") + ")$'\n"
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	res, err := v2host.Run(ctx, v2host.Options{Script: script, Log: os.Stderr,
		Files: []v2host.File{{Src: filepath.Join(dir, "actions.test")}, {Src: filepath.Join(dir, "isotop")}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %.1fs in the guest", res.Kernel, res.Took.Seconds())
	text := res.Output
	if res.Status != 0 {
		t.Errorf("the tests in the guest: exit %d", res.Status)
	}
	for _, name := range limitV2Tests {
		if !strings.Contains(text, "--- PASS: "+name+" ") {
			t.Errorf("%s did not pass on the v2 kernel", name)
		}
	}
	// The tests took their v2 branches: one hierarchy, and the v2 files written.
	for _, s := range []string{"memory: cgroup v2 at /sys/fs/cgroup/isotop-test-", "cpu: cgroup v2 at /sys/fs/cgroup/isotop-test-",
		"/memory.max: max → 67108864", "/memory.high: ", "/cpu.max: max 100000 → 50000 100000", "/cpu.weight: 100 → 200", "/pids.max: max → 50"} {
		if !strings.Contains(text, s) {
			t.Errorf("the v2 run does not show %q", s)
		}
	}
	if t.Failed() {
		t.Logf("output of the v2 kernel:\n%s", text)
	}
}
