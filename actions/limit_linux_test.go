package actions

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

// The live limit tests run on this host (v1 or hybrid) and, through TestV2Limits, on a pure v2
// kernel: each checks which version of the hierarchy its cgroup got and expects that version's files.

// liveCgroup makes a test cgroup with the memory, cpu and pids controllers (on v1 one directory in
// each controller's hierarchy, on v2 one directory), removed in t.Cleanup.
func liveCgroup(t *testing.T) *probetest.Cgroup {
	t.Helper()
	probetest.Live(t)
	cg := probetest.NewCgroup(t, probetest.Name(t), "memory", "cpu", "pids")
	for _, c := range []string{"memory", "cpu", "pids"} {
		t.Logf("%s: cgroup v%d at %s", c, cgVersion(cg, c), cg.Dirs[c])
	}
	return cg
}

func cgVersion(cg *probetest.Cgroup, ctrl string) int {
	if cg.IsV2(ctrl) {
		return 2
	}
	return 1
}

// liveHost is the real Actor with its audit log in the test's directory.
func liveHost(t *testing.T) (*Host, string) {
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	return &Host{FS: probe.DefaultFS(), Audit: &AuditLog{Path: audit}}, audit
}

func readCgFile(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func writeCgFile(t *testing.T, file, v string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(v), 0); err != nil {
		t.Fatalf("write %s to %s: %v", v, file, err)
	}
}

// limitAudit is the audit log's records; none when it was never written.
func limitAudit(t *testing.T, path string) []AuditRecord {
	t.Helper()
	recs, bad, err := ReadAudit(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil || bad != 0 {
		t.Fatalf("audit log %s: %d bad lines, %v", path, bad, err)
	}
	// The records of outcomes: each intent (write-ahead) is checked to be followed by the result
	// of its op, carrying the planned writes, and left out.
	var out []AuditRecord
	for i, r := range recs {
		if r.Result != "intent" {
			out = append(out, r)
			continue
		}
		if r.Op == "" || !slices.ContainsFunc(recs[i+1:], func(o AuditRecord) bool { return o.Op == r.Op && o.Result != "intent" }) {
			t.Errorf("audit intent %+v has no result", r)
		}
	}
	return out
}

// snapFiles reads each file, to check later that nothing was written.
func snapFiles(t *testing.T, files ...string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, f := range files {
		m[f] = readCgFile(t, f)
	}
	return m
}

func checkUnchanged(t *testing.T, before map[string]string) {
	t.Helper()
	for f, v := range before {
		if now := readCgFile(t, f); now != v {
			t.Errorf("%s was written: %q, was %q", f, now, v)
		}
	}
}

// checkRefusalAudited checks that the audit log gained exactly one record, a refusal saying why.
func checkRefusalAudited(t *testing.T, audit string, n int, cgroup, why string) {
	t.Helper()
	recs := limitAudit(t, audit)
	if len(recs) != n+1 {
		t.Fatalf("audit log has %d records, want %d", len(recs), n+1)
	}
	r := recs[n]
	if r.Action != "limit" || r.Cgroup != cgroup || !strings.HasPrefix(r.Result, "refused: ") ||
		!strings.Contains(r.Result, why) || len(r.Writes) != 0 || r.UID != os.Getuid() {
		t.Errorf("audit record of the refusal: %+v", r)
	}
}

// want is one expected write of a plan and what the file holds afterwards.
type limitWant struct {
	file, new, newHuman string
	readBack, readHuman string
	oldHuman            string // "": as human() explains the old value
}

// limitAndCheck plans req, checks the plan's writes (old values as they were on disk), checks
// that planning wrote nothing, applies it, and checks the read-back, the files and the audit.
func limitAndCheck(t *testing.T, h *Host, audit string, req LimitRequest, ws ...limitWant) (*LimitPlan, *LimitResult) {
	t.Helper()
	var files []string
	for _, w := range ws {
		files = append(files, w.file)
	}
	before := snapFiles(t, files...)
	plan, err := h.PlanLimit(req)
	if err != nil {
		t.Fatalf("PlanLimit: %v", err)
	}
	if plan.Cgroup != req.Cgroup || plan.Target != "cgroup "+req.Cgroup || plan.Mode == "" {
		t.Errorf("plan is for %q (%q, mode %q), want cgroup %s", plan.Cgroup, plan.Target, plan.Mode, req.Cgroup)
	}
	if len(plan.Writes) != len(ws) {
		t.Fatalf("plan has %d writes, want %d: %+v", len(plan.Writes), len(ws), plan.Writes)
	}
	for i, w := range ws {
		got := plan.Writes[i]
		old, oldHuman := before[w.file], w.oldHuman
		if oldHuman == "" {
			oldHuman = human(w.file, old)
		}
		if got.File != w.file || got.Old != old || got.New != w.new || got.OldHuman != oldHuman || got.NewHuman != w.newHuman {
			t.Errorf("write %d: %s %q (%s) → %q (%s); want %s %q (%s) → %q (%s)", i, got.File, got.Old, got.OldHuman,
				got.New, got.NewHuman, w.file, old, oldHuman, w.new, w.newHuman)
		}
	}
	checkUnchanged(t, before)

	n := len(limitAudit(t, audit))
	res, err := h.ApplyLimit(plan)
	if err != nil {
		t.Fatalf("ApplyLimit: %v", err)
	}
	if res.Written != len(ws) || len(res.ReadBack) != len(ws) {
		t.Fatalf("%d written, %d read back; want %d", res.Written, len(res.ReadBack), len(ws))
	}
	for i, w := range ws {
		rb := res.ReadBack[i]
		if rb.File != w.file || rb.Value != w.readBack || rb.Human != w.readHuman {
			t.Errorf("read back %s = %q (%s), want %q (%s)", rb.File, rb.Value, rb.Human, w.readBack, w.readHuman)
		}
		if v := readCgFile(t, w.file); v != w.readBack {
			t.Errorf("%s holds %q, want %q", w.file, v, w.readBack)
		}
		t.Logf("%s: %s → %s, read back %s", w.file, before[w.file], w.new, rb.Value)
	}

	recs := limitAudit(t, audit)
	if len(recs) != n+1 {
		t.Fatalf("audit log has %d records after one apply, want %d", len(recs), n+1)
	}
	r := recs[n]
	if r.Action != "limit" || r.Target != plan.Target || r.Cgroup != req.Cgroup || r.Result != "ok" || r.UID != os.Getuid() ||
		len(r.Writes) != len(ws) || len(r.ReadBack) != len(ws) {
		t.Fatalf("audit record: %+v", r)
	}
	for i, w := range plan.Writes {
		aw := r.Writes[i]
		if aw.File != w.File || aw.Old != w.Old || aw.New != w.New || aw.Controller != w.Controller || aw.Version != w.Version {
			t.Errorf("audited write %d: %+v, want %+v", i, aw, w)
		}
		if r.ReadBack[i] != res.ReadBack[i] {
			t.Errorf("audited read-back %d: %+v, want %+v", i, r.ReadBack[i], res.ReadBack[i])
		}
	}
	return plan, res
}

func TestLiveLimitMemory(t *testing.T) {
	cg := liveCgroup(t)
	h, audit := liveHost(t)
	dir := cg.Dirs["memory"]
	mb64, max := Setting{N: 64 << 20}, Setting{Max: true}
	if cg.IsV2("memory") {
		f := filepath.Join(dir, "memory.max")
		limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, Memory: &mb64}, limitWant{f, "67108864", "64.0M", "67108864", "64.0M", ""})
		limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, Memory: &max}, limitWant{f, "max", "no limit", "max", "no limit", ""})
		return
	}
	f := filepath.Join(dir, "memory.limit_in_bytes")
	unlimited := readCgFile(t, f) // a new cgroup's: PAGE_COUNTER_MAX in bytes
	limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, Memory: &mb64}, limitWant{f, "67108864", "64.0M", "67108864", "64.0M", ""})
	limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, Memory: &max}, limitWant{f, "-1", "no limit", unlimited, "no limit", ""})

	sw := filepath.Join(dir, "memory.memsw.limit_in_bytes")
	if _, err := os.Stat(sw); err != nil {
		t.Logf("no swap accounting (%v): memsw not checked", err)
		return
	}
	// v1 keeps memsw ≥ memory: raising memory above a memsw limit raises memsw first.
	writeCgFile(t, f, "33554432")
	writeCgFile(t, sw, "33554432")
	plan, _ := limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, Memory: &mb64},
		limitWant{sw, "67108864", "64.0M", "67108864", "64.0M", ""}, limitWant{f, "67108864", "64.0M", "67108864", "64.0M", ""})
	if len(plan.Notes) != 1 || !strings.Contains(plan.Notes[0], "memsw") {
		t.Errorf("plan notes %q do not explain the memsw write", plan.Notes)
	}
	// Lowering memory leaves memsw as it is.
	mb32 := Setting{N: 32 << 20}
	limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, Memory: &mb32}, limitWant{f, "33554432", "32.0M", "33554432", "32.0M", ""})
	limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, Memory: &max},
		limitWant{sw, "-1", "no limit", unlimited, "no limit", ""}, limitWant{f, "-1", "no limit", unlimited, "no limit", ""})
}

func TestLiveLimitMemoryHigh(t *testing.T) {
	cg := liveCgroup(t)
	h, audit := liveHost(t)
	dir := cg.Dirs["memory"]
	mb48, mb64, max := Setting{N: 48 << 20}, Setting{N: 64 << 20}, Setting{Max: true}
	if !cg.IsV2("memory") {
		before := snapFiles(t, filepath.Join(dir, "memory.limit_in_bytes"))
		plan, err := h.PlanLimit(LimitRequest{Cgroup: cg.Path, Memory: &mb64, MemoryHigh: &mb48})
		if plan != nil || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "--memory-high") || !strings.Contains(err.Error(), "v1") {
			t.Fatalf("--memory-high on v1: %v, %v; want a refusal naming --memory-high and v1", plan, err)
		}
		checkUnchanged(t, before)
		checkRefusalAudited(t, audit, 0, cg.Path, "only cgroup v2 has")
		return
	}
	mx, hi := filepath.Join(dir, "memory.max"), filepath.Join(dir, "memory.high")
	// memory.max is written before memory.high, in one plan.
	limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, Memory: &mb64, MemoryHigh: &mb48},
		limitWant{mx, "67108864", "64.0M", "67108864", "64.0M", ""}, limitWant{hi, "50331648", "48.0M", "50331648", "48.0M", ""})
	limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, MemoryHigh: &max}, limitWant{hi, "max", "no limit", "max", "no limit", ""})
}

func TestLiveLimitCPUs(t *testing.T) {
	cg := liveCgroup(t)
	h, audit := liveHost(t)
	dir := cg.Dirs["cpu"]
	half, two, max := CPUs{N: 0.5}, CPUs{N: 2}, CPUs{Max: true}
	var f string
	if cg.IsV2("cpu") {
		f = filepath.Join(dir, "cpu.max")
		limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, CPUs: &half}, limitWant{f, "50000 100000", "0.5 CPUs", "50000 100000", "0.5 CPUs", ""})
		limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, CPUs: &max}, limitWant{f, "max 100000", "no limit", "max 100000", "no limit", ""})
		// The quota is taken against the cgroup's own period.
		writeCgFile(t, f, "max 50000")
		limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, CPUs: &two}, limitWant{f, "100000 50000", "2 CPUs", "100000 50000", "2 CPUs", ""})
	} else {
		f = filepath.Join(dir, "cpu.cfs_quota_us")
		limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, CPUs: &half},
			limitWant{f, "50000", "0.5 CPUs, 50000µs per 100000µs", "50000", "0.5 CPUs, 50000µs per 100000µs", ""})
		limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, CPUs: &max}, limitWant{f, "-1", "no limit", "-1", "no limit", "0.5 CPUs, 50000µs per 100000µs"})
		writeCgFile(t, filepath.Join(dir, "cpu.cfs_period_us"), "50000")
		limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, CPUs: &two},
			limitWant{f, "100000", "2 CPUs, 100000µs per 50000µs", "100000", "2 CPUs, 100000µs per 50000µs", ""})
	}
	// Below the kernel's least quota: a bad value, nothing written, not audited (nothing was tried).
	before, n := snapFiles(t, f), len(limitAudit(t, audit))
	tiny := CPUs{N: 0.001}
	plan, err := h.PlanLimit(LimitRequest{Cgroup: cg.Path, CPUs: &tiny})
	if plan != nil || !errors.Is(err, ErrBadValue) || !strings.Contains(err.Error(), "--cpus 0.001") || !strings.Contains(err.Error(), "least quota") {
		t.Errorf("--cpus 0.001: %v, %v; want a bad value naming --cpus and the least quota", plan, err)
	}
	checkUnchanged(t, before)
	if got := len(limitAudit(t, audit)); got != n {
		t.Errorf("a bad value was audited: %d records, was %d", got, n)
	}
}

func TestLiveLimitCPUWeight(t *testing.T) {
	cg := liveCgroup(t)
	h, audit := liveHost(t)
	dir := cg.Dirs["cpu"]
	w200, w100 := uint64(200), uint64(100)
	if cg.IsV2("cpu") {
		f := filepath.Join(dir, "cpu.weight")
		limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, CPUWeight: &w200}, limitWant{f, "200", "weight 200", "200", "weight 200", ""})
		limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, CPUWeight: &w100}, limitWant{f, "100", "weight 100", "100", "weight 100", ""})
		return
	}
	// v1 has cpu.shares: the plan says which shares a weight is, and more weight is more shares.
	f := filepath.Join(dir, "cpu.shares")
	def := readCgFile(t, f) // a new cgroup's default, 1024
	plan, err := h.PlanLimit(LimitRequest{Cgroup: cg.Path, CPUWeight: &w200})
	if err != nil || len(plan.Writes) != 1 {
		t.Fatalf("--cpu-weight 200: %+v, %v", plan, err)
	}
	shares := plan.Writes[0].New
	n, _ := strconv.Atoi(shares)
	defN, _ := strconv.Atoi(def)
	if n <= defN || len(plan.Notes) != 1 || !strings.Contains(plan.Notes[0], "weight 200 is shares "+shares) {
		t.Errorf("weight 200 is shares %q (default %s), notes %q", shares, def, plan.Notes)
	}
	limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, CPUWeight: &w200}, limitWant{f, shares, "shares " + shares, shares, "shares " + shares, ""})
	// Weight 100 is v2's default: on v1 it must be the default shares again (1024), or
	// `--cpu-weight 100` would not put a cgroup back to the default (limit.go says it does).
	plan, err = h.PlanLimit(LimitRequest{Cgroup: cg.Path, CPUWeight: &w100})
	if err != nil || len(plan.Writes) != 1 {
		t.Fatalf("--cpu-weight 100: %+v, %v", plan, err)
	}
	if got := plan.Writes[0].New; got != def {
		t.Fatalf("--cpu-weight 100 (v2's default) plans cpu.shares %s on v1, not the default %s (notes %q)", got, def, plan.Notes)
	}
	limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, CPUWeight: &w100}, limitWant{f, def, "shares " + def, def, "shares " + def, ""})
}

func TestLiveLimitPIDs(t *testing.T) {
	cg := liveCgroup(t)
	h, audit := liveHost(t)
	f := filepath.Join(cg.Dirs["pids"], "pids.max")
	p50, max := Setting{N: 50}, Setting{Max: true}
	limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, PIDs: &p50}, limitWant{f, "50", "50 pids", "50", "50 pids", ""})
	limitAndCheck(t, h, audit, LimitRequest{Cgroup: cg.Path, PIDs: &max}, limitWant{f, "max", "no limit", "max", "no limit", ""})
}

// TestLiveLimitAll sets everything at once: one plan, one apply, one audit record.
func TestLiveLimitAll(t *testing.T) {
	cg := liveCgroup(t)
	h, audit := liveHost(t)
	mem, cpus, pids := Setting{N: 96 << 20}, CPUs{N: 1.5}, Setting{N: 64}
	plan, res := limitAndCheckAll(t, h, audit, LimitRequest{Cgroup: cg.Path, Target: "", Memory: &mem, CPUs: &cpus, PIDs: &pids})
	// memory, then cpu, then pids.
	wantFiles := []string{"memory.max", "cpu.max", "pids.max"}
	if !cg.IsV2("memory") {
		wantFiles = []string{"memory.limit_in_bytes", "cpu.cfs_quota_us", "pids.max"}
	}
	for i, w := range plan.Writes {
		if i >= len(wantFiles) || filepath.Base(w.File) != wantFiles[i] {
			t.Errorf("write %d is %s, want %s", i, w.File, wantFiles)
		}
	}
	if res.Written != 3 {
		t.Errorf("%d of 3 written", res.Written)
	}
}

// limitAndCheckAll applies a plan whose writes are not given in advance, and checks that every
// file holds what was written and that one record was audited.
func limitAndCheckAll(t *testing.T, h *Host, audit string, req LimitRequest) (*LimitPlan, *LimitResult) {
	t.Helper()
	plan, err := h.PlanLimit(req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.ApplyLimit(plan)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range plan.Writes {
		if v := readCgFile(t, w.File); v != w.New || res.ReadBack[i].Value != v {
			t.Errorf("%s holds %q, read back %q; %q was written", w.File, v, res.ReadBack[i].Value, w.New)
		}
	}
	if recs := limitAudit(t, audit); len(recs) != 1 || recs[0].Result != "ok" || len(recs[0].Writes) != len(plan.Writes) {
		t.Errorf("audit: %+v", recs)
	}
	return plan, res
}

func TestLiveLimitRefusals(t *testing.T) {
	cg := liveCgroup(t)
	h, audit := liveHost(t)
	memFile := filepath.Join(cg.Dirs["memory"], "memory.max")
	usageFile := filepath.Join(cg.Dirs["memory"], "memory.current")
	if !cg.IsV2("memory") {
		memFile = filepath.Join(cg.Dirs["memory"], "memory.limit_in_bytes")
		usageFile = filepath.Join(cg.Dirs["memory"], "memory.usage_in_bytes")
	}
	pidsFile := filepath.Join(cg.Dirs["pids"], "pids.max")
	mb64, p50 := Setting{N: 64 << 20}, Setting{N: 50}

	t.Run("dotdot", func(t *testing.T) {
		before, n := snapFiles(t, memFile, pidsFile), len(limitAudit(t, audit))
		p := cg.Path + "/../" + filepath.Base(cg.Path)
		plan, err := h.PlanLimit(LimitRequest{Cgroup: p, Memory: &mb64, PIDs: &p50})
		if plan != nil || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), `".."`) {
			t.Errorf("%s: %v, %v; want a refusal naming the path and ..", p, plan, err)
		}
		checkUnchanged(t, before)
		checkRefusalAudited(t, audit, n, p, `".." would leave`)
	})

	t.Run("never existed", func(t *testing.T) {
		n := len(limitAudit(t, audit))
		name := "/" + probetest.Name(t)
		plan, err := h.PlanLimit(LimitRequest{Cgroup: name, Memory: &mb64, PIDs: &p50})
		if plan != nil || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "no such cgroup") {
			t.Errorf("%s: %v, %v; want a refusal naming the cgroup and saying it does not exist", name, plan, err)
		}
		for _, d := range cg.Dirs {
			if _, err := os.Stat(filepath.Join(filepath.Dir(d), name)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s was created (%v)", filepath.Join(filepath.Dir(d), name), err)
			}
		}
		checkRefusalAudited(t, audit, n, name, "no such cgroup")
	})

	t.Run("vanished", func(t *testing.T) {
		n := len(limitAudit(t, audit))
		gone := probetest.NewCgroup(t, probetest.Name(t), "memory", "pids")
		plan, err := h.PlanLimit(LimitRequest{Cgroup: gone.Path, Memory: &mb64, PIDs: &p50})
		if err != nil || len(plan.Writes) != 2 {
			t.Fatalf("plan: %+v, %v", plan, err)
		}
		for _, d := range gone.Dirs { // the test's own cgroup, empty
			if err := unix.Rmdir(d); err != nil && !errors.Is(err, unix.ENOENT) {
				t.Fatal(err)
			}
		}
		res, err := h.ApplyLimit(plan)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), gone.Path) || !strings.Contains(err.Error(), "vanished") {
			t.Errorf("apply to a vanished cgroup: %v; want a refusal naming it", err)
		}
		if res == nil || res.Written != 0 {
			t.Errorf("result %+v: writes were made", res)
		}
		for _, d := range gone.Dirs {
			if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s was re-created (%v)", d, err)
			}
		}
		recs := limitAudit(t, audit)
		if len(recs) != n+1 || recs[n].Cgroup != gone.Path || !strings.HasPrefix(recs[n].Result, "failed: ") ||
			!strings.Contains(recs[n].Result, "vanished") || len(recs[n].Writes) != 0 {
			t.Errorf("audit after the vanished cgroup: %+v", recs)
		}
	})

	t.Run("below usage", func(t *testing.T) {
		// A process in the cgroup writes 32 MiB of file data, charged to the cgroup. Forced, v1
		// must reclaim down to the limit or the write fails (EBUSY; no swap here): on this
		// disk-backed /tmp the clean page cache is reclaimable. v2 in the guest (tmpfs) OOM-kills
		// the process instead and the write succeeds.
		cmd := exec.Command("sh", "-c", `read go; dd if=/dev/zero of="$1" bs=1M count=32 conv=fsync 2>/dev/null && echo ready; read done`,
			"sh", filepath.Join(t.TempDir(), "fill"))
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		probetest.Start(t, cmd)
		cg.Add(t, cmd.Process.Pid)
		if _, err := in.Write([]byte("go\n")); err != nil {
			t.Fatal(err)
		}
		if line, err := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
			t.Fatalf("the memory user did not get ready: %q, %v", line, err)
		}
		used, _ := strconv.ParseUint(readCgFile(t, usageFile), 10, 64)
		if used < 16<<20 {
			t.Fatalf("usage %d after writing 32 MiB in the cgroup", used)
		}
		t.Logf("usage %s", probe.FormatBytes(used))

		mb8 := Setting{N: 8 << 20}
		before, n := snapFiles(t, memFile), len(limitAudit(t, audit))
		plan, err := h.PlanLimit(LimitRequest{Cgroup: cg.Path, Memory: &mb8})
		if plan != nil || !errors.Is(err, ErrBelowUsage) || !errors.Is(err, ErrRefused) {
			t.Fatalf("--memory 8M under %s used: %v, %v; want a refusal", probe.FormatBytes(used), plan, err)
		}
		for _, s := range []string{"--memory 8.0M", "below the current usage", cg.Path, "--force"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("refusal %q does not say %q", err, s)
			}
		}
		checkUnchanged(t, before)
		checkRefusalAudited(t, audit, n, cg.Path, "below the current usage")

		plan, err = h.PlanLimit(LimitRequest{Cgroup: cg.Path, Memory: &mb8, Force: true})
		if err != nil || len(plan.Writes) != 1 || plan.Writes[0].File != memFile || plan.Writes[0].New != "8388608" {
			t.Fatalf("forced plan: %+v, %v", plan, err)
		}
		res, err := h.ApplyLimit(plan)
		if err != nil || res.Written != 1 || res.ReadBack[0].Value != "8388608" || readCgFile(t, memFile) != "8388608" {
			t.Errorf("forced limit: %+v, %v; file holds %s", res, err, readCgFile(t, memFile))
		}
		if recs := limitAudit(t, audit); len(recs) != n+2 || recs[n+1].Result != "ok" {
			t.Errorf("forced limit not audited ok: %+v", recs)
		}
		_ = cmd.Process.Kill() // the process this test started, in the cgroup
	})
}

// TestLiveLimitUnauditable: a change that cannot be audited is not made.
func TestLiveLimitUnauditable(t *testing.T) {
	cg := liveCgroup(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h := &Host{FS: probe.DefaultFS(), Audit: &AuditLog{Path: filepath.Join(file, "audit.jsonl")}}
	f := filepath.Join(cg.Dirs["pids"], "pids.max")
	before := snapFiles(t, f)
	p50 := Setting{N: 50}
	plan, err := h.PlanLimit(LimitRequest{Cgroup: cg.Path, PIDs: &p50})
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.ApplyLimit(plan)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "audit log") || res == nil || res.Written != 0 {
		t.Errorf("ApplyLimit with an unwritable audit log: %+v, %v; want a refusal and no write", res, err)
	}
	checkUnchanged(t, before)
}

// limitCLIBinary is the isotop command to test: ISOTOP_TEST_BIN (in the v2 guest, which has no Go),
// else one built from this checkout with cgo, as `make build` does.
func limitCLIBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("ISOTOP_TEST_BIN"); bin != "" {
		return bin
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs go to build cmd/isotop, or ISOTOP_TEST_BIN")
	}
	bin := filepath.Join(t.TempDir(), "isotop")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/isotop")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/isotop: %v\n%s", err, out)
	}
	return bin
}

func TestLiveLimitCLI(t *testing.T) {
	cg := liveCgroup(t)
	bin := limitCLIBinary(t)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	memFile := filepath.Join(cg.Dirs["memory"], "memory.max")
	if !cg.IsV2("memory") {
		memFile = filepath.Join(cg.Dirs["memory"], "memory.limit_in_bytes")
	}
	pidsFile := filepath.Join(cg.Dirs["pids"], "pids.max")
	run := func(stdin string, args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"limit"}, args...)...)
		cmd.Env = append(os.Environ(), "ISOTOP_READONLY=0")
		if stdin != "" {
			cmd.Stdin = strings.NewReader(stdin) // a pipe, not a terminal
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
	}
	old := readCgFile(t, memFile)

	out, errOut, code := run("", cg.Path, "--memory", "64M", "--yes", "--audit-log", audit)
	if code != 0 {
		t.Fatalf("--memory 64M --yes: exit %d\n%s%s", code, out, errOut)
	}
	for _, s := range []string{"cgroup " + cg.Path, memFile, old + " (no limit) → 67108864 (64.0M)", "read back:",
		filepath.Base(memFile), "67108864 (64.0M)"} {
		if !strings.Contains(out, s) {
			t.Errorf("output does not show %q:\n%s", s, out)
		}
	}
	if v := readCgFile(t, memFile); v != "67108864" {
		t.Errorf("%s holds %s after the CLI set 64M", memFile, v)
	}
	if recs := limitAudit(t, audit); len(recs) != 1 || recs[0].Result != "ok" || recs[0].Cgroup != cg.Path || recs[0].Writes[0].New != "67108864" {
		t.Errorf("audit: %+v", recs)
	}

	before := snapFiles(t, memFile, pidsFile)
	refusals := []struct {
		name  string
		stdin string
		args  []string
		code  int
		says  []string
	}{
		{"unparseable", "", []string{"--memory", "12XB", "--yes"}, 2, []string{`--memory "12XB"`, `unknown unit "XB"`}},
		{"bad weight", "", []string{"--cpu-weight", "0", "--yes"}, 2, []string{"--cpu-weight", "1 to 10000"}},
		{"dotdot", "", []string{"--memory", "32M", "--yes"}, 1, []string{`".."`}},
		{"not a terminal", "y\n", []string{"--memory", "32M"}, 1, []string{"not a terminal", "--yes", "nothing was written"}},
		{"read-only", "", []string{"--memory", "32M", "--yes", "--read-only"}, 1, []string{"read-only"}},
	}
	for _, r := range refusals {
		target := cg.Path
		if r.name == "dotdot" {
			target = cg.Path + "/.."
		}
		out, errOut, code := run(r.stdin, append([]string{target, "--audit-log", audit}, r.args...)...)
		if code != r.code {
			t.Errorf("%s: exit %d, want %d\n%s%s", r.name, code, r.code, out, errOut)
		}
		for _, s := range r.says {
			if !strings.Contains(errOut, s) {
				t.Errorf("%s: stderr does not say %q: %q", r.name, s, errOut)
			}
		}
		if r.name == "not a terminal" && !strings.Contains(out, "→ 33554432 (32.0M)") {
			t.Errorf("without --yes the plan is still shown: %q", out)
		}
		checkUnchanged(t, before)
	}
	// Only the ".." refusal was tried on a cgroup and so audited.
	if recs := limitAudit(t, audit); len(recs) != 2 || !strings.HasPrefix(recs[1].Result, "refused: ") {
		t.Errorf("audit after the refusals: %+v", recs)
	}

	out, errOut, code = run("", cg.Path, "--pids", "50", "--dry-run", "--audit-log", audit)
	if code != 0 || !strings.Contains(out, "max (no limit) → 50 (50 pids)") || strings.Contains(out, "read back") {
		t.Errorf("--dry-run: exit %d\n%s%s", code, out, errOut)
	}
	checkUnchanged(t, before)

	// A bare name is a container when there is one by that name, else a top-level cgroup.
	out, errOut, code = run("", strings.TrimPrefix(cg.Path, "/"), "--pids", "50", "--memory", "max", "--yes", "--audit-log", audit)
	if code != 0 || readCgFile(t, pidsFile) != "50" || !strings.Contains(out, "50 (50 pids)") || !strings.Contains(out, "(no limit)") {
		t.Errorf("bare name: exit %d, pids.max %s\n%s%s", code, readCgFile(t, pidsFile), out, errOut)
	}
	if v := readCgFile(t, memFile); v != old {
		t.Errorf("--memory max left %s at %s, want %s", memFile, v, old)
	}
	if recs := limitAudit(t, audit); len(recs) != 3 || recs[2].Result != "ok" || len(recs[2].Writes) != 2 {
		t.Errorf("audit after the last change: %+v", recs)
	}
}

// TestLiveLimitPlanTampered: a plan is data for the user to read; the writer derives each file
// again and writes only what it derived. A plan whose File was changed to another cgroup's file, a
// plan that came back from JSON (what isotop derived is not in it), and one whose hierarchy is not
// a cgroup mount are refused before any write, and nothing changes.
func TestLiveLimitPlanTampered(t *testing.T) {
	cg := liveCgroup(t)
	other := liveCgroup(t)
	cg.SetPIDsMax(t, 1000)
	other.SetPIDsMax(t, 1000)
	h, _ := liveHost(t)
	five := Setting{N: 5}
	plan, err := h.PlanLimit(LimitRequest{Cgroup: cg.Path, PIDs: &five})
	if err != nil {
		t.Fatal(err)
	}
	otherFile := filepath.Join(other.Dirs["pids"], "pids.max")
	before := snapFiles(t, plan.Writes[0].File, otherFile)

	tampered := *plan
	tampered.Writes = slices.Clone(plan.Writes)
	tampered.Writes[0].File = otherFile
	if _, err := h.ApplyLimit(&tampered); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "derived for") {
		t.Errorf("a plan whose File names another cgroup's: %v", err)
	}
	data, _ := json.Marshal(plan)
	var decoded LimitPlan
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	if _, err := h.ApplyLimit(&decoded); !errors.Is(err, ErrRefused) {
		t.Errorf("a plan from JSON: %v", err)
	}
	fake := *plan
	fake.Writes = slices.Clone(plan.Writes)
	dir := t.TempDir()
	fake.Writes[0].mount, fake.Writes[0].File = dir, filepath.Join(dir, fake.Writes[0].group, "pids.max")
	if _, err := h.ApplyLimit(&fake); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "not a cgroup") {
		t.Errorf("a plan on a directory that is not a cgroup mount: %v", err)
	}
	checkUnchanged(t, before)
	// The plan as made still works.
	if _, err := h.ApplyLimit(plan); err != nil || readCgFile(t, plan.Writes[0].File) != "5" {
		t.Errorf("the untouched plan: %v", err)
	}
}
