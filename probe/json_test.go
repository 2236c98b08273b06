package probe

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// TestWriteJSONMatchesMarshal: the parallel encoder must give exactly what encoding/json gives.
func TestWriteJSONMatchesMarshal(t *testing.T) {
	base := fixture(t, "hybrid")
	for _, n := range []int{0, 1, 255, 256, 257, 1001} {
		s := *base
		s.Processes = nil
		for i := range n {
			p := base.Processes[i%len(base.Processes)]
			p.PID = i + 1
			p.Comm = "odd \"name\" <&>\u2028" + strconv.Itoa(i)
			s.Processes = append(s.Processes, p)
		}
		var got bytes.Buffer
		if err := s.WriteJSON(&got); err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(&s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), append(want, '\n')) {
			t.Fatalf("%d processes: WriteJSON differs from json.Marshal", n)
		}
	}
}

// TestNSSetJSON: an NSSet encodes exactly as the map {kind: inode} of its known kinds would.
func TestNSSetJSON(t *testing.T) {
	var s NSSet
	m := map[NSKind]uint64{}
	for i, k := range nsLinks {
		if i%3 == 1 {
			continue
		}
		s.set(k, uint64(4026531830+i))
		m[k] = uint64(4026531830 + i)
	}
	a, _ := json.Marshal(s)
	b, _ := json.Marshal(m)
	if !bytes.Equal(a, b) {
		t.Fatalf("NSSet %s, map %s", a, b)
	}
	var back NSSet
	if err := json.Unmarshal(a, &back); err != nil || back != s {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

// FuzzProcessJSON: the hand-written process encoder gives exactly what encoding/json gives, for any
// strings a process can carry (its comm, argv and cgroup path are whatever the process made them).
func FuzzProcessJSON(f *testing.F) {
	f.Add("bash", "-c", "echo <&>\u2028\x00\xff", "/a:b", int64(42), uint64(4026531833), true)
	f.Add("", "", "", "", int64(-1), uint64(0), false)
	f.Fuzz(func(t *testing.T, comm, arg0, arg1, path string, pid int64, ino uint64, nils bool) {
		p := Process{PID: int(pid), PPID: int(pid / 2), Comm: comm, State: "S", UID: int(pid % 70000),
			StartTicks: ino, Started: time.Unix(int64(ino%4e9), int64(ino%1e9)).UTC(), CPUUsec: ino * 3,
			Cgroup: path, Container: "podman:" + arg1, Namespaces: NSSet{Net: ino, PIDForChildren: ino / 3}}
		if !nils {
			rate := float64(int64(ino)) / float64(pid|1) // any float, tiny and huge included
			p.CPUPct = &rate
			p.Cmdline = []string{arg0, arg1}
			p.NSPids = []int{int(pid), 1}
			p.CgroupMembership = []CgroupMembership{{Hierarchy: 3, Controllers: []string{arg0, "memory"}, Path: path}, {Path: "/", Controllers: []string{}}}
			p.Isolated = []NSKind{NSNet, NSKind(arg1)}
		}
		want, err := json.Marshal(&p)
		if err != nil {
			t.Skip(err)
		}
		if got := appendProcessJSON(nil, &p); !bytes.Equal(got, want) {
			t.Fatalf("hand-written:\n%s\nencoding/json:\n%s", got, want)
		}
	})
}

// TestContainerJSONRoundTrip: a container's pod (with its addresses), sandbox and init (with its
// jobs) survive WriteJSON's fast path and DecodeSnapshot, as --replay reads them back.
func TestContainerJSONRoundTrip(t *testing.T) {
	s := *fixture(t, "hybrid")
	for len(s.Processes) < 300 { // past the parallel encoder's threshold
		s.Processes = append(s.Processes, s.Processes...)
	}
	s.Containers = []Container{
		{Runtime: "containerd", ID: idA, Name: "pause", Sandbox: true, PID: 10, PIDs: []int{10},
			Pod: &Pod{UID: uid, QoS: "besteffort", Name: "web-7d9f", Namespace: "shop", Addrs: []string{"10.251.3.2", "fd00::5"}}},
		{Runtime: "containerd", ID: idB, Name: "app", PodSandbox: "containerd:" + idA, PID: 11, PIDs: []int{11, 12}, Hostname: "web-7d9f",
			Pod: &Pod{UID: uid, QoS: "besteffort", Container: "app", Addrs: []string{"10.251.3.2"}},
			Init: &Init{Name: "containerpilot", From: "comm containerpilot", Supervises: []int{12}, JobsFrom: "/proc/11/root/etc/containerpilot.json5",
				Jobs: []InitJob{{Name: "app", Exec: "/bin/app", Health: "curl -f x", Interval: "5s", When: "once healthy: db"}}}},
		{Runtime: "isolated", ID: "40", Name: "tree-1", NameFrom: "uts", Hostname: "tree-1", Init: &Init{Name: "tini", From: "exe /usr/bin/tini", Supervises: []int{}}},
	}
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := DecodeSnapshot(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Containers, s.Containers) {
		a, _ := json.Marshal(back.Containers)
		t.Errorf("containers read back:\n%s", a)
	}
	for _, field := range []string{`"sandbox":true`, `"pod_sandbox":"containerd:` + idA, `"addrs":["10.251.3.2","fd00::5"]`, `"jobs_from":`, `"supervises":[]`} {
		if !bytes.Contains(buf.Bytes(), []byte(field)) {
			t.Errorf("no %s in the JSON", field)
		}
	}
}
