package render

import (
	"slices"
	"strconv"
	"strings"

	"github.com/isotop/isotop/probe"
)

// ViewID names a view.
type ViewID int

// The views, in Tab order.
const (
	Overview ViewID = iota
	Namespaces
	Processes
	Cgroups
	Containers
	Network
	Audit
	numViews
)

var viewNames = [...]string{"Overview", "Namespaces", "Processes", "Cgroups", "Containers", "Network", "Audit"}

// NumViews is how many views there are.
const NumViews = int(numViews)

func (v ViewID) String() string {
	if v < 0 || v >= numViews {
		return "no view"
	}
	return viewNames[v]
}

// Column is a table column: a title, a minimum width, and whether it takes the spare width.
type Column struct {
	Title string
	Width int
	Flex  bool
	Right bool
	// Keep marks the value an operator came for (used/limit with its ↑, a veth's peer, an
	// action's result): it is as wide as its widest cell and never cut.
	Keep bool
	// Drop is the order in which a narrow terminal hides the column: the highest first; 0 never.
	Drop int
}

// Level says how close a value is to its limit: OK, Warn (80 % or more) or Alarm (95 % or more).
type Level uint8

// The levels of Row.Alert.
const (
	OK Level = iota
	Warn
	Alarm
)

// LevelOf is used against limit: Warn from 80 %, Alarm from 95 %; OK without a limit.
func LevelOf(used, limit float64) Level {
	switch {
	case limit <= 0:
		return OK
	case used >= 0.95*limit:
		return Alarm
	case used >= 0.8*limit:
		return Warn
	}
	return OK
}

// Jump is a cross-link from a row to an object in another view.
type Jump struct {
	Label string
	View  ViewID
	Ref   Ref
}

// Explanation says where one value comes from, for teaching labs.
type Explanation struct {
	Files   []string // the kernel files read (or the interface, such as netlink)
	Command string   // a shell command that shows the same
	Meaning string   // one line on what it means
}

// More is what a row shows on demand: where it links to, where each of its values comes from (one
// Explanation per column), and the object in full for the detail pane. It is built when asked for,
// not on every refresh: a host has thousands of rows and an operator looks at one.
type More struct {
	Jumps   []Jump
	Explain []Explanation
	Detail  []string
}

// Row is one line of a table: its object (kept across refreshes), its cells, its indentation in a
// tree, and what it shows on demand.
type Row struct {
	Ref   Ref
	Cells []string
	Depth int
	// Sort holds a sortable value per column (numbers as zero-padded strings); empty: the cell.
	Sort []string
	// Match is the text a filter looks in; empty: the cells. A cgroup's is its full path.
	Match string
	// Alert is a level per cell (nil: all OK), drawn in colour, or with NO_COLOR as a marker.
	Alert []Level
	// FlatName replaces the tree column's cell out of the tree (sorted, or flat): a cgroup's
	// whole path where the tree showed its last element.
	FlatName string
	// Expand builds what the row shows on demand (More).
	Expand func() More
}

// More builds what the row shows on demand.
func (r *Row) More() More {
	if r.Expand == nil {
		return More{}
	}
	return r.Expand()
}

// Table is a view's columns and rows; TreeCol is the column indented by a row's depth.
type Table struct {
	Columns []Column
	Rows    []Row
	TreeCol int
}

// Num is n as a sortable string: zero-padded to 20 digits.
func Num(n uint64) string {
	const zeros = "00000000000000000000"
	d := strconv.FormatUint(n, 10)
	return zeros[len(d):] + d
}

// kindLetters abbreviates namespace kinds for the isolation column: C I M N P T U u (uts).
var kindLetters = map[probe.NSKind]string{probe.NSCgroup: "C", probe.NSIPC: "I", probe.NSMnt: "M", probe.NSNet: "N",
	probe.NSPID: "P", probe.NSTime: "T", probe.NSUser: "U", probe.NSUTS: "u"}

func isolation(kinds []probe.NSKind) string {
	if len(kinds) == 0 {
		return "-"
	}
	var b strings.Builder
	for _, k := range probe.Kinds {
		if slices.Contains(kinds, k) {
			b.WriteString(kindLetters[k])
		}
	}
	return b.String()
}
