package probe

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMatchInit: an entry of the table each, recognised by its executable, its comm, its argv[0]
// or (an interpreted supervisor) the script its interpreter runs; plain programs are not inits.
func TestMatchInit(t *testing.T) {
	for _, tt := range []struct {
		exe, comm  string
		argv       []string
		name, from string
	}{
		{"/usr/bin/tini", "tini", []string{"/usr/bin/tini", "--", "app"}, "tini", "exe /usr/bin/tini"},
		{"", "tini", []string{"tini", "-s", "--", "app"}, "tini", "comm tini"}, // exe refused (EACCES)
		{"/sbin/docker-init", "docker-init", []string{"/sbin/docker-init", "--", "sleep", "1"}, "tini", "exe /sbin/docker-init"},
		{"/usr/bin/dumb-init", "dumb-init", []string{"/usr/bin/dumb-init", "--", "app"}, "dumb-init", "exe /usr/bin/dumb-init"},
		{"/command/s6-svscan", "s6-svscan", []string{"s6-svscan", "-t0", "/run/service"}, "s6-svscan", "exe /command/s6-svscan"},
		{"/usr/bin/python3.11", "supervisord", []string{"/usr/bin/python3", "/usr/bin/supervisord", "-n"}, "supervisord", "comm supervisord"},
		{"/usr/bin/python3.11", "python3", []string{"/usr/bin/python3", "-u", "/usr/local/bin/supervisord", "-n"}, "supervisord", "argv[2] /usr/local/bin/supervisord"},
		{"", "", []string{"python", "/usr/bin/supervisord"}, "supervisord", "argv[1] /usr/bin/supervisord"},
		{"/usr/lib/systemd/systemd", "systemd", []string{"/sbin/init"}, "systemd", "exe /usr/lib/systemd/systemd"},
		{"", "systemd", []string{"/sbin/init"}, "systemd", "comm systemd"},
		{"/usr/bin/catatonit", "catatonit", []string{"/usr/bin/catatonit", "-P"}, "catatonit", "exe /usr/bin/catatonit"},
		{"/run/podman-init", "podman-init", []string{"/run/podman-init", "--", "sleep", "300"}, "catatonit", "exe /run/podman-init"},
		{"/bin/busybox", "containerpilot", []string{"/bin/sh", "/bin/containerpilot", "-config", "/etc/cp.json5"}, "containerpilot", "comm containerpilot"},
		{"/bin/containerpilot", "containerpilot", []string{"/bin/containerpilot"}, "containerpilot", "exe /bin/containerpilot"},
		{"/usr/bin/runsvdir", "runsvdir", []string{"runsvdir", "-P", "/etc/service"}, "runit", "exe /usr/bin/runsvdir"},
		{"", "runit", []string{"runit"}, "runit", "comm runit"},
		{"/sbin/openrc-init", "openrc-init", []string{"/sbin/openrc-init"}, "openrc-init", "exe /sbin/openrc-init"},
		{"/usr/bin/monit", "monit", []string{"/usr/bin/monit", "-I"}, "monit", "exe /usr/bin/monit"},
		{"/usr/local/bin/node", "node", []string{"node", "/usr/local/bin/pm2-runtime", "app.js"}, "pm2", "argv[1] /usr/local/bin/pm2-runtime"},
		{"/usr/local/bin/node", "PM2 v5.3.0: God", []string{"PM2 v5.3.0: God Daemon (/root/.pm2)"}, "pm2", "comm PM2 v5.3.0: God"},
		{"/usr/bin/tini (deleted)", "tini", []string{"tini"}, "tini", "exe /usr/bin/tini"},
		{"", "", []string{"/sbin/tini", "--", "x"}, "tini", "argv[0] /sbin/tini"},
		// Plain programs.
		{"/bin/busybox", "sleep", []string{"sleep", "300"}, "", ""},
		{"/usr/bin/python3", "python3", []string{"python3", "app.py", "supervisord"}, "", ""},
		{"/bin/busybox", "sh", []string{"sh", "/usr/bin/supervisord"}, "", ""}, // not an interpreter of supervisord's
		{"/usr/sbin/nginx", "nginx", nil, "", ""},
		{"", "", nil, "", ""},
	} {
		name, from := matchInit(tt.exe, tt.comm, tt.argv)
		if name != tt.name || from != tt.from {
			t.Errorf("matchInit(%q, %q, %q) = %q, %q; want %q, %q", tt.exe, tt.comm, tt.argv, name, from, tt.name, tt.from)
		}
	}
}

// TestRecognizeInit: on a fixture tree, a ContainerPilot pid 1 with its children and its jobs
// from the config its -config flag names, in its root; a tini found by its exe link.
func TestRecognizeInit(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) { writeTree(t, root, rel, content) }
	write("proc/40/root/etc/cp/containerpilot.json5", `{
  // two jobs
  consul: 'localhost:8500',
  jobs: [
    {name: 'app', exec: ['/bin/app', '-port', 8080], when: {source: 'db', once: 'healthy'},
     health: {exec: 'curl -f localhost:8080', interval: 5, ttl: 10},},
    {name: "db", exec: "/bin/db", health: {exec: ["pg_isready"], interval: "10s"}},
  ],
}`)
	if err := os.MkdirAll(filepath.Join(root, "proc/70"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/bin/tini", filepath.Join(root, "proc/70/exe")); err != nil { // dangles, as a container's does
		t.Fatal(err)
	}
	procs := []Process{
		{PID: 40, PPID: 30, Comm: "containerpilot", Cmdline: []string{"/bin/containerpilot", "-config", "/etc/cp/containerpilot.json5"}},
		{PID: 41, PPID: 40, Comm: "app"}, {PID: 42, PPID: 41, Comm: "worker"}, {PID: 43, PPID: 40, Comm: "db"},
		{PID: 70, PPID: 60, Comm: "x", Cmdline: []string{"x"}}, {PID: 71, PPID: 70, Comm: "sleep"},
	}
	idx := map[int]int{}
	for i, p := range procs {
		idx[p.PID] = i
	}
	var errs errorList
	m := newRuntimeMeta(NewFS(root+"/proc", root+"/sys"), &errs)
	cp := m.recognizeInit(&Container{PIDs: []int{40, 41, 42, 43}}, &procs[0], procs, idx)
	want := []InitJob{
		{Name: "app", Exec: "/bin/app -port 8080", Health: "curl -f localhost:8080", Interval: "5s", When: "once healthy: db"},
		{Name: "db", Exec: "/bin/db", Health: "pg_isready", Interval: "10s"},
	}
	if cp == nil || cp.Name != "containerpilot" || !slices.Equal(cp.Supervises, []int{41, 43}) || !slices.Equal(cp.Jobs, want) ||
		cp.JobsFrom != root+"/proc/40/root/etc/cp/containerpilot.json5" || len(errs) != 0 {
		t.Errorf("containerpilot: %+v, errors %v", cp, errs)
	}
	tini := m.recognizeInit(&Container{PIDs: []int{70, 71}}, &procs[4], procs, idx)
	if tini == nil || tini.Name != "tini" || tini.From != "exe /usr/bin/tini" || !slices.Equal(tini.Supervises, []int{71}) || tini.Jobs != nil {
		t.Errorf("tini: %+v", tini)
	}
	// A broken config is an error entry that says the line; the init is still recognised.
	write("proc/40/root/etc/cp/containerpilot.json5", "{\n  jobs: [\n    {name: 'app' exec: 'x'},\n  ]\n}")
	errs = nil
	cp = m.recognizeInit(&Container{PIDs: []int{40}}, &procs[0], procs, idx)
	if cp == nil || cp.Jobs != nil || len(errs) != 1 || errs[0].Path != cp.JobsFrom ||
		!strings.HasPrefix(errs[0].Error, "containerpilot config: unexpected content: line 3: invalid character") {
		t.Errorf("broken config: %+v, errors %q", cp, errs)
	}
	// No config at all (its environment names another): no jobs, no error.
	procs[0].Cmdline = []string{"/bin/containerpilot"}
	errs = nil
	if cp = m.recognizeInit(&Container{PIDs: []int{40}}, &procs[0], procs, idx); cp == nil || cp.JobsFrom != "" || len(errs) != 0 {
		t.Errorf("no config: %+v, errors %q", cp, errs)
	}
}

// writeTree writes a file of a fixture tree under root, making its directories.
func writeTree(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
