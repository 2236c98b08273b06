package actions

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/isotop/isotop/probe/probetest"
)

// The sandbox against an attacker: root inside it, trying what reaches the host from a container
// (testdata/hardening.sh). TestSandboxHardening holds the sandbox to what the issue that found
// each hole asked; TestSandboxAgainstDocker runs the same probes in docker run --rm on this host
// and requires the sandbox to refuse at least everything Docker refuses.

// hardeningRootfs is the test root with the probes' applets and the script at /hardening.sh.
func hardeningRootfs(t *testing.T) string {
	t.Helper()
	root := sbxRootfs(t)
	for _, a := range []string{"unshare", "mount", "mknod", "wc", "awk", "sed", "ls", "true", "date"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", a)); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	sbxCopy(t, "testdata/hardening.sh", filepath.Join(root, "hardening.sh"))
	return root
}

// rootDisk is the major and minor of the device the host's / is on.
func rootDisk(t *testing.T) []string {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat("/", &st); err != nil {
		t.Fatal(err)
	}
	major, minor := (st.Dev>>8)&0xfff|(st.Dev>>32)&^0xfff, st.Dev&0xff|(st.Dev>>12)&^0xff
	return []string{strconv.FormatUint(major, 10), strconv.FormatUint(minor, 10)}
}

// parseProbes reads the script's NAME=VALUE lines; it fails the test when the script did not end.
func parseProbes(t *testing.T, who, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	if m["done"] != "1" {
		t.Fatalf("%s: the probes did not finish; output:\n%s", who, out)
	}
	return m
}

// sandboxProbes runs the probes in isotop sandbox (the real binary) and checks it left nothing.
func sandboxProbes(t *testing.T, root string, extra ...string) map[string]string {
	t.Helper()
	p := sbxParent(t)
	audit := filepath.Join(t.TempDir(), "a.jsonl")
	args := append([]string{"sandbox", "--rootfs", root, "--cgroup-parent", p.path, "--audit-log", audit}, extra...)
	r := runIsotop(t, "", append(append(args, "--", "sh", "/hardening.sh"), rootDisk(t)...)...)
	if r.code != 0 {
		t.Fatalf("isotop sandbox: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	m := sbxSummaryRE.FindStringSubmatch(strings.Split(r.stderr, "\n")[0])
	if m == nil {
		t.Fatalf("no summary line in %q", r.stderr)
	}
	checkSandboxGone(t, p, m[1])
	return parseProbes(t, "isotop sandbox", r.stdout)
}

func capMask(t *testing.T, hex string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(hex, 16, 64)
	if err != nil {
		t.Fatalf("capability mask %q: %v", hex, err)
	}
	return v
}

// TestSandboxHardening: inside the sandbox, the host's kernel settings are read-only (a write of
// printk_ratelimit or core_pattern changes nothing), Docker's default seccomp profile is in force
// (no unshare of a user namespace, no mount), a device node made inside cannot be opened (the
// kernel log, the console, a disk), and the host's keys, kernel memory and timers read empty.
func TestSandboxHardening(t *testing.T) {
	before, err := os.ReadFile("/proc/sys/kernel/printk_ratelimit")
	if err != nil {
		t.Fatal(err)
	}
	got := sandboxProbes(t, hardeningRootfs(t))
	for k, v := range got {
		switch {
		case strings.HasPrefix(k, "try:") && k != "try:open-dev-null" && v != "refused":
			t.Errorf("%s inside the sandbox: %s, want refused", strings.TrimPrefix(k, "try:"), v)
		case strings.HasPrefix(k, "masked:") && v == "content":
			t.Errorf("%s inside the sandbox shows the host's content, want it masked", strings.TrimPrefix(k, "masked:"))
		case strings.HasPrefix(k, "ro:") && v != "ro" && v != "absent":
			t.Errorf("%s inside the sandbox is mounted %s, want ro", strings.TrimPrefix(k, "ro:"), v)
		}
	}
	if got["try:open-dev-null"] != "allowed" {
		t.Errorf("/dev/null cannot be written inside the sandbox: the device rules refuse too much")
	}
	if got["status:Seccomp"] != "2" {
		t.Errorf("Seccomp: %s inside the sandbox, want 2 (a filter)", got["status:Seccomp"])
	}
	if got["status:NoNewPrivs"] != "1" {
		t.Errorf("NoNewPrivs: %s inside the sandbox, want 1", got["status:NoNewPrivs"])
	}
	const sysAdmin = 1 << 21
	if capMask(t, got["status:CapBnd"])&sysAdmin != 0 {
		t.Errorf("CAP_SYS_ADMIN in the sandbox's bounding set (%s)", got["status:CapBnd"])
	}
	if after, _ := os.ReadFile("/proc/sys/kernel/printk_ratelimit"); string(after) != string(before) {
		t.Errorf("the host's printk_ratelimit changed: %q → %q", before, after)
	}
}

// TestSandboxInitHidden: with --init, pid 1 is isotop's own init (this binary, with more than the
// command has until it execs): the command cannot read or write its executable through
// /proc/1/exe (CVE-2019-5736 overwrote runc that way) nor read its memory.
func TestSandboxInitHidden(t *testing.T) {
	p := sbxParent(t)
	root := sbxRootfs(t)
	r := runIsotop(t, "", "sandbox", "--init", "--rootfs", root, "--cgroup-parent", p.path, "--audit-log", filepath.Join(t.TempDir(), "a"), "--",
		"sh", "-c", `for t in 'head -c 1 /proc/1/exe' 'echo x >> /proc/1/exe' 'head -c 1 /proc/1/mem' 'readlink /proc/1/exe' 'cat /proc/1/environ'; do if sh -c "$t" >/dev/null 2>&1; then echo "$t: allowed"; else echo "$t: refused"; fi; done`)
	if r.code != 0 {
		t.Fatalf("isotop sandbox --init: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if !strings.HasSuffix(l, ": refused") {
			t.Errorf("the command, against the sandbox's init: %s, want refused", l)
		}
	}
	if strings.Count(r.stdout, "refused") != 5 {
		t.Errorf("the probes did not all run:\n%s", r.stdout)
	}
	m := sbxSummaryRE.FindStringSubmatch(strings.Split(r.stderr, "\n")[0])
	if m != nil {
		checkSandboxGone(t, p, m[1])
	}
}

// TestSandboxAgainstDocker runs the probes in isotop sandbox and in docker run --rm (Docker's
// defaults, a daemon of the test's own) on the same busybox tree, and requires the sandbox to
// refuse, mask, make read-only and drop at least what Docker does. The side by side is logged.
func TestSandboxAgainstDocker(t *testing.T) {
	probetest.Live(t)
	root := hardeningRootfs(t)
	d := probetest.Docker(t)
	image := d.Import(t, root)
	docker := parseProbes(t, "docker run", d.Docker(t, append([]string{"run", "--rm", "--network", "none", "--cgroup-parent", d.CgroupParent,
		image, "sh", "/hardening.sh"}, rootDisk(t)...)...))
	sandbox := sandboxProbes(t, root)

	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range docker {
			if !yield(k) {
				return
			}
		}
	})
	var table strings.Builder
	table.WriteString("probe                                   docker      isotop sandbox\n")
	for _, k := range keys {
		if k == "done" {
			continue
		}
		dv, sv := docker[k], sandbox[k]
		fmtLine := func(mark string) { table.WriteString(mark + " " + padTo(k, 38) + padTo(dv, 12) + sv + "\n") }
		weaker := false
		switch {
		case strings.HasPrefix(k, "try:"):
			weaker = dv == "refused" && sv != "refused"
		case strings.HasPrefix(k, "masked:"):
			weaker = dv != "content" && sv == "content"
		case strings.HasPrefix(k, "ro:"):
			weaker = dv == "ro" && sv != "ro"
		case k == "status:Seccomp":
			weaker = dv == "2" && sv != "2"
		case k == "status:NoNewPrivs":
			weaker = dv == "1" && sv != "1"
		case strings.HasPrefix(k, "status:Cap"):
			// Every capability the sandbox has, Docker's container has too.
			weaker = capMask(t, sv)&^capMask(t, dv) != 0
		}
		if weaker {
			fmtLine("!")
			t.Errorf("%s: docker run %s, isotop sandbox %s: the sandbox is weaker", k, dv, sv)
		} else {
			fmtLine(" ")
		}
	}
	for k := range sandbox {
		if _, ok := docker[k]; !ok {
			t.Errorf("%s: the sandbox answered it and Docker did not (%s)", k, sandbox[k])
		}
	}
	t.Logf("side by side (! the sandbox is weaker):\n%s", table.String())
}

func padTo(s string, n int) string {
	if len(s) >= n {
		return s + " "
	}
	return s + strings.Repeat(" ", n-len(s))
}
