package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/isotop/isotop/probe"
)

const hybrid = "../../probe/testdata/hybrid/proc"

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestSnapshotJSONFromFixture(t *testing.T) {
	code, out, stderr := runCLI("snapshot", "--json", "--proc", hybrid)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var s probe.Snapshot
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("output is not the snapshot JSON: %v", err)
	}
	if s.Schema != probe.Schema || len(s.Processes) != 8 || s.Host.Hostname != "vm" {
		t.Errorf("schema %d, %d processes, host %q", s.Schema, len(s.Processes), s.Host.Hostname)
	}
	// The field names are the documented interface: spot-check the raw document.
	for _, field := range []string{`"ns_pids":[8315,1]`, `"isolated":["cgroup","ipc","mnt","net","pid","uts"]`,
		`"mounts":["/run/netns/isotop-test-fixture"]`, `"uid_map":[{"inside":0,"outside":100000,"count":65536}]`,
		`"pid_for_children":4026532180`, `"errors":[{"path":`} {
		if !strings.Contains(out, field) {
			t.Errorf("JSON lacks %s", field)
		}
	}
	_, pretty, _ := runCLI("snapshot", "--json", "--pretty", "--proc", hybrid)
	var again probe.Snapshot
	if err := json.Unmarshal([]byte(pretty), &again); err != nil || len(again.Processes) != 8 || !strings.Contains(pretty, "\n  \"host\": {") {
		t.Errorf("--pretty: %v", err)
	}
}

func TestSnapshotTableFromFixture(t *testing.T) {
	code, out, stderr := runCLI("snapshot", "--proc", hybrid)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"host vm, kernel 6.18.44-fc-v769: 8 processes, 16 namespaces\n",
		"host namespaces (the reference for isolation) from self (pid 8299)",
		"\nNET\n",
		"4026532252      0       - -        mount /run/netns/isotop-test-fixture",
		"4026532251      2    8324 root     sleep 300, uid 0→100000 (65536)",
		"4026532180      2    8315 root     sh -c sleep 300 & sleep 300",
		"testdata/hybrid/proc/999999/stat: no such file or directory",
		"CGROUPS (hybrid: v1 hierarchies in /sys/fs/cgroup, v2 at /sys/fs/cgroup/unified)\n",
		"isotop-test-fix                        0 20.2M/64.0M       1         1/100\n",
		"  app                                  0 20.0M/32.0M       0.5       1/20\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"bogus"}, {"snapshot", "--nope"}, {"snapshot", "extra"}, {"--interval", "0s"}, {"--nope"},
		{"snapshot", "--sample", "-1s"}} {
		code, _, stderr := runCLI(args...)
		if code != 2 || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
	code, _, stderr := runCLI("snapshot", "--proc", "/nonexistent-isotop")
	if code != 1 || !strings.Contains(stderr, "/nonexistent-isotop") {
		t.Errorf("missing proc root: exit %d, %q", code, stderr)
	}
	notSnapshot := filepath.Join(t.TempDir(), "x.json")
	if err := os.WriteFile(notSnapshot, []byte(`{"x":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{notSnapshot: "not an isotop snapshot", "/nonexistent-isotop.json": "no such file"} {
		if code, _, stderr := runCLI("--replay", path); code != 1 || !strings.Contains(stderr, path) || !strings.Contains(stderr, want) {
			t.Errorf("--replay %s: exit %d, %q", path, code, stderr)
		}
	}
	if code, out, _ := runCLI("help"); code != 0 || !strings.Contains(out, "isotop snapshot") {
		t.Errorf("help: %d %q", code, out)
	}
}

// TestUnprivileged runs the real binary as nobody: it must succeed, show its own namespaces, and
// list what it may not read as errors with reasons.
func TestUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to nobody")
	}
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} { // nobody must reach the binary
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "isotop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "snapshot", "--json")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("as nobody: %v\n%s", err, stderr.String())
	}
	var s probe.Snapshot
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Host.NSFrom, "self (pid ") || s.Host.NS.Len() != 8 {
		t.Errorf("host ns from %q: %+v", s.Host.NSFrom, s.Host.NS)
	}
	denied := 0
	for _, e := range s.Errors {
		if strings.HasSuffix(e.Path, "/ns") && e.Error == "permission denied" {
			denied++
		}
	}
	if denied == 0 {
		t.Errorf("no permission-denied entries as nobody: %v", s.Errors)
	}
	for _, p := range s.Processes {
		if p.UID != 65534 && p.Namespaces.Len() > 0 && p.State != "Z" {
			t.Errorf("nobody read the namespaces of pid %d (uid %d)", p.PID, p.UID)
		}
	}
}

// A process's command line, a mount path or a hostname with newlines or escape sequences is printed
// escaped: it cannot add rows or drive the operator's terminal.
func TestTableEscapesHostText(t *testing.T) {
	s := probe.Snapshot{Host: probe.Host{Hostname: "h\x1b]0;pwned\x07", Kernel: "6.1"}}
	s.Namespaces = []probe.Namespace{
		{Type: probe.NSNet, Inode: 1, Processes: 1, PID: 10, Command: "sh -c a\nb\x1b[2J"},
		{Type: probe.NSNet, Inode: 2, Mounts: []string{"/run/netns/x\ny"}},
	}
	s.Errors = []probe.Error{{Path: "/proc/9/cmdline\r", Error: "gone\x1b[K"}}
	var b bytes.Buffer
	writeTable(&b, &s)
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\r") {
		t.Errorf("control characters reached the output:\n%q", out)
	}
	for _, want := range []string{`h\x1b]0;pwned\x07`, `sh -c a\nb\x1b[2J`, `mount /run/netns/x\ny`, `/proc/9/cmdline\x0d: gone\x1b[K`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

// TestLongValuesAreCut gives each command a 10,000-character name and a 300-digit number: the
// error names the flag and says why, and repeats no more of the value than a line can hold.
func TestLongValuesAreCut(t *testing.T) {
	long, digits := strings.Repeat("h", 10000), strings.Repeat("9", 300)
	for _, args := range [][]string{
		{long},
		{"snapshot", long},
		{"snapshot", "--sample", digits},
		{"limit", "isotop-test-none", "--memory", digits, "--dry-run", "--audit-log", ""},
		{"limit", "isotop-test-none", "--pids", digits, "--dry-run", "--audit-log", ""},
		{"limit", "isotop-test-none", "--cpus", digits, "--dry-run", "--audit-log", ""},
		{"limit", "/" + long, "--memory", "1G", "--dry-run", "--audit-log", ""},
		{"enter", "1", "--ns", long, "--audit-log", ""},
		{"sandbox", "--hostname", long, "--audit-log", "", "--", "true"},
		{"sandbox", "--net", long, "--audit-log", "", "--", "true"},
		{"sandbox", "--memory", digits, "--audit-log", "", "--", "true"},
		{"sandbox", "--rootfs", "/" + long, "--audit-log", "", "--", "true"},
	} {
		code, _, stderr := runCLI(args...)
		name := strings.Join(args, " ")
		if len(name) > 80 {
			name = name[:80] + "…"
		}
		if code == 0 {
			t.Errorf("isotop %s: exit 0, want an error", name)
		}
		for _, l := range strings.Split(stderr, "\n") {
			if len(l) > 400 {
				t.Errorf("isotop %s: a line of %d bytes on stderr: %.120s…", name, len(l), l)
			}
		}
		if !strings.Contains(stderr, "bytes)") {
			t.Errorf("isotop %s: the value is not shown cut, with its length:\n%.600s", name, stderr)
		}
	}
}
