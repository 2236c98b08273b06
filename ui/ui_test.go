package ui

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui/render"
)

// updating is go test ./ui -update: rewrite the golden files under testdata/golden. The flag is
// teatest's golden package's, which the flows import.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// The fixture is a live capture (isotop snapshot --json --sample 300ms) of this project's build VM
// with two Podman containers (web on a netns with a veth to the host, batch with --network none
// and a 64M limit) and unshare'd trees.
func fixtureSnapshot(t *testing.T) *probe.Snapshot {
	t.Helper()
	data, err := os.ReadFile("testdata/snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	var s probe.Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func newTestModel(t *testing.T, w, h int) (Model, *probe.Snapshot) {
	s := fixtureSnapshot(t)
	m := New(func() (*probe.Snapshot, error) { return s, nil }, Options{})
	m.width, m.height = w, h
	m.setSnapshot(s)
	return m, s
}

func press(m Model, keys ...string) Model {
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "tab":
			msg = tea.KeyPressMsg{Code: tea.KeyTab}
		case "backspace":
			msg = tea.KeyPressMsg{Code: tea.KeyBackspace}
		case "esc":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "down":
			msg = tea.KeyPressMsg{Code: tea.KeyDown}
		default:
			r := []rune(k)[0]
			msg = tea.KeyPressMsg{Code: r, Text: k}
		}
		nm, _ := m.Update(msg)
		m = nm.(Model)
	}
	return m
}

var escapeCode = regexp.MustCompile("\x1b\\[[0-9;]*[a-zA-Z]")

// TestGolden renders every view at 80x24, 120x40 and 200x50 without color and compares it with the files
// under testdata/golden (go test ./ui -update rewrites them).
func TestGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 50}} {
		for v := range numViews {
			m, _ := newTestModel(t, size[0], size[1])
			m.show(v)
			got := m.render()
			if escapeCode.MatchString(got) {
				t.Errorf("%s: escape codes without color", v)
			}
			lines := strings.Split(got, "\n")
			if len(lines) != size[1] {
				t.Errorf("%s at %dx%d: %d lines", v, size[0], size[1], len(lines))
			}
			for i, l := range lines {
				if w := len([]rune(l)); w > size[0] {
					t.Errorf("%s at %dx%d: line %d is %d wide: %q", v, size[0], size[1], i, w, l)
				}
			}
			file := filepath.Join("testdata", "golden", strings.ToLower(v.String())+"-"+itoa(size[0])+"x"+itoa(size[1])+".txt")
			if updating() {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./ui -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n%s", v, file, got)
			}
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestSwitchViews(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	for i, b := range keys.global.Views {
		k := b.Keys()[0]
		if m = press(m, k); m.view != ViewID(i) {
			t.Errorf("key %s opened %s", k, m.view)
		}
	}
	m = press(m, "tab")
	if m.view != Overview {
		t.Errorf("tab after the last view: %s", m.view)
	}
}

func TestFilter(t *testing.T) {
	m, _ := newTestModel(t, 80, 24)
	m = press(m, "p", "/", "s", "l", "e", "e", "p", " ", "6", "enter")
	if len(m.views[Processes].shown) == 0 || m.filtering {
		t.Fatalf("filter: %d rows, filtering %v", len(m.views[Processes].shown), m.filtering)
	}
	context := 0
	for _, r := range m.views[Processes].shown {
		switch {
		case r.Context:
			context++ // an ancestor of a match, shown to place it
		case !strings.Contains(strings.Join(r.Cells, " "), "sleep 6"):
			t.Errorf("row %v does not match", r.Cells)
		}
	}
	if context == 0 {
		t.Errorf("the matches' ancestors are not shown")
	}
	if r := m.selected(); r == nil || !strings.Contains(strings.Join(r.Cells, " "), "sleep 6") {
		t.Errorf("the selection is not on a match: %v", r)
	}
	m = press(m, "/", "esc")
	if m.views[Processes].filter != "" || len(m.views[Processes].shown) != len(m.views[Processes].table.Rows) {
		t.Errorf("esc did not clear the filter")
	}
}

func TestJumpAndBack(t *testing.T) {
	m, s := newTestModel(t, 120, 40)
	var web *probe.Container
	for i := range s.Containers {
		if s.Containers[i].Name == "web" {
			web = &s.Containers[i]
		}
	}
	m = press(m, "c", "/", "w", "e", "b", "enter")
	if r := m.selected(); r == nil || r.Ref != render.ContainerRef(web.Key()) {
		t.Fatalf("selected %+v", r)
	}
	m = press(m, "enter") // web has several jumps: the menu
	if !isOver[*jumpBox](m) || !strings.Contains(m.render(), "cgroup") {
		t.Fatalf("no jump menu")
	}
	if nm, cmd := m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"}); cmd != nil || nm.(Model).over != nil {
		t.Errorf("q in the jump menu does not close it (or quits)")
	}
	m = press(m, "2") // its cgroup
	if m.view != Cgroups || m.selected() == nil || m.selected().Ref != render.CgroupRef(web.Cgroup) {
		t.Fatalf("after the jump: view %s, selected %+v", m.view, m.selected())
	}
	m = press(m, "backspace")
	if m.view != Containers || m.selected().Ref != render.ContainerRef(web.Key()) {
		t.Errorf("back: view %s, selected %v", m.view, m.selected().Ref)
	}
	// A veth jumps to its peer in another namespace.
	m = press(m, "w", "/", "e", "t", "h", "0", "enter")
	var fromContainer bool
	for i, r := range m.views[Network].shown {
		if r.Cells[0] == "eth0" && len(r.More().Jumps) == 1 {
			m.views[Network].cursor = i
			m.views[Network].clamp(m.rowsHigh())
			fromContainer = true
			break
		}
	}
	if !fromContainer {
		t.Fatal("no eth0 with a peer")
	}
	m = press(m, "enter")
	if r := m.selected(); r == nil || r.Cells[0] != "itt-ui-h" {
		t.Errorf("peer jump landed on %+v", r)
	}
}

func TestCompareAndExplain(t *testing.T) {
	m, s := newTestModel(t, 120, 40)
	var inits []int
	for _, c := range s.Containers {
		if c.Runtime == "podman" {
			inits = append(inits, c.PID)
		}
	}
	m = press(m, "p")
	for _, pid := range inits {
		m.table().selectRef(render.ProcRef(pid), m.rowsHigh())
		m = press(m, "m")
	}
	m = press(m, "x")
	out := m.render()
	if !isOver[*compareBox](m) || !regexp.MustCompile(`user\s+\d+\s+\d+\s+shared`).MatchString(out) ||
		!regexp.MustCompile(`net\s+\d+\s+\d+\s+differ`).MatchString(out) {
		t.Fatalf("compare:\n%s", out)
	}
	// e explains the selected value, starting at the first column; → moves to the next value.
	m = press(m, "esc", "e")
	if out := m.render(); !isOver[*explainBox](m) || !strings.Contains(out, "[PID]") || !strings.Contains(out, "file:    /proc/"+itoa(inits[1])+"/stat") {
		t.Errorf("explain PID:\n%s", out)
	}
	m = press(m, "l")
	if out := m.render(); !strings.Contains(out, "[NSPID]") || !strings.Contains(out, "NSPID: 1") ||
		!strings.Contains(out, "shell:   grep NSpid /proc/"+itoa(inits[1])+"/status") {
		t.Errorf("explain NSPID:\n%s", out)
	}
	m = press(m, "h", "h")
	if out := m.render(); !strings.Contains(out, "[COMMAND]") || !strings.Contains(out, "/cmdline") {
		t.Errorf("explain wraps to the last value:\n%s", out)
	}
	if m = press(m, "esc"); m.over != nil || m.view != Processes {
		t.Errorf("esc leaves the explain open or the view: %v %s", m.over, m.view)
	}
}

// TestExplainEveryValue: every column of every view says what its value means, and every value on
// screen has the files it comes from and a command that shows it, unless no file can (a namespace
// only another one refers to; a value a view draws as a label): then the meaning says why. A value
// isotop could not read ("-") has no command for a file that does not exist. (The Overview has no
// rows; TestExplainTellsTheTruth runs the commands on a live host.)
func TestExplainEveryValue(t *testing.T) {
	m, _ := newTestModel(t, 120, 40)
	for v := Namespaces; v < numViews; v++ {
		m.show(v)
		cols := m.views[v].table.Columns
		for i := range m.views[v].shown {
			r := &m.views[v].shown[i]
			e := r.More().Explain
			if len(e) != len(cols) {
				t.Fatalf("%s row %s: %d explanations for %d columns", v, r.Ref, len(e), len(cols))
			}
			for j, x := range e {
				cell := strings.TrimSpace(r.Cells[j])
				shown := cell != "" && cell != "-" && cell != "netns"
				switch {
				case x.Meaning == "" && shown:
					t.Errorf("%s row %s, %s %q: no meaning", v, r.Ref, cols[j].Title, cell)
				case x.Command != "" && len(x.Files) == 0 && v != Network:
					t.Errorf("%s row %s, %s: a command with no file: %+v", v, r.Ref, cols[j].Title, x)
				case shown && x.Command == "" && !strings.Contains(x.Meaning, "no file") && !strings.Contains(x.Meaning, "no other tool"):
					t.Errorf("%s row %s, %s %q: no command and no word why: %+v", v, r.Ref, cols[j].Title, cell, x)
				case !shown && strings.Contains(x.Command, "(no "):
					t.Errorf("%s row %s, %s: a command for a file that is not there: %q", v, r.Ref, cols[j].Title, x.Command)
				}
			}
		}
	}
}

// TestDetail: i shows the selected object in full: a user namespace's members, id maps and parent
// chain; a container's pids, namespaces and veth peers; on a wide terminal, a side pane shows it.
func TestDetail(t *testing.T) {
	s := fixtureSnapshot(t)
	// A user namespace as unshare -U --map-root-user makes it, child of the initial one.
	var initial uint64
	for _, ns := range s.Namespaces {
		if ns.Type == probe.NSUser && ns.Parent == nil {
			initial = ns.Inode
		}
	}
	child := probe.Namespace{Type: probe.NSUser, Inode: 4026532999, Processes: 1, PIDs: []int{4242}, PID: 4242, Command: "sh",
		Parent: &initial, OwnerUserNS: &initial, UIDMap: []probe.IDMapRange{{Inside: 0, Outside: 100000, Count: 65536}}}
	s.Namespaces = append(s.Namespaces, child)
	m := New(func() (*probe.Snapshot, error) { return s, nil }, Options{})
	m.width, m.height = 120, 40
	m.setSnapshot(s)
	m = press(m, "n")
	m.table().selectRef(render.NSRef(probe.NSUser, child.Inode), m.rowsHigh())
	m = press(m, "i")
	out := m.render()
	for _, want := range []string{
		"user namespace 4026532999",
		"uid_map    0-65535 inside = 100000-165535 outside",
		fmt.Sprintf("parents    4026532999 → %d", initial),
		"pids       4242",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("user namespace detail lacks %q:\n%s", want, out)
		}
	}
	m = press(m, "esc", "c", "/", "w", "e", "b", "enter", "i")
	if out := m.render(); !strings.Contains(out, "podman container web") || !strings.Contains(out, "eth0") || !strings.Contains(out, "↔ host:itt-ui-h") {
		t.Errorf("container detail:\n%s", out)
	}
	wide, _ := newTestModel(t, 200, 50)
	wide = press(wide, "c", "/", "w", "e", "b", "enter")
	if out := wide.render(); !strings.Contains(out, "podman container web") || strings.Count(out, "\n") != 49 {
		t.Errorf("200x50 has no side pane with the detail:\n%s", out)
	}
}

// TestSelectionFollowsObject: a refresh in which rows come and go keeps the cursor on its object.
func TestSelectionFollowsObject(t *testing.T) {
	m, s := newTestModel(t, 80, 24)
	m = press(m, "p", "down", "down", "down", "down", "down")
	ref := m.selected().Ref
	next := *s
	next.Processes = slices.Clone(s.Processes[:2]) // two processes gone, everything above the selection
	next.Processes = append(next.Processes[:1], s.Processes[3:]...)
	nm, _ := m.Update(snapshotMsg{snap: &next})
	m = nm.(Model)
	if m.selected() == nil || m.selected().Ref != ref {
		t.Errorf("selection moved from %s to %v", ref, m.selected())
	}
}

// TestUpdateDoesNoIO: the source is called only when a returned command runs, never by Update.
func TestUpdateDoesNoIO(t *testing.T) {
	calls := 0
	s := fixtureSnapshot(t)
	m := New(func() (*probe.Snapshot, error) { calls++; return s, nil }, Options{Interval: 1})
	cmd := m.Init()
	if calls != 0 {
		t.Fatal("Init read the host")
	}
	msg := cmd()
	if calls != 1 {
		t.Fatal("the command did not read the host")
	}
	nm, next := m.Update(msg)
	m = nm.(Model)
	if m = press(m, "p", "down", "enter", "/", "x", "esc", "s", "space", "?", "q"); m.view != Processes {
		t.Errorf("keys went astray: view %s", m.view)
	}
	if calls != 1 || next == nil {
		t.Errorf("Update read the host: %d calls", calls)
	}
}

func TestColorAndNoColor(t *testing.T) {
	s := fixtureSnapshot(t)
	m := New(func() (*probe.Snapshot, error) { return s, nil }, Options{Color: true, ReadOnly: true})
	m.setSnapshot(s)
	if out := m.render(); !escapeCode.MatchString(out) || !strings.Contains(out, "READ-ONLY") {
		t.Errorf("color view has no styling or no read-only mark")
	}
}

// Text from the host is drawn, never obeyed: a command line with a newline, an escape sequence, a
// tab, a C1 byte and bytes that are not UTF-8 stays on its row, escaped, and leaves the layout alone.
func TestHostTextIsEscaped(t *testing.T) {
	s := fixtureSnapshot(t)
	hostile := []string{"bash", "-c", "sleep 1\n# two\x1b[2J\tthree\u009b4m\xff"}
	s.Processes[0].Cmdline = hostile
	s.Processes[0].Comm = "evil\x1b]0;title\x07"
	s.Host.Hostname = "host\nname"
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		m := New(func() (*probe.Snapshot, error) { return s, nil }, Options{})
		m.width, m.height = size[0], size[1]
		m.setSnapshot(s)
		m = press(m, "p", "/", "b", "a", "s", "h", "enter")
		out := m.render()
		if strings.ContainsAny(out, "\x1b\x07\t") || strings.Contains(out, "\xff") || strings.ContainsRune(out, '\u009b') {
			t.Errorf("%dx%d: a control character reached the terminal:\n%q", size[0], size[1], out)
		}
		if n := strings.Count(out, "\n") + 1; n != size[1] {
			t.Errorf("%dx%d: %d lines drawn, want %d:\n%s", size[0], size[1], n, size[1], out)
		}
		if !strings.Contains(out, `sleep 1\n# two\x1b[2J`) || !strings.Contains(out, `host\nname`) {
			t.Errorf("%dx%d: the escaped text is not shown:\n%s", size[0], size[1], out)
		}
		m.marks = []render.Ref{render.ProcRef(s.Processes[0].PID), render.ProcRef(s.Processes[1].PID)}
		m = press(m, "x")
		if out := m.render(); strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, `evil\x1b]0;title\x07`) {
			t.Errorf("%dx%d: compare shows the command raw:\n%q", size[0], size[1], out)
		}
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"plain ünïcode 日本": "plain ünïcode 日本",
		"a\nb\tc":          `a\nb\tc`,
		"\x1b[31mred":      `\x1b[31mred`,
		"c1 \u0085 \u009b": `c1 \x85 \x9b`,
		"bad \xff\xfe utf": `bad \xff\xfe utf`,
		"del \x7f":         `del \x7f`,
	} {
		if got := render.Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

// A 128 KiB command line is cut to the column's width (fit was quadratic in its length once: a
// build's compiler command line froze the screen).
func TestFitLongLine(t *testing.T) {
	long := strings.Repeat("/usr/lib/go/pkg/tool/compile ", 128<<10/29)
	for _, w := range []int{1, 20, 80} {
		got := render.Fit(long, w)
		if lipgloss.Width(got) != w || !strings.HasSuffix(got, "…") {
			t.Errorf("fit(long, %d) = %q", w, got)
		}
	}
	if got := render.Fit("short", 80); got != "short" {
		t.Errorf("fit(short) = %q", got)
	}
	if got := render.Fit("日本語", 4); lipgloss.Width(got) > 4 {
		t.Errorf("fit(wide) = %q, %d cells", got, lipgloss.Width(got))
	}
}

// TestViewsShowTheLatestSnapshot: a view is built when it is opened (only the one on screen is
// rebuilt on each refresh), and then shows the latest snapshot, not the one of its last visit.
func TestViewsShowTheLatestSnapshot(t *testing.T) {
	m, s := newTestModel(t, 120, 40)
	m = press(m, "c")
	before := len(m.views[Containers].shown)
	m = press(m, "p")
	next := *s
	next.Containers = append(slices.Clone(s.Containers), probe.Container{Runtime: "docker", ID: "abc", Name: "late-arrival", PID: s.Processes[0].PID})
	nm, _ := m.Update(snapshotMsg{snap: &next})
	m = nm.(Model)
	if m.views[Containers].built {
		t.Error("a refresh built a view that is not on screen")
	}
	m = press(m, "c")
	if len(m.views[Containers].shown) != before+1 || !strings.Contains(m.render(), "late-arrival") {
		t.Errorf("the Containers view shows an old snapshot:\n%s", m.render())
	}
}

// isOver reports whether the box on screen is a T.
func isOver[T overlay](m Model) bool {
	_, ok := m.over.(T)
	return ok
}
