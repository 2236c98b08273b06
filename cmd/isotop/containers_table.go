package main

import (
	"fmt"
	"io"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui/render"
)

// writeContainers prints each container: runtime, name, init pid, processes, image or pod, and
// its network (render.ContainerNetwork, as the TUI shows it).
func writeContainers(w io.Writer, s *probe.Snapshot) {
	if len(s.Containers) == 0 {
		return
	}
	fmt.Fprintf(w, "\nCONTAINERS\n%-9s %-18s %7s %5s %-18s %s\n", "RUNTIME", "NAME", "PID", "PROCS", "IMAGE/POD", "NETWORK")
	names := render.NetNames(s)
	for i := range s.Containers {
		c := &s.Containers[i]
		what := c.Image
		if c.Pod != nil {
			what = c.Pod.Namespace + "/" + c.Pod.Name
		}
		fmt.Fprintf(w, "%-9s %-18s %7d %5d %-18s %s\n", c.Runtime, truncate(c.Name, 18), c.PID, len(c.PIDs), truncate(what, 18), render.ContainerNetwork(s, c, names))
	}
}
