package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// TestSnapshotInACgroupNamespace: isotop snapshot run inside a cgroup namespace of its own, rooted
// at a test cgroup (as in a pod, where /proc/PID/cgroup gives "/../.." paths for everything outside
// it), places every process in the same cgroup of the host's tree as a snapshot from the host does.
func TestSnapshotInACgroupNamespace(t *testing.T) {
	probetest.Live(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare (util-linux)")
	}
	cg := probetest.NewCgroup(t, probetest.Name(t), "memory", "pids")
	bin := buildBinary(t)
	var dirs []string
	for _, d := range cg.Dirs {
		dirs = append(dirs, d)
	}
	script := "for d in " + strings.Join(dirs, " ") + "; do echo $$ > $d/cgroup.procs || exit 1; done; exec unshare --cgroup " + bin + " snapshot --json"
	out, err := exec.Command("sh", "-c", script).Output()
	if err != nil {
		t.Fatalf("isotop snapshot in a cgroup namespace: %v", err)
	}
	var inside probe.Snapshot
	if err := json.Unmarshal(out, &inside); err != nil {
		t.Fatal(err)
	}
	host := snapshotOf(t, bin, "0")
	byPID := map[int]probe.Process{}
	for _, p := range host.Processes {
		byPID[p.PID] = p
	}
	same, differ := 0, 0
	for _, p := range inside.Processes {
		q, ok := byPID[p.PID]
		if !ok || q.StartTicks != p.StartTicks {
			continue
		}
		if p.Cgroup != q.Cgroup {
			differ++
			if differ <= 5 {
				t.Errorf("process %d (%s): in the namespace %q, from the host %q", p.PID, p.Comm, p.Cgroup, q.Cgroup)
			}
			continue
		}
		same++
	}
	if same < len(host.Processes)/2 || differ > 0 {
		t.Errorf("%d processes in the same cgroup, %d in another, of %d", same, differ, len(host.Processes))
	}
	t.Logf("%d processes in the same cgroup from inside the namespace as from the host", same)
}
