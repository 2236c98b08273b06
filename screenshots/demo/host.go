package main

import (
	"bytes"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/isotop/isotop/probe/probetest"
)

// demoHost is what the demo made on the host, every name under one prefix.
type demoHost struct {
	prefix  string // isotop-demo-<4 hex>: containers, the netns, the cgroups
	netns   string
	bridge  string // idb-<4 hex>
	veth    string // idv-<4 hex>, the host end; the other is eth0 in the netns
	image   string // the containers' image, the tests' busybox
	web, db string // the Podman containers
	cgroup  string // /isotop-demo-…
	audit   string // the audit log that isotop limit and sandbox append to, read by the TUI
	sandbox string // the sandbox's id
	appPid  int    // the process holding memory in the app cgroup
	holders []int  // those of app and db
	dbPid   string // the db container's init
	pod     *probetest.CtrPod
}

// sleepFor is the argument of every sleep of the demo's: the Processes view is filtered to it.
const sleepFor = "86400"

// buildHost makes the demo host: two Podman containers (one on Podman's bridge, one without a
// network), a pod of containerd's (its sandbox and an app container), a network namespace wired by a veth pair to a bridge of its own,
// nested cgroups with limits set by isotop limit and a process using memory in each (and CPU, up to
// its quota, in db), and an isotop sandbox on the same bridge. Each step registers its undoing with t.Cleanup first.
func buildHost(t *tb, isotop string) *demoHost {
	var b [2]byte
	if _, err := readRandom(b[:]); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("%02x%02x", b[0], b[1])
	h := &demoHost{prefix: "isotop-demo-" + id, bridge: "idb-" + id, veth: "idv-" + id}
	h.netns, h.cgroup = h.prefix, "/"+h.prefix
	h.web, h.db = h.prefix+"-web", h.prefix+"-db"
	h.audit = filepath.Join(t.tmp, "audit.jsonl")
	// The tests' helpers change the host only when asked to: this program builds the demo host on
	// purpose (and removes it).
	os.Setenv(probetest.EnvLive, "1")
	log.Printf("demo host %s", h.prefix)

	// Two containers of the tests' busybox image.
	h.image = probetest.PodmanImage(t)
	t.check()
	probetest.PodmanRun(t, h.web, "--hostname", "web", "--memory", "64m", h.image,
		"/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/tmp")
	t.check()
	probetest.PodmanRun(t, h.db, "--hostname", "db", "--network", "none", "--pids-limit", "32", h.image,
		"sh", "-c", "sleep "+sleepFor+" & sleep "+sleepFor+" & wait")
	h.dbPid = strings.TrimSpace(probetest.Run(t, "podman", "inspect", "--format", "{{.State.Pid}}", h.db))
	t.check()

	// A Kubernetes-like pod (containerd, the CRI's annotations and cgroup layout, a veth), as the
	// tests make one.
	h.pod = probetest.NewCtrPod(t)
	t.check()

	// A network namespace held only by its bind mount, wired to a bridge on the host by a veth pair.
	subnet := freeSubnet(t)
	probetest.Run(t, "ip", "netns", "add", h.netns)
	t.Cleanup(func() { quiet("ip", "netns", "del", h.netns) })
	probetest.Run(t, "ip", "link", "add", h.bridge, "type", "bridge")
	t.Cleanup(func() { quiet("ip", "link", "del", h.bridge) })
	probetest.Run(t, "ip", "link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns", h.netns)
	t.Cleanup(func() { quiet("ip", "link", "del", h.veth) })
	probetest.Run(t, "ip", "addr", "add", subnet+".1/24", "dev", h.bridge)
	probetest.Run(t, "ip", "link", "set", h.veth, "master", h.bridge, "up")
	probetest.Run(t, "ip", "link", "set", h.bridge, "up")
	probetest.Run(t, "ip", "-n", h.netns, "addr", "add", subnet+".2/24", "dev", "eth0")
	probetest.Run(t, "ip", "-n", h.netns, "link", "set", "lo", "up")
	probetest.Run(t, "ip", "-n", h.netns, "link", "set", "eth0", "up")
	t.check()

	// Nested cgroups, limits set by isotop limit itself (which writes the audit log), and in each
	// leaf a process holding some memory.
	ctrls := []string{"memory", "cpu", "pids"}
	if mi, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mi), "cpuacct") {
		ctrls = append(ctrls, "cpuacct") // a v1 hierarchy of its own on some hosts: the CPU usage
	}
	probetest.NewCgroup(t, h.prefix, ctrls...)
	app := probetest.NewCgroup(t, h.prefix+"/app", ctrls...)
	db := probetest.NewCgroup(t, h.prefix+"/db", ctrls...)
	limit := func(path string, args ...string) {
		probetest.Run(t, isotop, append([]string{"limit", path, "--yes", "--audit-log", h.audit}, args...)...)
	}
	limit(h.cgroup, "--memory", "512M", "--pids", "200")
	limit(app.Path, "--memory", "256M", "--cpus", "0.5", "--pids", "100")
	limit(db.Path, "--memory", "128M", "--cpus", "0.25", "--pids", "50")
	h.appPid = hold(t, app, 48, false)
	h.holders = append(h.holders, h.appPid, hold(t, db, 24, true))
	// A limit on a container, and one refused (below what app uses): the audit log has both.
	limit(h.web, "--cpus", "0.5")
	if out, err := exec.Command(isotop, "limit", app.Path, "--memory", "16M", "--yes", "--audit-log", h.audit).CombinedOutput(); err == nil {
		t.Fatalf("isotop limit %s --memory 16M was not refused:\n%s", app.Path, out)
	}
	t.check()

	// A sandbox on the netns's bridge (it gets an address there and removes only its own veth).
	h.sandbox = startSandbox(t, isotop, h)
	return h
}

// hold starts a process tree in the cgroup that keeps mb MiB of memory (tail's buffer, blocked
// writing to a sleep that never reads), and with burn a shell loop that uses all the CPU the
// cgroup's quota lets it, and kills its process group in t.Cleanup. It returns the pid of the
// tree's first process, a shell.
func hold(t *tb, cg *probetest.Cgroup, mb int, burn bool) int {
	script := fmt.Sprintf("read go; head -c %dM /dev/zero | tail -c %dM | sleep %s", mb, mb, sleepFor)
	if burn {
		script = fmt.Sprintf("read go; head -c %dM /dev/zero | tail -c %dM | sleep %s & exec sh -c 'while :; do :; done'", mb, mb, sleepFor)
	}
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	probetest.Start(t, cmd)
	// Registered after Start's kill, so it runs first: the whole group, which is only ours.
	pgid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	cg.Add(t, cmd.Process.Pid) // before it forks: its children are born in the cgroup
	_, _ = in.Write([]byte("go\n"))
	_ = in.Close()
	file := "memory.current"
	if !cg.IsV2("memory") {
		file = "memory.usage_in_bytes"
	}
	probetest.WaitFor(t, fmt.Sprintf("%dM in use in %s", mb, cg.Path), func() bool {
		b, _ := os.ReadFile(filepath.Join(cg.Dirs["memory"], file))
		n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return n >= int64(mb)<<20
	})
	return pgid
}

// startSandbox runs isotop sandbox in the background until teardown, which sends it SIGTERM and
// waits for it to remove what it made. It returns the sandbox's id.
func startSandbox(t *tb, isotop string, h *demoHost) string {
	logFile := filepath.Join(t.tmp, "sandbox.log")
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(isotop, "sandbox", "--net", "veth", "--bridge", h.bridge, "--memory", "128M",
		"--pids", "64", "--hostname", "demo-sandbox", "--audit-log", h.audit, "--", "sleep", sleepFor)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a ^C to make reaches the demo, which stops it
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("isotop sandbox did not end 30 s after SIGTERM; killing it")
			_ = cmd.Process.Kill()
			<-done
		}
		_ = out.Close()
	})
	var summary string
	probetest.WaitFor(t, "the sandbox to start", func() bool {
		b, _ := os.ReadFile(logFile)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "isotop sandbox ") && strings.Contains(l, "hostname") {
				summary = l
				return true
			}
		}
		select {
		case <-done:
			t.Fatalf("isotop sandbox ended:\n%s", b)
		default:
		}
		return false
	})
	log.Print(summary)
	id, _, _ := strings.Cut(strings.TrimPrefix(summary, "isotop sandbox "), ":")
	return id
}

// freeSubnet picks 10.250.N.0/24 that no address or route on the host overlaps; it returns "10.250.N".
func freeSubnet(t *tb) string {
	var taken []*net.IPNet
	for _, args := range [][]string{{"-4", "-o", "addr", "show"}, {"-4", "route", "show", "table", "all"}} {
		for _, f := range strings.Fields(probetest.Run(t, "ip", args...)) {
			if _, n, err := net.ParseCIDR(f); err == nil {
				taken = append(taken, n)
			}
		}
	}
	for n := 1; n < 255; n++ {
		ip := net.IPv4(10, 250, byte(n), 0)
		free := true
		for _, tk := range taken {
			if tk.Contains(ip) || (&net.IPNet{IP: ip, Mask: net.CIDRMask(24, 32)}).Contains(tk.IP) {
				free = false
			}
		}
		if free {
			return "10.250." + strconv.Itoa(n)
		}
	}
	t.Fatal("no free /24 in 10.250.0.0/16")
	return ""
}

// quiet runs a cleanup command, logging what fails.
func quiet(name string, args ...string) {
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		log.Printf("teardown: %s %s: %v %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
}

// leftovers lists what of the demo host is still there after the teardown.
func leftovers(h *demoHost) []string {
	var left []string
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), h.prefix) {
		left = append(left, "netns "+h.netns)
	}
	for _, l := range []string{h.bridge, h.veth} {
		if exec.Command("ip", "link", "show", l).Run() == nil {
			left = append(left, "link "+l)
		}
	}
	if m, _ := filepath.Glob("/sys/fs/cgroup/*/" + h.prefix); len(m) > 0 {
		left = append(left, m...)
	}
	if m, _ := filepath.Glob("/sys/fs/cgroup/" + h.prefix); len(m) > 0 {
		left = append(left, m...)
	}
	if out, _ := exec.Command("podman", "ps", "-a", "--format", "{{.Names}}").Output(); strings.Contains(string(out), h.prefix) {
		left = append(left, "podman containers "+h.prefix+"-*")
	}
	if h.image != "" && exec.Command("podman", "image", "exists", h.image).Run() == nil {
		left = append(left, "podman image "+h.image)
	}
	for _, pid := range h.holders {
		if syscall.Kill(pid, 0) == nil {
			left = append(left, "process "+strconv.Itoa(pid))
		}
	}
	return left
}
