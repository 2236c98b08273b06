// Command demo makes the screenshots in screenshots/ (`make screenshots`, as root): it builds a demo
// host with the tests' helpers (package probetest): two Podman containers, a network namespace
// wired by a veth pair to a bridge, nested cgroups with limits set by isotop limit, and an isotop
// sandbox on that bridge; it drives the real bin/isotop in a tmux server of its own through every
// view, the explain panel and the compare panel; it saves each screen with its colours
// (NAME.ansi) and renders it with charmbracelet/freeze (NAME.png, freeze from
// screenshots/tools/go.mod). Then it removes everything it made, and only that, also when a step
// fails or it is interrupted, and checks that nothing is left.
//
// -hold builds the demo host and starts the TUI, then waits for ^C: for trying the views by hand
// (tmux -S SOCKET attach, the socket it prints).
package main

import (
	"crypto/rand"
	"flag"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The size of the terminal; the Containers view is shot wider, where the detail shows beside it.
const cols, rows, wideCols = 120, 36, 160

func readRandom(b []byte) (int, error) { return rand.Read(b) }

func main() {
	log.SetFlags(0)
	log.SetPrefix("screenshots: ")
	isotop := flag.String("isotop", "bin/isotop", "the isotop binary to show")
	out := flag.String("out", "screenshots", "where the .ansi captures and the .png images go")
	tools := flag.String("tools", "screenshots/tools", "the module with freeze as a tool")
	hold := flag.Bool("hold", false, "build the demo host, start the TUI and wait for ^C")
	flag.Parse()
	if os.Geteuid() != 0 {
		log.Fatal("run as root: the demo host is made of containers, cgroups and network namespaces")
	}
	os.Exit(run(*isotop, *out, *tools, *hold))
}

func run(isotop, out, tools string, hold bool) (code int) {
	start := time.Now()
	tmp, err := os.MkdirTemp("", "isotop-demo-")
	if err != nil {
		log.Print(err)
		return 1
	}
	t := &tb{tmp: tmp}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		for s := range sigs {
			log.Printf("%v: stopping, then removing the demo host", s)
			t.stop.Store(true)
		}
	}()
	var h *demoHost
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(fatal)
			if !ok {
				t.teardown()
				panic(r)
			}
			log.Printf("failed: %s", string(f))
			code = 1
		}
		log.Print("removing the demo host")
		if !t.teardown() {
			code = 1
		}
		if h != nil {
			if left := leftovers(h); len(left) > 0 {
				log.Printf("left behind: %s", strings.Join(left, ", "))
				code = 1
			}
		}
		log.Printf("done in %s", time.Since(start).Round(time.Second))
	}()

	h = buildHost(t, isotop)
	tm := startTUI(t, isotop, h.audit, cols, rows)
	tm.waitFor("procs", "busiest cgroups")
	if hold {
		log.Printf("holding: tmux -S %s attach; ^C here removes the demo host", tm.socket)
		for {
			tm.sleep(time.Second)
		}
	}
	shots := shoot(tm, h, out)
	log.Printf("rendering %d images with freeze", len(shots))
	if err := renderAll(tools, shots); err != nil {
		t.Fatal(err)
	}
	return 0
}

// shot is one capture and its size.
type shot struct {
	ansi, png  string
	cols, rows int
}

// shoot walks the TUI through every view and panel, capturing each.
func shoot(tm *term, h *demoHost, out string) []shot {
	var shots []shot
	snap := func(name string, c, r int) {
		f := tm.capture(out, name)
		shots = append(shots, shot{f, filepath.Join(out, name+".png"), c, r})
		log.Printf("captured %s", name)
	}

	// Overview, once the containers and the sandbox are in it.
	tm.keys("o")
	tm.waitFor("[o Overview]", "podman 2", "isotop 1")
	snap("overview", cols, rows)

	// Namespaces, at the demo's network namespace (held by its mount only).
	tm.keys("n")
	tm.waitFor("[n Namespaces]")
	tm.selectRow("the demo netns", func(r string) bool { return strings.Contains(r, "/run/netns/"+h.netns) })
	snap("namespaces", cols, rows)

	// Processes: the demo's sleeps (on the host in the cgroups, in a container, in the sandbox).
	tm.keys("p")
	tm.waitFor("[p Processes]")
	tm.filter("sleep " + sleepFor)
	tm.waitFor("filter: sleep "+sleepFor, h.sandbox)
	tm.selectRow("the app cgroup's process", func(r string) bool { return field(r, 0, strconv.Itoa(h.appPid)) })
	snap("processes", cols, rows)

	// The top: every process, the busiest first (htop's P): db's loop, up to its quota.
	tm.clearFilter()
	tm.keys("P")
	tm.waitFor("CPU%▼")
	snap("processes-cpu", cols, rows)
	tm.keys("t") // the tree again
	tm.filter("sleep " + sleepFor)
	tm.waitFor("filter: sleep " + sleepFor)

	// Compare: that host process against the db container's first process.
	tm.keys("m")
	tm.selectRow("the db container", func(r string) bool { return field(r, 0, h.dbPid) })
	tm.keys("m", "x")
	tm.waitFor("Namespaces of")
	snap("compare", cols, rows)
	tm.keys("Escape")
	tm.clearFilter()

	// Cgroups, at the demo's; then the explain panel on app's memory.
	tm.keys("g")
	tm.waitFor("[g Cgroups]", h.prefix)
	tm.selectRow("the demo cgroup", func(r string) bool { return field(r, 0, h.prefix) })
	snap("cgroups", cols, rows)
	tm.keys("Down", "e")
	tm.waitFor("Where this value comes from", "CGROUP: app")
	for i := 0; i < 10 && !strings.Contains(tm.screen(), "[MEMORY]"); i++ {
		tm.keys("Right")
	}
	tm.waitFor("MEMORY: ")
	snap("explain", cols, rows)
	tm.keys("Escape")

	// Containers, wide enough (150 columns) for the detail beside the table, at the web container;
	// filtered to the demo's (podman isotop-demo-…, runtime isotop), whatever else the host runs.
	tm.resize(wideCols, rows)
	tm.keys("c")
	tm.waitFor("[c Containers]", h.web)
	tm.filter("isotop")
	tm.waitFor("filter: isotop", h.sandbox)
	tm.selectRow("the web container", func(r string) bool { return strings.Contains(r, " "+h.web+" ") })
	tm.waitFor("podman container " + h.web)
	snap("containers", wideCols, rows)
	tm.clearFilter()
	// The pod: its sandbox named as the pod, its app container under it, both with the pod IP.
	tm.filter(h.pod.IP + "/")
	tm.waitFor("filter: "+h.pod.IP, "pod "+h.pod.PodNamespace+"/"+h.pod.Name)
	tm.selectRow("the pod's app container", func(r string) bool { return strings.Contains(r, " "+h.pod.AppName+" ") })
	tm.waitFor("pod        " + h.pod.PodNamespace + "/" + h.pod.Name)
	snap("pod", wideCols, rows)
	tm.clearFilter()
	tm.resize(cols, rows)

	// Network, at the demo's bridge.
	tm.keys("w")
	tm.waitFor("[w Network]", h.bridge)
	tm.selectRow("the demo bridge", func(r string) bool { return field(r, 0, h.bridge) })
	snap("network", cols, rows)

	tm.keys("a")
	tm.waitFor("[a Audit]", "sandbox")
	snap("audit", cols, rows)

	tm.resize(80, 24)
	tm.keys("o")
	tm.sleep(time.Second)
	tm.waitFor("[o Over", "busiest cgroups") // the tabs are shortened at 80 columns
	snap("overview-80x24", 80, 24)
	return shots
}

// renderAll renders the shots two at a time (freeze takes a few seconds each).
func renderAll(tools string, shots []shot) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(shots))
	sem := make(chan struct{}, 2)
	for _, s := range shots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := render(tools, s.ansi, s.png, s.cols, s.rows); err != nil {
				errs <- err
				return
			}
			if st, err := os.Stat(s.png); err == nil {
				log.Printf("wrote %s (%d KB)", s.png, st.Size()/1024)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs // nil when none failed
}
