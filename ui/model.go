package ui

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/probe"
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
	Replay   string // the file being replayed, shown in the title
	// Actor makes the changes (enter, limit); nil refuses them all, as read-only mode does.
	Actor actions.Actor
	// AuditLog is the file the Audit view reads, opened by OpenFile (os.Open when nil; read-only
	// mode's files helper otherwise: the log is root's).
	AuditLog string
	OpenFile func(string) (*os.File, error)
	// Tick schedules the next refresh (tea.Tick when nil); tests give one of their own.
	Tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
}

type snapshotMsg struct {
	snap *probe.Snapshot
	err  error
}

type tickMsg struct{}

type overlay int

const (
	noOverlay overlay = iota
	helpOverlay
	explainOverlay
	jumpOverlay
	compareOverlay
	detailOverlay
	// The overlays of actions (actions.go): their keys go to actionKey.
	limitFormOverlay
	planOverlay
	resultOverlay
	hostShellOverlay
	sandboxFormOverlay
)

type place struct {
	view ViewID
	key  string
}

// Model is the root: it routes keys, keeps each view's cursor, filter and sort, and lays out the
// panes. It never does I/O itself: snapshots come as snapshotMsg from a Cmd.
type Model struct {
	src    Source
	opt    Options
	styles Styles

	snap   *probe.Snapshot
	err    error
	built  [numViews]bool // whether tables[v] is of snap: a view's table is built when it is shown
	tables [numViews]Table
	rows   [numViews][]Row // the table's rows after filter and sort

	view      ViewID
	selKey    [numViews]string
	cursor    [numViews]int
	offset    [numViews]int
	filter    [numViews]string
	sortCol   [numViews]int // 0: tree order; n: column n-1
	sortDesc  [numViews]bool
	filtering bool

	history []place
	marks   []string // process keys marked for compare
	over    overlay
	more    More          // of the selected row, while an overlay shows it
	expCol  [numViews]int // the column (value) the explain overlay is on
	paused  bool
	width   int
	height  int
	status  string

	act   actionState
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
	return Model{src: src, opt: opt, styles: NewStyles(opt.Color), width: 80, height: 24, fetching: true}
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

func (m Model) fetch() tea.Cmd {
	src := m.src
	return func() tea.Msg {
		s, err := src()
		return snapshotMsg{s, err}
	}
}

// Init takes the first snapshot.
func (m Model) Init() tea.Cmd { return tea.Batch(m.fetch(), m.loadAudit()) }

// Update handles one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m, cmd, ok := m.actionMsg(msg); ok {
		return m, cmd
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.clamp()
	case snapshotMsg:
		m.fetching = false
		if msg.err != nil {
			m.err = msg.err
		} else {
			m.err = nil
			m.setSnapshot(msg.snap)
		}
		if m.stale {
			m.stale = false
			return m, m.refreshNow()
		}
		return m, m.tick()
	case tickMsg:
		m.ticking = false
		switch {
		case m.paused:
			return m, m.tick()
		case m.fetching:
			return m, nil // its arrival schedules the next tick
		}
		return m, m.refreshNow()
	case tea.KeyPressMsg:
		return m.key(msg.String())
	}
	return m, nil
}

// SetSnapshot shows s (for tests and replays).
func (m *Model) setSnapshot(s *probe.Snapshot) {
	m.snap = s
	m.built = [numViews]bool{}
	m.ensure(m.view)
}

// ensure builds view v's table from the snapshot if it is not yet: only the view on screen is
// built on each refresh (a host has thousands of processes), the others when they are opened.
func (m *Model) ensure(v ViewID) {
	if m.snap == nil || m.built[v] {
		return
	}
	switch v {
	case Namespaces:
		m.tables[v] = NamespaceTable(m.snap)
	case Processes:
		m.tables[v] = ProcessTable(m.snap)
	case Cgroups:
		m.tables[v] = CgroupTable(m.snap)
	case Containers:
		m.tables[v] = ContainerTable(m.snap)
	case Network:
		m.tables[v] = NetworkTable(m.snap)
	case Audit:
		m.tables[v] = AuditTable(m.audit, m.auditOpen, m.opt.AuditLog)
	}
	m.built[v] = true
	m.refresh(v)
}

// refresh applies filter and sort to a view's rows, and keeps the selection on its object.
func (m *Model) refresh(v ViewID) {
	all := m.tables[v].Rows
	f := strings.ToLower(m.filter[v])
	rows := make([]Row, 0, len(all))
	for _, r := range all {
		if f == "" || strings.Contains(strings.ToLower(strings.Join(r.Cells, " ")), f) {
			rows = append(rows, r)
		}
	}
	if c := m.sortCol[v]; c > 0 {
		desc := m.sortDesc[v]
		slices.SortStableFunc(rows, func(a, b Row) int {
			ka, kb := sortKey(a, c-1), sortKey(b, c-1)
			if desc {
				return strings.Compare(kb, ka)
			}
			return strings.Compare(ka, kb)
		})
		for i := range rows {
			rows[i].Depth = 0
		}
	}
	m.rows[v] = rows
	m.cursor[v] = 0
	for i, r := range rows {
		if r.Key == m.selKey[v] {
			m.cursor[v] = i
			break
		}
	}
	m.clampView(v)
}

func sortKey(r Row, c int) string {
	if c < len(r.Sort) && r.Sort[c] != "" {
		return r.Sort[c]
	}
	if c < len(r.Cells) {
		return r.Cells[c]
	}
	return ""
}

func (m *Model) bodyHeight() int { return max(1, m.height-4) }

func (m *Model) clamp() {
	for v := range numViews {
		m.clampView(v)
	}
}

func (m *Model) clampView(v ViewID) {
	n := len(m.rows[v])
	m.cursor[v] = max(0, min(m.cursor[v], n-1))
	if n > 0 {
		m.selKey[v] = m.rows[v][m.cursor[v]].Key
	}
	h := m.bodyHeight() - 1 // the column header
	if m.cursor[v] < m.offset[v] {
		m.offset[v] = m.cursor[v]
	}
	if m.cursor[v] >= m.offset[v]+h {
		m.offset[v] = m.cursor[v] - h + 1
	}
	m.offset[v] = max(0, min(m.offset[v], max(0, n-h)))
}

func (m *Model) selected() *Row {
	rows := m.rows[m.view]
	if m.view == Overview || len(rows) == 0 {
		return nil
	}
	return &rows[m.cursor[m.view]]
}

// goTo opens view v with the object key selected, remembering where we were.
func (m *Model) goTo(v ViewID, key string) {
	m.history = append(m.history, place{m.view, m.selKey[m.view]})
	m.view = v
	m.ensure(v)
	if m.filter[v] != "" { // the target may be filtered out: show it
		m.filter[v] = ""
	}
	m.selKey[v] = key
	m.refresh(v)
	if r := m.selected(); r == nil || r.Key != key {
		m.status = "not in this snapshot: " + key
	}
}

func (m Model) key(k string) (tea.Model, tea.Cmd) {
	m.status = ""
	if m.filtering {
		switch k {
		case "enter":
			m.filtering = false
		case "esc":
			m.filtering, m.filter[m.view] = false, ""
		case "backspace":
			if f := m.filter[m.view]; f != "" {
				m.filter[m.view] = f[:len(f)-1]
			}
		default:
			if len([]rune(k)) == 1 {
				m.filter[m.view] += k
			} else if k == "space" {
				m.filter[m.view] += " "
			}
		}
		m.refresh(m.view)
		return m, nil
	}
	if m.over >= limitFormOverlay {
		return m.actionKey(k)
	}
	if m.over == jumpOverlay && k != "q" && k != "ctrl+c" {
		m.over = noOverlay
		if len(k) == 1 && k[0] >= '1' && k[0] <= '9' {
			if i := int(k[0] - '1'); i < len(m.more.Jumps) {
				m.goTo(m.more.Jumps[i].View, m.more.Jumps[i].Key)
			}
		}
		return m, nil
	}
	if m.over == explainOverlay {
		// ←→ (and h l, tab) move from value to value of the row; e or esc closes.
		n := len(m.tables[m.view].Columns)
		switch k {
		case "right", "l", "tab":
			m.expCol[m.view] = (m.expCol[m.view] + 1) % n
			return m, nil
		case "left", "h", "shift+tab":
			m.expCol[m.view] = (m.expCol[m.view] + n - 1) % n
			return m, nil
		}
	}
	if m.over != noOverlay && k != "q" && k != "ctrl+c" {
		m.over = noOverlay
		return m, nil
	}
	switch k {
	case "q", "ctrl+c":
		return m, tea.Quit
	case "tab":
		m.view = (m.view + 1) % numViews
	case "shift+tab":
		m.view = (m.view + numViews - 1) % numViews
	case "up", "k":
		m.move(-1)
	case "down", "j":
		m.move(1)
	case "pgup":
		m.move(-m.bodyHeight())
	case "pgdown":
		m.move(m.bodyHeight())
	case "home":
		m.move(-len(m.rows[m.view]))
	case "end":
		m.move(len(m.rows[m.view]))
	case "/":
		if m.view != Overview {
			m.filtering = true
		}
	case "s":
		if m.view != Overview {
			m.sortCol[m.view] = (m.sortCol[m.view] + 1) % (len(m.tables[m.view].Columns) + 1)
			m.refresh(m.view)
		}
	case "S":
		m.sortDesc[m.view] = !m.sortDesc[m.view]
		m.refresh(m.view)
	case "space", " ":
		m.paused = !m.paused
	case "enter":
		if r := m.selected(); r != nil {
			m.more = r.More()
			switch len(m.more.Jumps) {
			case 0:
				m.status = "nothing to jump to from here"
			case 1:
				m.goTo(m.more.Jumps[0].View, m.more.Jumps[0].Key)
			default:
				m.over = jumpOverlay
			}
		}
	case "backspace", "left", "h":
		if n := len(m.history); n > 0 {
			p := m.history[n-1]
			m.history = m.history[:n-1]
			m.view, m.selKey[p.view] = p.view, p.key
			m.ensure(p.view)
			m.refresh(p.view)
		}
	case "e":
		if r := m.selected(); r != nil {
			m.more, m.over = r.More(), explainOverlay
		}
	case "i":
		if r := m.selected(); r != nil {
			m.more, m.over = r.More(), detailOverlay
		}
	case "m":
		if r := m.selected(); r != nil && strings.HasPrefix(r.Key, "proc:") {
			if i := slices.Index(m.marks, r.Key); i >= 0 {
				m.marks = slices.Delete(m.marks, i, i+1)
			} else {
				m.marks = append(m.marks, r.Key)
				if len(m.marks) > 2 {
					m.marks = m.marks[1:]
				}
			}
			if len(m.marks) == 2 {
				m.status = "two processes marked: x compares them"
			}
		} else {
			m.status = "m marks processes (in the Processes view) to compare"
		}
	case "x":
		if len(m.marks) == 2 {
			m.over = compareOverlay
		} else {
			m.status = "mark two processes with m first"
		}
	case "E":
		return m.startEnter()
	case "L":
		return m.startLimit()
	case "B":
		return m.startSandbox()
	case "?":
		m.over = helpOverlay
	default:
		for i, vk := range viewKeys {
			if k == vk {
				m.view = ViewID(i)
			}
		}
	}
	m.ensure(m.view)
	if m.view == Audit && (k == viewKeys[Audit] || k == "tab" || k == "shift+tab") {
		return m, m.loadAudit() // other isotops append to it too
	}
	return m, nil
}

func (m *Model) move(d int) {
	m.cursor[m.view] += d
	m.clampView(m.view)
}

// View draws the screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "isotop"
	return v
}

func (m Model) render() string {
	var b strings.Builder
	b.WriteString(m.titleLine())
	b.WriteByte('\n')
	b.WriteString(m.tabsLine())
	b.WriteByte('\n')
	body := m.withSidePane(m.body())
	switch m.over {
	case helpOverlay:
		body = m.box(helpText)
	case explainOverlay:
		body = m.box(m.explainText())
	case jumpOverlay:
		body = m.box(m.jumpText())
	case compareOverlay:
		body = m.box(m.compareText())
	case detailOverlay:
		body = m.box(m.detailText(m.bodyHeight() - 2))
	case limitFormOverlay:
		body = m.box(m.limitFormText())
	case planOverlay:
		body = m.box(m.planText())
	case resultOverlay:
		body = m.box(m.resultText())
	case hostShellOverlay:
		body = m.box(m.hostShellText())
	case sandboxFormOverlay:
		body = m.box(m.sandboxFormText())
	}
	lines := strings.Split(body, "\n")
	h := m.bodyHeight() + 1
	for i := range h {
		if i < len(lines) {
			b.WriteString(fit(lines[i], m.width))
		}
		b.WriteByte('\n')
	}
	b.WriteString(m.statusLine())
	return b.String()
}

func (m Model) titleLine() string {
	t := "isotop"
	if m.snap != nil {
		h := m.snap.Host
		t += fmt.Sprintf(" · %s · %s · cgroup %s · %d procs", Clean(h.Hostname), Clean(h.Kernel), h.CgroupMode, len(m.snap.Processes))
	}
	if m.opt.Replay != "" {
		t += " · replay " + Clean(m.opt.Replay)
	}
	if m.paused {
		t += " · PAUSED"
	}
	out := m.styles.Title.Render(fit(t, m.width-12))
	if m.opt.ReadOnly {
		out += " " + m.styles.Warn.Render("[READ-ONLY]")
	}
	return out
}

// shortViewNames fit the tabs in 80 columns.
var shortViewNames = [...]string{"Over", "NS", "Procs", "Cgroups", "Contnrs", "Net", "Audit"}

func (m Model) tabsLine() string {
	names := viewNames[:]
	if m.width < 90 {
		names = shortViewNames[:]
	}
	var parts []string
	for i := range numViews {
		label := viewKeys[i] + " " + names[i]
		if i == m.view {
			parts = append(parts, m.styles.ActiveTab.Render("["+label+"]"))
		} else {
			parts = append(parts, m.styles.Tab.Render(" "+label+" "))
		}
	}
	return strings.Join(parts, "")
}

func (m Model) statusLine() string {
	switch {
	case m.filtering:
		return fit("/"+Clean(m.filter[m.view])+"▏ (enter keeps, esc clears)", m.width)
	case m.err != nil:
		return m.styles.Warn.Render(fit(Clean("error: "+m.err.Error()), m.width))
	case m.status != "":
		return m.styles.Status.Render(fit(Clean(m.status), m.width))
	}
	s := "↑↓ move ↵ jump ⌫ back / filter e explain i info E enter L limit ? help q quit"
	if f := m.filter[m.view]; f != "" {
		s = "filter: " + Clean(f) + " · " + s
	}
	return m.styles.Dim.Render(fit(s, m.width))
}

func (m Model) box(text string) string {
	return m.styles.Box.Width(min(m.width-2, 100)).Render(text)
}
