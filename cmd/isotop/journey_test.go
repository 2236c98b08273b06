package main

import (
	"strings"
	"testing"

	"github.com/isotop/isotop/probe/probetest"
)

// TestJourneyEnter is one user's whole path: the TUI, E on a Podman container with a pid namespace
// of its own, a command in the shell, exit, and then the TUI used again (move, switch views, L
// and cancel): it must stay alive and answer every key, and the shell must have run in the
// container's cgroup, as docker exec's and podman exec's do.
func TestJourneyEnter(t *testing.T) {
	h := probetest.NewHost(t)
	bin := buildBinary(t)
	tm := startTmux(t, 160, 45, "ISOTOP_READONLY=0", bin, "--interval", "1s", "--audit-log", t.TempDir()+"/audit.jsonl")
	tm.waitFor("busiest cgroups")
	tm.keys("c")
	tm.waitFor("[c Containers]")
	tm.keys("/")
	tm.text(h.DB)
	tm.keys("Enter")
	tm.waitFor("filter: " + h.DB)
	tm.keys("E")
	tm.waitFor("/ #") // busybox sh's prompt, inside the container
	tm.text("hostname; cat /proc/self/cgroup | grep -c libpod-" + h.DBID[:12] + "; echo done-$((6*7))")
	tm.keys("Enter")
	s := tm.waitFor("done-42")
	if !strings.Contains(s, h.DBHost) {
		t.Errorf("the shell is not in the container's uts namespace:\n%s", s)
	}
	// grep -c counts the lines of /proc/self/cgroup that name the container's cgroup.
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), h.DBHost) && i+1 < len(lines) {
			if n := strings.TrimSpace(lines[i+1]); n == "0" {
				t.Errorf("the shell is outside the container's cgroup (none of its /proc/self/cgroup lines names libpod-%s):\n%s", h.DBID[:12], s)
			}
		}
	}
	tm.text("exit")
	tm.keys("Enter")
	s = tm.waitFor("back from container " + h.DB)
	if !strings.Contains(s, "in its cgroup") {
		t.Errorf("the status line does not say where the shell ran:\n%s", s)
	}
	// The TUI answers every key after.
	tm.keys("j")
	tm.keys("k")
	tm.keys("n")
	tm.waitFor("[n Namespaces]")
	tm.keys("c")
	tm.waitFor("[c Containers]")
	tm.keys("L")
	tm.waitFor("Set limits on container " + h.DB)
	tm.keys("Escape")
	tm.waitGone("Set limits on")
	tm.keys("p")
	tm.waitFor("[p Processes]")
	if !tm.alive() {
		t.Fatal("isotop ended after the enter")
	}
	tm.keys("q")
	probetest.WaitFor(t, "isotop to quit on q", func() bool { return !tm.alive() })
}
