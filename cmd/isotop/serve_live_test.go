package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/isotop/isotop/probe/probetest"
)

// TestPrometheusScrapesServe: a real Prometheus (Debian's) scrapes the real `isotop serve` on
// loopback every second, with a bearer token; through Prometheus's HTTP API the queries a cAdvisor
// dashboard uses give, for the test's Podman container (64 MiB, spinning): the memory limit it was
// started with, a working set equal to its cgroup files' (within one scrape), a CPU rate above
// zero; and OOM events for a container whose dd is OOM-killed. Without the token serve answers
// 401 and says why.
func TestPrometheusScrapesServe(t *testing.T) {
	probetest.Live(t)
	prom, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("needs prometheus (make test installs Debian's)")
	}
	name := probetest.Name(t)
	image := probetest.PodmanImage(t)
	probetest.PodmanRun(t, name, "--memory", "64m", image, "sh", "-c", "while :; do :; done")
	// A container whose dd is OOM-killed each second while its shell lives on.
	oom := name + "-oom"
	probetest.PodmanRun(t, oom, "--memory", "32m", "--memory-swap", "32m", image, "sh", "-c",
		"while :; do dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; sleep 1; done")
	bin := buildBinary(t)
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("isotop-test-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port, pport := freePort(t), freePort(t)
	serve := exec.Command(bin, "serve", "--listen", "127.0.0.1:"+port, "--token-file", token, "--min-interval", "500ms")
	var serr lockedBuffer
	serve.Stderr = &serr
	probetest.Start(t, serve)
	probetest.WaitFor(t, "isotop serve listening", func() bool { return strings.Contains(serr.String(), "listening on") })

	// Without the token: refused, saying why.
	resp, err := http.Get("http://127.0.0.1:" + port + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %s", resp.Status)
	}

	cfg := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: isotop
    authorization: {credentials_file: %s}
    static_configs: [{targets: ["127.0.0.1:%s"]}]
`, token, port)), 0o600)
	probetest.Start(t, exec.Command(prom, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+pport, "--log.level=warn"))
	query := func(q string) []float64 {
		resp, err := http.Get("http://127.0.0.1:" + pport + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if json.NewDecoder(resp.Body).Decode(&r) != nil {
			return nil
		}
		var out []float64
		for _, v := range r.Data.Result {
			f, _ := strconv.ParseFloat(fmt.Sprint(v.Value[1]), 64)
			out = append(out, f)
		}
		return out
	}
	sel := `{name="` + name + `"}`
	var got []float64
	probetest.WaitFor(t, "Prometheus to have the container's memory limit", func() bool {
		got = query("container_spec_memory_limit_bytes" + sel)
		return len(got) == 1
	})
	if got[0] != 64<<20 {
		t.Errorf("container_spec_memory_limit_bytes = %v, want %d", got, 64<<20)
	}
	// CPU: a rate over the last scrapes, above zero while it spins.
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if got = query("rate(container_cpu_usage_seconds_total" + sel + "[5s])"); len(got) == 1 && got[0] > 0.1 {
			break
		}
	}
	if len(got) != 1 || got[0] <= 0.1 {
		t.Errorf("rate(container_cpu_usage_seconds_total[5s]) = %v, want above 0.1 CPU while it spins", got)
	}
	// Working set: what the cgroup files say (usage less inactive file), within a scrape's change.
	ws := query("container_memory_working_set_bytes" + sel)
	files := workingSet(t, name)
	if len(ws) != 1 || ws[0] < files*0.8-(1<<20) || ws[0] > files*1.2+(1<<20) {
		t.Errorf("container_memory_working_set_bytes = %v; the cgroup files say %.0f", ws, files)
	}
	// OOM kills: the counter of the container whose dd is killed each second grows.
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if got = query(`container_oom_events_total{name="` + oom + `"}`); len(got) == 1 && got[0] > 0 {
			break
		}
	}
	if len(got) != 1 || got[0] <= 0 {
		t.Errorf("container_oom_events_total of the OOM-killing container = %v, want above 0", got)
	}
	// The limit in force and where it is set, isotop's own.
	if got = query(`isotop_cgroup_memory_limit_effective_bytes{cgroup=~".*` + podmanID(t, name) + `.*"}`); len(got) != 1 || got[0] != 64<<20 {
		t.Errorf("isotop_cgroup_memory_limit_effective_bytes = %v", got)
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func podmanID(t *testing.T, name string) string {
	return strings.TrimSpace(probetest.Run(t, "podman", "inspect", "-f", "{{.Id}}", name))
}

// workingSet reads a Podman container's memory cgroup: usage less inactive file (v2 memory.current
// and memory.stat's inactive_file; v1 memory.usage_in_bytes and total_inactive_file).
func workingSet(t *testing.T, name string) float64 {
	pid := strings.TrimSpace(probetest.Run(t, "podman", "inspect", "-f", "{{.State.Pid}}", name))
	cg, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for l := range strings.SplitSeq(string(cg), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) != 3 {
			continue
		}
		var usage, stat string
		var key string
		switch {
		case strings.Contains(","+f[1]+",", ",memory,"):
			usage, stat, key = "/sys/fs/cgroup/memory"+f[2]+"/memory.usage_in_bytes", "/sys/fs/cgroup/memory"+f[2]+"/memory.stat", "total_inactive_file"
		case f[1] == "" && fileExists("/sys/fs/cgroup"+f[2]+"/memory.current"):
			usage, stat, key = "/sys/fs/cgroup"+f[2]+"/memory.current", "/sys/fs/cgroup"+f[2]+"/memory.stat", "inactive_file"
		default:
			continue
		}
		u, _ := os.ReadFile(usage)
		st, _ := os.ReadFile(stat)
		used, _ := strconv.ParseFloat(strings.TrimSpace(string(u)), 64)
		for s := range strings.SplitSeq(string(st), "\n") {
			if v, ok := strings.CutPrefix(s, key+" "); ok {
				inactive, _ := strconv.ParseFloat(v, 64)
				return used - inactive
			}
		}
		return used
	}
	t.Fatalf("no memory cgroup for %s in /proc/%s/cgroup", name, pid)
	return 0
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestRemoteTUI: the real TUI in tmux on `isotop serve` over loopback shows the test's Podman
// container, with the remote host in the title; an action is refused, saying why; with a wrong
// token it says the serve refused it.
func TestRemoteTUI(t *testing.T) {
	probetest.Live(t)
	name := probetest.Name(t)
	probetest.PodmanRun(t, name, probetest.PodmanImage(t), "sleep", "1000")
	bin := buildBinary(t)
	dir := t.TempDir()
	token, wrong := filepath.Join(dir, "token"), filepath.Join(dir, "wrong")
	os.WriteFile(token, []byte("isotop-test-token-0123456789\n"), 0o600)
	os.WriteFile(wrong, []byte("not-the-token-0123456789\n"), 0o600)
	port := freePort(t)
	serve := exec.Command(bin, "serve", "--listen", "127.0.0.1:"+port, "--token-file", token)
	var serr lockedBuffer
	serve.Stderr = &serr
	probetest.Start(t, serve)
	probetest.WaitFor(t, "isotop serve listening", func() bool { return strings.Contains(serr.String(), "listening on") })
	url := "http://127.0.0.1:" + port

	tm := startTmux(t, 160, 40, bin, "--remote", url, "--token-file", token, "--interval", "1s", "--no-mouse")
	tm.waitFor("remote "+url, "busiest cgroups")
	tm.keys("c", "/")
	tm.text(name)
	tm.keys("Enter")
	tm.waitFor("filter: "+name, "podman")
	tm.keys("L")
	tm.waitFor("remote host")
	tm.keys("q")

	bad := startTmux(t, 160, 40, bin, "--remote", url, "--token-file", wrong, "--no-mouse")
	bad.waitFor("refused the token")
	bad.keys("q")
}

// TestServeReadOnly: `isotop serve --read-only` serves the same host as without it (the
// namespaces of /api/v1/snapshot, the processes of /metrics) while its process runs under the
// read-only lockdown (another uid, no new privileges, the seccomp filter that lets it make no
// socket and open nothing for writing): its one exception is the listening socket, made before.
func TestServeReadOnly(t *testing.T) {
	probetest.Live(t)
	bin := buildBinary(t)
	port := freePort(t)
	serve := exec.Command(bin, "serve", "--read-only", "--listen", "127.0.0.1:"+port)
	var serr lockedBuffer
	serve.Stderr = &serr
	probetest.Start(t, serve)
	probetest.WaitFor(t, "isotop serve listening", func() bool { return strings.Contains(serr.String(), "listening on") })
	status, err := os.ReadFile("/proc/" + strconv.Itoa(serve.Process.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NoNewPrivs:\t1", "Seccomp:\t2"} {
		if !strings.Contains(string(status), want) {
			t.Errorf("the serve process's status lacks %q:\n%s", want, status)
		}
	}
	if strings.Contains(string(status), "Uid:\t0\t") {
		t.Errorf("the read-only serve runs as root:\n%s", status)
	}
	resp, err := http.Get("http://127.0.0.1:" + port + "/api/v1/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	var ro struct {
		Namespaces []json.RawMessage `json:"namespaces"`
		Processes  []json.RawMessage `json:"processes"`
		Errors     []json.RawMessage `json:"errors"`
	}
	err = json.NewDecoder(resp.Body).Decode(&ro)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	rw := snapshotOf(t, bin, "0")
	if d := len(ro.Namespaces) - len(rw.Namespaces); d < -3 || d > 3 || len(ro.Processes) < len(rw.Processes)-20 {
		t.Errorf("read-only serve sees %d namespaces and %d processes; the normal snapshot %d and %d (errors %d)",
			len(ro.Namespaces), len(ro.Processes), len(rw.Namespaces), len(rw.Processes), len(ro.Errors))
	}
	// Nothing but GET, whatever the lockdown allows.
	resp, err = http.Post("http://127.0.0.1:"+port+"/api/v1/snapshot", "application/json", strings.NewReader("{}"))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST: %s", resp.Status)
		}
	}
}
