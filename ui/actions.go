package ui

import (
	"errors"
	"fmt"
	"os"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui/render"
)

// The TUI's actions: E enters the selected process's or container's namespaces (the TUI gives
// the terminal to the command through tea.Exec and comes back where it was), L sets limits
// on the selected cgroup or container (a form, then the exact writes to confirm, then the values
// read back), B starts a sandbox, and the Audit view lists what was done. Every step that touches
// the host (planning reads the cgroup, applying writes it, entering opens the namespaces) runs in a
// tea.Cmd through the Actor, which read-only mode replaces with one that refuses.

type (
	// planMsg is a limit plan, or why there is none.
	planMsg struct {
		plan *actions.LimitPlan
		req  actions.LimitRequest
		err  error
	}
	// limitDoneMsg is the result of applying a plan.
	limitDoneMsg struct {
		res *actions.LimitResult
		err error
	}
	// enterReadyMsg is a prepared enter, or why it cannot be.
	enterReadyMsg struct {
		e   *actions.EnterCmd
		req actions.EnterRequest
		err error
	}
	// enterDoneMsg is how the entered command ended.
	enterDoneMsg struct {
		target, result string
	}
	// sandboxReadyMsg is a validated sandbox, or why it cannot be.
	sandboxReadyMsg struct {
		run *actions.SandboxRun
		err error
	}
	// sandboxDoneMsg is how a sandbox ended.
	sandboxDoneMsg struct {
		id   string
		code int
		err  error
	}
	// auditMsg is the audit log as read.
	auditMsg struct {
		recs []actions.AuditRecord
		open map[int]string // actions.Unfinished: intents with no result, by index
		err  error
	}
)

// loadAudit reads the audit log in a Cmd.
func (m Model) loadAudit() tea.Cmd {
	path, open := m.opt.AuditLog, m.opt.OpenFile
	if path == "" {
		return nil
	}
	if open == nil {
		open = os.Open
	}
	return func() tea.Msg {
		recs, _, err := actions.ReadAuditWith(open, path)
		return auditMsg{recs, actions.Unfinished(recs, probe.DefaultFS().ProcessAlive), err}
	}
}

// startEnter prepares an enter of the selected process or container.
func (m *Model) startEnter() tea.Cmd {
	req, ok := m.enterRequest()
	if !ok {
		m.status = keys.table.Enter.Help().Key + " enters a process's or a container's namespaces: select one in Processes or Containers"
		return nil
	}
	return m.prepareEnter(req)
}

func (m Model) prepareEnter(req actions.EnterRequest) tea.Cmd {
	actor := m.opt.Actor
	return func() tea.Msg {
		e, err := actor.Enter(req)
		return enterReadyMsg{e, req, err}
	}
}

// enterRequest is the request that enters the selected row's process, or its container's init.
func (m *Model) enterRequest() (actions.EnterRequest, bool) {
	r, s := m.selected(), m.snap
	if r == nil || s == nil {
		return actions.EnterRequest{}, false
	}
	switch r.Ref.Kind {
	case render.RefProcess:
		for i := range s.Processes {
			if s.Processes[i].PID == r.Ref.PID() {
				return actions.EnterProcess(&s.Processes[i]), true
			}
		}
	case render.RefContainer:
		if c := container(s, r.Ref.Name); c != nil {
			req, err := actions.EnterContainer(s, c)
			return req, err == nil
		}
	}
	return actions.EnterRequest{}, false
}

func container(s *probe.Snapshot, key string) *probe.Container {
	for i := range s.Containers {
		if s.Containers[i].Key() == key {
			return &s.Containers[i]
		}
	}
	return nil
}

// startLimit opens the limit form for the selected cgroup or container.
func (m *Model) startLimit() {
	t, ok := m.limitTarget()
	if !ok {
		m.status = keys.table.Limit.Help().Key + " sets limits: select a cgroup (Cgroups) or a container with a cgroup of its own (Containers)"
		return
	}
	if err := m.opt.Actor.Allowed(); err != nil {
		m.status = err.Error() + ": not limiting " + t.label // the reason first: a long label wraps after it
		return
	}
	m.over = &limitForm{target: t}
}

// limitTarget is the selected row's cgroup, or its container's own.
func (m *Model) limitTarget() (limitTarget, bool) {
	r, s := m.selected(), m.snap
	if r == nil || s == nil {
		return limitTarget{}, false
	}
	var t limitTarget
	switch r.Ref.Kind {
	case render.RefCgroup:
		if r.Ref.Name != "/" {
			t = limitTarget{cgroup: r.Ref.Name, label: "cgroup " + r.Ref.Name}
		}
	case render.RefContainer:
		if c := container(s, r.Ref.Name); c != nil {
			req, err := actions.LimitContainer(c)
			if err != nil {
				return limitTarget{}, false
			}
			t = limitTarget{cgroup: req.Cgroup, label: req.Target}
		}
	}
	if t.cgroup == "" {
		return limitTarget{}, false
	}
	for i := range s.Cgroups {
		if s.Cgroups[i].Path == t.cgroup {
			t.cg = &s.Cgroups[i]
		}
	}
	return t, true
}

func (m Model) planLimit(req actions.LimitRequest) tea.Cmd {
	actor := m.opt.Actor
	return func() tea.Msg {
		p, err := actor.PlanLimit(req)
		return planMsg{p, req, err}
	}
}

func (m Model) applyLimit(p *actions.LimitPlan) tea.Cmd {
	actor := m.opt.Actor
	return func() tea.Msg {
		res, err := actor.ApplyLimit(p)
		return limitDoneMsg{res, err}
	}
}

// startSandbox opens the sandbox form.
func (m *Model) startSandbox() {
	if err := m.opt.Actor.Allowed(); err != nil {
		m.status = err.Error() + ": no sandbox"
		return
	}
	m.over = &sandboxForm{line: line{value: "--net veth --memory 256M --pids 200"}}
}

func (m Model) prepareSandbox(req actions.SandboxRequest) tea.Cmd {
	actor := m.opt.Actor
	return func() tea.Msg {
		run, err := actor.Sandbox(req)
		return sandboxReadyMsg{run, err}
	}
}

// actionMsg handles what the actions' Cmds report.
func (m Model) actionMsg(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case sandboxReadyMsg:
		return m.sandboxReady(msg)
	case sandboxDoneMsg:
		m.status = fmt.Sprintf("sandbox %s ended: exit %d, its cgroup, links and directories removed", msg.id, msg.code)
		if msg.err != nil {
			m.status = "sandbox " + msg.id + ": " + msg.err.Error()
		}
		return m, tea.Batch(m.refreshNow(), m.loadAudit())
	case planMsg:
		if f := m.formOf(); f != nil {
			m.over = &planBox{form: f, plan: msg.plan, req: msg.req, err: msg.err}
		}
		return m, nil
	case limitDoneMsg:
		return m.limitDone(msg)
	case enterReadyMsg:
		return m.enterReady(msg)
	case enterDoneMsg:
		m.status = "back from " + msg.target + ": " + msg.result
		return m, tea.Batch(m.refreshNow(), m.loadAudit())
	case auditMsg:
		m.audit, m.auditOpen, m.auditErr = msg.recs, msg.open, msg.err
		m.views[Audit].built = false
		if m.view == Audit {
			m.ensure(Audit)
		}
	}
	return m, nil
}

// formOf is the limit form behind the box on screen (the form itself, or the plan it made).
func (m *Model) formOf() *limitForm {
	switch o := m.over.(type) {
	case *limitForm:
		return o
	case *planBox:
		return o.form
	}
	return nil
}

func (m Model) sandboxReady(msg sandboxReadyMsg) (tea.Model, tea.Cmd) {
	f, _ := m.over.(*sandboxForm)
	if msg.err != nil {
		if f != nil {
			f.busy, f.err = false, msg.err.Error()
		}
		return m, m.loadAudit()
	}
	m.over = nil
	run := msg.run
	m.status = "sandbox " + run.ID() + " running…"
	return m, tea.Exec(run, func(err error) tea.Msg { return sandboxDoneMsg{run.ID(), run.ExitCode, err} })
}

func (m Model) limitDone(msg limitDoneMsg) (tea.Model, tea.Cmd) {
	label := "cgroup"
	if f := m.formOf(); f != nil {
		label = f.target.label
	}
	out := readBack(msg.res)
	if msg.err != nil {
		m.status = "limit " + label + ": " + msg.err.Error()
		out = append([]string{"failed: " + msg.err.Error(), ""}, out...)
	} else {
		m.status = "limit " + label + ": done, values read back"
	}
	m.over = &resultBox{lines: out}
	return m, tea.Batch(m.refreshNow(), m.loadAudit())
}

func (m Model) enterReady(msg enterReadyMsg) (tea.Model, tea.Cmd) {
	switch {
	case errors.Is(msg.err, actions.ErrNoShell):
		m.over = &hostShellBox{req: msg.req, lines: []string{msg.err.Error()}}
		return m, nil
	case msg.err != nil:
		m.status = "enter: " + msg.err.Error()
		return m, m.loadAudit()
	}
	e := msg.e
	m.status = "entering " + e.Target + "…"
	// tea.Exec, not ExecProcess: EnterCmd.Run takes the terminal back from a shell that made
	// itself the foreground (else the next key read fails and ends the TUI).
	return m, tea.Exec(e, func(err error) tea.Msg {
		return enterDoneMsg{e.Target + ", " + e.Where(), e.Finished(err)}
	})
}
