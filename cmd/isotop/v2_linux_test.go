package main

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

// v2Journeys run inside the pure cgroup v2 kernel, the real binary in tmux; each must pass there.
var v2Journeys = []string{"TestJourneyOOM", "TestJourneyLimit", "TestJourneyRecordOOM"}

// TestV2Journeys boots a real kernel whose only cgroup hierarchy is v2 (package v2host) and walks
// the journeys there: on v2 the OOM kill is in a cgroup removed at once, which only the watcher
// sees.
func TestV2Journeys(t *testing.T) {
	v2host.Require(t)
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Fatal("needs tmux (make deps installs it)")
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"test", "-c", "-o", filepath.Join(dir, "isotop.test"), "."},
		{"build", "-o", filepath.Join(dir, "isotop"), "."},
	} {
		cmd := exec.Command("go", args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	files := []v2host.File{{Src: filepath.Join(dir, "isotop.test")}, {Src: filepath.Join(dir, "isotop")}, {Src: tmux}}
	// tmux reads the terminfo of its own TERM, and wants a UTF-8 locale (C.UTF-8, glibc's).
	extra := []string{"/usr/share/terminfo/x/xterm", "/lib/terminfo/x/xterm", "/usr/share/terminfo/s/screen", "/lib/terminfo/s/screen"}
	locale, _ := filepath.Glob("/usr/lib/locale/C.utf8/LC_*")
	for _, f := range append(extra, locale...) {
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
			files = append(files, v2host.File{Src: f, Dst: f})
		}
	}
	script := "export TERM=xterm LC_ALL=C.UTF-8 ISOTOP_TEST_BIN=/bin/isotop\n/bin/isotop.test -test.v -test.count=1 -test.run '^(" +
		strings.Join(v2Journeys, "|") + ")$'\n"
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	res, err := v2host.Run(ctx, v2host.Options{Script: script, Files: files, Log: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %.1fs in the guest", res.Kernel, res.Took.Seconds())
	for _, name := range v2Journeys {
		if !strings.Contains(res.Output, "--- PASS: "+name+" ") {
			t.Errorf("%s did not pass on the v2 kernel", name)
		}
	}
	if !strings.Contains(res.Output, "oom-kill inotify") {
		t.Errorf("the recorder in the v2 guest did not record the OOM kill in the removed cgroup by inotify")
	}
	if !strings.Contains(res.Output, "followed with inotify") {
		t.Errorf("the TUI in the v2 guest did not follow the events with inotify")
	}
	if t.Failed() || res.Status != 0 {
		t.Errorf("exit %d; the guest's output:\n%s", res.Status, res.Output)
	}
}
