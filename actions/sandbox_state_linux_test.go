package actions

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// A sandbox outlives nothing of its own: whatever ends isotop, SIGKILL included, what the sandbox
// made goes (its reaper removes it), and what a crash of both left, the next isotop sandbox removes.

// sbxStateFile is where a running sandbox keeps its state.
func sbxStateFile(id string) string { return "/run/isotop/sandbox-" + id + ".json" }

// sbxLeftovers lists what of sandbox id is still on the host.
func sbxLeftovers(t *testing.T, p sbxCgroups, id string) []string {
	t.Helper()
	var left []string
	left = append(left, p.children(t)...)
	for _, l := range []string{"isv-" + id, "isb-" + id} {
		if _, err := netlink.LinkByName(l); err == nil {
			left = append(left, "link "+l)
		}
	}
	for _, f := range []string{"/run/isotop/sandbox-" + id, sbxStateFile(id)} {
		if _, err := os.Lstat(f); err == nil {
			left = append(left, f)
		}
	}
	return left
}

// sbxWaitGone waits until nothing of sandbox id is left, and fails the test with what is.
func sbxWaitGone(t *testing.T, p sbxCgroups, id string) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(sbxSafety); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if left = sbxLeftovers(t, p, id); len(left) == 0 {
			return
		}
	}
	t.Fatalf("sandbox %s left behind: %v", id, left)
}

// sbxReaper is the pid of the sandbox's reaper, from its state, checked to be that reaper.
func sbxReaper(t *testing.T, id string) int {
	t.Helper()
	var pid int
	probetest.WaitFor(t, "the sandbox's state to name its reaper", func() bool {
		st, err := loadState(sbxStateFile(id))
		if err != nil || st.Reaper.PID == 0 {
			return false
		}
		pid = st.Reaper.PID
		return true
	})
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.HasPrefix(string(cmdline), ReaperName+"\x00"+sbxStateFile(id)) {
		t.Fatalf("pid %d is not sandbox %s's reaper (cmdline %q, %v)", pid, id, cmdline, err)
	}
	return pid
}

// TestSandboxSIGKILLOfIsotop kills isotop sandbox with SIGKILL, while the sandbox runs and at
// moments during its making, and checks that everything it made goes (its cgroups, bridge, veth,
// work directory and state), and that the audit log says how it ended.
func TestSandboxSIGKILLOfIsotop(t *testing.T) {
	for _, after := range []time.Duration{-1, 0, 5 * time.Millisecond, 20 * time.Millisecond, 60 * time.Millisecond} {
		name := "running"
		if after >= 0 {
			name = "after " + after.String()
		}
		t.Run(name, func(t *testing.T) {
			p := sbxParent(t)
			root := sbxRootfs(t)
			audit := filepath.Join(t.TempDir(), "a.jsonl")
			c := sbxStartCLI(t, "--rootfs", root, "--cgroup-parent", p.path, "--audit-log", audit, "--net", "veth", "--memory", "64M",
				"--", "sh", "-c", "echo ready; exec sleep 100000")
			if after >= 0 {
				time.Sleep(after)
			} else {
				sbxWaitSummary(t, c.errs, c.ended)
				c.out.waitLine(t, "ready", c.ended)
			}
			c.cmd.Process.Signal(syscall.SIGKILL)
			c.wait(t)
			// The id: from the summary line, or, killed before it, from the audit log's record.
			id := ""
			if m := sbxSummaryRE.FindStringSubmatch(strings.Split(c.errs.String(), "\n")[0]); m != nil {
				id = m[1]
			}
			recs := sbxAudit(t, audit)
			if id == "" && len(recs) > 0 {
				id = strings.TrimPrefix(recs[0].Target, "sandbox ")
			}
			if id == "" {
				t.Logf("killed before it made anything (no audit record)")
				if left := p.children(t); len(left) > 0 {
					t.Errorf("cgroups left: %v", left)
				}
				return
			}
			sbxWaitGone(t, p, id)
			checkSandboxGone(t, p, id)
			if after < 0 {
				var results []string
				probetest.WaitFor(t, "the reaper's audit record", func() bool {
					results = nil
					for _, r := range sbxAudit(t, audit) {
						results = append(results, r.Result)
					}
					return len(results) == 2
				})
				if results[0] != "started" || !strings.HasPrefix(results[1], "killed: isotop") {
					t.Errorf("audit results %q, want started, then killed: isotop … (the reaper's)", results)
				}
			}
		})
	}
}

// TestSandboxLeftoversCleaned kills the sandbox's reaper and then isotop, both with SIGKILL, so
// that the sandbox's cgroups, bridge and state stay; isotop sandbox --cleanup removes them, says
// so, and audits it.
func TestSandboxLeftoversCleaned(t *testing.T) {
	p := sbxParent(t)
	root := sbxRootfs(t)
	audit := filepath.Join(t.TempDir(), "a.jsonl")
	c := sbxStartCLI(t, "--rootfs", root, "--cgroup-parent", p.path, "--audit-log", audit, "--net", "veth", "--memory", "64M",
		"--", "sh", "-c", "echo ready; exec sleep 100000")
	sum := sbxWaitSummary(t, c.errs, c.ended)
	c.out.waitLine(t, "ready", c.ended)
	reaper := sbxReaper(t, sum.id)
	if err := syscall.Kill(reaper, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Dead: a zombie until isotop, its parent, is gone too.
	probetest.WaitFor(t, "the reaper to die", func() bool {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", reaper))
		return err != nil || strings.Contains(string(stat), ") Z ")
	})
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.wait(t)
	// The sandbox's processes die with isotop (their parent-death signal), its veth with their
	// network namespace; the rest stays.
	time.Sleep(200 * time.Millisecond)
	left := sbxLeftovers(t, p, sum.id)
	t.Logf("left by the crash: %v", left)
	for _, want := range []string{"link isb-" + sum.id, sbxStateFile(sum.id)} {
		if !strings.Contains(strings.Join(left, " "), want) {
			t.Errorf("%s is not among the leftovers %v: the crash was not one", want, left)
		}
	}
	// Until then the audit log has the sandbox's start and no result: flagged.
	if open := Unfinished(sbxAudit(t, audit), probe.DefaultFS().ProcessAlive); len(open) != 1 || !strings.HasPrefix(open[0], "no result: isotop") {
		t.Errorf("the killed sandbox's start is not flagged as without a result: %v", open)
	}
	r := runIsotop(t, "", "sandbox", "--cleanup")
	if r.code != 0 {
		t.Fatalf("isotop sandbox --cleanup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "removed what sandbox "+sum.id+" left (cgroup "+sum.cgroup+", veth isv-"+sum.id+", bridge isb-"+sum.id+")") {
		t.Errorf("isotop sandbox --cleanup did not say what it removed:\n%s", r.stderr)
	}
	checkSandboxGone(t, p, sum.id)
	recs := sbxAudit(t, audit)
	if n := len(recs); n != 2 || recs[0].Result != "started" || !strings.HasPrefix(recs[1].Result, "cleaned up: its isotop") || recs[1].Op != recs[0].Op {
		t.Errorf("audit log %+v: want started, then cleaned up: its isotop …, of one op", recs)
	}
	if open := Unfinished(recs, probe.DefaultFS().ProcessAlive); len(open) != 0 {
		t.Errorf("after the cleanup, still flagged: %v", open)
	}
}

// TestSandboxParallel runs 50 sandboxes at once, each with a veth to a bridge of its own and
// limits, and requires every one to run its command, exit 0 and leave nothing: no two pick the
// same subnet, no cleanup trips over a veth its namespace took along.
func TestSandboxParallel(t *testing.T) {
	p := sbxParent(t)
	root := sbxRootfs(t)
	audit := filepath.Join(t.TempDir(), "a.jsonl")
	const n = 50
	var wg sync.WaitGroup
	results := make([]cmdResult, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = runIsotop(t, "", "sandbox", "--rootfs", root, "--cgroup-parent", p.path, "--audit-log", audit,
				"--net", "veth", "--memory", "32M", "--pids", "8", "--", "sh", "-c", "ip -4 addr show eth0 | grep -q inet && echo ok")
		}()
	}
	wg.Wait()
	failed := 0
	for i, r := range results {
		if r.code != 0 || r.stdout != "ok\n" {
			failed++
			t.Errorf("sandbox %d: exit %d, stdout %q; stderr:\n%s", i, r.code, r.stdout, r.stderr)
		}
		if m := sbxSummaryRE.FindStringSubmatch(strings.Split(r.stderr, "\n")[0]); m != nil {
			checkSandboxGone(t, p, m[1])
		}
	}
	t.Logf("%d of %d parallel sandboxes failed", failed, n)
	if left := p.children(t); len(left) > 0 {
		t.Errorf("cgroups left: %v", left)
	}
}

// TestSandboxLimitMessages: limits too small to run anything are refused with the reason, and
// a command that runs into its limits is told which and why (not a bare exit 137).
func TestSandboxLimitMessages(t *testing.T) {
	p := sbxParent(t)
	root := sbxRootfs(t)
	audit := filepath.Join(t.TempDir(), "a.jsonl")
	base := []string{"sandbox", "--rootfs", root, "--cgroup-parent", p.path, "--audit-log", audit}
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--pids", "0", "--", "true"}, 2, "--pids 0: the command is a process itself: at least 1"},
		{[]string{"--init", "--pids", "1", "--", "true"}, 2, "--pids 1 with --init: the init is a process and the command another: at least 2"},
		{[]string{"--memory", "1", "--", "true"}, 2, "--memory 1: below the 1.0M a sandbox needs"},
		{[]string{"--memory", "512K", "--", "true"}, 2, "--memory 512.0K: below the 1.0M a sandbox needs"},
		// The smallest limits run a command that fits them.
		{[]string{"--pids", "1", "--", "echo", "one"}, 0, ""},
		{[]string{"--init", "--pids", "2", "--", "echo", "two"}, 0, ""},
		{[]string{"--memory", "1M", "--", "sh", "-c", "echo one"}, 0, ""},
		// A command that outgrows them is told so.
		{[]string{"--pids", "1", "--", "sh", "-c", "true & wait"}, 2, "fork(s) refused: the sandbox reached its pids limit of 1 (pids.events max "},
		{[]string{"--memory", "8M", "--", "sh", "-c", "x=a; while :; do x=$x$x; done"}, 137, "killed by the kernel's OOM killer: the sandbox reached its memory limit of 8.0M"},
	} {
		r := runIsotop(t, "", append(append([]string(nil), base...), tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) || strings.Contains(r.stderr, "goroutine") {
			t.Errorf("isotop sandbox %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.code, tc.stderr)
		}
		if m := sbxSummaryRE.FindStringSubmatch(strings.Split(r.stderr, "\n")[0]); m != nil {
			checkSandboxGone(t, p, m[1])
		}
	}
	last := sbxAudit(t, audit)
	if len(last) == 0 || !strings.Contains(last[len(last)-1].Result, "exit 137; 1 process(es) killed by the kernel's OOM killer") {
		t.Errorf("the audit log's last result does not name the OOM kill: %+v", last[len(last)-1])
	}
}

// TestSandboxHalfSavedStateRemoved: an isotop killed between writing a sandbox's state and
// renaming it into place leaves STATE.json.new; with no state in place it stands for nothing
// made (the state is written before anything is), and the next cleanup removes it, and says so.
// One written in the last minute may be another isotop's save in progress: it stays.
func TestSandboxHalfSavedStateRemoved(t *testing.T) {
	probetest.Live(t)
	base := "/run/isotop"
	if err := os.MkdirAll(base, 0o711); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(base, "sandbox-"+probetest.Name(t)+".json.new")
	recent := filepath.Join(base, "sandbox-"+probetest.Name(t)+".json.new")
	for _, f := range []string{old, recent} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(f) })
	}
	then := time.Now().Add(-2 * time.Minute)
	if err := os.Chtimes(old, then, then); err != nil {
		t.Fatal(err)
	}
	r := runIsotop(t, "", "sandbox", "--cleanup")
	if r.code != 0 {
		t.Fatalf("isotop sandbox --cleanup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) || !strings.Contains(r.stderr, "removed "+old) {
		t.Errorf("the half-saved state of two minutes ago is still there (%v), or unsaid:\n%s", err, r.stderr)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("a state saved just now was removed: %v", err)
	}
}
