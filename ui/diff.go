package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/record"
	"github.com/isotop/isotop/ui/render"
)

// baseline is the instant of a replay marked to compare with (b): the views then mark the rows
// that are new since it (+) or changed (~), and = lists every difference, as isotop diff prints
// them, with the events recorded between the two instants.
type baseline struct {
	at   int
	snap *probe.Snapshot
}

// Row marks against the baseline.
const (
	markNew     = '+'
	markChanged = '~'
)

// rowChanges marks the objects of b that are not in a (+) or that changed since a (~): processes
// (a pid with another start is another process; one that changed its cgroup or a namespace),
// namespaces, cgroups (their own limits, or memory that grew or shrank by a quarter and 1 MiB),
// containers (restarted: another first process), network namespaces, and links (a veth whose peer changed).
func rowChanges(a, b *probe.Snapshot) map[render.Ref]byte {
	out := map[render.Ref]byte{}
	procChanges(a, b, out)
	cgroupChanges(a, b, out)
	netChanges(a, b, out)
	return out
}

func procChanges(a, b *probe.Snapshot, out map[render.Ref]byte) {
	procs := make(map[int]*probe.Process, len(a.Processes))
	for i := range a.Processes {
		procs[a.Processes[i].PID] = &a.Processes[i]
	}
	for _, p := range b.Processes {
		switch q := procs[p.PID]; {
		case q == nil || q.StartTicks != p.StartTicks:
			out[render.ProcRef(p.PID)] = markNew
		case q.Cgroup != p.Cgroup || q.Namespaces != p.Namespaces || !slices.Equal(q.Cmdline, p.Cmdline):
			out[render.ProcRef(p.PID)] = markChanged
		}
	}
	type nsKey struct {
		kind probe.NSKind
		ino  uint64
	}
	nss := map[nsKey]bool{}
	for _, n := range a.Namespaces {
		nss[nsKey{n.Type, n.Inode}] = true
	}
	for _, n := range b.Namespaces {
		if !nss[nsKey{n.Type, n.Inode}] {
			out[render.NSRef(n.Type, n.Inode)] = markNew
		}
	}
}

func cgroupChanges(a, b *probe.Snapshot, out map[render.Ref]byte) {
	cgs := make(map[string]*probe.Cgroup, len(a.Cgroups))
	for i := range a.Cgroups {
		cgs[a.Cgroups[i].Path] = &a.Cgroups[i]
	}
	changedOnes := map[string]bool{}
	for _, e := range record.Compare(a, b) {
		if e.Kind == "limit-changed" || e.Kind == "memory-grew" || e.Kind == "memory-shrank" {
			changedOnes[e.Object] = true
		}
	}
	for _, c := range b.Cgroups {
		switch {
		case cgs[c.Path] == nil:
			out[render.CgroupRef(c.Path)] = markNew
		case changedOnes[c.Path]:
			out[render.CgroupRef(c.Path)] = markChanged
		}
	}
	ctrs := map[string]int{}
	for _, c := range a.Containers {
		ctrs[c.Runtime+":"+c.ID] = c.PID
	}
	for _, c := range b.Containers {
		key := c.Runtime + ":" + c.ID
		switch pid, ok := ctrs[key]; {
		case !ok:
			out[render.ContainerRef(key)] = markNew
		case pid != c.PID: // restarted
			out[render.ContainerRef(key)] = markChanged
		}
	}
}

func netChanges(a, b *probe.Snapshot, out map[render.Ref]byte) {
	type linkKey struct {
		netns uint64
		name  string
	}
	nets, links := map[uint64]bool{}, map[linkKey]string{}
	peer := func(l probe.Link) string {
		if l.Peer == nil {
			return ""
		}
		return fmt.Sprint(l.Peer.NetNS, l.Peer.Name)
	}
	for _, n := range a.NetNamespaces {
		nets[n.Inode] = true
		for _, l := range n.Links {
			links[linkKey{n.Inode, l.Name}] = peer(l)
		}
	}
	for _, n := range b.NetNamespaces {
		if !nets[n.Inode] {
			out[render.NetRef(n.Inode)] = markNew
		}
		for _, l := range n.Links {
			switch p, ok := links[linkKey{n.Inode, l.Name}]; {
			case !ok:
				out[render.LinkRef(n.Inode, l.Index)] = markNew
			case p != peer(l):
				out[render.LinkRef(n.Inode, l.Index)] = markChanged
			}
		}
	}
}

// baselineKey marks the instant on screen as the baseline, or clears the one marked.
func (m *Model) baselineKey() {
	tl := m.opt.Timeline
	if m.base != nil {
		m.base = nil
		m.status = "no baseline: the views no longer mark changes"
	} else {
		m.base = &baseline{at: m.at, snap: m.snap}
		m.status = "baseline " + tl.Time(m.at).In(tl.Zone()).Format("15:04:05") + ": step to another instant; rows new since it show +, changed ~; " +
			keys.time.Changes.Help().Key + " lists every change"
	}
	m.markChanges()
}

// markChanges gives the views the marks of the snapshot on screen against the baseline.
func (m *Model) markChanges() {
	var marks map[render.Ref]byte
	if m.base != nil && m.snap != nil && m.base.at != m.at {
		marks = rowChanges(m.base.snap, m.snap)
	}
	for v := range numViews {
		m.views[v].marks = marks
	}
}

// baselineTitle is the title's part for the baseline: its time, and how many rows are marked.
func (m Model) baselineTitle() string {
	if m.base == nil || m.opt.Timeline == nil {
		return ""
	}
	tl := m.opt.Timeline
	t := " · vs " + tl.Time(m.base.at).In(tl.Zone()).Format("15:04:05")
	if m.base.at == m.at {
		return t + " (the baseline)"
	}
	var n, c int
	for _, mk := range m.views[m.view].marks {
		if mk == markNew {
			n++
		} else {
			c++
		}
	}
	return t + fmt.Sprintf(" (+%d ~%d)", n, c)
}

// changesBox lists what differs between the baseline and the instant on screen, as isotop diff
// prints it, then the events recorded between them (what came and went in between).
type changesBox struct{ scroller }

func (b *changesBox) update(m *Model, msg tea.KeyPressMsg) (overlay, tea.Cmd) {
	if b.key(msg, m.bodyHeight()-4) {
		return b, nil
	}
	return nil, nil
}

func (b *changesBox) text(m *Model, width, height int) string {
	return b.window(changeLines(m), width, height)
}

func (b *changesBox) hints() string {
	return hints(keys.overlay.Up, keys.overlay.Close) + ", any other key too"
}

func changeLines(m *Model) []string {
	tl := m.opt.Timeline
	if m.base == nil {
		return []string{"No baseline", "", "Press " + keys.time.Base.Help().Key + " at an instant to mark it, then step to another: the views mark what changed."}
	}
	a, b := m.base.snap, m.snap
	ta, tb := tl.Time(m.base.at), tl.Time(m.at)
	if m.base.at > m.at {
		a, b, ta, tb = b, a, tb, ta
	}
	clock := func(t time.Time) string { return t.In(tl.Zone()).Format("2006-01-02 15:04:05 -07:00") }
	out := []string{fmt.Sprintf("From %s to %s", clock(ta), clock(tb)), ""}
	diffs := record.Compare(a, b)
	if len(diffs) == 0 {
		out = append(out, "no difference between the two samples")
	}
	for _, e := range diffs {
		out = append(out, strings.TrimSpace(e.Kind+"  "+render.Clean(e.Object)+"  "+render.Clean(e.Detail)))
	}
	var between []string
	for _, e := range tl.EventList() {
		if e.Time.After(ta) && !e.Time.After(tb) {
			between = append(between, e.Time.In(tl.Zone()).Format("15:04:05")+"  "+strings.TrimSpace(e.Kind+"  "+render.Clean(e.Object)+"  "+render.Clean(e.Detail)+"  ("+e.Source+")"))
		}
	}
	out = append(out, "", fmt.Sprintf("The events recorded between them (%d)", len(between)))
	return append(out, between...)
}
