// Package v2host boots a real Linux kernel whose only cgroup hierarchy is cgroup v2 and runs a
// shell script in it as root: the harness of isotop's pure-v2 tests. The build hosts mount cgroups
// hybrid (v1 and v2); most production hosts are pure v2, and this proves the v2 paths on a real
// kernel, not on fixtures.
//
// The guest is Debian 12's kernel (pinned, see kernel.go) under qemu's software emulation (no KVM
// needed), booted from an initramfs built here: busybox-static's applets, the files the caller
// gives (with the shared libraries of a dynamic program), an init that mounts /proc, /sys, /dev and
// cgroup2 alone on /sys/fs/cgroup (the kernel is told cgroup_no_v1=all, so no v1 hierarchy can be
// mounted either) with every controller enabled at the root, loads the modules asked for, and runs
// the script. The script's output comes back on a serial line of its own (ttyS1), apart from the
// kernel's console (ttyS0), with its exit status.
//
// Why not a ready-made runner: vimto and cilium's little-vm-helper need the 9p or virtio-blk
// drivers built into the kernel (Debian builds them as modules: the root mount panics), and neither
// installs from the Go module proxy here; virtme-ng boots Debian's kernel but is not installable
// from the registries these machines reach and boots four times slower (25-30 s against 7 s).
//
// Needs qemu-system-x86, busybox-static and apt-get (make test installs the packages); root only
// for apt-get update on a machine whose package lists are missing.
package v2host

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EnvRun is the variable that runs the tests that boot the guest: they take a minute or more and
// download the kernel once, so `go test ./...` skips them unless it is 1 (make test sets it).
const EnvRun = "ISOTOP_TEST_V2"

// Require skips t unless EnvRun is set; with it set, a missing qemu or busybox fails t.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvRun) != "1" {
		t.Skipf("boots a pure cgroup v2 kernel under qemu (a minute; a 70 MB kernel download once): set %s=1 (make test-v2 and make test do)", EnvRun)
	}
	if testing.Short() {
		t.Skip("boots a kernel under qemu; not with -short")
	}
	for _, p := range []string{"qemu-system-x86_64", "busybox"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s=1 but %s is missing (make deps installs qemu-system-x86 and busybox-static)", EnvRun, p)
		}
	}
}

// File is a host file to copy into the guest.
type File struct {
	Src string
	Dst string // "" is /bin/<base name of Src>
}

// Options say what to boot and run.
type Options struct {
	Script  string   // run by sh as root in /root; ISOTOP_TEST_LIVE=1 is set
	Files   []File   // copied into the guest
	Modules []string // kernel modules to load before the script (a subset of cachedModules)
	MemMiB  int      // guest memory; 0 is 1024
	CPUs    int      // guest CPUs; 0 is 1
	// Output, when set, receives the script's output as it comes (go test -v shows progress).
	Output io.Writer
	// Log receives what the harness does (the kernel download); nil discards it.
	Log io.Writer
}

// Result is how the script ended.
type Result struct {
	Output  string        // what the script printed (stdout and stderr)
	Status  int           // its exit status
	Console string        // the kernel's console (boot messages, oopses)
	Kernel  string        // the package booted, "linux-image-6.1.0-50-amd64_6.1.176-1"
	Warning string        // set when the pinned kernel could not be had (see LoadKernel)
	Took    time.Duration // from qemu's start to its end
}

const (
	beginMark  = "@@v2host-begin@@"
	statusMark = "@@v2host-status "
)

// Run boots the guest, runs o.Script, and returns its output and status. The error is about the
// harness (no kernel, qemu failed, the guest did not finish before ctx ended), not the script.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.MemMiB == 0 {
		o.MemMiB = 1024
	}
	if o.CPUs == 0 {
		o.CPUs = 1
	}
	k, err := LoadKernel(o.Log)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "isotop-v2host-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	initrd := filepath.Join(work, "initrd.cpio")
	if err := buildInitramfs(initrd, k, o); err != nil {
		return nil, err
	}
	console := filepath.Join(work, "console.log")
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max",
		"-m", strconv.Itoa(o.MemMiB), "-smp", strconv.Itoa(o.CPUs),
		"-kernel", k.Image, "-initrd", initrd,
		"-append", "console=ttyS0 quiet loglevel=3 panic=-1 edd=off cgroup_no_v1=all",
		"-display", "none", "-monitor", "none", "-no-reboot", "-nic", "none",
		"-serial", "file:"+console, "-serial", "stdio")
	var out bytes.Buffer
	var stream io.Writer = &out
	if o.Output != nil {
		stream = io.MultiWriter(&out, &lineFilter{w: o.Output})
	}
	cmd.Stdout = stream
	var qerr bytes.Buffer
	cmd.Stderr = &qerr
	start := time.Now()
	runErr := cmd.Run()
	res := &Result{Kernel: k.Package, Warning: k.Warning, Took: time.Since(start)}
	cons, _ := os.ReadFile(console)
	res.Console = strings.ReplaceAll(string(cons), "\r", "")
	text := strings.ReplaceAll(out.String(), "\r", "")
	_, body, begun := strings.Cut(text, beginMark+"\n")
	i := strings.LastIndex(body, statusMark)
	if !begun || i < 0 {
		why := "the guest did not finish"
		switch {
		case ctx.Err() != nil:
			why = "the guest did not finish in time (" + ctx.Err().Error() + ")"
		case runErr != nil:
			why = fmt.Sprintf("qemu: %v: %s", runErr, strings.TrimSpace(qerr.String()))
		}
		return res, fmt.Errorf("v2host: %s; script output:\n%s\nlast console lines:\n%s", why, text, tail(res.Console, 20))
	}
	res.Output = body[:i]
	res.Status, err = strconv.Atoi(strings.TrimSuffix(strings.Fields(body[i+len(statusMark):])[0], "@@"))
	return res, err
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// lineFilter passes the script's output on, without the harness's markers and carriage returns.
type lineFilter struct {
	w       io.Writer
	partial []byte
}

func (f *lineFilter) Write(p []byte) (int, error) {
	f.partial = append(f.partial, p...)
	for {
		i := bytes.IndexByte(f.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := bytes.TrimRight(f.partial[:i], "\r")
		if !bytes.HasPrefix(line, []byte("@@v2host-")) {
			f.w.Write(append(line, '\n'))
		}
		f.partial = f.partial[i+1:]
	}
}

// guestInit is the guest's /init: it mounts what a system has, cgroup2 alone on /sys/fs/cgroup
// with every controller enabled for children of the root, loads the modules, and runs the script
// with its output on ttyS1.
const guestInit = `#!/bin/sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
exec </dev/null >/dev/ttyS1 2>&1
mkdir -p /dev/pts /dev/shm /run /tmp
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
ln -sf pts/ptmx /dev/ptmx
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/netns
mount -t cgroup2 cgroup2 /sys/fs/cgroup
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control; done
hostname v2host
ip link set lo up
for m in $(cat /etc/v2host-modules); do insmod /lib/modules/v2host/$m.ko || echo "v2host: insmod $m failed"; done
echo "` + beginMark + `"
cd /root
ISOTOP_TEST_LIVE=1 sh /test.sh
echo "` + statusMark + `$?@@"
sync
poweroff -f
`

// moduleName is what Options.Modules may hold.
var moduleName = regexp.MustCompile(`^[a-z0-9_]+$`)

// buildInitramfs writes the guest's root filesystem to file.
func buildInitramfs(file string, k *Kernel, o Options) error {
	t := tree{}
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		return fmt.Errorf("busybox: %w (make deps installs busybox-static)", err)
	}
	if err := t.copy(busybox, "/bin/busybox"); err != nil {
		return err
	}
	list, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("busybox --list-full: %w", err)
	}
	for _, applet := range strings.Fields(string(list)) {
		if p := "/" + applet; p != "/bin/busybox" {
			t.symlink(p, "/bin/busybox")
		}
	}
	for _, d := range []string{"/proc", "/sys", "/dev", "/tmp", "/run", "/root", "/var/tmp", "/var/log"} {
		t.dir(d)
	}
	t.file("/etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"))
	t.file("/etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n"))
	t.file("/etc/hosts", 0o644, []byte("127.0.0.1 localhost v2host\n::1 localhost\n"))
	t.file("/init", 0o755, []byte(guestInit))
	t.file("/test.sh", 0o644, []byte(o.Script))

	var mods []string
	for _, m := range o.Modules {
		if !moduleName.MatchString(m) {
			return fmt.Errorf("v2host: module %q: not a module name", m)
		}
		if !slices.Contains(cachedModules, m) {
			return fmt.Errorf("v2host: module %s is not kept in the cache (add it to cachedModules in kernel.go)", m)
		}
	}
	order, err := closure(k.Modules, o.Modules)
	if err != nil {
		return err
	}
	for _, m := range order {
		if err := t.copy(filepath.Join(k.Dir, k.Modules[m].File), "/lib/modules/v2host/"+m+".ko"); err != nil {
			return err
		}
		mods = append(mods, m)
	}
	t.file("/etc/v2host-modules", 0o644, []byte(strings.Join(mods, "\n")+"\n"))

	for _, f := range o.Files {
		dst := f.Dst
		if dst == "" {
			dst = "/bin/" + filepath.Base(f.Src)
		}
		if !strings.HasPrefix(dst, "/") {
			return fmt.Errorf("v2host: %s: the guest path must be absolute", dst)
		}
		if err := t.copy(f.Src, path.Clean(dst)); err != nil {
			return fmt.Errorf("v2host: --file %s: %w", f.Src, err)
		}
	}
	out, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := t.writeCpio(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
