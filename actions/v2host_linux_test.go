package actions

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/isotop/isotop/probe/probetest"
)

// limitV2Tests run inside the pure cgroup v2 kernel; each must pass there, not skip.
var limitV2Tests = []string{"TestLiveLimitMemory", "TestLiveLimitMemoryHigh", "TestLiveLimitCPUs", "TestLiveLimitCPUWeight",
	"TestLiveLimitPIDs", "TestLiveLimitAll", "TestLiveLimitRefusals", "TestLiveLimitUnauditable", "TestLiveLimitCLI"}

// TestLimitV2Host boots a real kernel whose only cgroup hierarchy is v2 (../shared/v2host/run,
// qemu) and runs the live limit tests and the CLI in it: on this hybrid host they only see v1
// memory, cpu and pids.
func TestLimitV2Host(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a kernel under qemu; not with -short")
	}
	run := probetest.V2HostScript(t, "../../shared/v2host/run")
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
	cmd := exec.Command(run, "--file", filepath.Join(dir, "actions.test"), "--file", filepath.Join(dir, "isotop"), "--", script)
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("%s: %v\n%s", run, err, text)
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
