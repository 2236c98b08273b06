package probe

import (
	"net/netip"
	"slices"
)

// linkPods joins each pod's containers to the pod's sandbox and gives every container of a pod
// the pod's addresses. The sandbox is the container whose annotations say so (ociBundle: the
// CRI's container-type, with the sandbox id the pod's other containers name); without
// annotations, the pod's container whose pid 1 is pause and holds the pod's network namespace.
func linkPods(cs []Container, procs []Process, idx map[int]int) {
	pauseSandboxes(cs, procs, idx)
	sandboxes := map[string]int{}
	for i := range cs {
		if cs[i].Sandbox && cs[i].Pod != nil {
			sandboxes[cs[i].ID] = i
		}
	}
	for i := range cs {
		c := &cs[i]
		if c.Pod == nil {
			continue
		}
		if j, ok := sandboxes[c.sandboxID]; ok && !c.Sandbox && c.sandboxID != "" && cs[j].Pod.UID == c.Pod.UID {
			c.PodSandbox = cs[j].Key()
		}
		c.Pod.Addrs = podAddrs(c.Interfaces)
	}
}

// pauseSandboxes finds the sandbox of a pod whose containers carry no CRI annotations (Docker's
// dockershim, a runtime whose files were not read): the pod's container whose pid 1 runs pause,
// the pod's network namespace holder; the pod's containers in that namespace name it their
// sandbox.
func pauseSandboxes(cs []Container, procs []Process, idx map[int]int) {
	annotated := map[string]bool{} // pod uid → a container of it says which is the sandbox
	for i := range cs {
		if c := &cs[i]; c.Pod != nil && (c.Sandbox || c.sandboxID != "") {
			annotated[c.Pod.UID] = true
		}
	}
	for i := range cs {
		s := &cs[i]
		j, ok := idx[s.PID]
		if s.Pod == nil || annotated[s.Pod.UID] || !ok || procs[j].Comm != "pause" {
			continue
		}
		s.Sandbox, s.sandboxID = true, s.ID
		for k := range cs {
			if c := &cs[k]; k != i && c.Pod != nil && c.Pod.UID == s.Pod.UID && c.NetNS == s.NetNS && c.sandboxID == "" {
				c.sandboxID = s.ID
			}
		}
	}
}

// podAddrs are a pod's addresses, from its network namespace's interfaces (loopback is not
// among them): the addresses alone, without their prefix length, IPv4 first, IPv6 link-local
// ones (fe80::, which every interface has) left out.
func podAddrs(ifaces []ContainerIface) []string {
	var v4, v6 []string
	for _, ifc := range ifaces {
		for _, a := range ifc.Addrs {
			p, err := netip.ParsePrefix(a)
			if err != nil {
				if addr, err2 := netip.ParseAddr(a); err2 == nil {
					p = netip.PrefixFrom(addr, addr.BitLen())
				} else {
					continue
				}
			}
			ip := p.Addr()
			switch {
			case ip.IsLoopback() || (ip.Is6() && ip.IsLinkLocalUnicast()):
			case ip.Is4() || ip.Is4In6():
				v4 = appendNew(v4, ip.Unmap().String())
			default:
				v6 = appendNew(v6, ip.String())
			}
		}
	}
	return slices.Concat(v4, v6)
}
