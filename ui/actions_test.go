package ui

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui/render"
)

// fakeActor records what the TUI asks of it; its answers are set by each test.
type fakeActor struct {
	plans   []actions.LimitRequest
	applied []*actions.LimitPlan
	enters  []actions.EnterRequest
	boxes   []actions.SandboxRequest
	planErr error
	enterFn func(actions.EnterRequest) (*actions.EnterCmd, error)
}

func (f *fakeActor) Allowed() error                          { return nil }
func (f *fakeActor) CleanupSandboxes(io.Writer) (int, error) { return 0, nil }

func (f *fakeActor) PlanLimit(req actions.LimitRequest) (*actions.LimitPlan, error) {
	f.plans = append(f.plans, req)
	if f.planErr != nil && !req.Force {
		return nil, f.planErr
	}
	return &actions.LimitPlan{Target: req.Target, Cgroup: req.Cgroup, Mode: "v2", Request: req, Writes: []actions.Write{
		{File: "/sys/fs/cgroup" + req.Cgroup + "/memory.max", Old: "max", New: "134217728", OldHuman: "no limit", NewHuman: "128.0M"}}}, nil
}

func (f *fakeActor) ApplyLimit(p *actions.LimitPlan) (*actions.LimitResult, error) {
	f.applied = append(f.applied, p)
	return &actions.LimitResult{Plan: p, Written: 1, ReadBack: []actions.ReadBack{{File: p.Writes[0].File, Value: "134217728", Human: "128.0M"}}}, nil
}

func (f *fakeActor) Enter(req actions.EnterRequest) (*actions.EnterCmd, error) {
	f.enters = append(f.enters, req)
	return f.enterFn(req)
}

func (f *fakeActor) Sandbox(req actions.SandboxRequest) (*actions.SandboxRun, error) {
	f.boxes = append(f.boxes, req)
	return nil, errors.New("not in this test")
}

func actionModel(t *testing.T, a actions.Actor, readOnly bool) Model {
	s := fixtureSnapshot(t)
	m := New(func() (*probe.Snapshot, error) { return s, nil }, Options{Actor: a, ReadOnly: readOnly})
	m.width, m.height = 120, 40
	m.setSnapshot(s)
	return m
}

// run executes a Cmd as the Bubble Tea runtime would and feeds its message back, returning the
// model and the next Cmd.
func run(t *testing.T, m Model, cmd tea.Cmd) (Model, tea.Cmd) {
	t.Helper()
	if cmd == nil {
		t.Fatal("no Cmd: the action did not start")
	}
	nm, next := m.Update(cmd())
	return nm.(Model), next
}

func typeText(m Model, text string) Model {
	for _, r := range text {
		k := string(r)
		if r == ' ' {
			k = "space"
			nm, _ := m.Update(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
			m = nm.(Model)
			continue
		}
		m = press(m, k)
	}
	return m
}

func keyCmd(m Model, k string) (Model, tea.Cmd) {
	var msg tea.KeyPressMsg
	if k == "enter" {
		msg = tea.KeyPressMsg{Code: tea.KeyEnter}
	} else {
		msg = tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
	}
	nm, cmd := m.Update(msg)
	return nm.(Model), cmd
}

func selectRow(t *testing.T, m Model, view ViewID, ref render.Ref) Model {
	t.Helper()
	m.show(view)
	if !m.table().selectRef(ref, m.rowsHigh()) {
		t.Fatalf("no row %s in %s", ref, view)
	}
	return m
}

// TestLimitFlow: L on a cgroup opens the form; the plan and the writes happen only in Cmds (the
// actor is not called from Update); the writes are shown before y applies them; the read back
// is shown after.
func TestLimitFlow(t *testing.T) {
	f := &fakeActor{}
	m := selectRow(t, actionModel(t, f, false), Cgroups, render.CgroupRef("/libpod_parent/libpod-ac0134006db9c1db80b804d3f710a5adbb39e1a78555cece33faf8adb709fb89"))
	m = press(m, "L")
	if !isOver[*limitForm](m) || !strings.Contains(m.render(), "Set limits on cgroup /libpod_parent/") {
		t.Fatalf("L did not open the form:\n%s", m.render())
	}
	if !strings.Contains(m.render(), "now: memory") {
		t.Errorf("the form does not show the limits in force:\n%s", m.render())
	}
	m = typeText(m, "memory=128M pids=10")
	m, cmd := keyCmd(m, "enter")
	if len(f.plans) != 0 {
		t.Fatal("Update called the actor: planning must run in a Cmd")
	}
	m, _ = run(t, m, cmd)
	if len(f.plans) != 1 {
		t.Fatalf("plans asked: %d", len(f.plans))
	}
	req := f.plans[0]
	if req.Cgroup != "/libpod_parent/libpod-ac0134006db9c1db80b804d3f710a5adbb39e1a78555cece33faf8adb709fb89" || req.Memory == nil || req.Memory.N != 128<<20 || req.PIDs == nil || req.PIDs.N != 10 || req.CPUs != nil {
		t.Errorf("request %+v", req)
	}
	screen := m.render()
	if !isOver[*planBox](m) || !strings.Contains(screen, "memory.max") || !strings.Contains(screen, "no limit") || !strings.Contains(screen, "128.0M") {
		t.Fatalf("the plan is not shown:\n%s", screen)
	}
	if len(f.applied) != 0 {
		t.Fatal("applied before the confirmation")
	}
	m, cmd = keyCmd(m, "y")
	m, _ = run(t, m, cmd)
	if len(f.applied) != 1 || !isOver[*resultBox](m) || !strings.Contains(m.render(), "134217728 (128.0M)") {
		t.Fatalf("applied %d, screen:\n%s", len(f.applied), m.render())
	}
}

func TestLimitFormRefusesBadValues(t *testing.T) {
	f := &fakeActor{}
	m := selectRow(t, actionModel(t, f, false), Cgroups, render.CgroupRef("/libpod_parent/libpod-ac0134006db9c1db80b804d3f710a5adbb39e1a78555cece33faf8adb709fb89"))
	m = press(m, "L")
	m = typeText(m, "memory=12XB")
	m, cmd := keyCmd(m, "enter")
	if cmd != nil || len(f.plans) != 0 || !strings.Contains(m.render(), `unknown unit "XB"`) {
		t.Fatalf("a bad value went on (cmd %v, plans %d):\n%s", cmd != nil, len(f.plans), m.render())
	}
	for _, bad := range []string{"cpus=-1", "weight=0", "speed=3", "pids"} {
		if _, err := ParseLimitForm(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestBelowUsageOffersForce: a refusal for being below the usage offers f, which plans again with
// Force; cancelling writes nothing.
func TestBelowUsageOffersForce(t *testing.T) {
	f := &fakeActor{planErr: fmt.Errorf("--memory 1.0M is below the current usage: %w", actions.ErrBelowUsage)}
	m := selectRow(t, actionModel(t, f, false), Cgroups, render.CgroupRef("/libpod_parent/libpod-ac0134006db9c1db80b804d3f710a5adbb39e1a78555cece33faf8adb709fb89"))
	m = typeText(press(m, "L"), "memory=1M")
	m, cmd := keyCmd(m, "enter")
	m, _ = run(t, m, cmd)
	if !strings.Contains(m.render(), "Refused, nothing was written") || !strings.Contains(m.render(), "f sets it anyway") {
		t.Fatalf("no refusal shown:\n%s", m.render())
	}
	m, cmd = keyCmd(m, "f")
	m, _ = run(t, m, cmd)
	if len(f.plans) != 2 || !f.plans[1].Force || !isOver[*planBox](m) {
		t.Fatalf("f did not plan again with Force: %+v", f.plans)
	}
	m = press(m, "n")
	if len(f.applied) != 0 || m.over != nil || !strings.Contains(m.render(), "nothing was written") {
		t.Errorf("cancel applied %d:\n%s", len(f.applied), m.render())
	}
}

// TestEnterFlow: E on a process prepares the enter in a Cmd and hands the terminal over through
// tea.ExecProcess; a target without a shell asks before using the host's.
func TestEnterFlow(t *testing.T) {
	f := &fakeActor{}
	f.enterFn = func(req actions.EnterRequest) (*actions.EnterCmd, error) {
		if !req.HostShell {
			return nil, fmt.Errorf("pid %d has no shell: %w", req.PID, actions.ErrNoShell)
		}
		return &actions.EnterCmd{Cmd: exec.Command("true"), Target: req.Target}, nil
	}
	s := fixtureSnapshot(t)
	p := s.Processes[len(s.Processes)-1]
	m := selectRow(t, actionModel(t, f, false), Processes, render.ProcRef(p.PID))
	m, cmd := keyCmd(m, "E")
	if len(f.enters) != 0 {
		t.Fatal("Update called the actor")
	}
	m, _ = run(t, m, cmd)
	if got := f.enters[0]; got.PID != p.PID || got.StartTicks != p.StartTicks {
		t.Errorf("enter request %+v for pid %d", got, p.PID)
	}
	if !isOver[*hostShellBox](m) || !strings.Contains(m.render(), "host's shell") {
		t.Fatalf("no offer of the host's shell:\n%s", m.render())
	}
	m, cmd = keyCmd(m, "y")
	_, exec := run(t, m, cmd)
	if !f.enters[1].HostShell || exec == nil {
		t.Fatalf("y did not enter with the host's shell: %+v, exec cmd %v", f.enters[1], exec != nil)
	}
}

// TestReadOnlyRefusesEveryAction: with the read-only actor every action says why it is refused,
// and the title says read-only.
func TestReadOnlyRefusesEveryAction(t *testing.T) {
	m := selectRow(t, actionModel(t, actions.ReadOnly{}, true), Cgroups, render.CgroupRef("/libpod_parent/libpod-ac0134006db9c1db80b804d3f710a5adbb39e1a78555cece33faf8adb709fb89"))
	m = press(m, "L")
	if m.over != nil || !strings.Contains(m.status, "read-only mode") {
		t.Errorf("L in read-only mode: %s", m.status)
	}
	m = press(m, "B")
	if m.over != nil || !strings.Contains(m.statusLine(), "read-only") {
		t.Errorf("B in read-only mode: %s", m.statusLine())
	}
	s := fixtureSnapshot(t)
	m = selectRow(t, m, Processes, render.ProcRef(s.Processes[0].PID))
	m, cmd := keyCmd(m, "E")
	m, _ = run(t, m, cmd)
	if !strings.Contains(m.statusLine(), "read-only mode") {
		t.Errorf("E in read-only mode: %s", m.statusLine())
	}
	for _, v := range []string{"o", "n", "p", "g", "c", "w", "a"} {
		if title := strings.SplitN(press(m, v).render(), "\n", 2)[0]; !strings.Contains(title, "[READ-ONLY]") {
			t.Errorf("view %s does not say read-only: %s", v, title)
		}
	}
}

// TestAuditView lists the audit log newest first, with the change and the result.
func TestAuditView(t *testing.T) {
	m := actionModel(t, &fakeActor{}, false)
	recs := []actions.AuditRecord{
		{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), UID: 0, Action: "limit", Target: "cgroup /a", Result: "ok",
			Writes: []actions.Write{{File: "/sys/fs/cgroup/a/pids.max", Old: "max", New: "10", OldHuman: "no limit", NewHuman: "10 pids"}}},
		{Time: time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC), UID: 1000, SudoUser: "alice", Action: "enter", Target: "pid 42 (nginx)",
			Namespaces: []string{"net", "mnt"}, Command: []string{"/bin/sh"}, Result: "exit 0"},
	}
	nm, _ := m.Update(auditMsg{recs: recs})
	m = press(nm.(Model), "a")
	screen := m.render()
	first := strings.Index(screen, "alice")
	second := strings.Index(screen, "pids.max no limit→10 pids")
	if first < 0 || second < 0 || first > second || !strings.Contains(screen, "net,mnt: /bin/sh") {
		t.Fatalf("audit view:\n%s", screen)
	}
}

// TestAuditViewFlagsUnfinished: an intent whose isotop ended before it wrote the result (a
// limit killed between its writes and the audit) says so in the list and in its detail.
func TestAuditViewFlagsUnfinished(t *testing.T) {
	m := actionModel(t, &fakeActor{}, false)
	recs := []actions.AuditRecord{
		{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), PID: 4242, PIDStart: 7, Op: "a1", Action: "limit", Target: "cgroup /a", Result: "intent",
			Writes: []actions.Write{{File: "/sys/fs/cgroup/a/pids.max", Old: "max", New: "10", OldHuman: "no limit", NewHuman: "10 pids"}}},
	}
	open := actions.Unfinished(recs, func(int, uint64) bool { return false })
	nm, _ := m.Update(auditMsg{recs: recs, open: open})
	m = press(nm.(Model), "a")
	screen := m.render()
	if !strings.Contains(screen, "INTENT, NO RESULT") {
		t.Fatalf("the unfinished limit is not flagged:\n%s", screen)
	}
	if detail := strings.Join(m.views[Audit].table.Rows[0].More().Detail, "\n"); !strings.Contains(detail, "outcome   no result: isotop (pid 4242) ended before it wrote one") {
		t.Errorf("detail:\n%s", detail)
	}
}

// TestSandboxFormParses: the sandbox form takes isotop sandbox's options (the same list as the
// CLI's flags) and a command quoted as in a shell; bad input says why.
func TestSandboxFormParses(t *testing.T) {
	req, err := ParseSandboxForm(`--net veth --memory=256M --pids 20 --init --bind /tmp:/mnt:ro -- sh -c 'echo "hi there"; exit 3'`)
	if err != nil {
		t.Fatal(err)
	}
	if req.Net != "veth" || req.Memory == nil || req.Memory.N != 256<<20 || req.PIDs == nil || req.PIDs.N != 20 || !req.Init ||
		len(req.Binds) != 1 || !req.Binds[0].ReadOnly || strings.Join(req.Command, "|") != `sh|-c|echo "hi there"; exit 3` {
		t.Errorf("request %+v, command %q", req, req.Command)
	}
	if req, err := ParseSandboxForm(`sh -c "a b"`); err != nil || strings.Join(req.Command, "|") != "sh|-c|a b" {
		t.Errorf("a command without --: %+v %v", req, err)
	}
	for bad, why := range map[string]string{
		"--speed 3 -- sh":   "unknown option --speed",
		"--memory 12XB":     `unknown unit "XB"`,
		"--memory":          "--memory needs a value",
		"-- sh -c 'unended": "unfinished quote",
	} {
		if _, err := ParseSandboxForm(bad); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%q: %v, want %q", bad, err, why)
		}
	}
}
