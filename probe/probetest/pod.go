package probetest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// CtrPod is a Kubernetes pod as containerd's CRI plugin lays one out, made with ctr (no kubelet,
// no CNI): a sandbox container and an app container, each with the CRI's annotations (container
// type, sandbox id, name and namespace), their cgroups under one pod cgroup of the kubepods
// layout, both in the pod's network namespace (an ip netns of the test's, with a veth to the host)
// and the app in the sandbox's ipc and uts namespaces. Both run the tests' busybox image's sleep.
// Everything is named under one isotop-test-… prefix and removed in t.Cleanup.
type CtrPod struct {
	Address   string // containerd's socket
	Namespace string // the containerd namespace holding both containers (isotop-test-…)
	// Name and PodNamespace are the pod's name ("web-<8 hex>") and Kubernetes namespace ("shop"),
	// as the annotations io.kubernetes.cri.sandbox-name and sandbox-namespace give them.
	Name, PodNamespace string
	UID                string // the pod's uid, a UUID, in its cgroup as pod<UID>
	// SandboxID and AppID are the containers' ids, 64 hex digits (the CRI's form); isotop keys
	// them "containerd:<id>" (SandboxKey, AppKey).
	SandboxID, AppID string
	AppName          string // the app's container name in the pod spec: "app"
	// Cgroup is the pod's cgroup, /isotop-test-…/kubepods/besteffort/pod<UID> (kubepods nested
	// under the prefix, as kind and k3s nest it, so that nothing of the host's is touched); each
	// container's is Cgroup/<id>.
	Cgroup string
	Netns  string // the pod's network namespace: its ip netns name (/run/netns/<Netns>)
	// HostVeth is the veth's host end, with HostAddr (10.251.X.1/24); its peer is eth0 in Netns,
	// with Addr (10.251.X.2/24), the pod IP being IP (10.251.X.2).
	HostVeth, HostAddr string
	Addr, IP           string
	// SandboxPID and AppPID are the containers' first processes (host pids): sleep Sleep.
	SandboxPID, AppPID int
	Sleep              string
}

// SandboxKey is the sandbox's key in a snapshot: "containerd:<SandboxID>".
func (p *CtrPod) SandboxKey() string { return "containerd:" + p.SandboxID }

// AppKey is the app container's key in a snapshot: "containerd:<AppID>".
func (p *CtrPod) AppKey() string { return "containerd:" + p.AppID }

// NewCtrPod makes a CtrPod with the containerd that Containerd(t) finds or starts. It needs root,
// containerd, ctr, runc, podman (for the image) and ip; it skips without them.
func NewCtrPod(t testing.TB) *CtrPod {
	t.Helper()
	address := Containerd(t)
	s := newCtrSession(t, address)
	prefix := s.ns
	tag := strings.TrimPrefix(prefix, Prefix)
	p := &CtrPod{Address: address, Namespace: s.ns, Name: "web-" + tag, PodNamespace: "shop", UID: uuid(t),
		SandboxID: randomHex(t, 32), AppID: randomHex(t, 32), AppName: "app"}
	p.Cgroup = "/" + prefix + "/kubepods/besteffort/pod" + p.UID
	d, _ := strconv.ParseUint(tag[:4], 16, 32)
	p.Sleep = strconv.Itoa(70000 + int(d%9999))
	// runc makes the cgroups (in every hierarchy) and removes each container's with its task;
	// the pod's and its parents, all under the prefix, are the test's to remove.
	t.Cleanup(func() {
		for _, h := range hierarchies(t) {
			removeCgroupTree(t, filepath.Join(h.mount, prefix))
		}
	})
	p.network(t, tag)

	annotations := func(kind string, extra ...string) []string {
		a := []string{"io.kubernetes.cri.container-type=" + kind, "io.kubernetes.cri.sandbox-id=" + p.SandboxID,
			"io.kubernetes.cri.sandbox-name=" + p.Name, "io.kubernetes.cri.sandbox-namespace=" + p.PodNamespace,
			"io.kubernetes.cri.sandbox-uid=" + p.UID}
		var flags []string
		for _, kv := range append(a, extra...) {
			flags = append(flags, "--annotation", kv)
		}
		return flags
	}
	sandbox := append(annotations("sandbox"), "--cgroup", p.Cgroup+"/"+p.SandboxID, "--with-ns", "network:/run/netns/"+p.Netns)
	p.SandboxPID = s.run(t, p.SandboxID, sandbox, "sleep", p.Sleep)
	ns := "/proc/" + strconv.Itoa(p.SandboxPID) + "/ns/"
	app := append(annotations("container", "io.kubernetes.cri.container-name="+p.AppName, "io.kubernetes.cri.image-name="+s.image),
		"--cgroup", p.Cgroup+"/"+p.AppID, "--with-ns", "network:/run/netns/"+p.Netns,
		"--with-ns", "ipc:"+ns+"ipc", "--with-ns", "uts:"+ns+"uts")
	p.AppPID = s.run(t, p.AppID, app, "sleep", p.Sleep)
	return p
}

// network makes the pod's network namespace and its veth to the host, with their addresses.
func (p *CtrPod) network(t testing.TB, tag string) {
	t.Helper()
	p.Netns = NetnsAdd(t)
	b, _ := strconv.ParseUint(tag[4:6], 16, 8)
	subnet := "10.251." + strconv.Itoa(int(b)%254+1) + "."
	p.HostVeth, p.HostAddr = "itp"+tag, subnet+"1/24"
	p.IP, p.Addr = subnet+"2", subnet+"2/24"
	Run(t, "ip", "link", "add", p.HostVeth, "type", "veth", "peer", "name", "eth0", "netns", p.Netns)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", p.HostVeth).Run() })
	Run(t, "ip", "addr", "add", p.HostAddr, "dev", p.HostVeth)
	Run(t, "ip", "link", "set", p.HostVeth, "up")
	Run(t, "ip", "-n", p.Netns, "addr", "add", p.Addr, "dev", "eth0")
	Run(t, "ip", "-n", p.Netns, "link", "set", "eth0", "up")
	Run(t, "ip", "-n", p.Netns, "link", "set", "lo", "up")
}

// randomHex is n random bytes in hex.
func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// uuid is a random (version 4) UUID, as Kubernetes gives pods.
func uuid(t testing.TB) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[:4], b[4:6], b[6:8], b[8:10], b[10:])
}
