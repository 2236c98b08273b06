package actions

import (
	"errors"

	"github.com/isotop/isotop/probe"
)

// Host is the Actor that changes the live host, and audits each change.
type Host struct {
	FS    probe.FS // where /proc is (for the cgroup mounts and the processes entered)
	Audit *AuditLog
}

// Allowed: the host's Actor makes changes.
func (h *Host) Allowed() error { return nil }

// PlanLimit reads the cgroup's current values and returns the writes. A refusal of a request
// that was well-formed (below usage, a vanished cgroup) is audited: someone tried.
func (h *Host) PlanLimit(req LimitRequest) (*LimitPlan, error) {
	plan, err := planLimit(h.FS, req)
	if err != nil && errors.Is(err, ErrRefused) {
		target := req.Target
		if target == "" {
			target = "cgroup " + req.Cgroup
		}
		h.Audit.Append(AuditRecord{Action: "limit", Target: target, Cgroup: req.Cgroup, Result: "refused: " + err.Error()})
	}
	return plan, err
}

// ApplyLimit makes the writes, reads them back, and audits the whole, write-ahead: the intent
// (the planned writes) before the first write, refused when it cannot be written, and the result
// (the writes made, the values read back) after; a limit killed between the two leaves an intent
// with no result, which the Audit view flags.
func (h *Host) ApplyLimit(plan *LimitPlan) (*LimitResult, error) {
	op := NewOp()
	if err := h.Audit.Writable(); err != nil {
		return &LimitResult{Plan: plan}, err
	}
	mounts, _, err := h.FS.CgroupMounts()
	if err != nil {
		return &LimitResult{Plan: plan}, err
	}
	intent := AuditRecord{Action: "limit", Target: plan.Target, Cgroup: plan.Cgroup, Writes: plan.Writes, Result: "intent", Op: op}
	if err := h.Audit.Append(intent); err != nil {
		return &LimitResult{Plan: plan}, refusedf("%w; nothing was written", err)
	}
	res, err := applyLimit(plan, mounts)
	rec := AuditRecord{Action: "limit", Target: plan.Target, Cgroup: plan.Cgroup, Writes: plan.Writes[:res.Written], ReadBack: res.ReadBack, Result: "ok", Op: op}
	if err != nil {
		rec.Result = "failed: " + err.Error()
	}
	if aerr := h.Audit.Append(rec); aerr != nil && err == nil {
		err = aerr
	}
	return res, err
}
