package probe_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/isotop/isotop/actions/early"
	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// readOnlyChildEnv hands TestLiveReadOnlyChild, in a re-executed and locked-down test binary, its
// part.
const readOnlyChildEnv = "ISOTOP_TEST_PROBE_READONLY_CHILD"

// readOnlyMarker brackets the child's snapshot in its output.
const readOnlyMarker = "--- isotop snapshot ---"

// names is what this names are of a container: its name, hostname, pod (with its
// addresses and sandbox), init (with what it supervises and its jobs) and interfaces.
type names struct {
	Name, NameFrom, Hostname string
	Sandbox                  bool
	PodSandbox               string
	Pod                      *probe.Pod
	Init                     *probe.Init
	Interfaces               []probe.ContainerIface
	NetNames                 []string
}

func namesOf(t *testing.T, s *probe.Snapshot, key string) names {
	t.Helper()
	c := findContainer(s, key)
	if c == nil {
		t.Fatalf("no container %s", key)
	}
	n := names{Name: c.Name, NameFrom: c.NameFrom, Hostname: c.Hostname, Sandbox: c.Sandbox, PodSandbox: c.PodSandbox,
		Pod: c.Pod, Init: c.Init, Interfaces: c.Interfaces}
	if c.NetNS != s.Host.NS.Net {
		n.NetNames = findNet(t, s, c.NetNS).Names
	}
	return n
}

// TestLiveReadOnlyNames takes a snapshot of a pod, inits and an isolated tree with a hostname,
// then one in read-only mode (this test binary re-executed with ISOTOP_READONLY=1: early.c locks
// it down before its Go runtime starts, and the snapshot reads through its helpers, as isotop's):
// both must say the same of each (hostnames, the pod's sandbox and addresses, the inits, what
// they supervise, ContainerPilot's jobs from the container's root).
func TestLiveReadOnlyNames(t *testing.T) {
	probetest.Live(t)
	if !early.Built {
		t.Skip("built without cgo: early.c, the lockdown, is not linked in")
	}
	pod := probetest.NewCtrPod(t)
	h := startInits(t)
	normal := snapshotInits(t, h, probe.DefaultFS())
	keys := []string{pod.SandboxKey(), pod.AppKey(), "podman:" + h.catatonit, "podman:" + h.pilot, "isolated:" + strconv.Itoa(h.tree.Process.Pid)}

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestLiveReadOnlyChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "ISOTOP_READONLY=1", readOnlyChildEnv+"=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	parts := bytes.Split(out, []byte(readOnlyMarker))
	if err != nil || len(parts) != 3 {
		t.Fatalf("the locked-down child: %v\n%s%s", err, out, stderr.String())
	}
	var ro probe.Snapshot
	if err := json.Unmarshal(parts[1], &ro); err != nil {
		t.Fatal(err)
	}
	checkInits(t, h, &ro)
	for _, key := range keys {
		if a, b := namesOf(t, normal, key), namesOf(t, &ro, key); !reflect.DeepEqual(a, b) {
			a, _ := json.Marshal(a)
			b, _ := json.Marshal(b)
			t.Errorf("%s:\nnormal    %s\nread-only %s", key, a, b)
		}
	}
	for _, e := range ro.Errors {
		if strings.Contains(e.Path, "/root/") || strings.Contains(e.Path, pod.SandboxID) || strings.Contains(e.Path, "/ns/uts") {
			t.Errorf("read-only error: %+v", e)
		}
	}
}

// TestLiveReadOnlyChild runs only in the process TestLiveReadOnlyNames starts, locked down by
// early.c: it takes a snapshot through read-only mode's helpers and prints it.
func TestLiveReadOnlyChild(t *testing.T) {
	if os.Getenv(readOnlyChildEnv) == "" {
		t.Skip("runs only in TestLiveReadOnlyNames's locked-down child")
	}
	if l, err := early.Current(); err != nil || !l.ReadOnly {
		t.Fatalf("not locked down: %+v, %v", l, err)
	}
	helper, err := early.NewHelper()
	if err != nil {
		t.Fatal(err)
	}
	fs := probe.DefaultFS()
	fs.Opener = helper
	s, err := fs.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.Write([]byte(readOnlyMarker))
	os.Stdout.Write(data)
	os.Stdout.Write([]byte(readOnlyMarker + "\n"))
}
