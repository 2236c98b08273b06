package main

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/isotop/isotop/probe/probetest"
)

// tmuxTerm is the real binary in a terminal of tmux's: a server of the test's own (its socket in
// the test's directory, so the operator's sessions are never touched and nothing is left behind),
// one session, read as a user would read the screen.
type tmuxTerm struct {
	t       *testing.T
	socket  string
	session string
}

// startTmux runs argv (the binary and its arguments, after env assignments) in a w×h terminal.
func startTmux(t *testing.T, w, h int, argv ...string) *tmuxTerm {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("needs tmux (make test installs it)")
	}
	tm := &tmuxTerm{t: t, socket: filepath.Join(t.TempDir(), "tmux"), session: probetest.Name(t)}
	tm.run(append([]string{"new-session", "-d", "-s", tm.session, "-x", itoa(w), "-y", itoa(h), "env", "NO_COLOR=1"}, argv...)...)
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.socket, "kill-server").Run() })
	return tm
}

func itoa(n int) string { return strconv.Itoa(n) }

func (tm *tmuxTerm) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// keys sends tmux key names ("q", "Enter", "Escape") or literal text (with -l when literal).
func (tm *tmuxTerm) keys(keys ...string) {
	tm.run(append([]string{"send-keys", "-t", tm.session}, keys...)...)
}

// text types s literally.
func (tm *tmuxTerm) text(s string) { tm.run("send-keys", "-t", tm.session, "-l", s) }

func (tm *tmuxTerm) screen() string { return tm.run("capture-pane", "-p", "-t", tm.session) }

// waitFor waits until the screen holds every one of want and returns it. The deadline only keeps
// a stuck program from hanging the run; nothing is measured against it.
func (tm *tmuxTerm) waitFor(want ...string) string {
	tm.t.Helper()
	var s string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		s = tm.screen()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
	}
	tm.t.Fatalf("timed out waiting for %q; the screen:\n%s", want, s)
	return s
}

// waitGone waits until the screen no longer holds s (an overlay closed: a key sent right after Esc
// would reach the program as Alt+key).
func (tm *tmuxTerm) waitGone(s string) {
	tm.t.Helper()
	probetest.WaitFor(tm.t, "the screen to drop "+s, func() bool { return !strings.Contains(tm.screen(), s) })
}

// alive reports whether the session's program still runs.
func (tm *tmuxTerm) alive() bool {
	return exec.Command("tmux", "-S", tm.socket, "has-session", "-t", tm.session).Run() == nil
}
