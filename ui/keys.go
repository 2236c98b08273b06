package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// binding is a key.Binding with the help screen's words for it; the binding's own Help is what
// the status line and the boxes' hints show ("e", "explain").
type binding struct {
	key.Binding
	long string
}

func bind(keys []string, short, desc, long string) binding {
	return binding{key.NewBinding(key.WithKeys(keys...), key.WithHelp(short, desc)), long}
}

func (b binding) matches(msg tea.KeyPressMsg) bool { return key.Matches(msg, b.Binding) }

// hint is "key desc" for the status line and a box's last line.
func (b binding) hint() string { return b.Help().Key + " " + b.Help().Desc }

// The keymaps: every key isotop reads is one of these bindings, and the help screen and the status
// line are made from them.
type globalKeys struct {
	Quit, ForceQuit, Help, Next, Prev binding
	Views                             [numViews]binding
}

type tableKeys struct {
	Up, Down, PageUp, PageDown, Home, End       binding
	Jump, Back, Filter, ClearFilter             binding
	Sort, Reverse, Explain, Info, Mark, Compare binding
	SortCPU, SortMem, SortTime, Tree, Fold      binding
	Enter, Limit, Sandbox, Pause                binding
}

type promptKeys struct{ Keep, Clear, Delete binding }

// overlayKeys are the keys of the boxes over a view: q and esc close any of them.
type overlayKeys struct {
	Close, Up, Down, PageUp, PageDown, Next, Prev, Pick binding
}

type formKeys struct{ Submit, Cancel, Delete, ClearLine binding }

// timeKeys step through a replayed recording (g/G and t are taken by the views and the tree).
type timeKeys struct{ Prev, Next, PrevEvent, NextEvent, First, Last, Events, Goto, Base, Changes binding }

type planKeys struct{ Apply, Force, Edit, HostShell binding }

var keys = struct {
	global  globalKeys
	table   tableKeys
	prompt  promptKeys
	overlay overlayKeys
	form    formKeys
	plan    planKeys
	time    timeKeys
}{
	global: globalKeys{
		Quit:      bind([]string{"q"}, "q", "quit", "quit (from a view; in a box, q closes the box)"),
		ForceQuit: bind([]string{"ctrl+c"}, "ctrl+c", "quit", "quit, from anywhere"),
		Help:      bind([]string{"?"}, "?", "help", "this help"),
		Next:      bind([]string{"tab"}, "tab", "next view", "the next view"),
		Prev:      bind([]string{"shift+tab"}, "shift+tab", "previous view", "the previous view"),
		Views: [numViews]binding{
			bind([]string{"o"}, "o", "overview", "Overview: the host at a glance"),
			bind([]string{"n"}, "n", "namespaces", "Namespaces, by kind; pid and user namespaces as trees"),
			bind([]string{"p"}, "p", "processes", "Processes, as a tree, with what isolates them"),
			bind([]string{"g"}, "g", "cgroups", "Cgroups: usage against the limits in force"),
			bind([]string{"c"}, "c", "containers", "Containers of every runtime, and isolated trees"),
			bind([]string{"w"}, "w", "network", "netWork: namespaces, links, veth peers, bridges"),
			bind([]string{"a"}, "a", "audit", "Audit: what isotop did and refused, newest first"),
		},
	},
	table: tableKeys{
		Up:          bind([]string{"up", "k"}, "↑↓", "move", "move up"),
		Down:        bind([]string{"down", "j"}, "↓", "down", "move down"),
		PageUp:      bind([]string{"pgup"}, "pgup", "page up", "a page up"),
		PageDown:    bind([]string{"pgdown"}, "pgdown", "page down", "a page down"),
		Home:        bind([]string{"home"}, "home", "first", "the first row"),
		End:         bind([]string{"end"}, "end", "last", "the last row"),
		Jump:        bind([]string{"enter"}, "↵", "jump", "jump from the row to what it relates to (container, cgroup, namespace, peer)"),
		Back:        bind([]string{"backspace", "left", "h"}, "⌫", "back", "back, like a browser's history (also ← h)"),
		Filter:      bind([]string{"/"}, "/", "filter", "filter this view: a cgroup by its path, a row by any of its text (a new filter each time)"),
		ClearFilter: bind([]string{"esc"}, "esc", "clear filter", "clear this view's filter"),
		Sort:        bind([]string{"s"}, "s", "sort", "sort by the next column"),
		Reverse:     bind([]string{"S"}, "S", "reverse", "reverse the sort"),
		SortCPU:     bind([]string{"P"}, "P", "by cpu", "sort by CPU %, the busiest first (as htop; again: reversed)"),
		SortMem:     bind([]string{"M"}, "M", "by memory", "sort by memory (RSS, a cgroup's usage), the largest first"),
		SortTime:    bind([]string{"T"}, "T", "by time", "sort by CPU time used since start, the most first"),
		Tree:        bind([]string{"t"}, "t", "tree/flat", "the tree, or a flat list in the first column's order"),
		Fold:        bind([]string{"-", "+"}, "-", "fold", "fold the selected row's subtree away, or unfold it (- or +)"),
		Explain:     bind([]string{"e"}, "e", "explain", "explain a value: its file, the command that shows it (←→ the next value)"),
		Info:        bind([]string{"i"}, "i", "info", "the selected object in full (pids, maps, parents, limits, peers)"),
		Mark:        bind([]string{"m"}, "m", "mark", "mark a process (two marked: x compares their namespaces)"),
		Compare:     bind([]string{"x"}, "x", "compare", "compare the namespaces of the two marked processes"),
		Enter:       bind([]string{"E"}, "E", "enter", "enter the selected process's or container's namespaces (a shell; exit comes back)"),
		Limit:       bind([]string{"L"}, "L", "limit", "set limits on the selected cgroup or container (shows the writes, asks, reads back)"),
		Sandbox:     bind([]string{"B"}, "B", "sandbox", "start a sandbox shell (isotop sandbox: namespaces, cgroup, overlay root, veth)"),
		Pause:       bind([]string{"space"}, "space", "pause", "pause the refresh"),
	},
	prompt: promptKeys{
		Keep:   bind([]string{"enter"}, "↵", "keeps", "keep the filter and go back to the rows"),
		Clear:  bind([]string{"esc"}, "esc", "clears", "clear the filter"),
		Delete: bind([]string{"backspace"}, "⌫", "deletes", "delete the last character"),
	},
	overlay: overlayKeys{
		Close:    bind([]string{"q", "esc"}, "q/esc", "close", "close the box (any key but its own closes it too)"),
		Up:       bind([]string{"up", "k"}, "↑↓", "scroll", "help and info boxes: scroll up"),
		Down:     bind([]string{"down", "j"}, "↓", "down", "help and info boxes: scroll down"),
		PageUp:   bind([]string{"pgup"}, "pgup", "page up", "scroll a page up"),
		PageDown: bind([]string{"pgdown", "space"}, "pgdown", "page down", "scroll a page down"),
		Next:     bind([]string{"right", "l", "tab"}, "←→", "another value", "explain box: the row's next value"),
		Prev:     bind([]string{"left", "h", "shift+tab"}, "←", "previous value", "explain box: the row's value before"),
		Pick:     bind([]string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}, "1-9", "jump", "jump menu: go to that place"),
	},
	form: formKeys{
		Submit:    bind([]string{"enter"}, "↵", "go on", "forms: go on (show the writes; start the sandbox)"),
		Cancel:    bind([]string{"esc"}, "esc", "cancel", "forms: cancel, nothing is done"),
		Delete:    bind([]string{"backspace"}, "⌫", "delete", "forms: delete the last character"),
		ClearLine: bind([]string{"ctrl+u"}, "ctrl+u", "clear", "forms: clear the line"),
	},
	time: timeKeys{
		Prev:      bind([]string{"["}, "[", "earlier", "replay: the sample before"),
		Next:      bind([]string{"]"}, "]", "later", "replay: the sample after"),
		PrevEvent: bind([]string{"{"}, "{", "event before", "replay: the previous event (the sample after it)"),
		NextEvent: bind([]string{"}"}, "}", "next event", "replay: the next event (the sample after it)"),
		First:     bind([]string{"<"}, "<", "first", "replay: the recording's first instant"),
		Last:      bind([]string{">"}, ">", "last", "replay: the recording's last instant"),
		Goto:      bind([]string{"@"}, "@", "go to", "replay: go to an instant (02:14 in the host's time, -10m, RFC 3339)"),
		Events:    bind([]string{"v"}, "v", "events", "replay: the recording's events (type to filter by container, kind…; enter goes to its instant)"),
		Base:      bind([]string{"b"}, "b", "baseline", "replay: mark this instant (again: clear it); at another, rows new since it show +, changed ~"),
		Changes:   bind([]string{"="}, "=", "changes", "replay: every difference between the baseline and this instant, and the events between them"),
	},
	plan: planKeys{
		Apply:     bind([]string{"y"}, "y", "writes them", "the writes shown: make them"),
		Force:     bind([]string{"f"}, "f", "sets it anyway", "a limit below the usage: set it anyway"),
		Edit:      bind([]string{"e"}, "e", "edits", "back to the form, to change the values"),
		HostShell: bind([]string{"y"}, "y", "host's shell", "no shell in the target: run the host's in its net, pid, uts and ipc namespaces"),
	},
}

// helpSections are the help screen: each keymap under a title, each binding with its long words.
func helpSections() []struct {
	title string
	binds []binding
} {
	g, t, o, f, p := keys.global, keys.table, keys.overlay, keys.form, keys.plan
	return []struct {
		title string
		binds []binding
	}{
		{"views", append(g.Views[:], g.Next, g.Prev)},
		{"rows", []binding{t.Up, t.Down, t.PageUp, t.PageDown, t.Home, t.End, t.Jump, t.Back, t.Filter, t.ClearFilter, t.Sort, t.Reverse,
			t.SortCPU, t.SortMem, t.SortTime, t.Tree, t.Fold, t.Explain, t.Info, t.Mark, t.Compare, t.Pause}},
		{"replay (isotop --replay of a recording)", []binding{keys.time.Prev, keys.time.Next, keys.time.PrevEvent, keys.time.NextEvent, keys.time.First, keys.time.Last, keys.time.Events, keys.time.Goto, keys.time.Base, keys.time.Changes}},
		{"actions", []binding{t.Enter, t.Limit, t.Sandbox, p.Apply, p.Force, p.Edit, p.HostShell}},
		{"boxes and forms", []binding{o.Close, o.Up, o.Down, o.PageUp, o.PageDown, o.Next, o.Prev, o.Pick, f.Submit, f.Cancel, f.Delete,
			f.ClearLine, keys.prompt.Keep, keys.prompt.Clear, keys.prompt.Delete}},
		{"", []binding{g.Help, g.Quit, g.ForceQuit}},
	}
}

// helpLines is the help screen's text.
func helpLines() []string {
	var out []string
	for _, s := range helpSections() {
		if s.title != "" {
			out = append(out, s.title)
		}
		for _, b := range s.binds {
			out = append(out, "  "+padRight(strings.Join(b.Keys(), " "), 14)+" "+b.long)
		}
	}
	return out
}

func padRight(s string, w int) string {
	if n := len([]rune(s)); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// hints joins bindings' hints for a status line or a box's last line.
func hints(bs ...binding) string {
	parts := make([]string, 0, len(bs))
	for _, b := range bs {
		parts = append(parts, b.hint())
	}
	return strings.Join(parts, " · ")
}
