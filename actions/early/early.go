// Package early is what isotop does before the Go runtime starts (early.c and lockdown.c, an ELF
// constructor): read-only mode's lockdown, with its namespace helper, and the setns(2) of `isotop
// enter`, all of which need a process with one thread. Importing it (for its side effect) is what
// links it in; cmd/isotop wires what it offers (the lockdown's account, the helper) where needed.
package early

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// EnterEnv is the variable by which actions.Enter hands early.c the namespaces to enter: "ns=FD,…
// root=FD cwd=FD user=1 fork=1". early.c acts on it only in a process named isotop-enter, never in
// read-only mode, and removes it before the command runs.
const EnterEnv = "_ISOTOP_ENTER"

// Process is the kernel's account of one process of the lockdown (/proc/PID/status).
type Process struct {
	PID        int
	UID        int    // real uid (all four are set alike)
	NoNewPrivs bool   // NoNewPrivs: 1
	Seccomp    bool   // Seccomp: 2 (a filter)
	CapEff     uint64 // effective capabilities
	CapBnd     uint64 // the bounding set
}

// Lockdown is the state of read-only mode's restrictions, read back from the kernel: what
// early.c reported is taken only as a report.
type Lockdown struct {
	ReadOnly  bool   // the lockdown ran (read-only mode was asked for)
	Requested string // what early.c reported: "asked=flag uid=isotop(998) helper=1234 helper_landlock=7 caps=…"
	Identity  string // "isotop(998)" or "nobody(65534)"
	Main      Process
	Helper    *Process // the namespace helper, nil when there is none
	// HelperLandlock is the namespace helper's Landlock ABI ("7"), or why it has none.
	HelperLandlock string
	// Files is the files helper, nil when there is none (no Landlock); FilesLandlock its ABI
	// and the number of directories it may read beneath ("7,dirs=4").
	Files         *Process
	FilesLandlock string
	// Writer is isotop record's writer helper, nil when there is none (not record);
	// WriterLandlock its ABI, or why it has none.
	Writer         *Process
	WriterLandlock string
	// Execs is isotop record's execs helper (the proc connector's socket), nil when there is none.
	Execs *Process
}

// Capability bits (linux/capability.h).
const (
	CapDACOverride   = 1
	CapDACReadSearch = 2
	CapSysPtrace     = 19
	CapSysAdmin      = 21
)

// refusedHere checks, from inside, that this process's filter is isotop's: calls its allow-list
// refuses are refused (a stand-in libseccomp that loaded an allow-all filter would still show
// "Seccomp: 2"). Each would be harmless if it worked: a socket, /dev/null opened for writing.
func refusedHere() error {
	if fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err != unix.EPERM {
		if err == nil {
			unix.Close(fd)
		}
		return fmt.Errorf("the filter in force let socket(AF_INET) through (%v)", err)
	}
	if fd, err := unix.Open("/dev/null", unix.O_WRONLY|unix.O_CLOEXEC, 0); err != unix.EPERM {
		if err == nil {
			unix.Close(fd)
		}
		return fmt.Errorf("the filter in force let an open for writing through (%v)", err)
	}
	return nil
}

// Current reads the lockdown in force on this process and its helper.
func Current() (Lockdown, error) {
	l := Lockdown{ReadOnly: readOnly(), Requested: reported()}
	helper, files, writer, execs := 0, 0, 0, 0
	for _, f := range strings.Fields(l.Requested) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "uid":
			l.Identity = strings.TrimSuffix(v, ",no-isotop-user")
		case "helper":
			helper, _ = strconv.Atoi(v)
		case "helper_landlock":
			l.HelperLandlock = v
		case "files":
			files, _ = strconv.Atoi(v)
		case "files_landlock":
			l.FilesLandlock = v
		case "writer":
			writer, _ = strconv.Atoi(v)
		case "writer_landlock":
			l.WriterLandlock = v
		case "execs":
			execs, _ = strconv.Atoi(v)
		}
	}
	var err error
	if l.Main, err = status("self"); err != nil {
		return l, err
	}
	for _, h := range []struct {
		pid  int
		to   **Process
		what string
	}{{helper, &l.Helper, "the namespace helper"}, {files, &l.Files, "the files helper"}, {writer, &l.Writer, "the writer helper"}, {execs, &l.Execs, "the execs helper"}} {
		if h.pid > 0 {
			p, err := status(strconv.Itoa(h.pid))
			if err != nil {
				return l, fmt.Errorf("%s (pid %d): %w", h.what, h.pid, err)
			}
			*h.to = &p
		}
	}
	return l, nil
}

// status reads the lockdown's fields of /proc/PID/status.
func status(pid string) (Process, error) {
	p := Process{}
	p.PID, _ = strconv.Atoi(pid)
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return p, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Pid":
			p.PID, _ = strconv.Atoi(v)
		case "Uid":
			p.UID, _ = strconv.Atoi(strings.Fields(v)[0])
		case "NoNewPrivs":
			p.NoNewPrivs = v == "1"
		case "Seccomp":
			p.Seccomp = v == "2"
		case "CapEff":
			p.CapEff, _ = strconv.ParseUint(v, 16, 64)
		case "CapBnd":
			p.CapBnd, _ = strconv.ParseUint(v, 16, 64)
		}
	}
	return p, sc.Err()
}

// check says what is wrong with a process of the lockdown, if anything.
func (p Process) check(who string, keep uint64) error {
	switch {
	case p.UID == 0:
		return fmt.Errorf("%s still runs as root", who)
	case !p.NoNewPrivs:
		return fmt.Errorf("%s: no_new_privs is not set", who)
	case !p.Seccomp:
		return fmt.Errorf("%s: no seccomp filter is in force", who)
	case p.CapEff&^keep != 0:
		return fmt.Errorf("%s keeps capabilities %#x beyond %#x", who, p.CapEff, keep)
	}
	return nil
}

// Enforced reports whether read-only mode is held by the kernel: both processes as another user
// than root (when isotop started as root), under no_new_privs and their seccomp filters, with no
// capability beyond their part. It returns why not otherwise.
func (l Lockdown) Enforced() error {
	switch {
	case !l.ReadOnly:
		return fmt.Errorf("the lockdown did not run before the Go runtime (a build without cgo?)")
	case strings.Contains(l.Requested, "failed"):
		return fmt.Errorf("the lockdown failed: %s", l.Requested)
	}
	if err := l.Main.check("isotop", 1<<CapSysPtrace); err != nil {
		return err
	}
	if l.Main.CapBnd&^(1<<CapSysPtrace) != 0 {
		return fmt.Errorf("isotop's bounding set %#x holds more than ptrace", l.Main.CapBnd)
	}
	if l.Main.PID == os.Getpid() {
		if err := refusedHere(); err != nil {
			return err
		}
	}
	if l.Helper == nil {
		return fmt.Errorf("no namespace helper: %s", l.Requested)
	}
	for _, h := range []struct {
		p    *Process
		who  string
		keep uint64
	}{{l.Helper, "the namespace helper", 1 << CapSysAdmin}, {l.Files, "the files helper", 1 << CapDACReadSearch}, {l.Execs, "the execs helper", 0}, {l.Writer, "the writer helper", 1 << CapDACOverride}} {
		if h.p == nil {
			continue
		}
		if err := h.p.check(h.who, h.keep); err != nil {
			return err
		}
		if h.p.UID != l.Main.UID {
			return fmt.Errorf("%s runs as uid %d, isotop as %d", h.who, h.p.UID, l.Main.UID)
		}
	}
	return nil
}

// Summary is an account for the screen, a part per process, "; " between them.
func (l Lockdown) Summary() string {
	s := fmt.Sprintf("uid %s, caps ptrace only, seccomp allow-list, no_new_privs", l.Identity)
	landlock := func(v string) string {
		abi, rest, _ := strings.Cut(v, ",")
		if _, err := strconv.Atoi(abi); err == nil {
			if dirs, ok := strings.CutPrefix(rest, "dirs="); ok {
				return ", landlock ABI " + abi + ", reads " + dirs + " state dirs"
			}
			return ", landlock ABI " + abi
		}
		if v != "" {
			return ", landlock " + v
		}
		return ""
	}
	if l.Helper != nil {
		s += fmt.Sprintf("; netns/uts helper pid %d: sys_admin only, seccomp%s", l.Helper.PID, landlock(l.HelperLandlock))
	}
	if l.Files != nil {
		s += fmt.Sprintf("; files helper pid %d: dac_read_search only, seccomp%s", l.Files.PID, landlock(l.FilesLandlock))
	} else {
		s += "; no files helper (no Landlock): root-only runtime files unread"
	}
	if l.Writer != nil {
		s += fmt.Sprintf("; writer helper pid %d: dac_override only, seccomp, isotop-*.rec in one directory%s", l.Writer.PID, landlock(l.WriterLandlock))
	}
	if l.Execs != nil {
		s += fmt.Sprintf("; execs helper pid %d: no capability, seccomp, forwards the proc connector's exec events", l.Execs.PID)
	}
	return s
}

// Listener is isotop serve's listening socket in read-only mode, made and bound by early.c before
// the lockdown (which forbids making one, and allows accepting on it alone); nil and no error when
// none was made (not read-only, or not serve), nil and why when making it failed.
func Listener() (net.Listener, error) {
	fd, why := listenFD()
	switch {
	case fd < 0 && why != "":
		return nil, errors.New(why)
	case fd < 0:
		return nil, nil
	}
	f := os.NewFile(uintptr(fd), "isotop-serve-listener")
	defer f.Close() // FileListener holds a duplicate
	return net.FileListener(f)
}
