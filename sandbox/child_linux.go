package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The child's descriptors, as the parent hands them over (exec.Cmd.ExtraFiles).
const (
	statusFD = 3 // child → parent: "ERR message" on a failure; closed by the exec on success
	goFD     = 4 // parent → child: one byte once the cgroup and the network are ready
)

// init runs the sandbox's side of a sandbox in whatever binary links this package (isotop, or a
// test binary), before anything else: the parent re-executes its own binary with ChildEnv set, in
// new namespaces. As runc's init, it must run before main, and it never returns.
func init() {
	if os.Getenv(ChildEnv) != "" {
		runtime.LockOSThread() // the namespaces and credentials below belong to this thread, which execs
		os.Exit(child())
	}
}

// upLoopback brings up lo in the sandbox's network namespace (every thread of this process is in
// it): from inside, because a rootless parent may not setns(2) into it.
func upLoopback() error {
	lo, err := netlink.LinkByName("lo")
	if err == nil {
		err = netlink.LinkSetUp(lo)
	}
	return err
}

// failf reports a setup failure to the parent and returns the exit status.
func failf(format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	unix.Write(statusFD, []byte("ERR "+msg+"\n"))
	fmt.Fprintln(os.Stderr, "isotop sandbox: "+msg)
	return 126
}

// step prints, with --explain, the shell command that does what the next system call does.
type stepper struct{ on bool }

func (s stepper) do(cmd, why string) {
	if s.on {
		explain(os.Stderr, "sandbox", cmd, why)
	}
}

func child() int {
	var c ChildConfig
	if err := json.Unmarshal([]byte(os.Getenv(ChildEnv)), &c); err != nil {
		return failf("bad child configuration: %v", err)
	}
	os.Unsetenv(ChildEnv)
	st := stepper{c.Explain}
	// Wait for the parent: it moves this process into the sandbox's cgroup and sets up the network.
	var b [1]byte
	if n, _ := unix.Read(goFD, b[:]); n != 1 {
		return 125 // the parent gave up (it reports why) or died
	}
	unix.Close(goFD)
	// A cgroup namespace made now is rooted at the sandbox's cgroup, where the parent just moved us.
	st.do("unshare --cgroup", "a cgroup namespace: inside, / is the sandbox's own cgroup")
	if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
		return failf("unshare cgroup namespace: %v", err)
	}
	st.do("ip link set lo up", "the sandbox's own loopback")
	if err := upLoopback(); err != nil {
		return failf("loopback: %v", err)
	}
	if err := buildRoot(c, st); err != nil {
		return failf("%v", err)
	}
	st.do("hostname "+c.Hostname, "the uts namespace's own hostname")
	if err := unix.Sethostname([]byte(c.Hostname)); err != nil {
		return failf("sethostname: %v", err)
	}
	// The command, looked up in the new root.
	path, err := lookPath(c.Command[0], c.Env)
	if err != nil {
		unix.Write(statusFD, []byte("NOCMD "+c.Command[0]+"\n"))
		fmt.Fprintf(os.Stderr, "isotop sandbox: %s: not found in the sandbox (PATH %s)\n", c.Command[0], envPath(c.Env))
		return 127
	}
	if err := dropPrivileges(c, st); err != nil {
		return failf("%v", err)
	}
	if c.Init {
		// This process stays pid 1 as the small init, from this thread, which has the sandbox's
		// cgroup namespace and credentials that the command inherits. (Executing a separate init
		// binary would need its libraries in the sandbox's root.) Not dumpable: the command,
		// root in the sandbox, cannot ptrace or read the memory of the init that holds more.
		unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
		st.do("exec isotop-init "+strings.Join(c.Command, " "), "a small init as pid 1: it starts the command, forwards signals, reaps zombies")
		return initProcess(path, c.Command, c.Env)
	}
	st.do("exec "+strings.Join(c.Command, " "), "the command becomes pid 1 of the sandbox")
	unix.CloseOnExec(statusFD) // the exec closes it: the parent reads EOF, the command started
	err = unix.Exec(path, c.Command, c.Env)
	return failf("exec %s: %v", path, err)
}

func envPath(env []string) string {
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			return p
		}
	}
	return DefaultPath
}

// lookPath finds name in the sandbox's PATH (we are inside its root now).
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return name, nil
		}
		return "", os.ErrNotExist
	}
	for _, dir := range strings.Split(envPath(env), ":") {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

func mount(st stepper, source, target, fstype string, flags uintptr, data, cmd, why string) error {
	st.do(cmd, why)
	if err := unix.Mount(source, target, fstype, flags, data); err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return nil
}

// buildRoot makes the sandbox's root filesystem and moves into it with pivot_root(2), as runc
// does: / private, an overlay whose writable layer is a tmpfs (nothing written survives), the
// binds, a fresh /proc, a read-only /sys, a minimal /dev, then pivot_root and the old root made a
// slave, detached and removed, so that nothing of the host stays reachable.
func buildRoot(c ChildConfig, st stepper) error {
	if err := mount(st, "", "/", "", unix.MS_REC|unix.MS_PRIVATE, "", "mount --make-rprivate /",
		"no mount made here propagates to the host"); err != nil {
		return err
	}
	work := c.WorkDir
	if err := mount(st, "tmpfs", work, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0700",
		"mount -t tmpfs tmpfs "+work, "the writable layer: it lives in memory and goes with the sandbox"); err != nil {
		return err
	}
	upper, wdir, root := work+"/upper", work+"/work", work+"/root"
	for _, d := range []string{upper, wdir, root} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	opts := "lowerdir=" + c.Lower + ",upperdir=" + upper + ",workdir=" + wdir
	if c.Rootless {
		opts += ",userxattr" // overlayfs in a user namespace keeps its own attributes in user.*
	}
	err := mount(st, "overlay", root, "overlay", 0, opts, "mount -t overlay overlay -o "+opts+" "+root,
		"the root: "+c.Lower+" read-only below, the tmpfs above takes every write")
	if err != nil && c.Rootless && c.Lower == "/" && errors.Is(err, unix.EINVAL) {
		// In a user namespace the host's / cannot be an overlay's lower layer: the mounts below
		// it are locked to it, and overlayfs must clone it alone. Each top directory is one then.
		err = rootPerDirectory(work, root, st)
	}
	if err != nil {
		return err
	}
	// The binds' sources are host paths: open them now, mount them after pivot_root, where their
	// destinations resolve inside the new root (a symlink of --rootfs cannot lead out of it).
	srcs := make([]int, len(c.Binds))
	for i, b := range c.Binds {
		fd, err := unix.Open(b.Src, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("--bind %s: %w", b, err)
		}
		defer unix.Close(fd)
		srcs[i] = fd
	}
	for _, d := range []string{"proc", "sys", "dev", "tmp"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	if err := mount(st, "proc", root+"/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "",
		"mount -t proc proc "+root+"/proc", "a /proc of the new pid namespace: only the sandbox's processes"); err != nil {
		return err
	}
	if err := mount(st, "sysfs", root+"/sys", "sysfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC|unix.MS_RDONLY, "",
		"mount -t sysfs -o ro sysfs "+root+"/sys", "/sys read-only, of the sandbox's network namespace"); err != nil {
		return err
	}
	if c.CgroupV2 {
		os.MkdirAll(root+"/sys/fs/cgroup", 0o755) // fails on the read-only sysfs when it is not there: skipped
		mount(st, "cgroup2", root+"/sys/fs/cgroup", "cgroup2", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC|unix.MS_RDONLY, "",
			"mount -t cgroup2 -o ro cgroup2 "+root+"/sys/fs/cgroup", "its own cgroup as the root, read-only")
	}
	if err := buildDev(root, st); err != nil {
		return err
	}
	// pivot_root: the new root must be a mount point (the overlay is), the old one goes below it.
	old := root + "/.oldroot"
	if err := os.Mkdir(old, 0o700); err != nil {
		return err
	}
	st.do("cd "+root+" && pivot_root . .oldroot", "the overlay becomes /, the host's root moves to /.oldroot")
	if err := unix.Chdir(root); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", ".oldroot"); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	for i, b := range c.Binds {
		if strings.HasPrefix(filepath.Clean(b.Dst), "/.oldroot") {
			return fmt.Errorf("--bind %s: /.oldroot is the host's root while the sandbox is made", b)
		}
		src := fmt.Sprintf("/proc/self/fd/%d", srcs[i])
		if err := mkdirFor(src, b.Dst); err != nil {
			return fmt.Errorf("--bind %s: %w", b, err)
		}
		if err := mount(st, src, b.Dst, "", unix.MS_BIND|unix.MS_REC, "", "mount --rbind "+b.Src+" "+b.Dst, "a shared folder"); err != nil {
			return err
		}
		if b.ReadOnly {
			if err := mount(st, "", b.Dst, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_REC, "",
				"mount -o remount,bind,ro "+b.Dst, "read-only inside"); err != nil {
				return err
			}
		}
	}
	if err := mount(st, "", "/.oldroot", "", unix.MS_REC|unix.MS_SLAVE, "", "mount --make-rslave /.oldroot",
		"unmounting it must not propagate back to the host"); err != nil {
		return err
	}
	st.do("umount -l /.oldroot && rmdir /.oldroot", "the host's root is gone: no path leads back to it")
	if err := unix.Unmount("/.oldroot", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("umount the old root: %w", err)
	}
	if err := os.Remove("/.oldroot"); err != nil {
		return fmt.Errorf("rmdir the old root: %w", err)
	}
	return nil
}

// rootPerDirectory builds an ephemeral copy of the host's / in a user namespace: in the tmpfs, one
// overlay per top directory of the host (a read-only bind where one has mounts below it), the
// top-level symlinks as they are, and a plain writable /tmp.
func rootPerDirectory(work, root string, st stepper) error {
	if err := mount(st, root, root, "", unix.MS_BIND, "", "mount --bind "+root+" "+root, "the new root must be a mount point"); err != nil {
		return err
	}
	ents, err := os.ReadDir("/")
	if err != nil {
		return err
	}
	for _, e := range ents {
		name := e.Name()
		src, dst := "/"+name, filepath.Join(root, name)
		switch {
		case e.Type()&os.ModeSymlink != 0:
			if target, err := os.Readlink(src); err == nil {
				os.Symlink(target, dst)
			}
			continue
		case !e.IsDir():
			continue
		case name == "proc" || name == "sys" || name == "dev" || name == "tmp" || name == "run" || strings.HasPrefix(work, src+"/"):
			os.Mkdir(dst, 0o755)
			continue
		}
		up, wk := work+"/upper-"+name, work+"/work-"+name
		os.Mkdir(up, 0o755)
		os.Mkdir(wk, 0o755)
		os.Mkdir(dst, 0o755)
		opts := "lowerdir=" + src + ",upperdir=" + up + ",workdir=" + wk + ",userxattr"
		if err := mount(st, "overlay", dst, "overlay", 0, opts, "mount -t overlay overlay -o "+opts+" "+dst, ""); err == nil {
			continue
		}
		if err := mount(st, src, dst, "", unix.MS_BIND|unix.MS_REC, "", "mount --rbind "+src+" "+dst, "it has mounts below it: read-only instead"); err != nil {
			continue // not ours to read (a directory of root's only): left empty
		}
		mount(st, "", dst, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, "", "mount -o remount,bind,ro "+dst, "")
	}
	return nil
}

// mkdirFor makes the mount point for a bind: a directory for a directory, a file for a file.
func mkdirFor(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return os.MkdirAll(dst, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// devices are the device nodes of the sandbox's /dev, bound from the host's (mknod is not
// allowed in a user namespace; a bind is, and works the same).
var devices = []string{"null", "zero", "full", "random", "urandom", "tty"}

func buildDev(root string, st stepper) error {
	dev := root + "/dev"
	if err := mount(st, "tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755,size=65536k",
		"mount -t tmpfs -o mode=0755 tmpfs "+dev, "a minimal /dev, not the host's"); err != nil {
		return err
	}
	for _, d := range devices {
		p := dev + "/" + d
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o666)
		if err != nil {
			return err
		}
		f.Close()
		if err := mount(st, "/dev/"+d, p, "", unix.MS_BIND, "", "mount --bind /dev/"+d+" "+p, ""); err != nil {
			return err
		}
	}
	os.Mkdir(dev+"/pts", 0o755)
	if err := mount(st, "devpts", dev+"/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620",
		"mount -t devpts -o newinstance,ptmxmode=0666 devpts "+dev+"/pts", "a new pts instance: its terminals are its own"); err != nil {
		return err
	}
	os.Mkdir(dev+"/shm", 0o1777)
	mount(st, "tmpfs", dev+"/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777,size=65536k", "mount -t tmpfs tmpfs "+dev+"/shm", "")
	for link, target := range map[string]string{"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := os.Symlink(target, dev+"/"+link); err != nil {
			return err
		}
	}
	return nil
}

// keepCaps is the container-like default capability set (Docker's): what a root process in a
// container usually needs, without CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_SYS_MODULE …
var keepCaps = []uintptr{unix.CAP_CHOWN, unix.CAP_DAC_OVERRIDE, unix.CAP_FSETID, unix.CAP_FOWNER, unix.CAP_MKNOD,
	unix.CAP_NET_RAW, unix.CAP_SETGID, unix.CAP_SETUID, unix.CAP_SETFCAP, unix.CAP_SETPCAP, unix.CAP_NET_BIND_SERVICE,
	unix.CAP_SYS_CHROOT, unix.CAP_KILL, unix.CAP_AUDIT_WRITE}

// CapNames names keepCaps for --explain and the README.
const CapNames = "chown,dac_override,fsetid,fowner,mknod,net_raw,setgid,setuid,setfcap,setpcap,net_bind_service,sys_chroot,kill,audit_write"

func dropPrivileges(c ChildConfig, st stepper) error {
	st.do("capsh --caps="+CapNames+"+eip --", "the capabilities of a container's root, no more; the rest leave the bounding set too")
	keep := map[uintptr]bool{}
	var mask [2]uint32
	for _, k := range keepCaps {
		keep[k] = true
		mask[k/32] |= 1 << (k % 32)
	}
	for cp := uintptr(0); cp <= unix.CAP_LAST_CAP; cp++ {
		if !keep[cp] {
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, cp, 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
				return fmt.Errorf("drop capability %d from the bounding set: %w", cp, err)
			}
		}
	}
	unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	for i := range data {
		data[i].Effective &= mask[i]
		data[i].Permitted &= mask[i]
		data[i].Inheritable = 0
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	st.do("setpriv --no-new-privs", "no setuid binary or file capability can give back what was dropped")
	return unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
}

// initProcess is --init: pid 1 of the sandbox, in front of the command. It starts the command in
// a process group of its own (in the terminal's foreground, when there is one), forwards the
// signals it gets to it, reaps every orphan that the kernel reparents to it, and exits as the
// command did.
func initProcess(path string, argv, env []string) int {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH, unix.SIGCHLD)
	cmd := &exec.Cmd{Path: path, Args: argv, Env: env}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		cmd.SysProcAttr.Foreground, cmd.SysProcAttr.Ctty = true, 0
	}
	unix.CloseOnExec(statusFD) // not the command's
	if err := cmd.Start(); err != nil {
		unix.Write(statusFD, []byte("ERR start "+argv[0]+": "+err.Error()+"\n"))
		return 127
	}
	unix.Close(statusFD) // started: the parent stops waiting for an error
	main := cmd.Process.Pid
	for s := range sigs {
		if s != unix.SIGCHLD {
			unix.Kill(-main, s.(syscall.Signal))
			continue
		}
		for {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
			if pid == main {
				if ws.Signaled() {
					return 128 + int(ws.Signal())
				}
				return ws.ExitStatus()
			}
		}
	}
	return 0
}
