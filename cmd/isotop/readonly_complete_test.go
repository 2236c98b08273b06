package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/isotop/isotop/actions/early"
	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// buildBinary builds isotop for a test (ISOTOP_TEST_BIN names one already built: in the v2 guest,
// which has no Go).
func buildBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("ISOTOP_TEST_BIN"); bin != "" {
		return bin
	}
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} { // the read-only identity must reach it
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "isotop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func snapshotOf(t *testing.T, bin, readOnly string) *probe.Snapshot {
	t.Helper()
	cmd := exec.Command(bin, "snapshot", "--json")
	cmd.Env = append(os.Environ(), "ISOTOP_READONLY="+readOnly)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ISOTOP_READONLY=%s isotop snapshot --json: %v\n%s", readOnly, err, stderr.String())
	}
	var s probe.Snapshot
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestReadOnlyComplete takes a normal and a read-only snapshot back to back, on a host with
// containers, network namespaces with veth peers, nested cgroups and a tree no runtime made, and
// compares them: read-only mode must see what the normal mode sees, with no more errors.
func TestReadOnlyComplete(t *testing.T) {
	if !early.Built {
		t.Skip("built without cgo: no read-only mode")
	}
	h := probetest.NewHost(t)
	bin := buildBinary(t)
	rw := snapshotOf(t, bin, "0")
	ro := snapshotOf(t, bin, "1")

	// Processes alive in both (by pid and start time): the same namespaces, isolation, cgroup
	// and container.
	type key struct {
		pid   int
		start uint64
	}
	byKey := map[key]probe.Process{}
	for _, p := range rw.Processes {
		byKey[key{p.PID, p.StartTicks}] = p
	}
	both := 0
	for _, p := range ro.Processes {
		q, ok := byKey[key{p.PID, p.StartTicks}]
		if !ok {
			continue
		}
		both++
		if p.Namespaces != q.Namespaces || !slices.Equal(p.Isolated, q.Isolated) || p.Cgroup != q.Cgroup || p.Container != q.Container {
			t.Errorf("process %d (%s): read-only sees ns %+v isolated %v cgroup %s container %s; normal: %+v %v %s %s",
				p.PID, p.Comm, p.Namespaces, p.Isolated, p.Cgroup, p.Container, q.Namespaces, q.Isolated, q.Cgroup, q.Container)
		}
	}
	if both < len(rw.Processes)-5 {
		t.Errorf("only %d of %d processes in both snapshots", both, len(rw.Processes))
	}
	t.Logf("%d processes in both snapshots (normal %d, read-only %d)", both, len(rw.Processes), len(ro.Processes))

	// Namespaces, network namespaces with their links, cgroups, containers: the same.
	nsKeys := func(s *probe.Snapshot) []string {
		var out []string
		for _, ns := range s.Namespaces {
			out = append(out, fmt.Sprintf("%s:%d", ns.Type, ns.Inode))
		}
		slices.Sort(out)
		return out
	}
	if a, b := nsKeys(rw), nsKeys(ro); !slices.Equal(a, b) {
		t.Errorf("namespaces differ:\nnormal    %v\nread-only %v", a, b)
	}
	links := func(s *probe.Snapshot) []string {
		var out []string
		for _, n := range s.NetNamespaces {
			for _, l := range n.Links {
				peer := ""
				if l.Peer != nil {
					peer = fmt.Sprintf("%d/%s via %s", l.Peer.NetNS, l.Peer.Name, l.Peer.Via)
				}
				out = append(out, fmt.Sprintf("%d %s %s %s %s master=%s ports=%v peer=%s names=%v", n.Inode, l.Name, l.Kind, l.MAC,
					strings.Join(l.Addrs, ","), l.Master, l.Ports, peer, n.Names))
			}
		}
		slices.Sort(out)
		return out
	}
	if a, b := links(rw), links(ro); !slices.Equal(a, b) {
		t.Errorf("network links differ:\nnormal\n  %s\nread-only\n  %s", strings.Join(a, "\n  "), strings.Join(b, "\n  "))
	}
	cgroups := func(s *probe.Snapshot) []string {
		var out []string
		for _, c := range s.Cgroups {
			line := c.Path
			if c.Memory != nil && c.Memory.EffectiveMax != nil {
				line += fmt.Sprintf(" mem<=%d from %s", *c.Memory.EffectiveMax, c.Memory.EffectiveMaxFrom)
			}
			out = append(out, line)
		}
		return out
	}
	if a, b := cgroups(rw), cgroups(ro); !slices.Equal(a, b) {
		t.Errorf("cgroups differ:\nnormal    %v\nread-only %v", a, b)
	}
	containers := func(s *probe.Snapshot) []string {
		var out []string
		for _, c := range s.Containers {
			ifs, _ := json.Marshal(c.Interfaces)
			out = append(out, fmt.Sprintf("%s name=%s hostname=%s cgroup=%s netns=%d interfaces=%s", c.Key(), c.Name, c.Hostname, c.Cgroup, c.NetNS, ifs))
		}
		slices.Sort(out)
		return out
	}
	a, b := containers(rw), containers(ro)
	if !slices.Equal(a, b) {
		t.Errorf("containers differ:\nnormal\n  %s\nread-only\n  %s", strings.Join(a, "\n  "), strings.Join(b, "\n  "))
	}
	// The test's own objects are there, with what only a process that may enter namespaces can
	// read: hostnames, and the web container's veth with its peer on the host's bridge.
	joined := strings.Join(b, "\n")
	for _, want := range []string{"podman:" + h.WebID + " name=" + h.Web + " hostname=" + h.WebHost, "podman:" + h.DBID + " name=" + h.DB + " hostname=" + h.DBHost,
		"hostname=" + h.TreeHost, `"addrs":["` + h.WebAddr + `"`, `"name":"` + h.Veth + `"`,
		"containerd:" + h.CtrID + " name=" + h.CtrID} {
		if !strings.Contains(joined, want) {
			t.Errorf("the read-only snapshot's containers lack %q:\n%s", want, joined)
		}
	}
	// No more errors: the same paths, but for processes that came or went in between.
	errs := func(s *probe.Snapshot) map[string]string {
		m := map[string]string{}
		for _, e := range s.Errors {
			if !strings.Contains(e.Error, "no such") {
				m[e.Path] = e.Error
			}
		}
		return m
	}
	for p, e := range errs(ro) {
		if _, ok := errs(rw)[p]; !ok {
			t.Errorf("read-only only: %s: %s", p, e)
		}
	}
	t.Logf("normal: %d errors, read-only: %d; %d namespaces, %d containers, %d links", len(rw.Errors), len(ro.Errors),
		len(ro.Namespaces), len(ro.Containers), len(links(ro)))
}

var anyNumber = regexp.MustCompile(`\b\d+\b`)

var usageValues = regexp.MustCompile(`\b\d+(\.\d+)?[KMGT]\b|\b\d+(\.\d+)?%`)

// TestReadOnlyTUIComplete opens the TUI twice at 200x50, normal and read-only, on the same host,
// and compares each view with the test's objects filtered in: read-only mode must draw the same
// rows (namespaces, the ISOLATED letters, cgroups with their limits, containers, veth peers).
func TestReadOnlyTUIComplete(t *testing.T) {
	if !early.Built {
		t.Skip("built without cgo: no read-only mode")
	}
	h := probetest.NewHost(t)
	bin := buildBinary(t)
	// One snapshot each (the next is an hour away): both draw the host as it was at the start.
	rw := startTmux(t, 200, 50, "ISOTOP_READONLY=0", bin, "--interval", "1h")
	ro := startTmux(t, 200, 50, "ISOTOP_READONLY=1", bin, "--interval", "1h")
	rw.waitFor("busiest cgroups")
	ro.waitFor("busiest cgroups", "[READ-ONLY]")
	id := strings.TrimPrefix(h.Prefix, probetest.Prefix)
	overviewLines := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "namespaces ") || strings.HasPrefix(l, "containers ") || strings.HasPrefix(l, "network ") {
				out = append(out, strings.TrimSpace(l))
			}
		}
		return out
	}
	if a, b := overviewLines(rw.screen()), overviewLines(ro.screen()); !slices.Equal(a, b) || len(a) != 3 {
		t.Errorf("overview counts differ:\nnormal    %q\nread-only %q", a, b)
	}
	for _, v := range []struct{ key, tab, filter string }{
		{"n", "[n Namespaces]", h.Sleep()}, {"p", "[p Processes]", h.Sleep()}, {"g", "[g Cgroups]", id},
		{"c", "[c Containers]", id}, {"w", "[w Network]", id},
	} {
		var screens [2]string
		for i, tm := range []*tmuxTerm{rw, ro} {
			tm.keys(v.key)
			tm.waitFor(v.tab)
			tm.keys("/")
			tm.text(v.filter)
			tm.keys("Enter")
			s := tm.waitFor("filter: " + v.filter)
			lines := strings.Split(s, "\n")
			// Not the title, nor the status line; usage (sizes, percentages) moves between the two
			// TUIs' snapshots, a few milliseconds apart: masked. TestReadOnlyComplete compares
			// the limits exactly.
			// A filter keeps a match's ancestors in view (the host's pid namespace above a
			// container's): their counts are the host's, which move too.
			// The side pane details the selected row: its traffic counters and rates move too.
			for j, l := range lines {
				row, pane, split := strings.Cut(l, "│")
				if !strings.Contains(row, v.filter) {
					row = anyNumber.ReplaceAllString(row, "#")
				}
				if split {
					row += "│" + anyNumber.ReplaceAllString(pane, "#")
				}
				lines[j] = row
			}
			screens[i] = usageValues.ReplaceAllString(strings.Join(lines[1:len(lines)-2], "\n"), "#")
		}
		if screens[0] != screens[1] {
			t.Errorf("%s differs in read-only mode:\nnormal:\n%s\nread-only:\n%s", v.tab, screens[0], screens[1])
		}
		if strings.Count(screens[1], "\n") < 3 || !strings.Contains(screens[1], v.filter) {
			t.Errorf("%s filtered to %s shows nothing of the test's:\n%s", v.tab, v.filter, screens[1])
		}
	}
	ro.keys("p")
	s := ro.waitFor("[p Processes]")
	if !strings.Contains(s, " IMNPu ") && !strings.Contains(s, " CIMNPu ") {
		t.Errorf("read-only Processes: no isolation letters for the containers' processes:\n%s", s)
	}
	ro.keys("q")
	probetest.WaitFor(t, "read-only isotop to quit", func() bool { return !ro.alive() })
}

// TestReadOnlyHelperGoesHome: read-only mode's namespace helper enters each network and UTS
// namespace it serves and leaves it again: between requests it is in isotop's own namespaces. A
// helper that stayed where it last served looked, to any isotop's probe (which keeps a process's
// namespace links between its full reads), like a member of that namespace: it lent a container's
// network namespace another's links and appeared as a container itself.
func TestReadOnlyHelperGoesHome(t *testing.T) {
	probetest.NetnsAdd(t) // a namespace of another than isotop's to serve
	bin := buildBinary(t)
	tm := startTmux(t, 120, 40, "ISOTOP_READONLY=1", bin, "--interval", "500ms")
	tm.waitFor("busiest cgroups")
	tm.waitFor("READ-ONLY")
	main := paneChild(t, tm)
	helpers := probetest.Children(main)
	if len(helpers) == 0 {
		t.Fatalf("isotop (pid %d) has no helper", main)
	}
	tm.keys("w") // the Network view: its links come through the helper every refresh
	tm.waitFor("[w Net")
	// Ten looks, 100 ms apart, over refreshes every 500 ms: a request lasts microseconds, so a
	// helper that goes home is found away once at most; one that stays is away every time.
	away := map[string]int{}
	for range 10 {
		time.Sleep(100 * time.Millisecond)
		for _, h := range helpers {
			for _, k := range []string{"net", "uts"} {
				home, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", main, k))
				if now, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", h, k)); err == nil && now != home {
					away[fmt.Sprintf("helper %d in %s (isotop in %s)", h, now, home)]++
				}
			}
		}
	}
	for where, n := range away {
		if n > 1 {
			t.Errorf("%s in %d of 10 looks: it stays where it last served", where, n)
		}
	}
}

// paneChild is the pid of the program in the tmux pane (env exec'd it).
func paneChild(t *testing.T, tm *tmuxTerm) int {
	pid, err := strconv.Atoi(strings.TrimSpace(tm.run("list-panes", "-t", tm.session, "-F", "#{pane_pid}")))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}
