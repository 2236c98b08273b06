package main

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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

// TestJourneyOOM: the TUI is open on the overview; a process is OOM-killed in a test cgroup. On a
// v2 host the cgroup is removed at once, so that no refresh ever sees it: only the watcher
// (inotify) can tell; on v1, which has no notification, it stays until the next refresh reads its
// counters. Either way the overview lists the kill within one refresh.
func TestJourneyOOM(t *testing.T) {
	probetest.Live(t)
	cg := oomVictim(t)
	bin := buildBinary(t)
	tm := startTmux(t, 120, 40, "ISOTOP_READONLY=0", bin, "--interval", "1s")
	tm.waitFor("busiest cgroups", "recent cgroup events")
	if cg.IsV2("memory") {
		tm.waitFor("followed with inotify")
	}
	oomKill(t, cg)
	s := tm.waitFor("oom_kill", cg.Path)
	t.Logf("the overview after the OOM kill:\n%s", s)
}

// TestJourneyLimit: L on a test cgroup in the Cgroups view, a limit typed in the form, the writes
// confirmed with y; the Cgroups view shows the new limit at the next refresh, and the Audit view
// the record.
func TestJourneyLimit(t *testing.T) {
	probetest.Live(t)
	name := probetest.Name(t)
	probetest.NewCgroup(t, name, "pids", "memory")
	bin := buildBinary(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	tm := startTmux(t, 160, 40, "ISOTOP_READONLY=0", bin, "--interval", "1s", "--audit-log", audit)
	tm.waitFor("busiest cgroups")
	tm.keys("g")
	tm.waitFor("[g Cgroups]")
	tm.keys("/")
	tm.text(name)
	tm.keys("Enter")
	tm.waitFor("filter: " + name)
	tm.keys("L")
	tm.waitFor("Set limits on cgroup /" + name)
	tm.text("pids=37 memory=48M")
	tm.keys("Enter")
	s := tm.waitFor("These writes set the limits", "y writes them")
	for _, want := range []string{"pids.max", "→ 37", "50331648"} {
		if !strings.Contains(s, want) {
			t.Errorf("the plan lacks %q:\n%s", want, s)
		}
	}
	tm.keys("y")
	tm.waitFor("Read back after the writes")
	tm.keys("Escape")
	tm.waitGone("Read back after the writes")
	s = tm.waitFor("48.0M", "/37")
	t.Logf("the Cgroups view after the limit:\n%s", s)
	tm.keys("a")
	s = tm.waitFor("[a Audit]", "pids.max", "ok")
	if !strings.Contains(s, "cgroup /"+name) {
		t.Errorf("the Audit view does not show the limit on /%s:\n%s", name, s)
	}
}

// oomVictim makes a test cgroup with 24 MiB of memory and no swap, under a parent of its own.
func oomVictim(t *testing.T) *probetest.Cgroup {
	name := probetest.Name(t)
	probetest.NewCgroup(t, name, "memory")
	cg := probetest.NewCgroup(t, name+"/victim", "memory")
	cg.SetMemoryMax(t, 24<<20)
	cg.Write(t, "memory", "memory.memsw.limit_in_bytes", "memory.swap.max", map[bool]string{true: "0", false: strconv.Itoa(24 << 20)}[cg.IsV2("memory")])
	return cg
}

// oomKill has a dd of 64 MiB OOM-killed in cg; on v2 the cgroup is removed right after, so that
// only a watcher of its events (inotify) can tell.
func oomKill(t *testing.T, cg *probetest.Cgroup) {
	hog := exec.Command("sh", "-c", `read go; exec dd if=/dev/zero of=/dev/null bs=64M count=1`)
	in, err := hog.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := hog.Start(); err != nil {
		t.Fatal(err)
	}
	cg.Add(t, hog.Process.Pid)
	in.Write([]byte("go\n"))
	in.Close()
	if err := hog.Wait(); err == nil {
		t.Fatal("dd past the limit was not killed")
	}
	if cg.IsV2("memory") {
		if err := syscall.Rmdir(cg.Dirs["memory"]); err != nil {
			t.Fatalf("removing the cgroup right away: %v", err)
		}
	}
}
