package actions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/isotop/isotop/probe"
)

// FindContainer finds a container of a snapshot by name, by "runtime:id", or by a prefix of its
// id (at least 4 characters, as docker and podman take them).
func FindContainer(s *probe.Snapshot, name string) (*probe.Container, error) {
	var found []*probe.Container
	for i := range s.Containers {
		c := &s.Containers[i]
		if c.Name == name || c.Key() == name || c.ID == name {
			return c, nil
		}
		if len(name) >= 4 && strings.HasPrefix(c.ID, name) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
		return nil, refusedf("no container named %q and none whose id starts with it (isotop snapshot lists CONTAINERS)", name)
	case 1:
		return found[0], nil
	}
	var names []string
	for _, c := range found {
		names = append(names, c.Key()+" ("+c.Name+")")
	}
	slices.Sort(names)
	return nil, refusedf("%q is the start of the ids of %d containers: %s; give more of it", name, len(found), strings.Join(names, ", "))
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
