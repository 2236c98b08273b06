package probe

import (
	"os"
	"path/filepath"
	"testing"
)

const (
	idA = "0c00bbcbb57c9aa61617d45a63dcf718634b1e09e150e47ef28a625cd4f669ec"
	idB = "49b654e68c69b3d88cf590d22c83e56a12eb273ec8b1d539bb878afae70ab0e2"
	uid = "8d5b0c1e-2f3a-4b5c-9d7e-1a2b3c4d5e6f"
)

// TestContainerFromCgroup: the cgroup layouts of each runtime, with the systemd and the cgroupfs
// drivers, as they appear in /proc/PID/cgroup on v2 (0::) and v1 (the memory line) alike.
func TestContainerFromCgroup(t *testing.T) {
	uidU := "8d5b0c1e_2f3a_4b5c_9d7e_1a2b3c4d5e6f"
	tests := []struct {
		path               string
		runtime, id        string
		podQoS, ns, cgroup string
		monitor, none      bool
	}{
		{path: "/docker/" + idA, runtime: "docker", id: idA, cgroup: "/docker/" + idA},
		{path: "/system.slice/docker-" + idA + ".scope", runtime: "docker", id: idA},
		{path: "/machine.slice/libpod-" + idA + ".scope", runtime: "podman", id: idA},
		{path: "/machine.slice/libpod-" + idA + ".scope/container", runtime: "podman", id: idA, cgroup: "/machine.slice/libpod-" + idA + ".scope"},
		{path: "/libpod_parent/libpod-" + idA, runtime: "podman", id: idA},
		{path: "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + idA + ".scope", runtime: "podman", id: idA},
		{path: "/machine.slice/libpod-conmon-" + idA + ".scope", runtime: "podman", id: idA, monitor: true},
		{path: "/libpod_parent/conmon", runtime: "podman", monitor: true},
		{path: "/default/" + idA, runtime: "containerd", id: idA, ns: "default"},
		{path: "/system.slice/cri-containerd-" + idA + ".scope", runtime: "containerd", id: idA},
		{path: "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uidU + ".slice/cri-containerd-" + idA + ".scope",
			runtime: "containerd", id: idA, podQoS: "burstable"},
		{path: "/kubepods.slice/kubepods-pod" + uidU + ".slice/crio-" + idA + ".scope", runtime: "cri-o", id: idA, podQoS: "guaranteed"},
		{path: "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidU + ".slice/crio-conmon-" + idA + ".scope", runtime: "cri-o", id: idA, podQoS: "besteffort", monitor: true},
		{path: "/kubepods/burstable/pod" + uid + "/" + idA, runtime: "cri", id: idA, podQoS: "burstable"},
		{path: "/kubepods/pod" + uid + "/" + idB, runtime: "cri", id: idB, podQoS: "guaranteed"},
		{path: "/kubepods/besteffort/pod" + uid + "/crio-" + idA, runtime: "cri-o", id: idA, podQoS: "besteffort"},
		{path: "/kubepods/burstable/pod" + uid, runtime: "kubernetes", podQoS: "burstable"},
		{path: "/lxc/web1", runtime: "lxc", id: "web1"},
		{path: "/lxc.payload.web1", runtime: "lxc", id: "web1"},
		{path: "/lxc.payload.web1/init.scope", runtime: "lxc", id: "web1", cgroup: "/lxc.payload.web1"},
		{path: "/lxc.monitor.web1", runtime: "lxc", id: "web1", monitor: true},
		{path: "/machine.slice/machine-my\\x2dbox.scope", runtime: "nspawn", id: "my-box"},
		{path: "/machine.slice/machine-my\\x2dbox.scope/payload", runtime: "nspawn", id: "my-box"},
		{path: "/", none: true},
		{path: "/user.slice/user-1000.slice/session-3.scope", none: true},
		{path: "/system.slice/sshd.service", none: true},
		{path: "/docker", none: true},
		{path: "/a/b/" + idA, none: true}, // a bare id three levels down names no runtime
		{path: "/moby/" + idB, runtime: "containerd", id: idB, ns: "moby"},
		{path: "/process_api/" + idA, none: true}, // not a containerd namespace: a build machine's session
	}
	for _, tt := range tests {
		c, ok := containerFromCgroup(tt.path)
		if tt.none {
			if ok {
				t.Errorf("%s: recognised as %+v", tt.path, c)
			}
			continue
		}
		if !ok || c.Runtime != tt.runtime || c.ID != tt.id || c.Monitor != tt.monitor || c.Namespace != tt.ns {
			t.Errorf("%s: got %+v ok=%v, want %s %s monitor=%v ns=%q", tt.path, c, ok, tt.runtime, tt.id, tt.monitor, tt.ns)
			continue
		}
		if (tt.podQoS == "") != (c.Pod == nil) || (c.Pod != nil && (c.Pod.QoS != tt.podQoS || c.Pod.UID != uid)) {
			t.Errorf("%s: pod %+v, want qos %q uid %s", tt.path, c.Pod, tt.podQoS, uid)
		}
		if tt.cgroup != "" && c.Cgroup != tt.cgroup {
			t.Errorf("%s: container cgroup %q, want %q", tt.path, c.Cgroup, tt.cgroup)
		}
	}
}

// TestRuntimeMeta: names and images from each runtime's files, on a fixture tree; a missing file
// leaves the short id and is no error.
func TestRuntimeMeta(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("proc/stat", "btime 1\n")
	write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n")
	write("var/lib/docker/containers/"+idA+"/config.v2.json", `{"Name":"/web","Config":{"Image":"nginx:1.27"},"State":{"Pid":1}}`)
	write("var/lib/containers/storage/overlay-containers/containers.json",
		`[{"id":"`+idA+`","names":["db"],"metadata":"{\"image-name\":\"docker.io/library/postgres:16\"}"}]`)
	write("home/alice/.local/share/containers/storage/overlay-containers/containers.json",
		`[{"id":"`+idB+`","names":["toolbox"],"metadata":"{\"image-name\":\"fedora:40\"}"}]`)
	write("run/containerd/io.containerd.runtime.v2.task/k8s.io/"+idA+"/config.json", `{"annotations":{
		"io.kubernetes.cri.container-name":"app","io.kubernetes.cri.sandbox-name":"web-5d9f","io.kubernetes.cri.sandbox-namespace":"shop",
		"io.kubernetes.cri.image-name":"registry.local/app:2"}}`)
	write("run/containers/storage/overlay-containers/"+idB+"/userdata/config.json", `{"annotations":{
		"io.kubernetes.container.name":"sidecar","io.kubernetes.pod.name":"web-5d9f","io.kubernetes.pod.namespace":"shop",
		"io.kubernetes.cri-o.ImageName":"envoy:1.30"}}`)
	write("var/lib/lxc/web1/config", "lxc.uts.name = web1\nlxc.rootfs.path = dir:/var/lib/lxc/web1/rootfs\n")
	write("run/containerd/io.containerd.runtime.v2.task/default/"+idB+"/config.json", `{"annotations":{"nerdctl/name":"cache"}}`)

	var errs errorList
	m := newRuntimeMeta(NewFS(root+"/proc", root+"/sys"), &errs)
	tests := []struct {
		c                 Container
		uid               int
		name, image       string
		runtime           string
		podName, podSpace string
	}{
		{c: Container{Runtime: "docker", ID: idA}, name: "web", image: "nginx:1.27", runtime: "docker"},
		{c: Container{Runtime: "podman", ID: idA}, name: "db", image: "docker.io/library/postgres:16", runtime: "podman"},
		{c: Container{Runtime: "podman", ID: idB}, uid: 1000, name: "toolbox", image: "fedora:40", runtime: "podman"},
		{c: Container{Runtime: "cri", ID: idA, Pod: &Pod{UID: uid}}, name: "app", image: "registry.local/app:2", runtime: "containerd", podName: "web-5d9f", podSpace: "shop"},
		{c: Container{Runtime: "cri-o", ID: idB, Pod: &Pod{UID: uid}}, name: "sidecar", image: "envoy:1.30", runtime: "cri-o", podName: "web-5d9f", podSpace: "shop"},
		{c: Container{Runtime: "containerd", ID: idB, Cgroup: "/default/" + idB}, name: "cache", runtime: "containerd"},
		{c: Container{Runtime: "lxc", ID: "web1"}, name: "web1", image: "dir:/var/lib/lxc/web1/rootfs", runtime: "lxc"},
		{c: Container{Runtime: "docker", ID: idB}, name: "", runtime: "docker"}, // no files: named later by its short id
	}
	for _, tt := range tests {
		c := tt.c
		m.describe(&c, &Process{UID: tt.uid})
		if c.Name != tt.name || c.Image != tt.image || c.Runtime != tt.runtime {
			t.Errorf("%s %s: name %q image %q runtime %q, want %q %q %q", tt.c.Runtime, tt.c.ID[:4], c.Name, c.Image, c.Runtime, tt.name, tt.image, tt.runtime)
		}
		if tt.podName != "" && (c.Pod.Name != tt.podName || c.Pod.Namespace != tt.podSpace || c.Pod.Container != tt.name) {
			t.Errorf("%s: pod %+v", tt.c.ID[:4], c.Pod)
		}
	}
	if len(errs) != 0 {
		t.Errorf("errors for missing runtime files: %v", errs)
	}
	if shortID(idA) != idA[:12] || shortID("web1") != "web1" {
		t.Errorf("shortID")
	}
}
