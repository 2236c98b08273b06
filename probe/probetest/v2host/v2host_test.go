package v2host

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readCpio reads a newc archive back: name → (mode, content).
func readCpio(t *testing.T, b []byte) map[string][2]string {
	t.Helper()
	out := map[string][2]string{}
	for off := 0; ; {
		if off+110 > len(b) || string(b[off:off+6]) != "070701" {
			t.Fatalf("no newc header at %d", off)
		}
		field := func(i int) int {
			n, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		mode, size, nameLen := field(1), field(6), field(11)
		name := string(b[off+110 : off+110+nameLen-1])
		off = (off + 110 + nameLen + 3) &^ 3
		data := string(b[off : off+size])
		off = (off + size + 3) &^ 3
		if name == "TRAILER!!!" {
			return out
		}
		out[name] = [2]string{strconv.FormatInt(int64(mode), 8), data}
	}
}

func TestCpioRoundTrip(t *testing.T) {
	src := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(src, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tr := tree{}
	tr.file("/etc/a/b.txt", 0o644, []byte("hello")) // 5 bytes: padding follows
	tr.symlink("/bin/sh", "/bin/busybox")
	if err := tr.copy(src, "/usr/bin/prog"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tr.writeCpio(&buf); err != nil {
		t.Fatal(err)
	}
	got := readCpio(t, buf.Bytes())
	want := map[string][2]string{
		"etc": {"40755", ""}, "etc/a": {"40755", ""}, "etc/a/b.txt": {"100644", "hello"},
		"bin": {"40755", ""}, "bin/sh": {"120777", "/bin/busybox"},
		"usr": {"40755", ""}, "usr/bin": {"40755", ""}, "usr/bin/prog": {"100755", "#!/bin/sh\necho hi\n"},
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("archive holds %d entries, want %d: %v", len(got), len(want), got)
	}
	// Parents come before what they hold: the kernel's unpacker makes no directories itself.
	var order []string
	for off, b := 0, buf.Bytes(); off < len(b); {
		n, _ := strconv.ParseUint(string(b[off+94:off+102]), 16, 32)
		size, _ := strconv.ParseUint(string(b[off+54:off+62]), 16, 32)
		order = append(order, string(b[off+110:off+110+int(n)-1]))
		off = (off + 110 + int(n) + 3) &^ 3
		off = (off + int(size) + 3) &^ 3
	}
	if slices.Index(order, "etc") > slices.Index(order, "etc/a/b.txt") || order[len(order)-1] != "TRAILER!!!" {
		t.Errorf("entry order %v", order)
	}
}

func TestParseModinfo(t *testing.T) {
	name, deps, _ := parseModinfo([]byte("license=GPL\x00depends=stp,llc\x00name=bridge\x00vermagic=6.1\x00"), "bridge")
	if name != "bridge" || !slices.Equal(deps, []string{"stp", "llc"}) {
		t.Errorf("got %q %v", name, deps)
	}
	name, deps, _ = parseModinfo([]byte("depends=\x00"), "nf-conntrack")
	if name != "nf_conntrack" || deps != nil {
		t.Errorf("no name= and empty depends: got %q %v", name, deps)
	}
}

func TestClosureOrdersDependenciesFirst(t *testing.T) {
	all := map[string]Module{"bridge": {Depends: []string{"stp", "llc"}}, "stp": {Depends: []string{"llc"}}, "llc": {}, "veth": {}}
	got, err := closure(all, []string{"veth", "bridge"})
	if err != nil || !slices.Equal(got, []string{"veth", "llc", "stp", "bridge"}) {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := closure(all, []string{"nope"}); err == nil || !strings.Contains(err.Error(), "no module nope") {
		t.Errorf("unknown module: %v", err)
	}
	all["llc"] = Module{Depends: []string{"bridge"}}
	if _, err := closure(all, []string{"bridge"}); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: %v", err)
	}
}

// TestV2Guest boots the guest and checks what the tests rely on: cgroup v2 alone (v1 cannot even
// be mounted), every controller enabled for the root's children, the modules loaded, a dynamic
// program with its libraries, and the script's exit status.
func TestV2Guest(t *testing.T) {
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Run(ctx, Options{Modules: []string{"overlay", "bridge"}, Files: []File{{Src: "/bin/ls", Dst: "/usr/local/bin/hostls"}},
		Script: `grep cgroup /proc/mounts; grep -c cgroup /proc/mounts
cat /sys/fs/cgroup/cgroup.subtree_control
mkdir /tmp/v1 && mount -t cgroup -o memory none /tmp/v1 && echo "v1 mounted"
cut -d' ' -f1 /proc/modules | sort | tr '\n' ' '; echo
/usr/local/bin/hostls /usr/local/bin
echo "live=$ISOTOP_TEST_LIVE"
exit 7`, Log: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s booted and ran in %.1fs:\n%s", res.Kernel, res.Took.Seconds(), res.Output)
	if res.Warning != "" {
		t.Log(res.Warning)
	}
	out := res.Output
	if res.Status != 7 {
		t.Errorf("exit status %d, want 7", res.Status)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || lines[0] != "cgroup2 /sys/fs/cgroup cgroup2 rw,relatime 0 0" || lines[1] != "1" {
		t.Fatalf("mounts: want cgroup2 alone, got\n%s", out)
	}
	for _, c := range []string{"cpu", "memory", "pids", "io"} {
		if !slices.Contains(strings.Fields(lines[2]), c) {
			t.Errorf("controller %s not enabled for the root's children: %q", c, lines[2])
		}
	}
	for _, s := range []string{"bridge llc overlay stp", "hostls", "live=1"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
	if strings.Contains(out, "v1 mounted") {
		t.Error("a cgroup v1 hierarchy could be mounted: cgroup_no_v1=all is not in force")
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
