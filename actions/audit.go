package actions

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
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
	// Result is "ok", "started", "exit N", "signal NAME", or "failed: …"/"refused: …".
	Result string `json:"result"`
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

func (a *AuditLog) open() (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(a.Path), 0o750); err != nil {
		return nil, fmt.Errorf("audit log %s: %w", a.Path, err)
	}
	f, err := os.OpenFile(a.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", a.Path, err)
	}
	return f, nil
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
