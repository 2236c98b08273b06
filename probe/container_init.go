package probe

import (
	"path"
	"strconv"
	"strings"
)

// initNames are the inits and supervisors a container's pid 1 is known by: the name of their
// program (its executable, its comm or its argv[0]) → the init's well-known name.
var initNames = map[string]string{
	"tini": "tini", "tini-static": "tini", "docker-init": "tini", // docker run --init runs tini as docker-init
	"dumb-init":      "dumb-init",
	"s6-svscan":      "s6-svscan", // s6-overlay's /init ends as s6-svscan, pid 1
	"supervisord":    "supervisord",
	"systemd":        "systemd", // /sbin/init is a link to it: its exe, or its comm, says systemd
	"catatonit":      "catatonit",
	"podman-init":    "catatonit", // podman run --init bind-mounts catatonit as /run/podman-init
	"containerpilot": "containerpilot",
	"runsvdir":       "runit",
	"runit":          "runit",
	"runit-init":     "runit",
	"openrc-init":    "openrc-init",
	"monit":          "monit",
	"pm2":            "pm2",
	"pm2-runtime":    "pm2", // pm2's own entry point for containers
	"pm2-docker":     "pm2",
}

// scriptInits are the supervisors written in an interpreted language: an interpreter (python3,
// node) runs them, so their name is the script's, the interpreter's first argument.
var scriptInits = map[string]bool{"supervisord": true, "pm2": true, "pm2-runtime": true, "pm2-docker": true}

// matchInit recognises an init from what the kernel says of a process: its executable (the
// target of /proc/PID/exe, "" when it could not be read), its comm and its command line. It
// returns the init's name and how it was recognised ("exe /usr/bin/tini", "comm containerpilot",
// "argv[0] /sbin/tini", "argv[1] /usr/bin/supervisord"), or "" for a plain program.
func matchInit(exe, comm string, argv []string) (name, from string) {
	exe = strings.TrimSuffix(exe, " (deleted)")
	if n, ok := initNames[path.Base(exe)]; ok && exe != "" {
		return n, "exe " + exe
	}
	if n, ok := initNames[comm]; ok {
		return n, "comm " + comm
	}
	if strings.HasPrefix(comm, "PM2 v") { // pm2's daemon sets its title: "PM2 v5.3.0: God Daemon"
		return "pm2", "comm " + comm
	}
	if len(argv) == 0 {
		return "", ""
	}
	if n, ok := initNames[path.Base(argv[0])]; ok && argv[0] != "" {
		return n, "argv[0] " + argv[0]
	}
	interp := path.Base(argv[0])
	if exe != "" {
		interp = path.Base(exe)
	}
	if !strings.HasPrefix(interp, "python") && !strings.HasPrefix(interp, "node") {
		return "", ""
	}
	for i, a := range argv[1:] {
		if strings.HasPrefix(a, "-") {
			continue // the interpreter's own flags: python -u …
		}
		if base := path.Base(a); scriptInits[base] {
			return initNames[base], "argv[" + strconv.Itoa(i+1) + "] " + a
		}
		break
	}
	return "", ""
}

// recognizeInit says what the container's pid 1 is when it is an init or a supervisor, with the
// processes it supervises (its children in the container) and, for ContainerPilot, the jobs its
// config declares; nil for a plain program.
func (m *runtimeMeta) recognizeInit(c *Container, init *Process, procs []Process, idx map[int]int) *Init {
	exe, _ := m.fs.readLink(init.PID, "exe") // may be refused (EACCES): comm and argv[0] then tell
	name, from := matchInit(exe, init.Comm, init.Cmdline)
	if name == "" {
		return nil
	}
	in := &Init{Name: name, From: from, Supervises: []int{}}
	for _, pid := range c.PIDs { // sorted
		if j, ok := idx[pid]; ok && pid != init.PID && procs[j].PPID == init.PID {
			in.Supervises = append(in.Supervises, pid)
		}
	}
	if name == "containerpilot" {
		in.Jobs, in.JobsFrom = m.containerPilotJobs(init)
	}
	return in
}
