package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui/render"
)

// writeNetwork prints each network namespace with its links: kind, state, addresses, the bridge a
// link is on, a bridge's ports, and where the other end of each veth is (↔ namespace:link).
func writeNetwork(w io.Writer, s *probe.Snapshot) {
	if len(s.NetNamespaces) == 0 {
		return
	}
	names := render.NetNames(s)
	fmt.Fprintln(w, "\nNETWORK")
	for _, n := range s.NetNamespaces {
		label := strings.Join(n.Names, ", ")
		if n.Inode == s.Host.NS.Net {
			label = "host"
		}
		fmt.Fprintf(w, "net:[%d] %s, %d processes\n", n.Inode, render.Clean(label), n.Processes)
		for _, l := range n.Links {
			var extra []string
			if len(l.Addrs) > 0 {
				extra = append(extra, strings.Join(l.Addrs, " "))
			}
			if l.Master != "" {
				extra = append(extra, "on "+l.Master)
			}
			if len(l.Ports) > 0 {
				extra = append(extra, "ports "+strings.Join(l.Ports, " "))
			}
			if p := l.Peer; p != nil {
				where := names[p.NetNS]
				if p.NetNS == n.Inode {
					where = "here"
				}
				extra = append(extra, "↔ "+render.Clean(where)+":"+p.Name) // the peer is never cut
			}
			fmt.Fprintf(w, "  %3d %-15s %-8s %-7s %s\n", l.Index, truncate(l.Name, 15), l.Kind, l.State, strings.Join(extra, ", "))
		}
	}
}
