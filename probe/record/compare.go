package record

import (
	"fmt"
	"strconv"

	"github.com/isotop/isotop/probe"
)

// Compare is what differs between two instants a and b of a recording (or any two snapshots):
// Diff's containers, cgroups, network namespaces, veth peers and limits, and besides namespaces of
// every kind and network links that came or went, and the cgroups whose memory grew or shrank by
// a quarter and at least 1 MiB. The events are at b's time, with Source "compare".
func Compare(a, b *probe.Snapshot) []Event {
	var out []Event
	for _, e := range Diff(a, b) {
		if e.Source == "sample" {
			e.Source = "compare"
			out = append(out, e)
		}
	}
	add := func(kind, object, detail string) {
		out = append(out, Event{Time: b.Taken, Kind: kind, Object: object, Detail: detail, Source: "compare"})
	}
	ns := func(n probe.Namespace) string { return string(n.Type) + ":" + strconv.FormatUint(n.Inode, 10) }
	changes(a.Namespaces, b.Namespaces, ns,
		func(n probe.Namespace) { add("namespace-created", ns(n), n.Command) },
		func(n probe.Namespace) { add("namespace-removed", ns(n), n.Command) }, nil)
	type nsLink struct {
		netns uint64
		link  probe.Link
	}
	links := func(s *probe.Snapshot) []nsLink {
		var out []nsLink
		for _, n := range s.NetNamespaces {
			for _, l := range n.Links {
				out = append(out, nsLink{n.Inode, l})
			}
		}
		return out
	}
	key := func(l nsLink) string { return fmt.Sprintf("netns:%d %s", l.netns, l.link.Name) }
	changes(links(a), links(b), key,
		func(l nsLink) { add("link-created", key(l), l.link.Kind) },
		func(l nsLink) { add("link-removed", key(l), l.link.Kind) }, nil)
	changes(a.Cgroups, b.Cgroups, func(c probe.Cgroup) string { return c.Path }, nil, nil, func(x, y probe.Cgroup) {
		if x.Memory == nil || y.Memory == nil || x.Memory.Current == nil || y.Memory.Current == nil {
			return
		}
		p, q := float64(*x.Memory.Current), float64(*y.Memory.Current)
		if d := q - p; (d >= 1<<20 || d <= -(1<<20)) && (d >= p/4 || d <= -p/4) {
			kind := "memory-grew"
			if d < 0 {
				kind = "memory-shrank"
			}
			add(kind, y.Path, fmt.Sprintf("%.1f MiB → %.1f MiB", p/(1<<20), q/(1<<20)))
		}
	})
	return out
}
