package ui

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui/render"
)

// line is a form's line of text, edited at its end.
type line struct{ value string }

// edit applies a key; false when the key is not an edit.
func (l *line) edit(msg tea.KeyPressMsg) bool {
	f := keys.form
	switch {
	case f.Delete.matches(msg):
		if r := []rune(l.value); len(r) > 0 {
			l.value = string(r[:len(r)-1])
		}
	case f.ClearLine.matches(msg):
		l.value = ""
	default:
		t := printable(msg)
		if t == "" {
			return false
		}
		l.value += t
	}
	return true
}

func (l *line) view() string { return "  > " + render.Clean(l.value) + "▏" }

// limitTarget is what L sets limits on: a cgroup, or a container's own.
type limitTarget struct {
	cgroup, label string
	cg            *probe.Cgroup
}

// limitForm takes the limits: "memory=256M cpus=0.5 pids=100".
type limitForm struct {
	target limitTarget
	line
	err  string
	busy bool
}

func (f *limitForm) update(m *Model, msg tea.KeyPressMsg) (overlay, tea.Cmd) {
	switch {
	case f.busy:
	case keys.form.Cancel.matches(msg):
		return nil, nil
	case keys.form.Submit.matches(msg):
		req, err := ParseLimitForm(f.value)
		if err != nil {
			f.err = err.Error()
			return f, nil
		}
		req.Cgroup, req.Target = f.target.cgroup, f.target.label
		f.busy, f.err = true, ""
		return f, m.planLimit(req)
	default:
		f.edit(msg)
	}
	return f, nil
}

func (f *limitForm) text(m *Model, _, _ int) string {
	var b strings.Builder
	b.WriteString("Set limits on " + render.Clean(f.target.label) + "\n\n")
	if cg := f.target.cg; cg != nil {
		b.WriteString("  now: " + limitsNow(cg) + "\n\n")
	}
	b.WriteString(f.view() + "\n\n")
	if f.err != "" {
		b.WriteString("  " + m.styles.Warn.Render(render.Clean(f.err)) + "\n\n")
	}
	if f.busy {
		b.WriteString("  reading the cgroup…\n\n")
	}
	b.WriteString("  memory=256M high=200M cpus=0.5 weight=200 pids=100 (or max)\n")
	return b.String()
}

func (f *limitForm) hints() string {
	return hints(keys.form.Submit, keys.form.Cancel, keys.form.ClearLine)
}

// ParseLimitForm reads the limit form's text, "memory=256M cpus=0.5 pids=100 weight=200 high=200M",
// with isotop limit's own options (actions.LimitOptions, by name or short name); pure, so that
// Update can call it.
func ParseLimitForm(text string) (actions.LimitRequest, error) {
	var req actions.LimitRequest
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return req, errors.New("type at least one limit, such as memory=256M")
	}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		o, found := actions.FindOption(actions.LimitOptions, strings.ToLower(strings.TrimLeft(k, "-")))
		if !ok || !found {
			return req, fmt.Errorf("%q: write name=value with name memory, high, cpus, weight or pids", actions.Cut(f))
		}
		if err := o.Set(&req, v); err != nil {
			return req, err
		}
	}
	return req, nil
}

// sandboxForm takes isotop sandbox's options and command.
type sandboxForm struct {
	line
	err  string
	busy bool
}

func (f *sandboxForm) update(m *Model, msg tea.KeyPressMsg) (overlay, tea.Cmd) {
	switch {
	case f.busy:
	case keys.form.Cancel.matches(msg):
		return nil, nil
	case keys.form.Submit.matches(msg):
		req, err := ParseSandboxForm(f.value)
		if err != nil {
			f.err = err.Error()
			return f, nil
		}
		f.busy, f.err = true, ""
		return f, m.prepareSandbox(req)
	default:
		f.edit(msg)
	}
	return f, nil
}

func (f *sandboxForm) text(m *Model, _, _ int) string {
	var b strings.Builder
	b.WriteString("Start a sandbox (isotop sandbox): a shell in new namespaces\n\n")
	b.WriteString(f.view() + "\n\n")
	if f.err != "" {
		b.WriteString("  " + m.styles.Warn.Render(render.Clean(f.err)) + "\n\n")
	}
	b.WriteString("  --memory SIZE --cpus N --pids N --net none|veth --bridge NAME\n")
	b.WriteString("  --rootfs DIR --bind SRC:DST[:ro] --hostname NAME --init --explain\n")
	b.WriteString("  -- cmd args ('quotes' as in a shell; exit comes back)\n")
	return b.String()
}

func (f *sandboxForm) hints() string {
	return hints(keys.form.Submit, keys.form.Cancel, keys.form.ClearLine)
}

// ParseSandboxForm reads the sandbox form's text with isotop sandbox's own options
// (actions.SandboxOptions), quoted as in a shell; pure.
func ParseSandboxForm(text string) (actions.SandboxRequest, error) {
	var req actions.SandboxRequest
	args, err := actions.SplitArgs(text)
	if err != nil {
		return req, err
	}
	req.Command, err = actions.ParseArgs(actions.SandboxOptions, &req, args)
	return req, err
}

// planBox shows the exact writes of a limit and asks; or why there are none.
type planBox struct {
	form *limitForm
	plan *actions.LimitPlan
	req  actions.LimitRequest
	err  error
	busy bool
}

func (b *planBox) update(m *Model, msg tea.KeyPressMsg) (overlay, tea.Cmd) {
	p := keys.plan
	switch {
	case b.busy:
		return b, nil
	case p.Apply.matches(msg) && b.plan != nil:
		b.busy = true
		return b, m.applyLimit(b.plan)
	case p.Force.matches(msg) && errors.Is(b.err, actions.ErrBelowUsage):
		req := b.req
		req.Force = true
		b.busy = true
		return b, m.planLimit(req)
	case p.Edit.matches(msg):
		b.form.busy = false
		return b.form, nil
	}
	m.status = "limit " + b.form.target.label + ": nothing was written"
	return nil, nil
}

func (b *planBox) text(*Model, int, int) string {
	var s strings.Builder
	if b.busy {
		return "working…"
	}
	if err := b.err; err != nil {
		s.WriteString("Refused, nothing was written\n\n  " + render.Clean(err.Error()) + "\n")
		return s.String()
	}
	fmt.Fprintf(&s, "These writes set the limits of %s\n(a cgroup %s host)\n\n", render.Clean(b.plan.Target), b.plan.Mode)
	for _, w := range b.plan.Writes {
		s.WriteString("  " + render.Clean(w.File) + "\n")
		fmt.Fprintf(&s, "      %s (%s) → %s (%s)\n", render.Clean(w.Old), w.OldHuman, render.Clean(w.New), w.NewHuman)
	}
	for _, n := range b.plan.Notes {
		s.WriteString("  note: " + n + "\n")
	}
	return s.String()
}

func (b *planBox) hints() string {
	p := keys.plan
	switch {
	case b.err != nil && errors.Is(b.err, actions.ErrBelowUsage):
		return hints(p.Force, p.Edit) + ", any other key cancels"
	case b.err != nil:
		return hints(p.Edit) + ", any other key cancels"
	}
	return hints(p.Apply, p.Edit) + ", any other key cancels"
}

// resultBox is an action's outcome: the values read back.
type resultBox struct{ lines []string }

func (*resultBox) update(*Model, tea.KeyPressMsg) (overlay, tea.Cmd) { return nil, nil }

func (b *resultBox) text(*Model, int, int) string {
	return "Read back after the writes\n\n  " + strings.Join(cleanAll(b.lines), "\n  ") + "\n"
}

func (*resultBox) hints() string {
	return "any key closes; the Audit view (" + keys.global.Views[Audit].Help().Key + ") has the record"
}

// hostShellBox offers the host's shell for a target that has none.
type hostShellBox struct {
	req   actions.EnterRequest
	lines []string
}

func (b *hostShellBox) update(m *Model, msg tea.KeyPressMsg) (overlay, tea.Cmd) {
	if keys.plan.HostShell.matches(msg) {
		req := b.req
		req.HostShell, req.Kinds = true, nil
		return nil, m.prepareEnter(req)
	}
	return nil, nil
}

func (b *hostShellBox) text(*Model, int, int) string {
	return "No shell to run\n\n  " + strings.Join(cleanAll(b.lines), "\n  ") + "\n"
}

func (*hostShellBox) hints() string {
	return hints(keys.plan.HostShell) + " in its net, pid, uts and ipc namespaces; any other key cancels"
}

func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = render.Clean(s)
	}
	return out
}

// readBack is a limit's result as lines.
func readBack(res *actions.LimitResult) []string {
	var out []string
	if res != nil {
		for _, rb := range res.ReadBack {
			out = append(out, fmt.Sprintf("%-28s %s (%s)", filepath.Base(rb.File), rb.Value, rb.Human))
			if rb.Note != "" {
				out = append(out, "  "+rb.Note)
			}
		}
	}
	return out
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
		return render.Bytes(uint64(*l))
	}
	if mem := cg.Memory; mem != nil {
		used := "-"
		if mem.Current != nil {
			used = render.Bytes(*mem.Current)
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
		cur, max := "-", "max"
		if p.Current != nil {
			cur = strconv.FormatUint(*p.Current, 10)
		}
		if p.Max != nil && *p.Max != probe.Unlimited {
			max = strconv.FormatUint(uint64(*p.Max), 10)
		}
		parts = append(parts, "pids "+cur+"/"+max)
	}
	return strings.Join(parts, ", ")
}
