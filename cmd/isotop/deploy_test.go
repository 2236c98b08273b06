package main

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/isotop/isotop/probe/probetest"
)

// TestDaemonSetManifest checks what matters in deploy/kubernetes without a cluster: kustomize
// builds it (when kubectl is here), the pod sees the host's processes, every hostPath is mounted
// read-only, the capabilities are only those the probe needs, the root file system is read-only,
// and serve gets a token and a liveness probe.
func TestDaemonSetManifest(t *testing.T) {
	dir := filepath.Join("..", "..", "deploy", "kubernetes")
	if kubectl, err := exec.LookPath("kubectl"); err == nil {
		if out, err := exec.Command(kubectl, "kustomize", dir).CombinedOutput(); err != nil {
			t.Fatalf("kubectl kustomize: %v\n%s", err, out)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "daemonset.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ds struct {
		Spec struct {
			Template struct {
				Spec struct {
					HostPID    bool `yaml:"hostPID"`
					HostNet    bool `yaml:"hostNetwork"`
					Containers []struct {
						Args          []string
						LivenessProbe *struct{} `yaml:"livenessProbe"`
						Security      struct {
							ReadOnlyRoot bool `yaml:"readOnlyRootFilesystem"`
							Escalation   bool `yaml:"allowPrivilegeEscalation"`
							Privileged   bool
							Caps         struct{ Drop, Add []string } `yaml:"capabilities"`
						} `yaml:"securityContext"`
						Mounts []struct {
							Name     string
							ReadOnly bool `yaml:"readOnly"`
						} `yaml:"volumeMounts"`
					}
					Volumes []struct {
						Name     string
						HostPath *struct{ Path string } `yaml:"hostPath"`
					}
				}
			}
		}
	}
	if err := yaml.Unmarshal(data, &ds); err != nil {
		t.Fatal(err)
	}
	pod := ds.Spec.Template.Spec
	if !pod.HostPID || pod.HostNet || len(pod.Containers) != 1 {
		t.Fatalf("hostPID %v, hostNetwork %v, %d containers", pod.HostPID, pod.HostNet, len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.Security
	slices.Sort(sc.Caps.Add)
	if !sc.ReadOnlyRoot || sc.Escalation || sc.Privileged || !slices.Equal(sc.Caps.Drop, []string{"ALL"}) ||
		!slices.Equal(sc.Caps.Add, []string{"DAC_READ_SEARCH", "SYS_ADMIN", "SYS_PTRACE"}) {
		t.Errorf("the security context is not the least the probe needs: %+v", sc)
	}
	hostPaths := map[string]bool{}
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			hostPaths[v.Name] = true
		}
	}
	for _, m := range c.Mounts {
		if hostPaths[m.Name] && !m.ReadOnly {
			t.Errorf("the hostPath volume %s is mounted writable", m.Name)
		}
		delete(hostPaths, m.Name)
	}
	if len(hostPaths) > 0 {
		t.Errorf("hostPath volumes not mounted: %v", hostPaths)
	}
	args := strings.Join(c.Args, " ")
	if !strings.HasPrefix(args, "serve ") || !strings.Contains(args, "--token-file=") || c.LivenessProbe == nil {
		t.Errorf("the container does not run serve with a token and a liveness probe: %s", args)
	}
}

// TestKubectlPlugin runs deploy/kubernetes/kubectl-isotop as kubectl would, against a stand-in
// kubectl (no cluster can run here) whose port-forward points at a real isotop serve of the
// test's: the plugin finds the node's pod, takes the Secret's token, and the real TUI in tmux
// shows that serve's host, and quitting it ends the plugin.
func TestKubectlPlugin(t *testing.T) {
	probetest.Live(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	token := "isotop-test-token-0123456789"
	os.WriteFile(filepath.Join(dir, "token"), []byte(token), 0o600)
	port := freePort(t)
	serve := exec.Command(bin, "serve", "--listen", "127.0.0.1:"+port, "--token-file", filepath.Join(dir, "token"))
	var serr lockedBuffer
	serve.Stderr = &serr
	probetest.Start(t, serve)
	probetest.WaitFor(t, "isotop serve listening", func() bool { return strings.Contains(serr.String(), "listening on") })
	// The stand-in kubectl: the pod of node n1, the Secret, and a port-forward to that serve.
	fake := `#!/bin/sh
echo "$*" >> ` + dir + `/calls
case "$*" in
*"get pods"*"spec.nodeName=n1"*) echo pod/isotop-abcde ;;
*"get pods"*) ;;
*"get secret isotop-token"*) printf %s ` + base64.StdEncoding.EncodeToString([]byte(token)) + ` ;;
*port-forward*) echo "Forwarding from 127.0.0.1:` + port + ` -> 7319"; exec sleep 1000 ;;
esac
`
	binDir := filepath.Join(dir, "bin")
	os.Mkdir(binDir, 0o755)
	os.WriteFile(filepath.Join(binDir, "kubectl"), []byte(fake), 0o755)
	plugin, _ := filepath.Abs(filepath.Join("..", "..", "deploy", "kubernetes", "kubectl-isotop"))
	env := "PATH=" + binDir + ":" + os.Getenv("PATH")

	out, err := exec.Command("env", env, plugin, "node/n2").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no isotop pod on node n2") {
		t.Errorf("a node without the pod: %v\n%s", err, out)
	}
	tm := startTmux(t, 160, 40, env, "ISOTOP="+bin, plugin, "node/n1", "--no-mouse")
	tm.waitFor("remote http://127.0.0.1:"+port, "busiest cgroups")
	tm.keys("q")
	probetest.WaitFor(t, "the plugin to end", func() bool { return !tm.alive() })
	calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
	if !strings.Contains(string(calls), "port-forward --address 127.0.0.1 pod/isotop-abcde :7319") {
		t.Errorf("the plugin's kubectl calls:\n%s", calls)
	}
}

// TestServeUnit checks deploy/systemd/isotop-serve.service against the binary: its ExecStart runs
// isotop serve, every flag it gives is one `isotop serve -h` lists, and the line parses (serve
// starts from it); with ISOTOP_TEST_LIVE=1 it runs as the unit would start it, under the unit's
// capability bounding set and no_new_privs (setpriv), on a free port: the read-only lockdown gets
// there and /healthz answers.
func TestServeUnit(t *testing.T) {
	unit, err := os.ReadFile(filepath.Join("..", "..", "deploy", "systemd", "isotop-serve.service"))
	if err != nil {
		t.Fatal(err)
	}
	var exec0, caps string
	nnp := false
	for l := range strings.SplitSeq(string(unit), "\n") {
		if v, ok := strings.CutPrefix(l, "ExecStart="); ok {
			exec0 = v
		}
		if v, ok := strings.CutPrefix(l, "CapabilityBoundingSet="); ok {
			caps = v
		}
		nnp = nnp || l == "NoNewPrivileges=yes"
	}
	argv := strings.Fields(exec0)
	if len(argv) < 2 || filepath.Base(argv[0]) != "isotop" || argv[1] != "serve" || !slices.Contains(argv, "--read-only") {
		t.Fatalf("ExecStart=%s: not isotop serve --read-only", exec0)
	}
	bin := buildBinary(t)
	help, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
	for _, a := range argv[2:] {
		if name, ok := strings.CutPrefix(a, "-"); ok {
			name, _, _ = strings.Cut(strings.TrimPrefix(name, "-"), "=")
			if !strings.Contains(string(help), "\n  -"+name+" ") && !strings.Contains(string(help), "\n  -"+name+"\n") {
				t.Errorf("ExecStart's %s is not a flag of isotop serve:\n%s", a, help)
			}
		}
	}
	// The line parses: serve starts from it (a free port for the one it names), as the unit would.
	port := freePort(t)
	args := slices.Clone(argv[2:])
	for i, a := range args {
		if a == "--listen" && i+1 < len(args) {
			args[i+1] = "127.0.0.1:" + port
		}
	}
	if !slices.Contains(args, "127.0.0.1:"+port) {
		t.Fatalf("ExecStart=%s names no --listen address", exec0)
	}
	if os.Getenv(probetest.EnvLive) != "1" {
		return // the lockdown: with the live tests
	}
	if !nnp || caps == "" {
		t.Fatalf("the unit sets no NoNewPrivileges=yes or CapabilityBoundingSet")
	}
	bounding := "-all"
	for c := range strings.FieldsSeq(caps) {
		bounding += ",+" + strings.ToLower(strings.TrimPrefix(c, "CAP_"))
	}
	serve := exec.Command("setpriv", append([]string{"--bounding-set", bounding, "--inh-caps", "-all", "--no-new-privs", bin, "serve"}, args...)...)
	var serr lockedBuffer
	serve.Stderr = &serr
	probetest.Start(t, serve)
	probetest.WaitFor(t, "isotop serve's first line, as the unit starts it", func() bool { return strings.Contains(serr.String(), "\n") })
	if !strings.Contains(serr.String(), "listening on") {
		t.Fatalf("ExecStart under the unit's bounding set and no_new_privs:\n%s", serr.String())
	}
	if err := get("http://127.0.0.1:" + port + "/healthz"); err != nil {
		t.Error(err)
	}
}
