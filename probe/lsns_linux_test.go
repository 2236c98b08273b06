package probe_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

type lsnsEntry struct {
	NS      uint64 `json:"ns"`
	Type    string `json:"type"`
	NProcs  int    `json:"nprocs"`
	PID     int    `json:"pid"`
	Command string `json:"command"`
}

// TestAgainstLsns compares the snapshot with util-linux lsns on the live host: every namespace lsns
// lists must be in the snapshot with the same type, inode, process count and lowest pid. Two
// snapshots bracket the lsns run; a count may lie anywhere between theirs, plus one for lsns itself
// in the namespaces it shares with this test. Kernel workers come and go on any host, so a round
// that disagrees is tried again; the test fails when five rounds in a row disagree.
func TestAgainstLsns(t *testing.T) {
	if _, err := exec.LookPath("lsns"); err != nil {
		t.Skip("needs lsns from util-linux")
	}
	if os.Geteuid() == 0 {
		// Give lsns something beyond the host's own namespaces to agree on.
		cmd := exec.Command("sh", "-c", "sleep 300 & sleep 300 & exec sleep 300")
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL,
			Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWNET}
		probetest.Start(t, cmd)
		probetest.WaitFor(t, "the test's three processes", func() bool {
			s, err := probe.DefaultFS().Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			p := proc(s, cmd.Process.Pid)
			ns, ok := lookupNS(s, "pid", p.Namespaces.Get(probe.NSPID))
			return ok && ns.Processes == 3 && p.Comm == "sleep"
		})
	}
	var problems []string
	for range 5 {
		if problems = compareWithLsns(t); len(problems) == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Error("five rounds disagreed with lsns; the last:\n" + strings.Join(problems, "\n"))
}

func compareWithLsns(t *testing.T) (problems []string) {
	before, err := probe.DefaultFS().Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("lsns", "--json", "--output", "NS,TYPE,NPROCS,PID,COMMAND").Output()
	if err != nil {
		t.Fatalf("lsns: %v", err)
	}
	after, err := probe.DefaultFS().Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Namespaces []lsnsEntry }
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("lsns output: %v", err)
	}
	if len(doc.Namespaces) < 8 {
		t.Fatalf("lsns listed only %d namespaces", len(doc.Namespaces))
	}
	self := proc(before, os.Getpid())
	for _, l := range doc.Namespaces {
		b, okB := lookupNS(before, l.Type, l.NS)
		a, okA := lookupNS(after, l.Type, l.NS)
		if !okB && !okA {
			problems = append(problems, fmt.Sprintf("lsns lists %s:[%d] (%s), the snapshot does not", l.Type, l.NS, l.Command))
			continue
		}
		lo, hi := min(b.Processes, a.Processes), max(b.Processes, a.Processes)
		if !okB || !okA {
			lo = 0
		}
		if self != nil && self.Namespaces.Get(probe.NSKind(l.Type)) == l.NS {
			hi++ // lsns itself
		}
		if l.NProcs < lo || l.NProcs > hi {
			problems = append(problems, fmt.Sprintf("%s:[%d]: lsns counts %d processes, the snapshots %d and %d", l.Type, l.NS, l.NProcs, b.Processes, a.Processes))
		}
		if b.Processes == a.Processes && l.NProcs == b.Processes && l.PID != b.PID {
			problems = append(problems, fmt.Sprintf("%s:[%d]: lsns's lowest pid %d, the snapshot's %d", l.Type, l.NS, l.PID, b.PID))
		}
	}
	return problems
}

func lookupNS(s *probe.Snapshot, kind string, ino uint64) (probe.Namespace, bool) {
	for _, ns := range s.Namespaces {
		if string(ns.Type) == kind && ns.Inode == ino {
			return ns, true
		}
	}
	return probe.Namespace{}, false
}
