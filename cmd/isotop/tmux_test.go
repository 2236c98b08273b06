package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/isotop/isotop/probe/probetest"
)

// TestTUIInTmux drives the real binary on the live host in tmux at 80x24 and reads the screen:
// the overview, a view switch, a filter, the help overlay, and q to quit.
func TestTUIInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("needs tmux (make test installs it)")
	}
	bin := filepath.Join(t.TempDir(), "isotop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	session := probetest.Name(t)
	// A tmux server of the test's own, its socket in the test's temporary directory: the
	// operator's sessions are never touched and nothing is left behind.
	socket := filepath.Join(t.TempDir(), "tmux")
	tmux := func(args ...string) string {
		out, err := exec.Command("tmux", append([]string{"-S", socket}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", "env", "NO_COLOR=1", bin, "--interval", "500ms")
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", socket, "kill-server").Run() })
	screen := func() string { return tmux("capture-pane", "-p", "-t", session) }
	waitFor := func(what string) string {
		t.Helper()
		var s string
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if s = screen(); strings.Contains(s, what) {
				return s
			}
		}
		t.Fatalf("timed out waiting for %q; the screen:\n%s", what, s)
		return s
	}
	s := waitFor("busiest cgroups")
	host, _ := os.Hostname()
	if !strings.Contains(s, "isotop · "+host) || !strings.Contains(s, "[o Over]") {
		t.Errorf("overview:\n%s", s)
	}
	tmux("send-keys", "-t", session, "p")
	waitFor("[p Procs]")
	tmux("send-keys", "-t", session, "/", "i", "s", "o", "t", "o", "p", "Enter")
	s = waitFor("filter: isotop")
	pid := strings.TrimSpace(tmux("list-panes", "-t", session, "-F", "#{pane_pid}")) // env exec'd isotop
	if !strings.Contains(s, " "+pid+" ") {
		t.Errorf("the filtered process list lacks isotop itself (pid %s):\n%s", pid, s)
	}
	tmux("send-keys", "-t", session, "?")
	waitFor("Keys")
	tmux("send-keys", "-t", session, "Escape")
	probetest.WaitFor(t, "the help to close", func() bool { return !strings.Contains(screen(), "Keys") })
	tmux("send-keys", "-t", session, "q")
	probetest.WaitFor(t, "isotop to quit", func() bool {
		return exec.Command("tmux", "-S", socket, "has-session", "-t", session).Run() != nil
	})
}
