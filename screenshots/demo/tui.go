package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// term is bin/isotop running in a tmux server of the demo's own (its socket in the demo's
// temporary directory: the operator's sessions are never touched), killed in teardown.
type term struct {
	t       *tb
	socket  string
	session string
}

func startTUI(t *tb, isotop, audit string, cols, rows int) *term {
	tm := &term{t: t, socket: filepath.Join(t.tmp, fmt.Sprintf("tmux-%d", os.Getpid())), session: "shots"}
	abs, err := filepath.Abs(isotop)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.socket, "kill-server").Run() })
	// Colour on (whatever NO_COLOR the caller has), a 256-colour terminal.
	tm.tmux("new-session", "-d", "-s", tm.session, "-x", fmt.Sprint(cols), "-y", fmt.Sprint(rows),
		"env", "-u", "NO_COLOR", "TERM=xterm-256color", abs, "--interval", "1s", "--audit-log", audit)
	return tm
}

func (tm *term) tmux(args ...string) string {
	out, err := exec.Command("tmux", append([]string{"-S", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// keys sends tmux key names (Enter, Right, Down …), one at a time, with a pause for the TUI to
// take each.
func (tm *term) keys(keys ...string) {
	for _, k := range keys {
		tm.tmux("send-keys", "-t", tm.session, k)
		tm.sleep(150 * time.Millisecond)
	}
}

// filter types a filter for the current view: / text Enter.
func (tm *term) filter(text string) {
	tm.keys("/")
	tm.tmux("send-keys", "-t", tm.session, "-l", text)
	tm.sleep(150 * time.Millisecond)
	tm.keys("Enter")
}

// clearFilter clears the current view's filter.
func (tm *term) clearFilter() { tm.keys("/", "Escape") }

func (tm *term) screen() string { return tm.tmux("capture-pane", "-p", "-t", tm.session) }

// waitFor waits until the screen holds every one of what, then for a refresh.
func (tm *term) waitFor(what ...string) string {
	var s string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); tm.sleep(100 * time.Millisecond) {
		s = tm.screen()
		ok := true
		for _, w := range what {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			tm.sleep(1200 * time.Millisecond) // a refresh (--interval 1s): rates from two samples
			return tm.screen()
		}
	}
	tm.t.Fatalf("timed out waiting for %q; the screen:\n%s", what, s)
	return ""
}

// capture saves the screen with its colours (SGR sequences) to dir/name.ansi.
func (tm *term) capture(dir, name string) string {
	tm.t.check()
	s := tm.tmux("capture-pane", "-e", "-p", "-t", tm.session)
	file := filepath.Join(dir, name+".ansi")
	if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
		tm.t.Fatal(err)
	}
	return file
}

func (tm *term) resize(cols, rows int) {
	tm.tmux("resize-window", "-t", tm.session, "-x", fmt.Sprint(cols), "-y", fmt.Sprint(rows))
}

func (tm *term) sleep(d time.Duration) {
	tm.t.check()
	time.Sleep(d)
}

// selected returns the selected row of the screen (marked ▶), or "".
func selected(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, "▶") {
			return l
		}
	}
	return ""
}

// selectRow moves the selection from the top down to the first row for which match holds.
func (tm *term) selectRow(what string, match func(row string) bool) {
	tm.keys("Home")
	for range 400 {
		s := tm.screen()
		if match(selected(s)) {
			return
		}
		tm.keys("Down")
		// The last row: the selection did not move (its first cells; a row's figures move with
		// each refresh).
		if s2 := tm.screen(); rowKey(selected(s2)) == rowKey(selected(s)) {
			tm.sleep(300 * time.Millisecond)
			if s3 := tm.screen(); rowKey(selected(s3)) == rowKey(selected(s)) {
				tm.t.Fatalf("no row for %s; the screen:\n%s", what, s3)
			}
		}
	}
	tm.t.Fatalf("no row for %s in 400; the screen:\n%s", what, tm.screen())
}

// rowKey is a row's first two cells (the ▶ left out), which name it in every view (a pid, a
// namespace's kind and inode, a container's runtime and name).
func rowKey(row string) string {
	f := strings.Fields(strings.TrimPrefix(row, "▶"))
	return strings.Join(f[:min(2, len(f))], " ")
}

// field reports whether the row's n-th field (from 0, the ▶ left out) is v.
func field(row string, n int, v string) bool {
	f := strings.Fields(strings.TrimPrefix(row, "▶"))
	return n < len(f) && f[n] == v
}
