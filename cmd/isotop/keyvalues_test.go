package main

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/isotop/isotop/probe/probetest"
)

// TestTUIKeyValuesInTmux: the real binary on the live host, at 80x24 and at 200x50 (where a detail
// pane takes 80 columns): each view's key value for the test's own objects is whole on the
// screen: a cgroup's used/limit with the ↑ of a limit its parent sets, a veth's peer, a
// container's address, an action's result in the Audit view.
func TestTUIKeyValuesInTmux(t *testing.T) {
	h := probetest.NewHost(t)
	pod := probetest.NewCtrPod(t)
	bin := buildBinary(t)
	audit := t.TempDir() + "/audit.jsonl"
	if out, err := exec.Command(bin, "limit", h.App.Path, "--pids", "30", "--yes", "--audit-log", audit).CombinedOutput(); err != nil {
		t.Fatalf("isotop limit: %v\n%s", err, out)
	}
	memory := regexp.MustCompile(`[0-9.]+[KMG]?/` + regexp.QuoteMeta(strings.TrimSuffix(fmt.Sprintf("%.1fM", float64(h.MemoryMax)/(1<<20)), "")) + `↑`)
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		t.Run(strconv.Itoa(size[0])+"x"+strconv.Itoa(size[1]), func(t *testing.T) {
			tm := startTmux(t, size[0], size[1], bin, "--interval", "1s", "--audit-log", audit, "--no-mouse")
			tm.waitFor("busiest cgroups")
			// Cgroups: app's memory, its limit set by its parent (↑), and its own pids limit.
			tm.keys("g", "/")
			tm.text(h.App.Path)
			tm.keys("Enter")
			s := tm.waitFor("filter: " + h.App.Path)
			line := lineWith(s, "▶")
			if !memory.MatchString(line) || !strings.Contains(line, "/30") {
				t.Errorf("app's row lacks its memory used/%s↑ or its pids/30:\n%s", "48.0M", s)
			}
			// Network: the host end of the web container's veth, and its peer, whole.
			tm.keys("w", "/")
			tm.text(h.Veth)
			tm.keys("Enter")
			s = tm.waitFor("filter: " + h.Veth)
			if line := rowNamed(s, h.Veth); !strings.Contains(line, ":eth0") || !strings.Contains(line, "↔ ") {
				t.Errorf("the veth's peer is not whole:\n%s", s)
			}
			// Containers: the web container's address.
			tm.keys("c", "/")
			tm.text(h.Web)
			tm.keys("Enter")
			s = tm.waitFor("filter: " + h.Web)
			if line := lineWith(s, "▶"); !strings.Contains(line, strings.Split(h.WebAddr, "/")[0]) {
				t.Errorf("the web container's address %s is not on its row:\n%s", h.WebAddr, s)
			}
			// The pod: its sandbox as the pod, its app container under it, both with the pod IP.
			tm.keys("/")
			tm.text(pod.IP + "/")
			tm.keys("Enter")
			s = tm.waitFor("filter: "+pod.IP, "pod "+pod.PodNamespace+"/") // at 80 columns the pod's name may be cut, not its IP
			sandbox, app := lineWith(s, "pod "+pod.PodNamespace+"/"), lineWith(s, " "+pod.AppName+" ")
			if !strings.Contains(sandbox, pod.IP+"/") || !strings.Contains(app, pod.IP+"/") || strings.Contains(sandbox+app, "shares") {
				t.Errorf("the pod's sandbox and app rows do not both show the pod IP %s:\n%s", pod.IP, s)
			}
			// Audit: the limit's result.
			tm.keys("a")
			s = tm.waitFor("[a Audit]", "RESULT")
			if line := lineWith(s, "▶"); !strings.Contains(line, " ok") || !strings.Contains(line, "limit") {
				t.Errorf("the Audit view's first row lacks the action and its result:\n%s", s)
			}
			tm.keys("q")
		})
	}
}

// TestTUISortsByCPUInTmux: P in Processes puts a busy process (a loop the test starts) first as
// soon as the TUI has rates, which is its second refresh.
func TestTUISortsByCPUInTmux(t *testing.T) {
	probetest.Live(t)
	spin := probetest.Start(t, exec.Command("sh", "-c", "while :; do :; done"))
	bin := buildBinary(t)
	tm := startTmux(t, 120, 30, bin, "--interval", "1s", "--no-mouse")
	tm.waitFor("busiest cgroups")
	tm.keys("p", "P")
	tm.waitFor("CPU%▼")
	// The first row under the header (the selection stays on its process, as in htop).
	first := func(s string) []string {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if strings.Contains(l, "CPU%▼") && i+1 < len(lines) {
				return strings.Fields(strings.TrimPrefix(lines[i+1], "▶"))
			}
		}
		return nil
	}
	var s string
	probetest.WaitFor(t, "the first rates", func() bool {
		s = tm.screen()
		f := first(s)
		return len(f) > 3 && f[3] != "-" // PID NSPID UID CPU%: "-" until the second refresh
	})
	if f := first(s); f[0] != strconv.Itoa(spin.Process.Pid) {
		t.Errorf("the first row with rates is not the busy process %d:\n%s", spin.Process.Pid, s)
	}
}

// lineWith is the first line of the screen that holds s in its table, left of a detail pane's │
// ("" when none does).
func lineWith(screen, s string) string {
	for _, l := range strings.Split(screen, "\n") {
		l, _, _ = strings.Cut(l, "│")
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// rowNamed is the screen's line whose first cell is name (a link's row, not the row of the bridge
// it is a port of).
func rowNamed(screen, name string) string {
	for _, l := range strings.Split(screen, "\n") {
		if f := strings.Fields(strings.TrimPrefix(l, "▶")); len(f) > 0 && f[0] == name {
			return l
		}
	}
	return ""
}
