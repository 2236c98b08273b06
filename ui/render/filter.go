package render

import "strings"

// Filtered is a row a filter lets through: a match, or (Context) the ancestor of one in a tree,
// shown so that a match is seen where it is.
type Filtered struct {
	Row
	Context bool
}

// Filter returns the rows that match query (case-insensitive, in the row's Match, else its
// cells joined; "" matches all), in their order. In a tree (rows in tree order, Depth their
// nesting), each match comes with its ancestors as context: filtering the cgroups for "web"
// shows /machine.slice above /machine.slice/web.
func Filter(rows []Row, query string, tree bool) []Filtered {
	q := strings.ToLower(query)
	out := make([]Filtered, 0, len(rows))
	if q == "" {
		for _, r := range rows {
			out = append(out, Filtered{Row: r})
		}
		return out
	}
	// The path from the root to the row at hand: indexes into rows, and whether each is out.
	var stack []int
	in := map[int]bool{}
	for i, r := range rows {
		for len(stack) > 0 && rows[stack[len(stack)-1]].Depth >= r.Depth {
			stack = stack[:len(stack)-1]
		}
		text := r.Match
		if text == "" {
			text = strings.Join(r.Cells, " ")
		}
		if strings.Contains(strings.ToLower(text), q) {
			if tree {
				for _, a := range stack {
					if !in[a] {
						in[a] = true
						out = append(out, Filtered{Row: rows[a], Context: true})
					}
				}
			}
			in[i] = true
			out = append(out, Filtered{Row: r})
		}
		stack = append(stack, i)
	}
	return out
}
