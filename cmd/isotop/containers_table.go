package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/isotop/isotop/probe"
)

// writeContainers prints each container: runtime, name, init pid, processes, image or pod, and
// its network: "host", "none", or each interface with where its veth ends.
func writeContainers(w io.Writer, s *probe.Snapshot) {
	if len(s.Containers) == 0 {
		return
	}
	fmt.Fprintf(w, "\nCONTAINERS\n%-9s %-18s %7s %5s %-18s %s\n", "RUNTIME", "NAME", "PID", "PROCS", "IMAGE/POD", "NETWORK")
	for _, c := range s.Containers {
		what := c.Image
		if c.Pod != nil {
			what = c.Pod.Namespace + "/" + c.Pod.Name
		}
		fmt.Fprintf(w, "%-9s %-18s %7d %5d %-18s %s\n", c.Runtime, truncate(c.Name, 18), c.PID, len(c.PIDs), truncate(what, 18), netCell(c))
	}
}

func netCell(c probe.Container) string {
	if len(c.SharedWith[probe.NSNet]) > 0 {
		return "shares " + strings.Join(c.SharedWith[probe.NSNet], ", ")
	}
	if len(c.Interfaces) == 0 {
		return "none (loopback only)"
	}
	var parts []string
	for _, i := range c.Interfaces {
		s := i.Name
		if len(i.Addrs) > 0 {
			s += " " + i.Addrs[0]
		}
		if i.Peer != nil {
			s += " ↔ " + i.Peer.Name
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
