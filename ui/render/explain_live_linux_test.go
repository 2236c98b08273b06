package render

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// TestExplainTellsTheTruth: on the live host (Podman and containerd containers, nested cgroups whose
// parent sets the memory, pids and CPU limits in force for the child, a network namespace on a
// bridge, a tree no runtime made), for every row of every view and every value with an
// explanation, it runs the explanation's shell command and checks that the output gives the value
// on screen: limits, paths, ids, names, kinds and addresses exactly; values that move while the
// test runs within a stated tolerance (usage: the larger of 2 MiB and 25%; CPU % of the test's
// cgroups, one of which spins at its parent's half-CPU quota: 25 points, and of host-wide ones a
// rate between 0 and 100 per CPU, their load being mostly the checks' own; counts of a host-wide
// namespace or cgroup: 5, since the checks' own shells come and go; a throttling counter no lower
// than shown; a kernel worker's name after its id, which says what it works on now).
func TestExplainTellsTheTruth(t *testing.T) {
	h := probetest.NewHost(t)
	probetest.NewCtrPod(t) // a pod: its sandbox named as the pod, the pod's IP on each container
	// A process that spins in app, held to half a CPU by its parent's quota: a rate to check.
	spin := probetest.Start(t, exec.Command("sh", "-c", "while :; do :; done"))
	h.App.Add(t, spin.Process.Pid)
	// A command of two lines and a tab (sh's $0 here): the table holds it raw. It waits on a pipe
	// that is never written, with no child of its own to outlive it.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	twoLines := exec.Command("sh", "-c", "read x", "first line\n:\tsecond line")
	twoLines.Stdin = r
	probetest.Start(t, twoLines)
	r.Close()
	col := probe.NewCollector(probe.DefaultFS())
	defer col.Close()
	if _, err := col.Snapshot(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // a second snapshot: rates
	s, err := col.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	checked, skipped, gone := map[string]int{}, 0, 0
	var failed, moved []string
	for _, v := range []struct {
		view  ViewID
		table func(*probe.Snapshot) Table
	}{{Namespaces, NamespaceTable}, {Processes, ProcessTable}, {Cgroups, CgroupTable}, {Containers, ContainerTable}, {Network, NetworkTable}} {
		// A fresh snapshot for each view: counts move while the commands of the one before run.
		if s, err = col.Snapshot(); err != nil {
			t.Fatal(err)
		}
		table := v.table(s)
		// The rates' commands sleep a second each: they run eight at a time after the others,
		// which run one at a time (counts of the host's processes would count the checks' own).
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		record := func(view ViewID, ref Ref, title, cell, result string) {
			if result != "" && result != "gone" {
				// The host moved between the snapshot and the command (a count, a process's
				// name, a link): the same value from a fresh snapshot, checked again, must hold.
				first := fmt.Sprintf("%s %s, %s shows %q; but %s", view, ref, title, cell, result)
				result = recheck(col, view, v.table, ref, title)
				if result == "" {
					mu.Lock()
					moved = append(moved, first)
					mu.Unlock()
				} else if result != "gone" {
					result = first + "\n  and again from a fresh snapshot: " + result
				}
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case result == "gone":
				gone++ // a process that ended since the snapshot
			case result != "":
				failed = append(failed, result)
			default:
				checked[view.String()]++
			}
		}
		var slow []func()
		for i := range table.Rows {
			r := &table.Rows[i]
			more := r.More()
			for j, c := range table.Columns {
				cell := strings.TrimSpace(r.Cells[j])
				e := more.Explain[j]
				if e.Command == "" || cell == "" || (cell == "-" && c.Title == "CPU%") { // "-": no rate yet (new since the last refresh)
					skipped++
					continue
				}
				// A process's CPU % takes a second to check: the spinner's, and one row in 50.
				if v.view == Processes && c.Title == "CPU%" && r.Ref != ProcRef(spin.Process.Pid) && i%50 != 0 {
					continue
				}
				run := func() {
					record(v.view, r.Ref, c.Title, cell, check(s, v.view, c.Title, r.Ref.String(), cell, e.Command))
				}
				if !strings.Contains(e.Command, "sleep 1") {
					run()
					continue
				}
				slow = append(slow, func() {
					defer func() { <-sem; wg.Done() }()
					run()
				})
			}
		}
		for _, f := range slow {
			wg.Add(1)
			sem <- struct{}{}
			go f()
		}
		wg.Wait()
	}
	total := 0
	for _, n := range checked {
		total += n
	}
	t.Logf("%d values checked against their explanations' commands %v; %d without a command (nothing to read, said so), %d of processes that ended meanwhile", total, checked, skipped, gone)
	for _, m := range moved {
		t.Logf("moved while checked, held from a fresh snapshot: %s", m)
	}
	// Listed last, where a CI log's tail shows them.
	for _, f := range failed {
		t.Error(f)
	}
	if checked["Containers"] < 20 || checked["Cgroups"] < 20 {
		t.Errorf("too few values checked: %v (the test host's containers and cgroups are not all there?)", checked)
	}
	// The case a student met: app's own memory limit is above its parent's, and the screen shows
	// the parent's, explained by the parent's file.
	for _, r := range CgroupTable(s).Rows {
		if r.Ref == CgroupRef(h.App.Path) {
			e := r.More().Explain[4].Command
			if !strings.Contains(e, h.Cgroup.Path+"/memory.") || !strings.Contains(r.Cells[4], "↑") {
				t.Errorf("app's memory (%q) is explained by %q, not by its parent's file", r.Cells[4], e)
			}
		}
	}
}

// recheck checks a value that did not hold once more, from a fresh snapshot: "" when it holds now,
// "gone" when its row or its command is gone, else what went wrong.
func recheck(col *probe.Collector, view ViewID, table func(*probe.Snapshot) Table, ref Ref, title string) string {
	s, err := col.Snapshot()
	if err != nil {
		return err.Error()
	}
	t := table(s)
	for i := range t.Rows {
		r := &t.Rows[i]
		if r.Ref != ref {
			continue
		}
		for j, c := range t.Columns {
			if c.Title != title {
				continue
			}
			cell, e := strings.TrimSpace(r.Cells[j]), r.More().Explain[j]
			if e.Command == "" || cell == "" {
				return "gone"
			}
			return check(s, view, title, ref.String(), cell, e.Command)
		}
	}
	return "gone"
}

// check runs one explanation's command and verifies its output: "" when it gives the value on
// screen, "gone" when the row's process ended meanwhile, else what went wrong.
func check(s *probe.Snapshot, v ViewID, col, key, cell, cmd string) string {
	out, err := sh(cmd)
	if cell == "-" && (err != nil || strings.Contains(out, "Permission denied")) {
		return "" // isotop could not read it, and neither can the command
	}
	if err != nil || strings.Contains(out, "No such file or directory") || strings.Contains(out, "No such process") {
		if !stillThere(key) {
			return "gone"
		}
		return fmt.Sprintf("%s: %v\n%s", cmd, err, out)
	}
	if why := verify(s, v, col, key, cell, out); why != "" {
		if !stillThere(key) { // its links and files vanished as the command read them
			return "gone"
		}
		return fmt.Sprintf("%s\n  prints %q: %s", cmd, out, why)
	}
	return ""
}

// named checks a container's name: a pod's sandbox's ("pod NAMESPACE/NAME") by its annotations'
// values, another's as it is.
func named(cell string, has func(string) string) string {
	if pod, ok := strings.CutPrefix(cell, "pod "); ok {
		ns, name, _ := strings.Cut(pod, "/")
		if has(`"`+ns+`"`) == "" && has(`"`+name+`"`) == "" {
			return ""
		}
		return "not that pod's sandbox"
	}
	return has(strings.TrimSuffix(cell, "…"))
}

// rate checks a CPU rate: the test's own cgroups' and the spinner's within 25 points; a
// host-wide one's load is mostly this test's own checks, which come and go: it must only be one.
func rate(s *probe.Snapshot, key, cell, out string) string {
	n, c := numbers(out), numbers(cell)
	switch {
	case len(n) == 0 || len(c) == 0:
		return "no rate"
	case !strings.Contains(key, probetest.Prefix) && !strings.Contains(key, "process ") && n[0] >= 0 && n[0] <= 100*float64(s.Host.CPUs):
		return ""
	case strings.Contains(key, "process ") && n[0] >= 0 && n[0] <= 100*float64(s.Host.CPUs) && c[0] < 25:
		return "" // an idle process of the host's: it may have worked between the two
	case math.Abs(n[0]-c[0]) <= 25:
		return ""
	}
	return "a different rate"
}

func sh(cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "sh", "-c", cmd).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// stillThere reports whether the object of a row still exists (a process, a container's init).
func stillThere(key string) bool {
	if pid, ok := strings.CutPrefix(key, "process "); ok {
		_, err := sh("test -d /proc/" + pid)
		return err == nil
	}
	return true
}

var numberRE = regexp.MustCompile(`-?[0-9]+(\.[0-9]+)?`)

func numbers(s string) []float64 {
	var out []float64
	for _, m := range numberRE.FindAllString(s, -1) {
		f, _ := strconv.ParseFloat(m, 64)
		out = append(out, f)
	}
	return out
}

// near compares counts that move: exact for the test's own objects; for host-wide ones within 5
// or 15 %, whichever is more (processes of the tests before, a container's cleanup, a build come
// and go on the host while the commands run).
func near(a, b float64, key string) bool {
	slack := 0.0
	if !strings.Contains(key, probetest.Prefix) {
		slack = max(5, 0.15*b)
	}
	return math.Abs(a-b) <= slack
}

// bytesNear compares usage: the larger of 2 MiB and 25%.
func bytesNear(shown string, b float64) bool {
	v, err := parseHuman(shown)
	return err == nil && math.Abs(v-b) <= math.Max(2<<20, 0.25*b)
}

func parseHuman(s string) (float64, error) {
	units := map[byte]float64{'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}
	if u, ok := units[s[len(s)-1]]; ok {
		f, err := strconv.ParseFloat(s[:len(s)-1], 64)
		return f * u, err
	}
	return strconv.ParseFloat(s, 64)
}

// limitShown is how a limit file's content shows: "max" for none (v2's max, v1's huge numbers).
func limitShown(file string) string {
	if file == "max" || strings.HasPrefix(file, "92233720368547") || file == "-1" {
		return "max"
	}
	n, _ := strconv.ParseUint(file, 10, 64)
	return Bytes(n)
}

var letters = map[string]string{"cgroup": "C", "ipc": "I", "mnt": "M", "net": "N", "pid": "P", "time": "T", "user": "U", "uts": "u"}

// verify checks one value against its command's output; "" when it holds, else why not.
func verify(s *probe.Snapshot, v ViewID, col, key, cell, out string) string {
	lines := strings.Split(out, "\n")
	has := func(sub string) string {
		if strings.Contains(out, sub) {
			return ""
		}
		return "the output lacks " + strconv.Quote(sub)
	}
	count := func() string {
		n := numbers(lines[0])
		c := numbers(cell)
		if len(n) == 0 || len(c) == 0 || !near(n[0], c[0], key) {
			return "a different count"
		}
		return ""
	}
	switch v {
	case Namespaces:
		switch col {
		case "TYPE":
			return has(cell + ":[")
		case "NS":
			return has("[" + cell + "]")
		case "PROCS":
			return count()
		case "PID":
			if cell == "-" && out == "" || lines[0] == cell {
				return ""
			}
			return count()
		case "CONTAINER":
			name, _, _ := strings.Cut(cell, " +")
			return named(name, has)
		case "OWNER":
			if out == cell || (cell == "-" && (out == "" || out == "0")) { // lsns: 0 for the top
				return ""
			}
			return "a different owner"
		default: // COMMAND / HELD BY
			for _, tok := range strings.Fields(cell) {
				for _, part := range strings.Split(tok, "→") {
					if tok != "mount" && tok != "uid" && !strings.Contains(out, part) {
						return "the output lacks " + strconv.Quote(part)
					}
				}
			}
			return ""
		}
	case Processes:
		switch col {
		case "PID":
			return has(cell + " ")
		case "NSPID":
			f := strings.Fields(strings.TrimPrefix(lines[0], "NSpid:"))
			if (len(f) > 1 && f[len(f)-1] == cell) || (len(f) == 1 && cell == "-") {
				return ""
			}
			return "a different NSpid"
		case "UID":
			if f := strings.Fields(lines[0]); len(f) > 2 && f[2] == cell {
				return ""
			}
			return "a different effective uid"
		case "ISOLATED":
			if cell == "-" && strings.Contains(out, "denied") {
				return ""
			}
			var got strings.Builder
			for _, k := range probe.Kinds {
				for _, l := range lines {
					if l == string(k) {
						got.WriteString(letters[l])
					}
				}
			}
			if g := got.String(); g == cell || (g == "" && cell == "-") {
				return ""
			}
			return "the kinds that differ are " + strconv.Quote(got.String())
		case "CONTAINER":
			return named(cell, has)
		case "CPU%":
			return rate(s, key, cell, lines[0])
		case "RSS":
			if n := numbers(lines[0]); len(n) == 1 && bytesNear(cell, n[0]) {
				return ""
			}
			return "a different RSS"
		case "THR":
			return count()
		case "TIME": // centiseconds that only grow, a minute of CPU at most while the test runs
			f := numbers(strings.NewReplacer(":", " ", ".", " ", "h", " ").Replace(cell))
			if len(f) != 3 {
				return "not M:SS.cc"
			}
			shown, n := f[0]*6000+f[1]*100+f[2], numbers(lines[0])
			if strings.Contains(cell, "h") {
				shown = f[0]*360000 + f[1]*6000 + f[2]*100
			}
			if len(n) == 1 && n[0] >= shown-1 && n[0] <= shown+6000 {
				return ""
			}
			return "a different CPU time"
		default: // COMMAND
			// A kernel worker's name says what it works on now (kworker/u8:2-events): that moves.
			worker := func(s string) string { w, _, _ := strings.Cut(strings.Trim(s, "[]"), "-"); return w }
			// The table's cells are raw (the TUI escapes them as it draws): a command may hold a newline.
			if Clean(out) == Clean(cell) || "["+out+"]" == cell || (strings.HasPrefix(cell, "[kworker/") && worker(out) == worker(cell)) {
				return ""
			}
			return "a different command"
		}
	case Cgroups, Containers:
		switch col {
		case "CGROUP":
			// A container's cgroup: "podman:web  libpod-3054a1b2c3d4…" (its name, its id shortened).
			if _, dir, ok := strings.Cut(cell, "  "); ok && strings.HasPrefix(path.Base(out), strings.TrimSuffix(dir, "…")) {
				return ""
			}
			if path.Base(out) == cell || cell == "/" {
				return ""
			}
			return "another directory"
		case "PROCS":
			return count()
		case "CPU%":
			return rate(s, key, cell, lines[0])
		case "CPUS":
			want := strings.TrimSuffix(cell, "↑")
			var cpus float64
			switch n := numbers(strings.ReplaceAll(out, "\n", " ")); {
			case strings.Contains(lines[0], "-") || strings.Contains(lines[0], ","): // a CPU list: 0-1,4
				for _, r := range strings.Split(lines[0], ",") {
					a, b, ok := strings.Cut(r, "-")
					x, _ := strconv.Atoi(a)
					y := x
					if ok {
						y, _ = strconv.Atoi(b)
					}
					cpus += float64(y - x + 1)
				}
			case len(n) == 1 && !strings.Contains(out, "\n"): // a single CPU: "0"
				cpus = 1
			case len(n) >= 2:
				cpus = n[0] / n[1]
			}
			if strconv.FormatFloat(cpus, 'g', 3, 64) == want {
				return ""
			}
			return fmt.Sprintf("%g CPUs", cpus)
		case "MEMORY":
			used, limit, ok := strings.Cut(strings.Fields(cell)[len(strings.Fields(cell))-1], "/")
			limit = strings.TrimSuffix(limit, "↑")
			if !ok || len(lines) < 1 {
				return "no used/limit on screen"
			}
			u, _ := strconv.ParseFloat(lines[0], 64)
			if !bytesNear(used, u) {
				return "a different usage"
			}
			got := "max"
			if len(lines) > 1 {
				got = limitShown(strings.Fields(lines[1])[0])
			}
			if got != limit {
				return "the limit in force is " + got
			}
			return ""
		case "PIDS":
			cur, max, _ := strings.Cut(cell, "/")
			max = strings.TrimSuffix(max, "↑")
			c, _ := strconv.ParseFloat(cur, 64)
			if n := numbers(lines[0]); len(n) == 0 || !near(n[0], c, key) {
				return "a different number of tasks"
			}
			got := "max"
			if len(lines) > 1 {
				got = strings.Fields(lines[1])[0]
			}
			if got != max {
				return "pids.max in force is " + got
			}
			return ""
		case "PSI":
			m := regexp.MustCompile(`some avg10=([0-9.]+)`).FindStringSubmatch(out)
			c, _ := strconv.ParseFloat(cell, 64)
			if m != nil {
				if f, _ := strconv.ParseFloat(m[1], 64); math.Abs(f-c) <= 5 {
					return ""
				}
			}
			return "a different pressure"
		case "THROTL": // a counter: what the command reads later is no lower, and grows 10 a second at most
			n, c := numbers(out), numbers(cell)
			if len(n) > 0 && len(c) > 0 && n[0] >= c[0] && n[0]-c[0] <= 1000 {
				return ""
			}
			return "a different count"
		case "RUNTIME":
			marker := map[string]string{"docker": "docker", "podman": "libpod", "cri-o": "crio", "isotop": "isotop-", "lxc": "lxc", "nspawn": "machine-"}[cell]
			if marker == "" || strings.Contains(out, marker) || cell == "isolated" || cell == "containerd" {
				return ""
			}
			return "no " + marker + " in it"
		case "NAME":
			return named(cell, has)
		case "HOSTNAME":
			if cell == "-" && len(lines) == 2 && lines[0] == lines[1] {
				return ""
			}
			if lines[0] == cell {
				return ""
			}
			return "another hostname"
		case "INIT":
			if cell == "-" {
				return "" // a plain program: nothing to compare
			}
			return has(cell)
		case "PID":
			if f := strings.Fields(strings.TrimPrefix(lines[0], "NSpid:")); len(f) > 0 && f[0] == cell {
				return ""
			}
			return "a different pid"
		default: // NETWORK
			switch {
			case cell == "host":
				if len(lines) == 2 && lines[0] == lines[1] {
					return ""
				}
				return "not the host's network namespace"
			case cell == "none":
				for _, l := range lines {
					if f := strings.Fields(l); len(f) > 1 && f[1] != "lo" {
						return "an interface besides lo: " + l
					}
				}
				return ""
			case strings.HasPrefix(cell, "shares "):
				return ""
			}
			for _, part := range strings.Split(cell, ", ") {
				f := strings.Fields(part)
				if why := has(f[0]); why != "" {
					return why
				}
				if len(f) > 1 && !strings.HasPrefix(f[1], "↔") {
					if why := has(f[1]); why != "" {
						return why
					}
				}
				if _, peer, ok := strings.Cut(part, "↔ "); ok {
					if why := has(peer[strings.LastIndex(peer, ":")+1:]); why != "" {
						return why
					}
				}
			}
			return ""
		}
	case Network:
		if !strings.HasPrefix(key, "link ") {
			switch col {
			case "ADDRESSES": // "N processes"
				return count()
			default: // the name: the host's inode, an ip netns name, a container's, a process's command
				if cell == "host" {
					return has("net:[")
				}
				if strings.HasPrefix(cell, "pod ") {
					return named(cell, has)
				}
				return has(cell[strings.Index(cell, ":")+1:])
			}
		}
		switch col {
		case "NAMESPACE / LINK":
			return has(cell)
		case "KIND":
			switch cell {
			case "loopback":
				return has("LOOPBACK")
			case "device":
				return ""
			}
			return has(cell)
		case "STATE":
			return has("state " + strings.ToUpper(cell))
		case "ADDRESSES":
			for _, a := range strings.Fields(cell) {
				if why := has(a); why != "" {
					return why
				}
			}
			return ""
		default: // PEER / PORTS
			rest := cell
			if br, ok := strings.CutPrefix(cell, "on "); ok {
				name, more, _ := strings.Cut(br, " ")
				if why := has("master " + name); why != "" {
					return why
				}
				rest = more
			}
			if _, peer, ok := strings.Cut(rest, "↔ "); ok {
				return has(peer[strings.LastIndex(peer, ":")+1:])
			}
			for _, port := range strings.Fields(rest) {
				if why := has(port); why != "" {
					return why
				}
			}
			return ""
		}
	}
	return ""
}
