package probe_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest/v2host"
)

// v2Tests run inside the pure cgroup v2 kernel; each must pass there, not skip.
var v2Tests = []string{"TestLiveCgroups", "TestWatchOOM", "TestLiveSnapshotSmoke", "TestNoDescriptorLeak", "TestZombie"}

// TestV2Probe boots a real kernel whose only cgroup hierarchy is v2 (package v2host: qemu, about
// 10 s), runs the live tests and `isotop snapshot --json` in it, and checks both.
func TestV2Probe(t *testing.T) {
	v2host.Require(t)
	dir := t.TempDir()
	build := func(out string, args ...string) {
		cmd := exec.Command("go", args...)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	build("", "test", "-c", "-o", filepath.Join(dir, "probe.test"), "./probe")
	build("", "build", "-o", filepath.Join(dir, "isotop"), "./cmd/isotop")

	script := "/bin/probe.test -test.v -test.count=1 -test.run '^(" + strings.Join(v2Tests, "|") + ")$'; st=$?\n" +
		"echo @@json; /bin/isotop snapshot --json; echo @@end\nexit $st\n"
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	res, err := v2host.Run(ctx, v2host.Options{Script: script, Log: os.Stderr,
		Files: []v2host.File{{Src: filepath.Join(dir, "probe.test")}, {Src: filepath.Join(dir, "isotop")}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %.1fs in the guest", res.Kernel, res.Took.Seconds())
	tests, rest, _ := strings.Cut(res.Output, "@@json\n")
	doc, _, ok := strings.Cut(rest, "@@end")
	if res.Status != 0 {
		t.Errorf("the tests in the guest: exit %d\n%s", res.Status, tests)
	}
	for _, name := range v2Tests {
		if !strings.Contains(tests, "--- PASS: "+name+" ") {
			t.Errorf("%s did not pass on the v2 kernel:\n%s", name, tests)
		}
	}
	var s probe.Snapshot
	if !ok || json.Unmarshal([]byte(doc), &s) != nil {
		t.Fatalf("no snapshot JSON from the v2 kernel")
	}
	if s.Host.CgroupMode != "v2" || len(s.Cgroups) == 0 || s.Cgroups[0].Path != "/" || s.Host.NSFrom != "pid 1" {
		t.Errorf("on the v2 kernel: mode %q, %d cgroups, ns from %q", s.Host.CgroupMode, len(s.Cgroups), s.Host.NSFrom)
	}
}
