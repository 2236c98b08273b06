package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The child's descriptors, as the parent hands them over (exec.Cmd.ExtraFiles).
const (
	statusFD = 3 // child → parent: Sync messages; closed by the command's exec
	goFD     = 4 // parent → child: one byte once the cgroup and the network are ready, one at the exec
	specFD   = 5 // the setup (this Go process) → pid 1 (actions/early/sandbox.c): the ExecSpec
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
		return reportf("bad child configuration: %v", err)
	}
	os.Unsetenv(ChildEnv)
	st := stepper{c.Explain}
	if os.Getpid() == 1 {
		// The first process is C (actions/early/sandbox.c), which forks this one: a binary without
		// it (built without cgo) cannot make a sandbox.
		return reportf("this isotop was built without cgo: its sandbox's first process (actions/early) is missing")
	}
	if c.Init {
		st.do("isotop-init && unshare --cgroup", "pid 1 is isotop's init (C, one thread): it forwards signals to the command and reaps zombies; a cgroup namespace: inside, / is the sandbox's own cgroup")
	} else {
		st.do("unshare --cgroup", "a cgroup namespace: inside, / is the sandbox's own cgroup")
	}
	st.do("ip link set lo up", "the sandbox's own loopback")
	if err := upLoopback(); err != nil {
		return reportf("loopback: %v", err)
	}
	if err := buildRoot(c, st); err != nil {
		return reportf("%v", err)
	}
	st.do("hostname "+c.Hostname, "the uts namespace's own hostname")
	if err := unix.Sethostname([]byte(c.Hostname)); err != nil {
		return reportf("sethostname: %v", err)
	}
	// The command, looked up in the new root.
	path, err := lookPath(c.Command[0], c.Env)
	if err != nil {
		writeSync(statusFD, Sync{Type: SyncNoCommand, Command: c.Command[0]})
		fmt.Fprintf(os.Stderr, "isotop sandbox: %s: not found in the sandbox (PATH %s)\n", c.Command[0], envPath(c.Env))
		return 127
	}
	var root unix.Stat_t
	if err := unix.Stat("/", &root); err != nil {
		return reportf("stat /: %v", err)
	}
	st.do("capsh --caps="+CapNames+"+eip --", "the capabilities of a container's root, no more; the rest leave the bounding set too")
	st.do("setpriv --no-new-privs", "no setuid binary or file capability can give back what was dropped")
	st.do("(seccomp) Docker's default profile for "+CapNames, "about 360 system calls allowed, the rest refused: no mount, unshare of a user namespace, keyctl, bpf, ptrace of others…")
	filter, err := seccompBPF()
	if err != nil {
		return reportf("%v", err)
	}
	st.do("exec "+strings.Join(c.Command, " "), map[bool]string{false: "the command becomes pid 1 of the sandbox", true: "the command, pid 2 under the init"}[c.Init])
	spec := ExecSpec{RootDev: root.Dev, RootIno: root.Ino, Caps: capMask(), Path: path, Argv: c.Command, Env: c.Env, Seccomp: filter}
	if _, err := unix.Write(specFD, spec.encode()); err != nil {
		return reportf("handing the exec spec to pid 1: %v", err)
	}
	return 0 // pid 1 takes it from here
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
	// The binds' sources are host paths: each is cloned now (open_tree), a mount tree of its own
	// attached nowhere, and moved onto its destination once the host's root is gone, where the
	// destination can resolve only inside the new root.
	trees := make([]int, len(c.Binds))
	for i, b := range c.Binds {
		st.do("(open_tree) clone "+b.Src, "the bind's source, held by a descriptor until the host's root is gone")
		fd, err := unix.OpenTree(unix.AT_FDCWD, b.Src, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
		if err != nil {
			return fmt.Errorf("--bind %s: %w", b, err)
		}
		defer unix.Close(fd)
		if b.ReadOnly {
			attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
			if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr); err != nil {
				return fmt.Errorf("--bind %s: read-only: %w", b, err)
			}
		}
		trees[i] = fd
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
	if err := maskProc(root, st); err != nil {
		return err
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
	for i, b := range c.Binds {
		if err := placeBind(trees[i], b, st); err != nil {
			return fmt.Errorf("--bind %s: %w", b, err)
		}
	}
	return nil
}

// placeBind moves a bind's cloned tree onto its destination, resolved beneath the new root (the
// host's is gone by now; RESOLVE_BENEATH also refuses a symlink that would climb out, or an
// absolute one), making the missing directories (or the file, for a file) on the way.
func placeBind(tree int, b Bind, st stepper) error {
	root, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(root)
	var sst unix.Stat_t
	if err := unix.Fstat(tree, &sst); err != nil {
		return err
	}
	parts := strings.Split(strings.Trim(filepath.Clean(b.Dst), "/"), "/")
	dir := root
	for i, name := range parts {
		last := i == len(parts)-1
		how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS}
		fd, err := unix.Openat2(dir, name, how)
		if err == unix.ENOENT {
			switch {
			case !last || sst.Mode&unix.S_IFMT == unix.S_IFDIR:
				err = unix.Mkdirat(dir, name, 0o755)
			default:
				var f int
				f, err = unix.Openat(dir, name, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
				if err == nil {
					unix.Close(f)
				}
			}
			if err == nil {
				fd, err = unix.Openat2(dir, name, how)
			}
		}
		if dir != root {
			unix.Close(dir)
		}
		switch {
		case err == unix.EXDEV || err == unix.ELOOP:
			return fmt.Errorf("%s leads out of the sandbox's root (a symlink): refused", b.Dst)
		case err != nil:
			return fmt.Errorf("%s: %w", b.Dst, err)
		}
		dir = fd
	}
	defer unix.Close(dir)
	st.do("mount --rbind "+b.Src+" "+b.Dst+map[bool]string{true: " -o ro"}[b.ReadOnly], "a shared folder (move_mount of the clone, onto the destination resolved in the new root)")
	return unix.MoveMount(tree, "", dir, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
}

// The paths Docker (moby's oci/defaults) and the OCI runtime spec's default configuration mask or
// make read-only in a container's /proc and /sys: the host's kernel settings (/proc/sys: a write
// there changes the host, kernel.core_pattern is a known way to host root), its keyrings, its
// kernel memory and timers, firmware.
var (
	maskedPaths = []string{"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"}
	readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// maskProc masks (an empty read-only tmpfs over a directory, /dev/null over a file) and makes
// read-only what Docker does in the new root's /proc and /sys.
func maskProc(root string, st stepper) error {
	for _, p := range maskedPaths {
		full := root + p
		fi, err := os.Stat(full)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			err = mount(st, "tmpfs", full, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0",
				"mount -t tmpfs -o ro tmpfs "+full, "masked, as Docker masks it")
		} else {
			err = mount(st, "/dev/null", full, "", unix.MS_BIND, "", "mount --bind /dev/null "+full, "masked, as Docker masks it")
		}
		if err != nil {
			return err
		}
	}
	for _, p := range readonlyPaths {
		full := root + p
		if _, err := os.Stat(full); err != nil {
			continue
		}
		if err := mount(st, full, full, "", unix.MS_BIND|unix.MS_REC, "", "mount --rbind "+full+" "+full, ""); err != nil {
			return err
		}
		if err := mount(st, "", full, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "",
			"mount -o remount,bind,ro "+full, "read-only, as Docker makes it: the host's kernel settings"); err != nil {
			return err
		}
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

// capMask is keepCaps as a mask of capability numbers.
func capMask() uint64 {
	var m uint64
	for _, c := range keepCaps {
		m |= 1 << c
	}
	return m
}
