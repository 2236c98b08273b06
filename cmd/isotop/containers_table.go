package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui/render"
)

// writeContainers prints each container as the TUI's Containers view orders and names them (a
// pod's containers under its sandbox, named as the pod): runtime, name, hostname, init, init pid,
// processes, image or pod, and its network (render.ContainerNetwork: a pod's interfaces and IP).
func writeContainers(w io.Writer, s *probe.Snapshot) {
	if len(s.Containers) == 0 {
		return
	}
	// Columns as wide as their widest value: a table read from a file or a pipe cuts nothing.
	fmt.Fprint(w, "\nCONTAINERS\n")
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	defer tw.Flush()
	fmt.Fprintln(tw, "RUNTIME\tNAME\tHOSTNAME\tINIT\tPID\tPROCS\tIMAGE/POD\tNETWORK")
	names := render.NetNames(s)
	byKey := make(map[string]*probe.Container, len(s.Containers))
	for i := range s.Containers {
		byKey[s.Containers[i].Key()] = &s.Containers[i]
	}
	for _, r := range render.ContainerTable(s).Rows {
		c := byKey[r.Ref.Name]
		if c == nil {
			continue
		}
		what := c.Image
		if c.Pod != nil {
			what = c.Pod.Namespace + "/" + c.Pod.Name
		}
		host := c.Hostname
		if host == "" {
			host = "-"
		}
		name := strings.Repeat(" ", r.Depth) + render.ContainerName(c)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", c.Runtime, render.Clean(name), render.Clean(host), render.InitName(c),
			c.PID, len(c.PIDs), render.Clean(what), render.Clean(render.ContainerNetwork(s, c, names)))
	}
}
