package probe

import (
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

// containerdTaskRoot is where containerd keeps a running task's bundle: NAMESPACE/ID/ under it, with
// init.pid (the container's first process) and config.json (its OCI spec, with annotations).
const containerdTaskRoot = "/run/containerd/io.containerd.runtime.v2.task"

// containerdTask is one running containerd task, read from its bundle.
type containerdTask struct {
	root, namespace, id string
	pid                 int
}

// containerdTasks reads containerd's own state: every bundle under the default task root and under
// the roots of the containerd instances whose shims run now (a shim's working directory is its
// task's bundle, ROOT/NAMESPACE/ID, whatever --state the daemon was given). The probe then knows a
// container by its id and namespace as containerd does (ctr run … web: "web" in any namespace),
// instead of guessing from a cgroup path.
func (fs FS) containerdTasks(procs []Process, errs *errorList) []containerdTask {
	roots := []string{containerdTaskRoot}
	for i := range procs {
		p := &procs[i]
		if !strings.HasPrefix(p.Comm, "containerd-shim") {
			continue
		}
		ns, id := flagValue(p.Cmdline, "-namespace"), flagValue(p.Cmdline, "-id")
		cwd, err := fs.readLink(p.PID, "cwd")
		if err != nil || ns == "" || id == "" || path.Base(cwd) != id || path.Base(path.Dir(cwd)) != ns {
			continue
		}
		if root := path.Dir(path.Dir(cwd)); !slices.Contains(roots, root) {
			roots = append(roots, root)
		}
	}
	m := runtimeMeta{fs: fs, errs: errs}
	var tasks []containerdTask
	for _, root := range roots {
		for _, pidFile := range m.glob(fs.hostPath(root + "/*/*/init.pid")) {
			data, err := m.readState(pidFile)
			if err != nil {
				continue // ended meanwhile
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
			if err != nil || pid <= 0 {
				continue
			}
			dir := path.Dir(pidFile)
			tasks = append(tasks, containerdTask{root: root, namespace: path.Base(path.Dir(dir)), id: path.Base(dir), pid: pid})
		}
	}
	return tasks
}

// flagValue is the value after name in a command line ("-id web").
func flagValue(cmdline []string, name string) string {
	for i, a := range cmdline {
		if a == name && i+1 < len(cmdline) {
			return cmdline[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// readLink reads a link of /proc/PID (cwd, root, exe).
func (fs FS) readLink(pid int, name string) (string, error) {
	return os.Readlink(fs.Proc + "/" + strconv.Itoa(pid) + "/" + name)
}
