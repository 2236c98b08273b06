package actions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/isotop/isotop/probe"
)

// ErrAmbiguous is the refusal of a name or an id prefix that more than one container has.
var ErrAmbiguous = fmt.Errorf("ambiguous: %w", ErrRefused)

// FindContainer finds a container of a snapshot by "runtime:id", by name or id, or by a prefix
// of its id (at least 4 characters, as docker and podman take them). A name two containers share
// (a Docker and a Podman "web") is refused with both, as an ambiguous prefix is: isotop does not
// pick one for the operator.
func FindContainer(s *probe.Snapshot, name string) (*probe.Container, error) {
	var exact, prefix []*probe.Container
	for i := range s.Containers {
		c := &s.Containers[i]
		switch {
		case c.Key() == name:
			return c, nil
		case c.Name == name || c.ID == name:
			exact = append(exact, c)
		case len(name) >= 4 && strings.HasPrefix(c.ID, name):
			prefix = append(prefix, c)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], nil
	case len(exact) > 1:
		return nil, &classified{fmt.Errorf("%q names %d containers: %s; give runtime:id", cut(name), len(exact), containerList(exact)), ErrAmbiguous}
	case len(prefix) == 1:
		return prefix[0], nil
	case len(prefix) > 1:
		return nil, &classified{fmt.Errorf("%q is the start of the ids of %d containers: %s; give more of it", cut(name), len(prefix), containerList(prefix)), ErrAmbiguous}
	}
	return nil, refusedf("no container named %q and none whose id starts with it (isotop snapshot lists CONTAINERS)", cut(name))
}

// containerList names containers as "runtime:id (name)", sorted.
func containerList(cs []*probe.Container) string {
	var names []string
	for _, c := range cs {
		names = append(names, c.Key()+" ("+c.Name+")")
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// ContainerInit is a container's init process in the snapshot.
func ContainerInit(s *probe.Snapshot, c *probe.Container) (*probe.Process, error) {
	for i := range s.Processes {
		if s.Processes[i].PID == c.PID {
			return &s.Processes[i], nil
		}
	}
	return nil, refusedf("container %s (%s) has no process in this snapshot", c.Name, c.Key())
}

// EnterContainer is the request that enters container c of snapshot s: its init, as the snapshot
// saw it (a pid reused since is refused).
func EnterContainer(s *probe.Snapshot, c *probe.Container) (EnterRequest, error) {
	p, err := ContainerInit(s, c)
	if err != nil {
		return EnterRequest{}, err
	}
	return EnterRequest{PID: p.PID, StartTicks: p.StartTicks, Target: fmt.Sprintf("container %s (%s, pid %d)", c.Name, c.Key(), c.PID)}, nil
}

// EnterProcess is the request that enters process p as the snapshot saw it.
func EnterProcess(p *probe.Process) EnterRequest {
	return EnterRequest{PID: p.PID, StartTicks: p.StartTicks, Target: fmt.Sprintf("pid %d (%s)", p.PID, p.Comm)}
}

// LimitContainer is the request that sets limits on container c's own cgroup.
func LimitContainer(c *probe.Container) (LimitRequest, error) {
	if c.Cgroup == "" {
		return LimitRequest{}, refusedf("container %s (%s) has no cgroup of its own: it shares one with processes outside it", c.Name, c.Key())
	}
	return LimitRequest{Cgroup: c.Cgroup, Target: fmt.Sprintf("container %s (%s), cgroup %s", c.Name, c.Key(), c.Cgroup)}, nil
}
