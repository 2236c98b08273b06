package main

import (
	"fmt"
	"io"
	"strings"

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
	fmt.Fprintf(w, "\nCONTAINERS\n%-9s %-22s %-14s %-10s %7s %5s %-18s %s\n", "RUNTIME", "NAME", "HOSTNAME", "INIT", "PID", "PROCS", "IMAGE/POD", "NETWORK")
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
		fmt.Fprintf(w, "%-9s %-22s %-14s %-10s %7d %5d %-18s %s\n", c.Runtime, truncate(name, 22), truncate(host, 14), render.InitName(c),
			c.PID, len(c.PIDs), truncate(what, 18), render.ContainerNetwork(s, c, names))
	}
}
