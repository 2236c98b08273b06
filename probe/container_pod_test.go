package probe

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestLinkPods: a pod's containers name its sandbox by the sandbox id of their annotations, or,
// without annotations, the pod's container whose pid 1 is pause; every container of a pod has
// the pod's addresses, IPv4 first.
func TestLinkPods(t *testing.T) {
	eth0 := []ContainerIface{{Name: "eth0", Kind: "veth", Addrs: []string{"fe80::1/64", "fd00::5/64", "10.251.3.2/24"}}}
	podA, podA2 := &Pod{UID: "a"}, &Pod{UID: "a"} // each container's cgroup gives it its own Pod
	podB, podB2 := &Pod{UID: "b"}, &Pod{UID: "b"}
	cs := []Container{
		{Runtime: "containerd", ID: idA, Pod: podA, Sandbox: true, sandboxID: idA, PID: 10, NetNS: 7, Interfaces: eth0},
		{Runtime: "containerd", ID: idB, Pod: podA2, sandboxID: idA, PID: 11, NetNS: 7, Interfaces: eth0},
		{Runtime: "cri-o", ID: "c1", Pod: &Pod{UID: "c"}, sandboxID: "gone", PID: 12, Interfaces: []ContainerIface{}},
		{Runtime: "docker", ID: "d1", Pod: podB, PID: 20, NetNS: 8, Interfaces: eth0[:0]},
		{Runtime: "docker", ID: "d2", Pod: podB2, PID: 21, NetNS: 8},
		{Runtime: "podman", ID: "p1", PID: 30, NetNS: 9, Interfaces: eth0},
	}
	procs := []Process{{PID: 10, Comm: "pause"}, {PID: 11, Comm: "app"}, {PID: 12, Comm: "x"}, {PID: 20, Comm: "nginx"},
		{PID: 21, Comm: "pause"}, {PID: 30, Comm: "pause"}}
	idx := map[int]int{}
	for i, p := range procs {
		idx[p.PID] = i
	}
	linkPods(cs, procs, idx)
	want := []struct {
		sandbox    bool
		podSandbox string
	}{{true, ""}, {false, "containerd:" + idA}, {false, ""}, {false, "docker:d2"}, {true, ""}, {false, ""}}
	for i, w := range want {
		if cs[i].Sandbox != w.sandbox || cs[i].PodSandbox != w.podSandbox {
			t.Errorf("%s: sandbox %v, pod sandbox %q; want %v %q", cs[i].Key(), cs[i].Sandbox, cs[i].PodSandbox, w.sandbox, w.podSandbox)
		}
	}
	if !slices.Equal(podA.Addrs, []string{"10.251.3.2", "fd00::5"}) || !slices.Equal(podA2.Addrs, podA.Addrs) || cs[2].Pod.Addrs != nil {
		t.Errorf("pod addresses %q, %q, %q", podA.Addrs, podA2.Addrs, cs[2].Pod.Addrs)
	}
	if got := podAddrs([]ContainerIface{{Addrs: []string{"::ffff:10.0.0.1/96", "2001:db8::1", "127.0.0.2/8", "bad", "10.0.0.1/8"}}}); !slices.Equal(got, []string{"10.0.0.1", "2001:db8::1"}) {
		t.Errorf("podAddrs = %q", got)
	}
}

// TestRuntimeMetaSandbox: the CRI annotations of a sandbox and of a pod's container, containerd's
// and CRI-O's.
func TestRuntimeMetaSandbox(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) { writeTree(t, root, rel, content) }
	write("proc/stat", "btime 1\n")
	task := "run/containerd/io.containerd.runtime.v2.task/k8s.io/"
	write(task+idA+"/config.json", `{"annotations":{"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":"`+idA+`",
		"io.kubernetes.cri.sandbox-name":"web-7d9f","io.kubernetes.cri.sandbox-namespace":"shop"}}`)
	write(task+idB+"/config.json", `{"annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-id":"`+idA+`",
		"io.kubernetes.cri.container-name":"app","io.kubernetes.cri.sandbox-name":"web-7d9f","io.kubernetes.cri.sandbox-namespace":"shop"}}`)
	crio := "run/containers/storage/overlay-containers/"
	write(crio+"s1/userdata/config.json", `{"annotations":{"io.kubernetes.cri-o.ContainerType":"sandbox","io.kubernetes.cri-o.SandboxID":"s1"}}`)
	write(crio+"c1/userdata/config.json", `{"annotations":{"io.kubernetes.cri-o.ContainerType":"container","io.kubernetes.cri-o.SandboxID":"s1",
		"io.kubernetes.container.name":"sidecar"}}`)
	var errs errorList
	m := newRuntimeMeta(NewFS(root+"/proc", root+"/sys"), &errs)
	for _, tt := range []struct {
		c                Container
		name, sandboxID  string
		sandbox          bool
		podName, podSpec string
	}{
		{Container{Runtime: "cri", ID: idA, Pod: &Pod{UID: uid}}, "pause", idA, true, "web-7d9f", ""},
		{Container{Runtime: "cri", ID: idB, Pod: &Pod{UID: uid}}, "app", idA, false, "web-7d9f", "app"},
		{Container{Runtime: "cri-o", ID: "s1", Pod: &Pod{UID: uid}}, "pause", "s1", true, "", ""},
		{Container{Runtime: "cri-o", ID: "c1", Pod: &Pod{UID: uid}}, "sidecar", "s1", false, "", "sidecar"},
	} {
		c := tt.c
		m.describe(&c, &Process{})
		if c.Name != tt.name || c.sandboxID != tt.sandboxID || c.Sandbox != tt.sandbox || c.Pod.Name != tt.podName || c.Pod.Container != tt.podSpec {
			t.Errorf("%s: name %q sandbox %v id %q pod %+v", c.ID, c.Name, c.Sandbox, c.sandboxID, c.Pod)
		}
	}
	if len(errs) != 0 {
		t.Errorf("errors: %v", errs)
	}
}

// TestOpenInRoot: a path in a container's root resolves as the container would resolve it:
// absolute symlinks and ".." stay beneath the root; only a regular file is opened, and only so much.
func TestOpenInRoot(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("host"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, d := range []string{"etc/sub", "tmp" + outside} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{"etc/cfg": "inside", "tmp" + outside + "/secret": "container's", "big": strings.Repeat("x", 100)}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"etc/abs":      "/etc/cfg",                    // absolute: from the container's root
		"etc/rel":      "sub/../cfg",                  // relative, through a directory
		"etc/escape":   outside + "/secret",           // the host's file, were the kernel to follow it
		"etc/up":       "../../../../../../etc/cfg",   // ".." cannot climb above the root
		"etc/sub/loop": "loop",                        // ELOOP, not a hang
		"tmp/escape":   "/tmp" + outside + "/secret",  // the container's own file of that name
		"etc/dirlink":  "/etc/sub/../../../../../etc", // a directory, then a file in it
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "etc/fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, want, err string }{
		{"/etc/cfg", "inside", ""},
		{"etc/cfg", "inside", ""},
		{"/etc/abs", "inside", ""},
		{"/etc/rel", "inside", ""},
		{"/../../etc/cfg", "inside", ""},
		{"/etc/up", "inside", ""},
		{"/etc/dirlink/cfg", "inside", ""},
		{"/tmp/escape", "container's", ""},
		{"/etc/escape", "", "no such file"},
		{"/etc/sub/loop", "", "too many levels of symbolic links"},
		{"/etc/fifo", "", "not a regular file"},
		{"/etc", "", "not a regular file"},
		{"/big", "", "larger than 0 KiB"},
		{"/etc/cfg/x", "", "not a directory"},
	} {
		data, err := readInRoot(root, tt.name, 64)
		if tt.err == "" && (err != nil || string(data) != tt.want) {
			t.Errorf("%s: %q, %v; want %q", tt.name, data, err, tt.want)
		}
		if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: %q, %v; want an error with %q", tt.name, data, err, tt.err)
		}
	}
}
