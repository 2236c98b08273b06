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

// ApplyLimit makes the writes, reads them back, and audits the whole.
func (h *Host) ApplyLimit(plan *LimitPlan) (*LimitResult, error) {
	if err := h.Audit.Writable(); err != nil {
		return &LimitResult{Plan: plan}, err
	}
	mounts, _, err := h.FS.CgroupMounts()
	if err != nil {
		return &LimitResult{Plan: plan}, err
	}
	res, err := applyLimit(plan, mounts)
	rec := AuditRecord{Action: "limit", Target: plan.Target, Cgroup: plan.Cgroup, Writes: plan.Writes[:res.Written], ReadBack: res.ReadBack, Result: "ok"}
	if err != nil {
		rec.Result = "failed: " + err.Error()
	}
	if aerr := h.Audit.Append(rec); aerr != nil && err == nil {
		err = aerr
	}
	return res, err
}
