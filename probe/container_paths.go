package probe

import (
	"regexp"
	"strconv"
	"strings"
)

// cgroupContainer is what a cgroup path says of the container a process runs in.
type cgroupContainer struct {
	Runtime string // docker, podman, containerd, cri-o, lxc, nspawn, isotop, or "kubernetes" when only the pod is known
	ID      string // container id (hex), or the name for lxc and nspawn
	// Namespace is containerd's namespace (default, moby, k8s.io …) for plain containerd paths.
	Namespace string
	Pod       *Pod
	// Monitor is true for a runtime's monitor process (conmon, lxc.monitor, crio-conmon): it looks
	// after a container but is not in it.
	Monitor bool
	// Cgroup is the container's own cgroup: the path up to and including the matching segment.
	Cgroup string
}

// Pod is a Kubernetes pod, as far as the cgroup path and the runtime's files tell.
type Pod struct {
	UID       string `json:"uid"`
	QoS       string `json:"qos"` // guaranteed, burstable, besteffort
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	// Container is the container's name in the pod spec.
	Container string `json:"container,omitempty"`
	// Addrs are the pod's addresses, those of its network namespace's interfaces (loopback and
	// IPv6 link-local aside), without their prefix length: IPv4 first, so the pod IP first. Every
	// container of the pod has them, its sandbox's included.
	Addrs []string `json:"addrs,omitempty"`
}

var (
	hex64        = `[0-9a-f]{64}`
	reScope      = regexp.MustCompile(`^(docker|libpod|libpod-conmon|cri-containerd|crio|crio-conmon|isotop)-(` + hex64 + `|[0-9a-z]{8,64})\.scope$`)
	reCgroupfs   = regexp.MustCompile(`^(libpod|libpod-conmon|crio|crio-conmon|cri-containerd)-(` + hex64 + `)$`)
	reHex64      = regexp.MustCompile(`^` + hex64 + `$`)
	rePodSlice   = regexp.MustCompile(`^kubepods(?:-(burstable|besteffort))?-pod([0-9a-f_]{36})\.slice$`)
	rePodDir     = regexp.MustCompile(`^pod([0-9a-f-]{36})$`)
	reNspawn     = regexp.MustCompile(`^machine-(.+)\.scope$`)
	reLXCPayload = regexp.MustCompile(`^lxc\.(payload|monitor)\.(.+)$`)
)

// scopeRuntimes names the runtime of each prefix that reScope and reCgroupfs recognise, and says
// which are monitors (conmon) rather than containers.
var scopeRuntimes = map[string]struct {
	runtime string
	monitor bool
}{
	"docker": {"docker", false}, "libpod": {"podman", false}, "libpod-conmon": {"podman", true},
	"cri-containerd": {"containerd", false}, "crio": {"cri-o", false}, "crio-conmon": {"cri-o", true},
	"isotop": {"isotop", false},
}

// containerdNamespaces are the containerd namespaces whose cgroupfs layout /NAMESPACE/ID is taken
// for a container. Any name would be too loose: other software also names cgroups by a 64-digit
// id (this project's own build machines run their sessions in /process_api/<64 hex>).
var containerdNamespaces = map[string]bool{"default": true, "moby": true, "k8s.io": true, "buildkit": true}

// containerFromCgroup recognises the container runtimes' cgroup layouts, with the systemd and the
// cgroupfs drivers alike, from a process's cgroup path. The deepest container segment wins (a
// container inside a pod inside a slice), ok is false for a path no runtime made.
func containerFromCgroup(path string) (c cgroupContainer, ok bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var pod *Pod
	podQoS := ""
	for i, s := range segs {
		prefix := "/" + strings.Join(segs[:i+1], "/")
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		switch {
		case s == "kubepods" || s == "kubepods.slice":
			podQoS = "guaranteed"
		case podQoS != "" && (s == "burstable" || s == "besteffort" || s == "kubepods-burstable.slice" || s == "kubepods-besteffort.slice"):
			podQoS = strings.TrimSuffix(strings.TrimPrefix(s, "kubepods-"), ".slice")
		case rePodSlice.MatchString(s):
			m := rePodSlice.FindStringSubmatch(s)
			qos := m[1]
			if qos == "" {
				qos = "guaranteed"
			}
			pod = &Pod{UID: strings.ReplaceAll(m[2], "_", "-"), QoS: qos}
			c, ok = cgroupContainer{Runtime: "kubernetes", Pod: pod, Cgroup: prefix}, true
		case podQoS != "" && rePodDir.MatchString(s):
			pod = &Pod{UID: rePodDir.FindStringSubmatch(s)[1], QoS: podQoS}
			c, ok = cgroupContainer{Runtime: "kubernetes", Pod: pod, Cgroup: prefix}, true
		case reScope.MatchString(s) || reCgroupfs.MatchString(s):
			m := reScope.FindStringSubmatch(s)
			if m == nil {
				m = reCgroupfs.FindStringSubmatch(s)
			}
			kind, id := m[1], m[2]
			c = cgroupContainer{ID: id, Pod: pod, Cgroup: prefix}
			r := scopeRuntimes[kind]
			c.Runtime, c.Monitor = r.runtime, r.monitor
			ok = true
		case reHex64.MatchString(s):
			// cgroupfs layouts name the container by its bare id: /docker/ID, /kubepods/…/podUID/ID,
			// containerd's /NAMESPACE/ID.
			c = cgroupContainer{ID: s, Pod: pod, Cgroup: prefix}
			switch {
			case pod != nil:
				c.Runtime = "cri"
			case prev == "docker":
				c.Runtime = "docker"
			case i == 1 && containerdNamespaces[prev]:
				c.Runtime, c.Namespace = "containerd", prev
			default:
				continue
			}
			ok = true
		case prev == "lxc" && i == 1:
			c, ok = cgroupContainer{Runtime: "lxc", ID: s, Cgroup: prefix}, true
		case reLXCPayload.MatchString(s):
			m := reLXCPayload.FindStringSubmatch(s)
			c, ok = cgroupContainer{Runtime: "lxc", ID: m[2], Monitor: m[1] == "monitor", Cgroup: prefix}, true
		case prev == "machine.slice" && reNspawn.MatchString(s) && !strings.HasPrefix(s, "machine-libpod"):
			c, ok = cgroupContainer{Runtime: "nspawn", ID: unescapeSystemd(reNspawn.FindStringSubmatch(s)[1]), Cgroup: prefix}, true
		case s == "conmon" && prev == "libpod_parent":
			c, ok = cgroupContainer{Runtime: "podman", Monitor: true, Cgroup: prefix}, true
		}
	}
	return c, ok
}

// unescapeSystemd undoes systemd's unit name escaping (\x2d for '-').
func unescapeSystemd(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
