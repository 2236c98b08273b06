package early_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/isotop/isotop/probe/probetest"
)

// buildAttack compiles testdata/attack.c with lockdown.c, as the lockdown's own code: with the
// seccomp filters, or (-DISOTOP_TEST_NO_SECCOMP) without them, to see what the identity, the
// capabilities and the helper's Landlock domain hold alone.
func buildAttack(t *testing.T, dir string, seccomp bool) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("needs gcc (make build installs it)")
	}
	out := filepath.Join(dir, "attack")
	args := []string{"-O2", "-Wall", "-o", out, "testdata/attack.c", "lockdown.c", "-lseccomp", "-lutil"}
	if !seccomp {
		out += "-nosec"
		args = append([]string{"-DISOTOP_TEST_NO_SECCOMP"}, args...)
		args[slices.Index(args, "-o")+1] = out
	}
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %v: %v\n%s", args, err, b)
	}
	return out
}

// targets are what the attacker tries to change, each the test's own.
type targets struct {
	dir, rootFile string
	sock          string
	accepted      *atomic.Int32
	victim        int
	victimLimit   unix.Rlimit
	shm           int
	netnsPID      int // in a network namespace owned by a user namespace root made
	utsPID        int
	utsName       string
	extraSockets  []string
	ownNetnsPID   int // in a netns of a user namespace the read-only identity made
	device, pty   string
	pipe, secret  string
	rec, beside   string // the writer helper's directory, and a file of root's beside it
}

// identity is the read-only identity as lockdown.c picks it: the isotop user, else nobody.
func identity(t *testing.T) (uid, gid int) {
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	uid, gid = 65534, 65534
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) > 3 && (f[0] == "isotop" || (f[0] == "nobody" && uid == 65534)) {
			uid, _ = strconv.Atoi(f[2])
			gid, _ = strconv.Atoi(f[3])
		}
	}
	return uid, gid
}

func setUp(t *testing.T) *targets {
	t.Helper()
	probetest.Live(t)
	tg := &targets{accepted: &atomic.Int32{}}
	// A directory nobody can reach (its parents 0755), holding a world-writable file.
	tg.dir = t.TempDir()
	for _, d := range []string{filepath.Dir(tg.dir), tg.dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.WriteFile(filepath.Join(tg.dir, "open"), []byte("before"), 0o666))
	must(t, os.Chmod(filepath.Join(tg.dir, "open"), 0o666))
	tg.rootFile = filepath.Join(tg.dir, "root-file")
	must(t, os.WriteFile(tg.rootFile, []byte("before"), 0o644))
	// A root-owned socket, 0660, as docker.sock: its listener counts who gets in.
	tg.sock = filepath.Join(tg.dir, "docker.sock")
	l, err := net.Listen("unix", tg.sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	must(t, os.Chmod(tg.sock, 0o660))
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			tg.accepted.Add(1)
			c.Close()
		}
	}()
	for _, p := range []string{"/run/docker.sock", "/run/containerd/containerd.sock"} {
		if _, err := os.Stat(p); err == nil {
			tg.extraSockets = append(tg.extraSockets, p)
		}
	}
	victim := probetest.Start(t, exec.Command("sleep", "86393"))
	tg.victim = victim.Process.Pid
	must(t, unix.Prlimit(tg.victim, unix.RLIMIT_NOFILE, nil, &tg.victimLimit))
	tg.shm, err = unix.SysvShmGet(unix.IPC_PRIVATE, 4096, unix.IPC_CREAT|0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.SysvShmCtl(tg.shm, unix.IPC_RMID, nil) })
	// unshare -U -r as root: a user namespace root owns, and a network namespace it owns, lo up.
	tg.netnsPID = startShell(t, "unshare", "--user", "--map-root-user", "--net", "--fork", "--kill-child", "sh", "-c", "ip link set lo up && exec sleep 86392")
	tg.utsName = probetest.Name(t)
	tg.utsPID = startShell(t, "unshare", "--uts", "--fork", "--kill-child", "sh", "-c", "hostname "+tg.utsName+" && exec sleep 86391")
	// A user and network namespace the read-only identity itself made (lo up): the kernel would
	// give that uid every capability there.
	uid, gid := identity(t)
	tg.ownNetnsPID = startShell(t, "setpriv", "--reuid="+strconv.Itoa(uid), "--regid="+strconv.Itoa(gid), "--clear-groups",
		"unshare", "--user", "--map-root-user", "--net", "--fork", "--kill-child", "sh", "-c", "ip link set lo up && exec sleep 86386")
	// Root's own: a device node, a terminal, a pipe, a secret.
	tg.device = filepath.Join(tg.dir, "zero")
	must(t, unix.Mknod(tg.device, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 5))))
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptmx.Close() })
	must(t, unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tg.pty = "/dev/pts/" + strconv.Itoa(n)
	must(t, os.Chmod(tg.pty, 0o600))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	reader := exec.Command("sleep", "86385")
	reader.Stdin = r
	probetest.Start(t, reader)
	r.Close()
	t.Cleanup(func() { w.Close() })
	tg.pipe = fmt.Sprintf("/proc/%d/fd/0", reader.Process.Pid)
	tg.secret = filepath.Join(tg.dir, "secret")
	must(t, os.WriteFile(tg.secret, []byte("root only"), 0o600))
	// isotop record's directory (root's, 0700): a file of root's in it, a symlink and a directory
	// named as recordings; and a file of root's beside it.
	parent := t.TempDir()
	tg.rec, tg.beside = filepath.Join(parent, "rec"), filepath.Join(parent, "victim.rec")
	must(t, os.Mkdir(tg.rec, 0o700))
	must(t, os.WriteFile(tg.beside, []byte("before"), 0o644))
	must(t, os.WriteFile(filepath.Join(tg.rec, "notes.txt"), []byte("before"), 0o600))
	must(t, os.Symlink(tg.rootFile, filepath.Join(tg.rec, "isotop-link.rec")))
	must(t, os.Mkdir(filepath.Join(tg.rec, "isotop-d.rec"), 0o700))
	return tg
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// startShell starts an unshare that execs a sleep, and returns the sleep's pid once it is there.
func startShell(t *testing.T, name string, args ...string) int {
	t.Helper()
	cmd := probetest.Start(t, exec.Command(name, args...))
	var pid int
	probetest.WaitFor(t, name+"'s sleep", func() bool {
		for _, k := range probetest.Children(cmd.Process.Pid) {
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", k)); strings.TrimSpace(string(b)) == "sleep" {
				pid = k
				return true
			}
		}
		return false
	})
	return pid
}

func (tg *targets) args(mode string) []string {
	a := []string{mode, "dir=" + tg.dir, "rootfile=" + tg.rootFile, "unixsock=" + tg.sock, "victim=" + strconv.Itoa(tg.victim),
		"shm=" + strconv.Itoa(tg.shm), "netns=" + strconv.Itoa(tg.netnsPID), "uts=" + strconv.Itoa(tg.utsPID),
		"ownnetns=" + strconv.Itoa(tg.ownNetnsPID), "device=" + tg.device, "pty=" + tg.pty, "pipe=" + tg.pipe, "secret=" + tg.secret}
	for _, s := range tg.extraSockets {
		a = append(a, "sock="+s)
	}
	if mode == "main" || mode == "writer" {
		a = append(a, "rec="+tg.rec)
	}
	return a
}

// attack runs the driver and returns each attempt's result ("refused EPERM", "ALLOWED").
func attack(t *testing.T, bin string, args []string) map[string]string {
	t.Helper()
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, args[0], err, out)
	}
	res := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "\t")
		res[k] = v
	}
	if res["profile"] != "ok" || len(res) < 30 {
		t.Fatalf("%s %s: the profile did not apply, or the driver stopped early:\n%s", bin, args[0], out)
	}
	return res
}

// unchanged checks every target after an attack.
func (tg *targets) unchanged(t *testing.T, who string) {
	t.Helper()
	for _, f := range []string{tg.rootFile, filepath.Join(tg.dir, "open")} {
		if b, err := os.ReadFile(f); err != nil || string(b) != "before" {
			t.Errorf("%s: %s changed: %q %v", who, f, b, err)
		}
	}
	if ents, _ := os.ReadDir(tg.dir); len(ents) != 5 {
		t.Errorf("%s: %s holds %d entries, want its 5", who, tg.dir, len(ents))
	}
	if own, _ := exec.Command("nsenter", "-t", strconv.Itoa(tg.ownNetnsPID), "-n", "ip", "-o", "link", "show", "lo").Output(); !strings.Contains(string(own), ",UP") {
		t.Errorf("%s: lo of the identity's own netns is no longer up: %s", who, own)
	}
	if n := tg.accepted.Load(); n != 0 {
		t.Errorf("%s: %d connections reached the root-owned socket", who, n)
	}
	var lim unix.Rlimit
	if err := unix.Kill(tg.victim, 0); err != nil {
		t.Errorf("%s: the victim %d is gone: %v", who, tg.victim, err)
	} else if unix.Prlimit(tg.victim, unix.RLIMIT_NOFILE, nil, &lim) != nil || lim != tg.victimLimit {
		t.Errorf("%s: the victim's RLIMIT_NOFILE is %+v, was %+v", who, lim, tg.victimLimit)
	}
	if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", tg.victim)); !strings.Contains(string(b), "TracerPid:\t0\n") {
		t.Errorf("%s: the victim is being traced", who)
	}
	if _, err := unix.SysvShmCtl(tg.shm, unix.IPC_STAT, &unix.SysvShmDesc{}); err != nil {
		t.Errorf("%s: root's shared memory segment %d is gone: %v", who, tg.shm, err)
	}
	lo, _ := exec.Command("nsenter", "-t", strconv.Itoa(tg.netnsPID), "-n", "ip", "-o", "link", "show", "lo").Output()
	if !strings.Contains(string(lo), ",UP") {
		t.Errorf("%s: lo of the user-namespaced netns is no longer up: %s", who, lo)
	}
	host, _ := exec.Command("nsenter", "-t", strconv.Itoa(tg.utsPID), "-u", "hostname").Output()
	if strings.TrimSpace(string(host)) != tg.utsName {
		t.Errorf("%s: the UTS namespace's hostname is %q, was %q", who, host, tg.utsName)
	}
	if h, _ := os.Hostname(); strings.Contains(h, "pwned") {
		t.Errorf("%s: the host's hostname is %q", who, h)
	}
	for _, f := range []string{tg.beside, filepath.Join(tg.rec, "notes.txt")} {
		if b, err := os.ReadFile(f); err != nil || string(b) != "before" {
			t.Errorf("%s: %s changed: %q %v", who, f, b, err)
		}
	}
	ents, _ := os.ReadDir(tg.rec)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name()+" "+e.Type().String())
	}
	if want := []string{"isotop-d.rec d---------", "isotop-link.rec L---------", "notes.txt ----------"}; !slices.Equal(names, want) {
		t.Errorf("%s: the recordings' directory holds %q, want %q", who, names, want)
	}
	if ents, _ := os.ReadDir(filepath.Dir(tg.rec)); len(ents) != 2 {
		t.Errorf("%s: %d entries beside the recordings' directory, want 2", who, len(ents))
	}
}

// TestLockdownAttacks applies each of the lockdown's profiles (the main process's, through the
// real entry that also forks the helper; and the helper's) to a process that then tries to change
// the host in every way read-only mode must prevent: each attempt must be refused by the kernel,
// and each target must be as it was. Then the same without the seccomp filters, to show what the
// identity, the capabilities and the helper's Landlock domain hold on their own.
func TestLockdownAttacks(t *testing.T) {
	tg := setUp(t)
	bin := buildAttack(t, t.TempDir(), true)
	for _, mode := range []string{"main", "helper", "files", "writer", "execs"} {
		res := attack(t, bin, tg.args(mode))
		for k, v := range res {
			if k == "profile" || k == "terminal input seen" || k == ownRecording {
				continue
			}
			if !strings.HasPrefix(v, "refused ") {
				t.Errorf("%s process: %s: %s", mode, k, v)
			}
		}
		if res["terminal input seen"] != "0" {
			t.Errorf("%s process: TIOCSTI typed into the terminal: %s bytes", mode, res["terminal input seen"])
		}
		want := []string{"execve /bin/true", "io_uring_setup", "fanotify_init", "TIOCSTI into its terminal",
			"rtnetlink: take lo down in a netns of a root-made user namespace", "shmctl IPC_RMID of root's segment",
			"prlimit another process", "connect to a root-owned unix socket", "ptrace attach", "mount tmpfs",
			"open a device of root's", "open another terminal of root's", "open another process's pipe", "read a file of root's",
			"open O_EXCL", "F_SETFL O_NONBLOCK on stdin", "SIGCONT to its process group"}
		switch mode {
		case "main":
			want = append(want, "rtnetlink: take lo down in a netns of a user namespace of its own uid", "TCSETS on a terminal beyond descriptors 0-2",
				"files helper: a device", "files helper: a file outside its directories", "files helper: /etc/shadow", "files helper: a path with ..",
				"writer helper: a name with ..", "writer helper: a name with /", "writer helper: another name",
				"writer helper: through a symlink named as a recording", "writer helper: remove another file", "writer helper: remove a directory",
				"writer helper: remove through ..", "open a file of the recordings' directory for writing")
			// What the writer helper is for: the one file it made, written by the main process.
			own := filepath.Join(tg.rec, "isotop-ok.rec")
			if b, err := os.ReadFile(own); res[ownRecording] != "ALLOWED" || string(b) != "recorded" {
				t.Errorf("main process: %s: %s; the file holds %q (%v)", ownRecording, res[ownRecording], b, err)
			}
			os.Remove(own)
		case "writer":
			want = append(want, "writer: create beside its directory", "writer: write through a symlink in its directory", "writer: remove beside its directory")
		case "execs": // it cannot even receive the namespace the driver hands the others
			want = slices.DeleteFunc(append(want, "execs: send to the kernel's connector", "execs: write to the connector"),
				func(k string) bool { return strings.HasPrefix(k, "rtnetlink") })
		}
		for _, want := range want {
			if _, ok := res[want]; !ok {
				t.Errorf("%s process: the driver did not try %q", mode, want)
			}
		}
		t.Logf("%s process: %d attempts, all refused", mode, len(res)-2)
		tg.unchanged(t, mode)
	}

	// Without seccomp. The main process's identity (not root) and its two capabilities alone:
	nosec := buildAttack(t, t.TempDir(), false)
	res := attack(t, nosec, tg.args("main"))
	for _, held := range []string{"open root's file for writing", "write /proc/sys/kernel/printk_ratelimit",
		"write the victim's /proc/PID/mem", "connect to a root-owned unix socket", "kill another process",
		"prlimit another process", "shmctl IPC_RMID of root's segment", "rtnetlink: take lo down in a netns of a root-made user namespace",
		"mount tmpfs", "pivot_root", "sethostname", "fanotify_init",
		// without CAP_DAC_READ_SEARCH: no device, terminal, pipe or file of root's
		"open a device of root's", "open another terminal of root's", "open another process's pipe", "read a file of root's"} {
		if !strings.HasPrefix(res[held], "refused ") {
			t.Errorf("main process without seccomp: %s: %s (the identity and capabilities should hold it)", held, res[held])
		}
	}
	// What only the filter refuses changes the test's world-writable file and stops the victim
	// (ptrace attach, with CAP_SYS_PTRACE): put back, then the rest must be as it was.
	must(t, os.WriteFile(filepath.Join(tg.dir, "open"), []byte("before"), 0o666))
	unix.Kill(tg.victim, unix.SIGCONT)
	os.Remove(filepath.Join(tg.rec, "isotop-ok.rec")) // the writer helper's work, as with the filter
	tg.unchanged(t, "main process without seccomp")
	var allowed []string
	for k, v := range res {
		if v == "ALLOWED" {
			allowed = append(allowed, k)
		}
	}
	slices.Sort(allowed)
	t.Logf("main process without seccomp: only the filter refuses %q", allowed)
	// The helper's Landlock domain alone: no file, no program.
	res = attack(t, nosec, tg.args("helper"))
	for k, v := range res {
		if (strings.HasPrefix(k, "open") || strings.HasPrefix(k, "write") || strings.HasPrefix(k, "create") || k == "execve /bin/true" ||
			k == "mkdir" || k == "unlink" || k == "chmod" || k == "symlink" || k == "truncate a world-writable file") && !strings.HasPrefix(v, "refused ") {
			t.Errorf("helper without seccomp: %s: %s (Landlock should hold it)", k, v)
		}
	}
	// (Not tg.unchanged: with CAP_SYS_ADMIN and no filter, the helper could remove root's IPC
	// segment; its allow-list is what stops that, as the first part shows.)

	// The writer helper's Landlock domain alone, with CAP_DAC_OVERRIDE: no file but beneath its
	// directory, whatever a path or a symlink says.
	res = attack(t, nosec, tg.args("writer"))
	for k, v := range res {
		if (strings.HasPrefix(k, "open") || strings.HasPrefix(k, "write") || strings.HasPrefix(k, "create") || strings.HasPrefix(k, "writer:") ||
			k == "mkdir" || k == "unlink" || k == "chmod" || k == "symlink" || k == "truncate a world-writable file" || k == "read a file of root's") &&
			!strings.HasPrefix(v, "refused ") {
			t.Errorf("writer without seccomp: %s: %s (Landlock should hold it)", k, v)
		}
	}
	for _, f := range []string{tg.beside, filepath.Join(tg.rec, "notes.txt"), tg.rootFile, tg.secret} {
		if b, _ := os.ReadFile(f); string(b) != "before" && f != tg.secret {
			t.Errorf("writer without seccomp: %s changed: %q", f, b)
		}
	}
}

// ownRecording is the attack driver's one attempt that must work: the main process of isotop
// record writes the file its writer helper made for it.
const ownRecording = "writer helper: its own new file, written (must work)"

// TestLandlockBlinds is why the main process is in no Landlock domain: even one that handles only
// writing refuses reading another process's namespace link (a ptrace-mode read across the
// domain's edge), which is what made the first read-only mode blind.
func TestLandlockBlinds(t *testing.T) {
	probetest.Live(t)
	bin := buildAttack(t, t.TempDir(), true)
	victim := probetest.Start(t, exec.Command("sleep", "86389"))
	out, err := exec.Command(bin, "landlock-read", strconv.Itoa(victim.Process.Pid)).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(string(out), "landlock\tunavailable") {
		t.Skipf("no Landlock on this kernel: %s", out)
	}
	if !strings.Contains(string(out), "readlink before\tok") || !strings.Contains(string(out), "readlink in a Landlock domain\tEACCES") {
		t.Errorf("want the link readable before and EACCES in a Landlock domain:\n%s", out)
	}
}
