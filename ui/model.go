package ui

import (
	"os"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui/render"
)

// ViewID names a view; the views are render's.
type ViewID = render.ViewID

// The views, in Tab order.
const (
	Overview   = render.Overview
	Namespaces = render.Namespaces
	Processes  = render.Processes
	Cgroups    = render.Cgroups
	Containers = render.Containers
	Network    = render.Network
	Audit      = render.Audit
	numViews   = ViewID(render.NumViews)
)

// Source gives snapshots: the live host (a probe.Collector) or a replayed file.
type Source func() (*probe.Snapshot, error)

// Options configure the model.
type Options struct {
	Interval time.Duration // between live snapshots; 0 takes one only (replay)
	ReadOnly bool
	// Lockdown says how the kernel enforces read-only mode ("landlock ABI 7, seccomp, …").
	Lockdown string
	Color    bool
	// NoMouse leaves the mouse to the terminal (selecting text); else a click selects a tab or a
	// row and the wheel scrolls.
	NoMouse bool
	Replay  string // the file being replayed, shown in the title
	Remote  string // the remote host's serve, shown in the title
	// Timeline is the recording being replayed, stepped through with [ ] { } < >; the Source
	// gives its instant At.
	Timeline Timeline
	At       int
	// Actor makes the changes (enter, limit); nil refuses them all, as read-only mode does.
	Actor actions.Actor
	// AuditLog is the file the Audit view reads, opened by OpenFile (os.Open when nil; read-only
	// mode's files helper otherwise: the log is root's).
	AuditLog string
	OpenFile func(string) (*os.File, error)
	// Lite gives the snapshots of a screen that shows no process's figures (every view but
	// Processes): probe.Collector.Lite, which does not read every process's stat again; nil: the
	// Source's.
	Lite Source
	// First gives the first screen's snapshot at once (probe.Collector.Quick: the processes,
	// Partial set), the full one being read right after from the Source; nil: the Source's.
	First Source
	// Tick schedules the next refresh (tea.Tick when nil); tests give one of their own.
	Tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
	// Events gives the events v lists when there is no Timeline (a live view): a remote host's
	// recorder's, through its isotop serve --recordings, read in a Cmd; nil: v lists none.
	Events func() (LiveEvents, error)
}

type snapshotMsg struct {
	snap *probe.Snapshot
	err  error
	lite bool // from Options.Lite
}

type tickMsg struct{}

// place is where the history goes back to.
type place struct {
	view ViewID
	ref  render.Ref
}

// Model is the root: it routes messages to the view's table or the box over it, and lays out the
// screen. It never does I/O itself: snapshots and actions come back as messages from Cmds.
type Model struct {
	src    Source
	opt    Options
	styles Styles

	snap  *probe.Snapshot
	err   error
	views [numViews]tableModel
	view  ViewID

	filtering bool // the filter prompt has the keys
	over      overlay
	history   []place
	marks     []render.Ref // processes marked for compare
	paused    bool
	width     int
	height    int
	status    string
	// overviewOff is the Overview's first line on screen (it scrolls).
	overviewOff int
	lite        bool      // the snapshot on screen is a lite one (Options.Lite)
	at          int       // the instant of Options.Timeline on screen
	base        *baseline // the instant marked to compare with (replay)

	audit []actions.AuditRecord
	// auditOpen are the audit's intents with no result, by index into audit.
	auditOpen map[int]string
	auditErr  error

	// One snapshot is read at a time and one refresh tick is pending at most: an action that ends
	// while a snapshot is being read marks it stale (another is read as soon as it comes, so the
	// screen shows what the action did), and a tick that comes meanwhile is dropped: the snapshot's
	// arrival schedules the next one.
	fetching, ticking, stale bool
}

// New returns a model that takes snapshots from src.
func New(src Source, opt Options) Model {
	if opt.Actor == nil {
		opt.Actor = actions.ReadOnly{}
	}
	if opt.Tick == nil {
		opt.Tick = tea.Tick
	}
	// Init reads the first snapshot.
	return Model{src: src, opt: opt, styles: NewStyles(opt.Color), width: 80, height: 24, fetching: true, at: opt.At}
}

// Init takes the first snapshot (the quick one when there is one) and reads the audit log.
func (m Model) Init() tea.Cmd {
	first := fetchFrom(m.src, false)
	if m.opt.First != nil {
		first = fetchFrom(m.opt.First, false)
	}
	return tea.Batch(first, m.loadAudit())
}

// fetch reads a snapshot: a lite one when the view on screen shows no process's figures.
func (m Model) fetch() tea.Cmd {
	if m.opt.Lite != nil && m.view != Processes {
		return fetchFrom(m.opt.Lite, true)
	}
	return fetchFrom(m.src, false)
}

func fetchFrom(src Source, lite bool) tea.Cmd {
	return func() tea.Msg {
		s, err := src()
		return snapshotMsg{s, err, lite}
	}
}

// refreshNow asks for a snapshot (after an action), or marks the one being read stale.
func (m *Model) refreshNow() tea.Cmd {
	if m.fetching {
		m.stale = true
		return nil
	}
	m.fetching = true
	return m.fetch()
}

// tick schedules the next refresh unless one is scheduled.
func (m *Model) tick() tea.Cmd {
	if m.ticking || m.opt.Interval <= 0 {
		return nil
	}
	m.ticking = true
	return m.opt.Tick(m.opt.Interval, func(time.Time) tea.Msg { return tickMsg{} })
}

// Update routes one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		for v := range numViews {
			m.views[v].clamp(m.rowsHigh())
		}
		return m, nil
	case snapshotMsg:
		return m.gotSnapshot(msg)
	case instantMsg:
		if msg.err == nil {
			m.at = msg.i
		}
		return m.gotSnapshot(snapshotMsg{msg.snap, msg.err, false})
	case tickMsg:
		m.ticking = false
		switch {
		case m.paused:
			return m, m.tick()
		case m.fetching:
			return m, nil // its arrival schedules the next tick
		}
		return m, m.refreshNow()
	case liveEventsMsg:
		m.gotLiveEvents(msg)
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.MouseClickMsg:
		return m.click(msg.Mouse())
	case tea.MouseWheelMsg:
		return m.wheel(msg.Mouse())
	}
	return m.actionMsg(msg)
}

func (m Model) gotSnapshot(msg snapshotMsg) (tea.Model, tea.Cmd) {
	m.fetching = false
	if msg.err != nil {
		m.err = msg.err
	} else {
		m.err = nil
		if m.snap != nil && m.snap.Partial == "" && msg.snap.Partial != "" {
			return m, nil // a quick one that came after a full one: nothing to add
		}
		m.setSnapshot(msg.snap)
		m.lite = msg.lite
		if msg.snap.Partial != "" { // the full one at once
			m.fetching = true
			return m, m.fetch()
		}
	}
	if m.stale {
		m.stale = false
		return m, m.refreshNow()
	}
	return m, m.tick()
}

// setSnapshot shows s: the view on screen is built now, the others when they are opened (a host
// has thousands of processes).
func (m *Model) setSnapshot(s *probe.Snapshot) {
	m.snap = s
	for v := range numViews {
		m.views[v].built = false
	}
	m.markChanges()
	m.ensure(m.view)
}

// ensure builds view v's table from the snapshot if it is not yet.
func (m *Model) ensure(v ViewID) {
	t := &m.views[v]
	if m.snap == nil || t.built {
		return
	}
	var tab render.Table
	switch v {
	case Namespaces:
		tab = render.NamespaceTable(m.snap)
	case Processes:
		tab = render.ProcessTable(m.snap)
	case Cgroups:
		tab = render.CgroupTable(m.snap)
	case Containers:
		tab = render.ContainerTable(m.snap)
	case Network:
		tab = render.NetworkTable(m.snap)
	case Audit:
		tab = AuditTable(m.audit, m.auditOpen, m.opt.AuditLog)
	}
	t.setTable(tab, m.rowsHigh())
}

// table is the view on screen's table.
func (m *Model) table() *tableModel { return &m.views[m.view] }

// selected is the row under the cursor of the view on screen (nil in the Overview).
func (m *Model) selected() *render.Row {
	if m.view == Overview {
		return nil
	}
	return m.table().selected()
}

// bodyHeight is the rows between the tabs and the status line; rowsHigh the table rows in it.
func (m *Model) bodyHeight() int { return max(1, m.height-4) }
func (m *Model) rowsHigh() int   { return max(1, m.bodyHeight()-1) }

// show opens view v (building it when needed).
func (m *Model) show(v ViewID) tea.Cmd {
	m.view = v
	m.ensure(v)
	switch {
	case v == Audit:
		return m.loadAudit() // other isotops append to it too
	case v == Processes && m.lite: // its figures at once, not at the next tick
		return m.refreshNow()
	}
	return nil
}

// goTo opens view v with the object selected, remembering where we were.
func (m *Model) goTo(v ViewID, r render.Ref) tea.Cmd {
	m.history = append(m.history, place{m.view, m.table().sel})
	cmd := m.show(v)
	t := m.table()
	t.filter = "" // the target may be filtered out: show it
	if !t.selectRef(r, m.rowsHigh()) {
		m.status = "not in this snapshot: " + r.String()
	}
	return cmd
}

// back goes back to where the last jump came from.
func (m *Model) back() {
	n := len(m.history)
	if n == 0 {
		return
	}
	p := m.history[n-1]
	m.history = m.history[:n-1]
	m.show(p.view)
	m.table().selectRef(p.ref, m.rowsHigh())
}
