package actions

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/isotop/isotop/probe"
)

// DefaultAuditLog is where the audit log is unless --audit-log says otherwise.
const DefaultAuditLog = "/var/log/isotop/audit.jsonl"

// AuditRecord is one line of the audit log: who did what to what, when, and how it ended.
type AuditRecord struct {
	Time     time.Time `json:"time"`
	UID      int       `json:"uid"`
	SudoUser string    `json:"sudo_user,omitempty"`
	// LoginUID is the audit login uid (/proc/self/loginuid): who logged in, through su and sudo.
	LoginUID *int   `json:"login_uid,omitempty"`
	PID      int    `json:"pid"`
	Action   string `json:"action"` // "limit", "enter"
	Target   string `json:"target"`
	// Cgroup is the cgroup a limit was set on (Writes: its files' old and new values), or the one
	// an entered command joined; CgroupJoined says, for an enter, whether it joined the target's.
	Cgroup       string  `json:"cgroup,omitempty"`
	CgroupJoined *bool   `json:"cgroup_joined,omitempty"`
	Writes       []Write `json:"writes,omitempty"`
	// ReadBack is each written file's value afterwards.
	ReadBack []ReadBack `json:"read_back,omitempty"`
	// Namespaces and Command are what an enter entered and ran.
	Namespaces []string `json:"namespaces,omitempty"`
	Command    []string `json:"command,omitempty"`
	// Result is "intent" or "started" (written before the change: write-ahead), then, in a
	// record of the same Op, "ok", "exit N", "signal NAME", "failed: …"; or "refused: …" alone.
	Result string `json:"result"`
	// Op ties an action's intent record to its result record. An intent with no result is a
	// change whose isotop ended before it could say how it went (killed): Unfinished finds them.
	Op string `json:"op,omitempty"`
	// PIDStart is the start time of PID (clock ticks after boot): with PID, it tells whether the
	// isotop that wrote an intent still runs.
	PIDStart uint64 `json:"pid_start,omitempty"`
}

// NewOp is a fresh id for an action's records.
func NewOp() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Unfinished returns, by index into recs, the intent and started records that no record of the
// same Op follows, with why: "in progress" when their isotop still runs (alive says, by pid and
// start time), else that it ended without a result.
func Unfinished(recs []AuditRecord, alive func(pid int, start uint64) bool) map[int]string {
	done := map[string]bool{}
	for _, r := range recs {
		if r.Op != "" && r.Result != "intent" && r.Result != "started" {
			done[r.Op] = true
		}
	}
	out := map[int]string{}
	for i, r := range recs {
		if r.Op == "" || done[r.Op] || (r.Result != "intent" && r.Result != "started") {
			continue
		}
		if alive != nil && r.PIDStart != 0 && alive(r.PID, r.PIDStart) {
			out[i] = "in progress (isotop pid " + strconv.Itoa(r.PID) + " runs)"
		} else {
			out[i] = "no result: isotop (pid " + strconv.Itoa(r.PID) + ") ended before it wrote one, killed or crashed: check the target by hand"
		}
	}
	return out
}

// AuditLog appends records to a JSON-lines file, one write(2) per line with O_APPEND, so that
// concurrent isotops do not interleave.
type AuditLog struct {
	Path string
	mu   sync.Mutex
}

// Append writes r, filling in who and when.
func (a *AuditLog) Append(r AuditRecord) error {
	if a == nil || a.Path == "" {
		return nil
	}
	if r.Time.IsZero() {
		r.Time = time.Now().UTC()
	}
	r.UID, r.PID = os.Getuid(), os.Getpid()
	if start, _, err := probe.DefaultFS().ProcessStart(r.PID); err == nil {
		r.PIDStart = start
	}
	r.SudoUser = os.Getenv("SUDO_USER")
	if data, err := os.ReadFile("/proc/self/loginuid"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && n != -1 && uint32(n) != ^uint32(0) {
			r.LoginUID = &n
		}
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := a.open()
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(line); err != nil {
		return fmt.Errorf("audit log %s: %w", a.Path, err)
	}
	return nil
}

// open opens the log for appending, as root, safely: no symbolic link anywhere in its path (a
// user's link to a root-only file would have isotop append to it), and only a log that is a plain
// file of one link, owned by root or by isotop's own user, that no one else may write. Anything
// else is refused with the reason, and nothing is written.
func (a *AuditLog) open() (*os.File, error) {
	dir := filepath.Dir(a.Path)
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("audit log %s: %w", a.Path, err)
		}
	}
	fd, err := openNoSymlinks(a.Path, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, 0o640)
	if err != nil {
		if errors.Is(err, errSymlink) {
			return nil, fmt.Errorf("audit log %s: a symbolic link is on its path: give the real path of the log", a.Path)
		}
		return nil, fmt.Errorf("audit log %s: %w", a.Path, err)
	}
	f := os.NewFile(uintptr(fd), a.Path)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit log %s: %w", a.Path, err)
	}
	why := ""
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		why = "not a regular file"
	case st.Nlink != 1:
		why = fmt.Sprintf("it has %d hard links: another name for it may be another's file", st.Nlink)
	case st.Uid != 0 && int(st.Uid) != os.Geteuid():
		why = fmt.Sprintf("owned by uid %d, not root or isotop's user", st.Uid)
	case st.Mode&0o002 != 0:
		why = "anyone may write it"
	case st.Mode&0o020 != 0 && st.Gid != 0 && int(st.Gid) != os.Getegid():
		why = fmt.Sprintf("group %d may write it", st.Gid)
	}
	if why != "" {
		f.Close()
		return nil, fmt.Errorf("audit log %s: %s; isotop appends only to a log of its own", a.Path, why)
	}
	return f, nil
}

var errSymlink = errors.New("a symbolic link")

// openNoSymlinks opens path following no symbolic link on the way, its last part included (as
// openat2's RESOLVE_NO_SYMLINKS, which Linux before 5.6 and read-only mode's filter lack): one
// directory at a time from / (or the working directory), each opened with O_NOFOLLOW.
func openNoSymlinks(path string, flags int, mode uint32) (int, error) {
	dir := unix.AT_FDCWD
	if filepath.IsAbs(path) {
		fd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		dir = fd
	}
	closeDir := func() {
		if dir != unix.AT_FDCWD {
			unix.Close(dir)
		}
	}
	defer func() { closeDir() }()
	parts := strings.FieldsFunc(filepath.Clean(path), func(r rune) bool { return r == '/' })
	if len(parts) == 0 {
		return -1, unix.EISDIR
	}
	link := func(name string, err error) error {
		var st unix.Stat_t
		if unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return errSymlink
		}
		return err
	}
	for _, name := range parts[:len(parts)-1] {
		fd, err := unix.Openat(dir, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, link(name, err)
		}
		closeDir()
		dir = fd
	}
	last := parts[len(parts)-1]
	fd, err := unix.Openat(dir, last, flags|unix.O_NOFOLLOW, mode)
	if err != nil {
		return -1, link(last, err)
	}
	return fd, nil
}

// Writable checks, before a change, that its record can be written: isotop makes no change it
// cannot audit.
func (a *AuditLog) Writable() error {
	if a == nil || a.Path == "" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := a.open()
	if err != nil {
		return refusedf("%w; nothing was changed (--audit-log PATH names another file)", err)
	}
	return f.Close()
}

// ReadAudit reads an audit log, oldest first. A line that is not a record is skipped and counted.
func ReadAudit(path string) ([]AuditRecord, int, error) { return ReadAuditWith(os.Open, path) }

// ReadAuditWith is ReadAudit with the log opened by open (read-only mode's files helper: the log
// is root's, 0640).
func ReadAuditWith(open func(string) (*os.File, error), path string) ([]AuditRecord, int, error) {
	f, err := open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, 0, err
	}
	var out []AuditRecord
	bad := 0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r AuditRecord
		if json.Unmarshal([]byte(line), &r) != nil {
			bad++
			continue
		}
		out = append(out, r)
	}
	return out, bad, nil
}
