package actions

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/isotop/isotop/probe"
)

func TestReadOnlyRefusesEveryAction(t *testing.T) {
	var a Actor = ReadOnly{}
	mem := Setting{N: 64 << 20}
	plan, err := a.PlanLimit(LimitRequest{Cgroup: "/x", Memory: &mem})
	if plan != nil || !errors.Is(err, ErrReadOnly) {
		t.Errorf("PlanLimit = %v, %v; want ErrReadOnly", plan, err)
	}
	// Even a plan made elsewhere is not applied.
	res, err := a.ApplyLimit(&LimitPlan{Cgroup: "/x", Writes: []Write{{File: "/nonexistent/memory.max", New: "1"}}})
	if res != nil || !errors.Is(err, ErrReadOnly) {
		t.Errorf("ApplyLimit = %v, %v; want ErrReadOnly", res, err)
	}
	cmd, err := a.Enter(EnterRequest{PID: os.Getpid()})
	if cmd != nil || !errors.Is(err, ErrReadOnly) {
		t.Errorf("Enter = %v, %v; want ErrReadOnly", cmd, err)
	}
	if !strings.Contains(ErrReadOnly.Error(), "read-only") {
		t.Errorf("ErrReadOnly does not say why: %q", ErrReadOnly)
	}
}

func TestLimitRequestEmpty(t *testing.T) {
	if !(LimitRequest{Cgroup: "/x", Force: true}).Empty() {
		t.Error("a request with no limit is not Empty")
	}
	w := uint64(100)
	for name, r := range map[string]LimitRequest{
		"memory": {Memory: &Setting{}}, "memory-high": {MemoryHigh: &Setting{}}, "cpus": {CPUs: &CPUs{}},
		"cpu-weight": {CPUWeight: &w}, "pids": {PIDs: &Setting{}},
	} {
		if r.Empty() {
			t.Errorf("a request with %s is Empty", name)
		}
	}
}

// TestHostPlanLimitRefusesBadPaths needs no cgroup: a path is refused before any file is read, and
// the refusal is audited; a request that sets nothing is a usage error, not audited.
func TestHostPlanLimitRefusesBadPaths(t *testing.T) {
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	h := &Host{FS: probe.DefaultFS(), Audit: &AuditLog{Path: audit}}
	mem := Setting{N: 64 << 20}

	plan, err := h.PlanLimit(LimitRequest{Cgroup: "/x"})
	if plan != nil || !errors.Is(err, ErrBadValue) || !strings.Contains(err.Error(), "no limit given") {
		t.Errorf("empty request: %v, %v; want ErrBadValue saying no limit was given", plan, err)
	}
	if _, err := os.Stat(audit); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a usage error was audited (%v)", err)
	}

	paths := []string{"/isotop-test-x/../../etc", "/", "/sys/fs/cgroup/memory/isotop-test-x"}
	for _, p := range paths {
		plan, err := h.PlanLimit(LimitRequest{Cgroup: p, Target: "cgroup " + p, Memory: &mem})
		if plan != nil || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), p) {
			t.Errorf("PlanLimit(%q) = %v, %v; want a refusal naming the path", p, plan, err)
		}
	}
	recs, bad, err := ReadAudit(audit)
	if err != nil || bad != 0 || len(recs) != len(paths) {
		t.Fatalf("audit: %d records, %d bad, %v; want %d", len(recs), bad, err, len(paths))
	}
	for i, r := range recs {
		if r.Action != "limit" || r.Target != "cgroup "+paths[i] || !strings.HasPrefix(r.Result, "refused: cgroup path") ||
			len(r.Writes) != 0 || r.UID != os.Getuid() {
			t.Errorf("audit record %d: %+v", i, r)
		}
	}
}

func TestHuman(t *testing.T) {
	for _, tc := range []struct{ file, v, want string }{
		{"/c/memory.max", "max", "no limit"},
		{"/c/memory.max", "67108864", "64.0M"},
		{"/c/memory.high", "1610612736", "1.5G"},
		{"/c/memory.limit_in_bytes", "9223372036854771712", "no limit"},
		{"/c/memory.limit_in_bytes", "-1", "no limit"},
		{"/c/memory.memsw.limit_in_bytes", "33554432", "32.0M"},
		{"/c/cpu.max", "max 100000", "no limit"},
		{"/c/cpu.max", "50000 100000", "0.5 CPUs"},
		{"/c/cpu.max", "100000 100000", "1 CPU"},
		{"/c/cpu.max", "250000 100000", "2.5 CPUs"},
		{"/c/cpu.max", "garbage", "garbage"},
		{"/c/cpu.cfs_quota_us", "-1", "no limit"},
		{"/c/cpu.cfs_quota_us", "50000", "50000µs per period"},
		{"/c/cpu.weight", "200", "weight 200"},
		{"/c/cpu.shares", "1024", "shares 1024"},
		{"/c/pids.max", "max", "no limit"},
		{"/c/pids.max", "50", "50 pids"},
	} {
		if got := human(tc.file, tc.v); got != tc.want {
			t.Errorf("human(%s, %q) = %q, want %q", filepath.Base(tc.file), tc.v, got, tc.want)
		}
	}
}

func TestQuota(t *testing.T) {
	for _, tc := range []struct {
		c      CPUs
		period uint64
		want   string
	}{
		{CPUs{N: 0.5}, 100000, "50000"},
		{CPUs{N: 2}, 50000, "100000"},
		{CPUs{N: 0.01}, 100000, "1000"},
		{CPUs{Max: true}, 100000, "max"},
	} {
		if got, err := quota(tc.c, tc.period); err != nil || got != tc.want {
			t.Errorf("quota(%s, %d) = %q, %v; want %q", tc.c, tc.period, got, err, tc.want)
		}
	}
	_, err := quota(CPUs{N: 0.001}, 100000)
	if !errors.Is(err, ErrBadValue) || !strings.Contains(err.Error(), "--cpus 0.001") || !strings.Contains(err.Error(), "1000µs") {
		t.Errorf("0.001 CPUs: %v; want ErrBadValue naming --cpus and the least quota", err)
	}
}

// TestRoundedNote: a memory limit the kernel kept in whole pages is explained; a value read back
// as written, or not a rounding of it, is not.
func TestRoundedNote(t *testing.T) {
	page := os.Getpagesize()
	w := strconv.Itoa(50000000)
	r := strconv.Itoa(50000000 / page * page)
	if n := roundedNote(w, r); !strings.Contains(n, "rounded 50000000 down to "+r) || !strings.Contains(n, strconv.Itoa(page)+"-byte page") {
		t.Errorf("roundedNote(%s, %s) = %q", w, r, n)
	}
	for _, c := range [][2]string{{w, w}, {w, "max"}, {w, "1000"}, {"max", "max"}} {
		if n := roundedNote(c[0], c[1]); n != "" {
			t.Errorf("roundedNote(%s, %s) = %q, want none", c[0], c[1], n)
		}
	}
}
