package actions

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/isotop/isotop/probe/probetest"
)

// TestAuditLogAttacksCLI: isotop limit, enter and sandbox, given an audit log that is a user's
// symbolic link to a root-only file, or a directory, refuse before they change anything, and the
// file behind the link is not written.
func TestAuditLogAttacksCLI(t *testing.T) {
	probetest.Live(t)
	dir := t.TempDir()
	victim := filepath.Join(dir, "root-only")
	if err := os.WriteFile(victim, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "audit.jsonl")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	cg := liveCgroup(t)
	pidsMax := filepath.Join(cg.Dirs["pids"], "pids.max")
	before := snapFiles(t, pidsMax)
	marker := filepath.Join(t.TempDir(), "ran")
	init := startUnshareTree(t, []string{"--mount-proc"}, "exec sleep 86396", "sleep\x0086396\x00")
	p := sbxParent(t)
	root := sbxRootfs(t)
	for _, log := range []string{link, dir} {
		sbxBefore := sbxSnapshot(t)
		for _, args := range [][]string{
			{"limit", cg.Path, "--pids", "33", "--yes", "--audit-log", log},
			{"enter", strconv.Itoa(init), "--audit-log", log, "--", "sh", "-c", "echo ran > " + marker},
			{"sandbox", "--rootfs", root, "--cgroup-parent", p.path, "--net", "veth", "--audit-log", log, "--", "sh", "-c", "echo ran"},
		} {
			r := runIsotop(t, "", args...)
			if r.code != 1 || !strings.Contains(r.stderr, "audit log "+log) || r.stdout == "ran\n" {
				t.Errorf("isotop %s: exit %d\nstdout %q\nstderr %q\nwant exit 1 and a refusal naming the audit log", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
		}
		checkUnchanged(t, before)
		checkNothingNew(t, p, sbxBefore)
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("isotop enter ran the command with an audit log it could not write")
		}
	}
	if data, _ := os.ReadFile(victim); string(data) != "secret\n" {
		t.Errorf("the root-only file behind the link was written: %q", data)
	}
}

// TestLimitWriteAhead traces isotop limit: the intent record reaches the audit log (a write(2) to
// it) before the first write to a cgroup file, and the result record after the last: a limit
// killed between them leaves an intent that the Audit view flags.
func TestLimitWriteAhead(t *testing.T) {
	probetest.Live(t)
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("needs strace (make test installs it)")
	}
	cg := liveCgroup(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	trace := filepath.Join(t.TempDir(), "trace")
	cmd := exec.Command(strace, "-f", "-qq", "-s", "8192", "-e", "trace=openat,openat2,write", "-o", trace,
		builtIsotop(t), "limit", cg.Path, "--pids", "44", "--yes", "--audit-log", audit)
	cmd.Env = append(os.Environ(), "ISOTOP_READONLY=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("isotop limit: %v\n%s", err, out)
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	calls, err := parseStrace(string(data))
	if err != nil {
		t.Fatal(err)
	}
	// The descriptors of the audit log and of pids.max, by their opens; then the order of the
	// writes to them.
	fds := map[string]string{} // "pid fd" → "audit" or "cgroup"
	var order []string
	for _, c := range calls {
		key := func(fd string) string { return strconv.Itoa(c.pid) + " " + fd }
		switch {
		case (c.name == "openat" || c.name == "openat2") && c.ok() && strings.Contains(c.args, `"`+filepath.Base(audit)+`"`) && strings.Contains(c.args, "O_APPEND"):
			fds[key(c.ret)] = "audit"
		case (c.name == "openat" || c.name == "openat2") && c.ok() && strings.Contains(c.args, "/pids.max\"") && strings.Contains(c.args, "O_WRONLY"):
			fds[key(c.ret)] = "cgroup"
		case c.name == "write":
			fd, _, _ := strings.Cut(c.args, ",")
			switch fds[key(fd)] {
			case "audit":
				if strings.Contains(c.args, `\"result\":\"intent\"`) {
					order = append(order, "intent")
				} else {
					order = append(order, "result")
				}
			case "cgroup":
				order = append(order, "write pids.max")
			}
		}
	}
	if strings.Join(order, ", ") != "intent, write pids.max, result" {
		t.Errorf("the audit and the change, in the order made: %q; want intent, write pids.max, result", order)
	}
	recs := sbxAudit(t, audit)
	if len(recs) != 2 || recs[0].Op == "" || recs[0].Op != recs[1].Op || recs[0].Result != "intent" || len(recs[0].Writes) != 1 || recs[1].Result != "ok" {
		t.Errorf("audit records %+v: want the intent with its planned write, then ok, of one op", recs)
	}
}
