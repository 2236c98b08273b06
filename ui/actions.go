package ui

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/probe"
)

// The TUI's actions: E enters the selected process's or container's namespaces (the TUI gives
// the terminal to the command through tea.Exec and comes back where it was), L sets limits
// on the selected cgroup or container (a form, then the exact writes to confirm, then the values
// read back), and the Audit view lists what was done. Every step that touches the host (planning
// reads the cgroup, applying writes it, entering opens the namespaces) runs in a tea.Cmd through
// the Actor, which read-only mode replaces with one that refuses.

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

// actionState is the state of the action being prepared.
type actionState struct {
	target  limitTarget
	input   string // the limit form's text
	formErr string
	plan    *actions.LimitPlan
	req     actions.LimitRequest
	planErr error
	result  []string // the last action's outcome, shown in its box
	enter   actions.EnterRequest
	busy    bool
}

type limitTarget struct {
	cgroup, label string
	cg            *probe.Cgroup
}

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

func (m *Model) refused(what string, err error) {
	m.status = what + ": " + err.Error()
}

// startEnter prepares an enter of the selected process or container.
func (m Model) startEnter() (tea.Model, tea.Cmd) {
	req, ok := m.enterRequest()
	if !ok {
		m.status = "E enters a process's or a container's namespaces: select one in Processes or Containers"
		return m, nil
	}
	return m, m.prepareEnter(req)
}

func (m Model) prepareEnter(req actions.EnterRequest) tea.Cmd {
	actor := m.opt.Actor
	return func() tea.Msg {
		e, err := actor.Enter(req)
		return enterReadyMsg{e, req, err}
	}
}

// enterRequest is the request that enters the selected row's process, or its container's init.
func (m Model) enterRequest() (actions.EnterRequest, bool) {
	r, s := m.selected(), m.snap
	if r == nil || s == nil {
		return actions.EnterRequest{}, false
	}
	if pid, ok := strings.CutPrefix(r.Key, "proc:"); ok {
		for i := range s.Processes {
			if strconv.Itoa(s.Processes[i].PID) == pid {
				return actions.EnterProcess(&s.Processes[i]), true
			}
		}
	}
	if ck, ok := strings.CutPrefix(r.Key, "ct:"); ok {
		for i := range s.Containers {
			if c := &s.Containers[i]; c.Key() == ck {
				req, err := actions.EnterContainer(s, c)
				return req, err == nil
			}
		}
	}
	return actions.EnterRequest{}, false
}

// startLimit opens the limit form for the selected cgroup or container.
func (m Model) startLimit() (tea.Model, tea.Cmd) {
	t, ok := m.limitTarget()
	if !ok {
		m.status = "L sets limits: select a cgroup (Cgroups) or a container with a cgroup of its own (Containers)"
		return m, nil
	}
	if err := m.opt.Actor.Allowed(); err != nil {
		m.refused("limit "+t.label, err)
		return m, nil
	}
	m.act = actionState{target: t}
	m.over = limitFormOverlay
	return m, nil
}

// limitTarget is the selected row's cgroup, or its container's own.
func (m Model) limitTarget() (limitTarget, bool) {
	r, s := m.selected(), m.snap
	if r == nil || s == nil {
		return limitTarget{}, false
	}
	var t limitTarget
	if p, ok := strings.CutPrefix(r.Key, "cg:"); ok && p != "/" {
		t = limitTarget{cgroup: p, label: "cgroup " + p}
	} else if ck, ok := strings.CutPrefix(r.Key, "ct:"); ok {
		for i := range s.Containers {
			if c := &s.Containers[i]; c.Key() == ck {
				req, err := actions.LimitContainer(c)
				if err != nil {
					return limitTarget{}, false
				}
				t = limitTarget{cgroup: req.Cgroup, label: req.Target}
			}
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

// limitKeys are the names the form takes, each with its flag.
var limitKeys = map[string]string{"memory": "memory", "mem": "memory", "high": "memory-high", "memory-high": "memory-high",
	"cpus": "cpus", "cpu": "cpus", "weight": "cpu-weight", "cpu-weight": "cpu-weight", "pids": "pids"}

// ParseLimitForm reads the limit form's text, "memory=256M cpus=0.5 pids=100 weight=200 high=200M",
// with isotop limit's own flags; pure, so that Update can call it.
func ParseLimitForm(text string) (actions.LimitRequest, error) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return actions.LimitRequest{}, errors.New("type at least one limit, such as memory=256M")
	}
	var args []string
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		name := limitKeys[strings.ToLower(k)]
		if !ok || name == "" {
			return actions.LimitRequest{}, fmt.Errorf("%q: write name=value with name memory, high, cpus, weight or pids", f)
		}
		args = append(args, "--"+name+"="+v)
	}
	fl := flag.NewFlagSet("limit", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	limits := actions.LimitFlags(fl)
	if err := fl.Parse(args); err != nil {
		return actions.LimitRequest{}, err
	}
	return limits()
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
func (m Model) startSandbox() (tea.Model, tea.Cmd) {
	if err := m.opt.Actor.Allowed(); err != nil {
		m.refused("sandbox", err)
		return m, nil
	}
	m.act = actionState{input: "--net veth --memory 256M --pids 200"}
	m.over = sandboxFormOverlay
	return m, nil
}

// ParseSandboxForm reads the sandbox form's text with isotop sandbox's own flags; pure.
func ParseSandboxForm(text string) (actions.SandboxRequest, error) {
	fl := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	build := actions.SandboxFlags(fl)
	args := strings.Fields(text)
	if err := fl.Parse(args); err != nil {
		return actions.SandboxRequest{}, err
	}
	return build(fl.Args())
}

func (m Model) prepareSandbox(req actions.SandboxRequest) tea.Cmd {
	actor := m.opt.Actor
	return func() tea.Msg {
		run, err := actor.Sandbox(req)
		return sandboxReadyMsg{run, err}
	}
}

// actionMsg handles the messages of actions; ok is false for other messages.
func (m Model) actionMsg(msg tea.Msg) (Model, tea.Cmd, bool) {
	switch msg := msg.(type) {
	case sandboxReadyMsg:
		m.act.busy = false
		if msg.err != nil {
			m.act.formErr = msg.err.Error()
			return m, m.loadAudit(), true
		}
		m.over = noOverlay
		run := msg.run
		m.status = "sandbox " + run.ID() + " running…"
		return m, tea.Exec(run, func(err error) tea.Msg { return sandboxDoneMsg{run.ID(), run.ExitCode, err} }), true
	case sandboxDoneMsg:
		m.status = fmt.Sprintf("sandbox %s ended: exit %d, its cgroup, links and directories removed", msg.id, msg.code)
		if msg.err != nil {
			m.status = "sandbox " + msg.id + ": " + msg.err.Error()
		}
		return m, tea.Batch(m.refreshNow(), m.loadAudit()), true
	case planMsg:
		m.act.busy = false
		m.act.plan, m.act.req, m.act.planErr = msg.plan, msg.req, msg.err
		m.over = planOverlay
		return m, nil, true
	case limitDoneMsg:
		m.act.busy = false
		var out []string
		if msg.res != nil {
			for _, rb := range msg.res.ReadBack {
				out = append(out, fmt.Sprintf("%-28s %s (%s)", filepath.Base(rb.File), rb.Value, rb.Human))
			}
		}
		if msg.err != nil {
			m.status = "limit " + m.act.target.label + ": " + msg.err.Error()
			out = append([]string{"failed: " + msg.err.Error(), ""}, out...)
		} else {
			m.status = "limit " + m.act.target.label + ": done, values read back"
		}
		m.act.result = out
		m.over = resultOverlay
		return m, tea.Batch(m.refreshNow(), m.loadAudit()), true
	case enterReadyMsg:
		m.act.busy = false
		switch {
		case errors.Is(msg.err, actions.ErrNoShell):
			m.act.enter = msg.req
			m.act.result = []string{msg.err.Error()}
			m.over = hostShellOverlay
			return m, nil, true
		case msg.err != nil:
			m.refused("enter", msg.err)
			return m, m.loadAudit(), true
		}
		e := msg.e
		m.status = "entering " + e.Target + "…"
		// tea.Exec, not ExecProcess: EnterCmd.Run takes the terminal back from a shell that made
		// itself the foreground (else the next key read fails and ends the TUI).
		return m, tea.Exec(e, func(err error) tea.Msg {
			return enterDoneMsg{e.Target + ", " + e.Where(), e.Finished(err)}
		}), true
	case enterDoneMsg:
		m.status = "back from " + msg.target + ": " + msg.result
		return m, tea.Batch(m.refreshNow(), m.loadAudit()), true
	case auditMsg:
		m.audit, m.auditOpen, m.auditErr = msg.recs, msg.open, msg.err
		m.built[Audit] = false
		if m.view == Audit {
			m.ensure(Audit)
		}
		return m, nil, true
	}
	return m, nil, false
}

// actionKey handles a key while an action's overlay is open.
func (m Model) actionKey(k string) (tea.Model, tea.Cmd) {
	if m.act.busy {
		return m, nil
	}
	switch m.over {
	case sandboxFormOverlay:
		switch k {
		case "esc":
			m.over = noOverlay
		case "enter":
			req, err := ParseSandboxForm(m.act.input)
			if err != nil {
				m.act.formErr = err.Error()
				return m, nil
			}
			m.act.busy, m.act.formErr = true, ""
			return m, m.prepareSandbox(req)
		default:
			m.act.input = edit(m.act.input, k)
		}
		return m, nil
	case limitFormOverlay:
		switch k {
		case "esc":
			m.over = noOverlay
		case "enter":
			req, err := ParseLimitForm(m.act.input)
			if err != nil {
				m.act.formErr = err.Error()
				return m, nil
			}
			req.Cgroup, req.Target = m.act.target.cgroup, m.act.target.label
			m.act.busy, m.act.formErr = true, ""
			return m, m.planLimit(req)
		default:
			m.act.input = edit(m.act.input, k)
		}
		return m, nil
	case planOverlay:
		switch {
		case k == "y" && m.act.plan != nil:
			m.act.busy = true
			return m, m.applyLimit(m.act.plan)
		case k == "f" && errors.Is(m.act.planErr, actions.ErrBelowUsage):
			req := m.act.req
			req.Force = true
			m.act.busy = true
			return m, m.planLimit(req)
		case k == "e":
			m.over = limitFormOverlay // back to the form, to change the values
			return m, nil
		}
		m.over = noOverlay
		m.status = "limit " + m.act.target.label + ": nothing was written"
		return m, nil
	case hostShellOverlay:
		m.over = noOverlay
		if k == "y" {
			req := m.act.enter
			req.HostShell, req.Kinds = true, nil
			m.act.busy = true
			return m, m.prepareEnter(req)
		}
		return m, nil
	}
	m.over = noOverlay
	return m, nil
}

// edit applies a key to a form's line of text.
func edit(text, k string) string {
	switch k {
	case "backspace":
		if r := []rune(text); len(r) > 0 {
			return string(r[:len(r)-1])
		}
	case "space":
		return text + " "
	case "ctrl+u":
		return ""
	default:
		if len([]rune(k)) == 1 {
			return text + k
		}
	}
	return text
}

// sandboxFormText draws the sandbox form.
func (m Model) sandboxFormText() string {
	var b strings.Builder
	b.WriteString("Start a sandbox (isotop sandbox): a shell in new namespaces\n\n")
	b.WriteString("  > " + Clean(m.act.input) + "▏\n\n")
	if m.act.formErr != "" {
		b.WriteString("  " + m.styles.Warn.Render(Clean(m.act.formErr)) + "\n\n")
	}
	b.WriteString("  --memory SIZE --cpus N --pids N --net none|veth --bridge NAME\n")
	b.WriteString("  --rootfs DIR --bind SRC:DST[:ro] --hostname NAME --init --explain\n")
	b.WriteString("  -- cmd args\n")
	b.WriteString("\n(enter starts it, exit comes back; ctrl+u clears; esc cancels)")
	return b.String()
}

// limitFormText draws the limit form.
func (m Model) limitFormText() string {
	t := m.act.target
	var b strings.Builder
	b.WriteString("Set limits on " + Clean(t.label) + "\n\n")
	if cg := t.cg; cg != nil {
		b.WriteString("  now: " + limitsNow(cg) + "\n\n")
	}
	b.WriteString("  > " + Clean(m.act.input) + "▏\n\n")
	if m.act.formErr != "" {
		b.WriteString("  " + m.styles.Warn.Render(Clean(m.act.formErr)) + "\n\n")
	}
	if m.act.busy {
		b.WriteString("  reading the cgroup…\n\n")
	}
	b.WriteString("  memory=256M high=200M cpus=0.5 weight=200 pids=100 (or max)\n")
	b.WriteString("\n(enter shows the writes to confirm, esc cancels)")
	return b.String()
}

// limitsNow is a cgroup's limits in force, from the snapshot.
func limitsNow(cg *probe.Cgroup) string {
	var parts []string
	lim := func(l *probe.Limit) string {
		if l == nil {
			return "-"
		}
		if *l == probe.Unlimited {
			return "max"
		}
		return HumanBytes(uint64(*l))
	}
	if mem := cg.Memory; mem != nil {
		used := "-"
		if mem.Current != nil {
			used = HumanBytes(*mem.Current)
		}
		parts = append(parts, "memory "+used+"/"+lim(mem.Max))
		if mem.High != nil {
			parts = append(parts, "high "+lim(mem.High))
		}
	}
	if c := cg.CPU; c != nil {
		if c.QuotaUsec != nil && c.PeriodUsec != nil && *c.QuotaUsec != probe.Unlimited && *c.PeriodUsec > 0 {
			parts = append(parts, "cpus "+strconv.FormatFloat(float64(*c.QuotaUsec)/float64(*c.PeriodUsec), 'f', -1, 64))
		} else {
			parts = append(parts, "cpus max")
		}
		if c.Weight != nil {
			parts = append(parts, "weight "+strconv.FormatUint(*c.Weight, 10))
		} else if c.Shares != nil {
			parts = append(parts, "shares "+strconv.FormatUint(*c.Shares, 10))
		}
	}
	if p := cg.PIDsCtl; p != nil {
		cur := "-"
		if p.Current != nil {
			cur = strconv.FormatUint(*p.Current, 10)
		}
		max := "max"
		if p.Max != nil && *p.Max != probe.Unlimited {
			max = strconv.FormatUint(uint64(*p.Max), 10)
		}
		parts = append(parts, "pids "+cur+"/"+max)
	}
	return strings.Join(parts, ", ")
}

// planText draws a plan's writes for confirmation, or why there is no plan.
func (m Model) planText() string {
	var b strings.Builder
	if m.act.busy {
		return "working…"
	}
	if err := m.act.planErr; err != nil {
		b.WriteString("Refused, nothing was written\n\n  " + Clean(err.Error()) + "\n\n")
		if errors.Is(err, actions.ErrBelowUsage) {
			b.WriteString("(f sets it anyway, e edits, any other key cancels)")
		} else {
			b.WriteString("(e edits, any other key cancels)")
		}
		return b.String()
	}
	p := m.act.plan
	fmt.Fprintf(&b, "These writes set the limits of %s\n(a cgroup %s host)\n\n", Clean(p.Target), p.Mode)
	for _, w := range p.Writes {
		b.WriteString("  " + Clean(w.File) + "\n")
		fmt.Fprintf(&b, "      %s (%s) → %s (%s)\n", Clean(w.Old), w.OldHuman, Clean(w.New), w.NewHuman)
	}
	for _, n := range p.Notes {
		b.WriteString("  note: " + n + "\n")
	}
	b.WriteString("\n(y writes them, e edits, any other key cancels)")
	return b.String()
}

func (m Model) resultText() string {
	return "Read back after the writes\n\n  " + strings.Join(cleanAll(m.act.result), "\n  ") + "\n\n(any key closes; the Audit view (a) has the record)"
}

func (m Model) hostShellText() string {
	return "No shell to run\n\n  " + strings.Join(cleanAll(m.act.result), "\n  ") +
		"\n\n(y runs the host's shell in its net, pid, uts and ipc namespaces; any other key cancels)"
}

func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = Clean(s)
	}
	return out
}

// AuditTable lists the audit log, newest first. An intent with no result (open, by index: see
// actions.Unfinished) says so in its RESULT: a change whose outcome no one recorded.
func AuditTable(recs []actions.AuditRecord, open map[int]string, path string) Table {
	t := Table{Columns: []Column{{Title: "TIME", Width: 19}, {Title: "WHO", Width: 8}, {Title: "ACTION", Width: 7},
		{Title: "TARGET", Width: 20, Flex: true}, {Title: "CHANGE", Width: 20, Flex: true}, {Title: "RESULT", Width: 10, Flex: true}}}
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		who := "uid " + strconv.Itoa(r.UID)
		if r.SudoUser != "" {
			who = r.SudoUser
		}
		var change []string
		for _, w := range r.Writes {
			change = append(change, filepath.Base(w.File)+" "+w.OldHuman+"→"+w.NewHuman)
		}
		switch r.Action {
		case "enter":
			change = append(change, strings.Join(r.Namespaces, ",")+": "+strings.Join(r.Command, " "))
		case "sandbox":
			change = append(change, strings.Join(r.Command, " "))
		}
		rec, result, why := r, r.Result, open[i]
		switch {
		case strings.HasPrefix(why, "in progress"):
			result = r.Result + ", in progress"
		case why != "":
			result = strings.ToUpper(r.Result) + ", NO RESULT" // the detail says why
		}
		t.Rows = append(t.Rows, Row{
			Key:   "audit:" + strconv.Itoa(i),
			Cells: []string{r.Time.Local().Format("2006-01-02 15:04:05"), who, r.Action, r.Target, strings.Join(change, "; "), result},
			more: func() More {
				d := auditDetail(rec)
				if why != "" {
					d = append(d, "outcome   "+why)
				}
				return More{Explain: auditExplain(path, len(t.Columns)), Detail: d}
			},
		})
	}
	return t
}

func auditExplain(path string, n int) []Explanation {
	e := Explanation{Files: []string{path}, Command: "tail -n 20 " + path,
		Meaning: "one JSON line per action isotop took or refused: who (uid, SUDO_USER, login uid), when, what, the old and new values, the result"}
	out := make([]Explanation, n)
	for i := range out {
		out[i] = e
	}
	return out
}

func auditDetail(r actions.AuditRecord) []string {
	d := []string{"time      " + r.Time.Format("2006-01-02 15:04:05.000 MST"), fmt.Sprintf("uid       %d (pid %d)", r.UID, r.PID)}
	if r.SudoUser != "" {
		d = append(d, "sudo user "+r.SudoUser)
	}
	if r.LoginUID != nil {
		d = append(d, fmt.Sprintf("login uid %d", *r.LoginUID))
	}
	d = append(d, "action    "+r.Action, "target    "+r.Target)
	if r.Cgroup != "" {
		d = append(d, "cgroup    "+r.Cgroup)
	}
	for _, w := range r.Writes {
		d = append(d, "write     "+w.File, fmt.Sprintf("            %s (%s) → %s (%s)", w.Old, w.OldHuman, w.New, w.NewHuman))
	}
	for _, rb := range r.ReadBack {
		d = append(d, fmt.Sprintf("read back %s = %s", filepath.Base(rb.File), rb.Value))
	}
	if len(r.Namespaces) > 0 {
		d = append(d, "entered   "+strings.Join(r.Namespaces, ", "))
	}
	if len(r.Command) > 0 {
		d = append(d, "command   "+strings.Join(r.Command, " "))
	}
	if r.Op != "" {
		d = append(d, "op        "+r.Op+" (its intent and its result share it)")
	}
	return append(d, "result    "+r.Result)
}
