package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/actions/early"
	"github.com/isotop/isotop/probe/probetest"
)

// TestReadOnlyCLIRefuses runs the real binary in read-only mode (--read-only, or ISOTOP_READONLY=1):
// limit and enter exit 1 with the read-only reason, and nothing is written: no limit, no command
// run, no audit log. The same commands without read-only mode do change things (the control).
func TestReadOnlyCLIRefuses(t *testing.T) {
	if !early.Built {
		t.Skip("built without cgo: read-only mode refuses to start")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "isotop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	audit := filepath.Join(dir, "audit", "audit.jsonl")
	run := func(env string, args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		if env == "" {
			env = "0" // an explicit false: an empty value is read-only too (it fails closed)
		}
		cmd.Env = append(os.Environ(), "ISOTOP_READONLY="+env)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
	}
	reason := actions.ErrReadOnly.Error()
	refused := func(what string, code int, stdout, stderr, cmd string) {
		t.Helper()
		if code != 1 || stderr != "isotop "+cmd+": "+reason+"\n" || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and %q", what, code, stdout, stderr, reason)
		}
		if _, err := os.Stat(filepath.Dir(audit)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: the audit log's directory exists: %v", what, err)
		}
	}

	// Any user: pid 1, and a cgroup that need not exist (read-only refuses before looking).
	for _, tc := range []struct {
		env  string
		args []string
	}{
		{"", []string{"enter", "1", "--read-only", "--audit-log", audit}},
		{"1", []string{"enter", "1", "--audit-log", audit}},
		{"", []string{"limit", "/isotop-test-nonexistent", "--pids", "5", "--read-only", "--audit-log", audit}},
		{"1", []string{"limit", "/isotop-test-nonexistent", "--pids", "5", "--audit-log", audit}},
	} {
		code, out, errOut := run(tc.env, tc.args...)
		refused(strings.Join(tc.args, " "), code, out, errOut, tc.args[0])
	}

	probetest.Live(t) // the rest: a test cgroup, and a process of the test's to enter
	name := probetest.Name(t)
	cg := probetest.NewCgroup(t, name, "pids")
	cg.SetPIDsMax(t, 1000)
	pidsFile := filepath.Join(cg.Dirs["pids"], "pids.max")
	pidsMax := func() string {
		b, err := os.ReadFile(pidsFile)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	// A process in a uts namespace of its own, to enter.
	target := probetest.Start(t, exec.Command("unshare", "--uts", "sleep", "86394"))
	probetest.WaitFor(t, "the target to start", func() bool {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(target.Process.Pid) + "/cmdline")
		return string(b) == "sleep\x0086394\x00"
	})
	pid := strconv.Itoa(target.Process.Pid)
	marker := filepath.Join(dir, "entered")
	enter := []string{"enter", pid, "--ns", "uts", "--audit-log", audit, "--", "sh", "-c", "echo entered > " + marker}
	limit := []string{"limit", cg.Path, "--pids", "5", "--yes", "--audit-log", audit}

	for _, env := range []string{"", "1"} {
		args := limit
		if env == "" {
			args = append([]string{"limit", "--read-only"}, limit[1:]...)
		}
		code, out, errOut := run(env, args...)
		refused(strings.Join(args, " "), code, out, errOut, "limit")
		if v := pidsMax(); v != "1000" {
			t.Fatalf("%s wrote pids.max: %s", strings.Join(args, " "), v)
		}
		args = append([]string{"enter", "--read-only"}, enter[1:]...)
		if env == "1" {
			args = enter
		}
		code, out, errOut = run(env, args...)
		refused(strings.Join(args, " "), code, out, errOut, "enter")
		if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s ran its command: %v", strings.Join(args, " "), err)
		}
	}

	// The control: not read-only, the same commands change the host.
	if code, out, errOut := run("", limit...); code != 0 || pidsMax() != "5" {
		t.Errorf("%s: exit %d, pids.max %s\n%s%s", strings.Join(limit, " "), code, pidsMax(), out, errOut)
	}
	if code, _, errOut := run("", enter...); code != 0 {
		t.Errorf("%s: exit %d\n%s", strings.Join(enter, " "), code, errOut)
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != "entered\n" {
		t.Errorf("the control enter did not run its command: %q, %v", b, err)
	}
	if recs, _, err := actions.ReadAudit(audit); err != nil || len(recs) != 4 {
		t.Errorf("the control's audit log: %v, %+v; want the limit's and the enter's two lines each (intent or start, then result)", err, recs)
	}
}

// TestReadOnlyEnvValues: ISOTOP_READONLY fails closed. Any value but an explicit false (0, false,
// no, off) is read-only, an empty or unknown one too; and a --read-only among the arguments of the
// command `isotop enter` runs is that command's, not isotop's.
func TestReadOnlyEnvValues(t *testing.T) {
	if !early.Built {
		t.Skip("built without cgo: read-only mode refuses to start")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "isotop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	audit := filepath.Join(dir, "audit.jsonl")
	run := func(env []string, args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	limit := []string{"limit", "/isotop-test-nonexistent", "--pids", "5", "--audit-log", audit}
	for _, v := range []string{"1", "on", "yes", "true", "TRUE", "", "maybe"} {
		code, out := run([]string{"ISOTOP_READONLY=" + v}, limit...)
		if code == 0 || !strings.Contains(out, "read-only mode") {
			t.Errorf("ISOTOP_READONLY=%q: exit %d, %q; want read-only's refusal", v, code, out)
		}
	}
	for _, v := range []string{"0", "false", "no", "off", "OFF"} {
		code, out := run([]string{"ISOTOP_READONLY=" + v}, limit...)
		if code == 0 || strings.Contains(out, "read-only") || !strings.Contains(out, "no such cgroup") {
			t.Errorf("ISOTOP_READONLY=%q: exit %d, %q; want the host actor's refusal (no such cgroup)", v, code, out)
		}
	}
	if code, out := run([]string{"ISOTOP_READONLY=0"}, append(limit, "--read-only=false")...); strings.Contains(out, "read-only") {
		t.Errorf("--read-only=false: exit %d, %q", code, out)
	}
	if code, out := run([]string{"ISOTOP_READONLY=0"}, append(limit, "--read-only")...); code == 0 || !strings.Contains(out, "read-only mode") {
		t.Errorf("--read-only: exit %d, %q", code, out)
	}
	// A re-executed child's trigger, set by hand in read-only mode: refused, nothing run.
	marker := filepath.Join(dir, "ran")
	code, out := run([]string{"ISOTOP_READONLY=1", "_ISOTOP_ENTER=ns="}, "sh", "-c", "echo > "+marker)
	if _, err := os.Stat(marker); err == nil || code == 0 {
		t.Errorf("_ISOTOP_ENTER in read-only mode: exit %d, %q, the command ran: %v", code, out, err)
	}

	probetest.Live(t) // the rest enters a process of the test's own
	target := probetest.Start(t, exec.Command("unshare", "--uts", "sleep", "86390"))
	probetest.WaitFor(t, "the target to start", func() bool {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(target.Process.Pid) + "/cmdline")
		return string(b) == "sleep\x0086390\x00"
	})
	code, out = run([]string{"ISOTOP_READONLY=0"}, "enter", strconv.Itoa(target.Process.Pid), "--ns", "uts", "--audit-log", audit,
		"--", "sh", "-c", "echo entered-$0", "--read-only")
	if code != 0 || !strings.Contains(out, "entered---read-only") {
		t.Errorf("isotop enter … -- sh -c … --read-only: exit %d, %q; the command's --read-only is not isotop's", code, out)
	}
}
