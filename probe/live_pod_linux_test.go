package probe_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// TestLivePod makes a CRI-like pod with ctr (a sandbox and an app container with the CRI's
// annotations, in the pod's network namespace): the snapshot names the sandbox as the pod's, links
// the app to it, gives both the pod's address, and names the network namespace by its ip netns
// name first, then by the pod.
func TestLivePod(t *testing.T) {
	pod := probetest.NewCtrPod(t)
	var s *probe.Snapshot
	var sb, app *probe.Container
	probetest.WaitFor(t, "the pod's two containers", func() bool {
		var err error
		if s, err = probe.DefaultFS().Snapshot(); err != nil {
			t.Fatal(err)
		}
		sb, app = findContainer(s, pod.SandboxKey()), findContainer(s, pod.AppKey())
		return sb != nil && app != nil
	})
	if !sb.Sandbox || sb.PodSandbox != "" || sb.Name != "pause" || sb.PID != pod.SandboxPID {
		t.Errorf("sandbox: sandbox %v, pod sandbox %q, name %q, pid %d", sb.Sandbox, sb.PodSandbox, sb.Name, sb.PID)
	}
	if app.Sandbox || app.PodSandbox != pod.SandboxKey() || app.Name != pod.AppName || app.PID != pod.AppPID {
		t.Errorf("app: sandbox %v, pod sandbox %q, name %q, pid %d", app.Sandbox, app.PodSandbox, app.Name, app.PID)
	}
	for _, c := range []*probe.Container{sb, app} {
		p := c.Pod
		if p == nil || p.UID != pod.UID || p.QoS != "besteffort" || p.Name != pod.Name || p.Namespace != pod.PodNamespace ||
			!slices.Equal(p.Addrs, []string{pod.IP}) {
			t.Errorf("%s: pod %+v, want %s/%s uid %s with address %s", c.Name, p, pod.PodNamespace, pod.Name, pod.UID, pod.IP)
		}
		if c.Cgroup != pod.Cgroup+"/"+c.ID || c.Namespace != pod.Namespace {
			t.Errorf("%s: cgroup %q, containerd namespace %q", c.Name, c.Cgroup, c.Namespace)
		}
		// The app shares the sandbox's network namespace, and has its interfaces all the same.
		if len(c.Interfaces) != 1 || c.Interfaces[0].Name != "eth0" || !slices.Contains(c.Interfaces[0].Addrs, pod.Addr) ||
			c.Interfaces[0].Peer == nil || c.Interfaces[0].Peer.Name != pod.HostVeth {
			t.Errorf("%s: interfaces %+v", c.Name, c.Interfaces)
		}
	}
	for _, k := range []probe.NSKind{probe.NSNet, probe.NSIPC, probe.NSUTS} {
		if sb.Namespaces.Get(k) != app.Namespaces.Get(k) || !slices.Contains(app.SharedWith[k], pod.SandboxKey()) {
			t.Errorf("%s: app in %d, sandbox in %d; app shares with %v", k, app.Namespaces.Get(k), sb.Namespaces.Get(k), app.SharedWith[k])
		}
	}
	n := findNet(t, s, sb.NetNS)
	if want := []string{pod.Netns, "pod " + pod.PodNamespace + "/" + pod.Name}; !slices.Equal(n.Names, want) {
		t.Errorf("netns names %q, want %q", n.Names, want)
	}
	for _, e := range s.Errors {
		if strings.Contains(e.Path, pod.SandboxID) || strings.Contains(e.Path, pod.AppID) {
			t.Errorf("error: %+v", e)
		}
	}
}
