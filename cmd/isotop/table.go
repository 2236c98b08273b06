package main

import (
	"fmt"
	"io"
	"os/user"
	"strconv"
	"strings"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui/render"
)

// escaper shows the control characters that reach it escaped, except the table's own newlines: a
// field that render.Clean missed still cannot move the cursor or retitle the terminal.
type escaper struct{ w io.Writer }

func (e escaper) Write(p []byte) (int, error) {
	lines := strings.Split(string(p), "\n")
	for i := range lines {
		lines[i] = render.Clean(lines[i])
	}
	if _, err := io.WriteString(e.w, strings.Join(lines, "\n")); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeTable prints the namespaces grouped by kind, like lsns, with what lsns leaves out: the
// namespaces no process is in (bind mounts, owners, parents), each user namespace's id map and owner,
// and the parent of pid and user namespaces.
func writeTable(out io.Writer, s *probe.Snapshot) {
	w := escaper{out}
	fmt.Fprintf(w, "host %s, kernel %s: %d processes, %d namespaces\n", render.Clean(s.Host.Hostname), render.Clean(s.Host.Kernel), len(s.Processes), len(s.Namespaces))
	fmt.Fprintf(w, "host namespaces (the reference for isolation) from %s\n", render.Clean(s.Host.NSFrom))
	procs := make(map[int]*probe.Process, len(s.Processes))
	for i := range s.Processes {
		procs[s.Processes[i].PID] = &s.Processes[i]
	}
	users := map[int]string{}
	userName := func(uid int) string {
		if n, ok := users[uid]; ok {
			return n
		}
		n := strconv.Itoa(uid)
		if u, err := user.LookupId(n); err == nil {
			n = u.Username
		}
		users[uid] = n
		return n
	}
	for _, kind := range probe.Kinds {
		header := false
		for _, ns := range s.Namespaces {
			if ns.Type != kind {
				continue
			}
			if !header {
				fmt.Fprintf(w, "\n%s\n%10s %6s %7s %-8s %s\n", strings.ToUpper(string(kind)), "NS", "NPROCS", "PID", "USER", "COMMAND / HELD BY")
				header = true
			}
			pid, owner := "-", "-"
			if p := procs[ns.PID]; p != nil {
				pid, owner = strconv.Itoa(p.PID), userName(p.UID)
			}
			fmt.Fprintf(w, "%10d %6d %7s %-8s %s\n", ns.Inode, ns.Processes, pid, truncate(owner, 8), heldBy(ns, s.Host.NS.User))
		}
	}
	writeContainers(w, s)
	writeNetwork(w, s)
	writeCgroups(w, s)
	if len(s.CgroupEvents) > 0 {
		fmt.Fprintln(w, "\nCGROUP EVENTS")
		for _, e := range s.CgroupEvents {
			fmt.Fprintf(w, "  %s %s %s ×%d (%s)\n", e.Time.Format("15:04:05"), render.Clean(e.Cgroup), e.Event, e.Count, e.Source)
		}
	}
	if len(s.Errors) > 0 {
		things := "things"
		if len(s.Errors) == 1 {
			things = "thing"
		}
		fmt.Fprintf(w, "\n%d %s could not be read (partial data):\n", len(s.Errors), things)
		for i, e := range s.Errors {
			if i == 20 {
				fmt.Fprintf(w, "  … and %d more (see --json)\n", len(s.Errors)-i)
				break
			}
			fmt.Fprintf(w, "  %s: %s\n", render.Clean(e.Path), render.Clean(e.Error))
		}
	}
}

func heldBy(ns probe.Namespace, hostUser uint64) string {
	var parts []string
	if ns.Command != "" {
		parts = append(parts, truncate(ns.Command, 40)) // keeps a plain row within 80 columns
	}
	for _, m := range ns.Mounts {
		parts = append(parts, "mount "+render.Clean(m))
	}
	if ns.Processes == 0 && len(ns.ForChildren) > 0 {
		parts = append(parts, fmt.Sprintf("pid %d's children's", ns.ForChildren[0]))
	}
	if ns.Type == probe.NSUser {
		for _, r := range ns.UIDMap {
			if r.Inside == 0 && r.Outside == 0 && r.Count == 4294967295 {
				continue // the initial user namespace's identity map says nothing
			}
			parts = append(parts, fmt.Sprintf("uid %d→%d (%d)", r.Inside, r.Outside, r.Count))
		}
		if ns.OwnerUID != nil && *ns.OwnerUID != 0 {
			parts = append(parts, fmt.Sprintf("created by uid %d", *ns.OwnerUID))
		}
	}
	if ns.Parent != nil {
		parts = append(parts, fmt.Sprintf("parent %d", *ns.Parent))
	}
	if ns.OwnerUserNS != nil && *ns.OwnerUserNS != hostUser {
		parts = append(parts, fmt.Sprintf("owned by user ns %d", *ns.OwnerUserNS))
	}
	if len(parts) == 0 {
		return "(no process; referenced as owner or parent)"
	}
	return strings.Join(parts, ", ")
}

func truncate(s string, n int) string {
	s = render.Clean(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
