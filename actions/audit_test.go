package actions

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestAuditAppendFillsWhoAndWhen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "audit.jsonl") // directories are made
	a := &AuditLog{Path: path}
	before := time.Now()
	w := Write{Controller: "pids", Version: 1, File: "/sys/fs/cgroup/pids/x/pids.max", Old: "max", New: "50", OldHuman: "no limit", NewHuman: "50 pids"}
	if err := a.Append(AuditRecord{Action: "limit", Target: "cgroup /x", Cgroup: "/x", Writes: []Write{w},
		ReadBack: []ReadBack{{File: w.File, Value: "50", Human: "50 pids"}}, Result: "ok"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Append(AuditRecord{Action: "enter", Target: "pid 1", Namespaces: []string{"net"}, Command: []string{"sh"}, Result: "exit 0"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), data)
	}
	// The file's format is what other tools read: check the keys, not only the Go round trip.
	var raw map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"time", "uid", "pid", "action", "target", "cgroup", "writes", "read_back", "result"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("line 1 has no %q: %s", k, lines[0])
		}
	}
	if ws, _ := raw["writes"].([]any); len(ws) != 1 || ws[0].(map[string]any)["old"] != "max" || ws[0].(map[string]any)["new"] != "50" {
		t.Errorf("writes: %v", raw["writes"])
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm()&0o007 != 0 {
		t.Errorf("audit log is readable by others: %v %v", st.Mode(), err)
	}

	recs, bad, err := ReadAudit(path)
	if err != nil || bad != 0 || len(recs) != 2 {
		t.Fatalf("ReadAudit: %d records, %d bad, %v", len(recs), bad, err)
	}
	r := recs[0]
	if r.UID != os.Getuid() || r.PID != os.Getpid() || r.Time.Before(before.Add(-time.Second)) || r.Time.Location() != time.UTC ||
		r.SudoUser != os.Getenv("SUDO_USER") {
		t.Errorf("who and when not filled in: %+v", r)
	}
	if r.Action != "limit" || r.Cgroup != "/x" || len(r.Writes) != 1 || r.Writes[0] != w || len(r.ReadBack) != 1 || r.ReadBack[0].Value != "50" || r.Result != "ok" {
		t.Errorf("record 1: %+v", r)
	}
	if e := recs[1]; e.Action != "enter" || e.Cgroup != "" || len(e.Writes) != 0 || e.Namespaces[0] != "net" || e.Command[0] != "sh" || e.Result != "exit 0" {
		t.Errorf("record 2: %+v", e)
	}
	if strings.Contains(lines[1], `"cgroup"`) || strings.Contains(lines[1], `"writes"`) {
		t.Errorf("an enter record carries limit fields: %s", lines[1])
	}
}

func TestAuditConcurrentAppendsDoNotInterleave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	long := strings.Repeat("x", 8192) // two pages a line: still one write(2) each
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &AuditLog{Path: path} // separate logs, as separate isotops would have
			for range 25 {
				if err := a.Append(AuditRecord{Action: "limit", Target: long, Result: "ok", Cgroup: string(rune('a' + i))}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	recs, bad, err := ReadAudit(path)
	if err != nil || bad != 0 || len(recs) != 200 {
		t.Fatalf("%d records, %d unreadable, %v; want 200 whole lines", len(recs), bad, err)
	}
	for _, r := range recs {
		if r.Target != long {
			t.Fatalf("a record was cut: %d bytes of target", len(r.Target))
		}
	}
}

func TestReadAuditSkipsBadLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	content := `{"action":"limit","result":"ok","uid":0}` + "\n\nnot json\n" + `{"action":"enter","result":"exit 1"` + "\n" +
		`{"action":"enter","result":"exit 2","uid":1000}` + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, bad, err := ReadAudit(path)
	if err != nil || bad != 2 || len(recs) != 2 || recs[0].Result != "ok" || recs[1].UID != 1000 {
		t.Errorf("ReadAudit = %+v, %d bad, %v; want 2 records and 2 bad lines", recs, bad, err)
	}
	if _, _, err := ReadAudit(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing log: %v", err)
	}
}

func TestAuditNoPathIsNoLog(t *testing.T) {
	var nilLog *AuditLog
	for _, a := range []*AuditLog{nilLog, {}} {
		if err := a.Append(AuditRecord{Action: "limit"}); err != nil {
			t.Errorf("Append on %#v: %v", a, err)
		}
		if err := a.Writable(); err != nil {
			t.Errorf("Writable on %#v: %v", a, err)
		}
	}
}

func TestAuditUnwritableIsRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	a := &AuditLog{Path: filepath.Join(file, "audit.jsonl")} // a directory that cannot be made
	err := a.Writable()
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), a.Path) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("Writable = %v; want a refusal naming the log and saying nothing changed", err)
	}
	if err := a.Append(AuditRecord{Action: "limit"}); err == nil || !strings.Contains(err.Error(), a.Path) {
		t.Errorf("Append = %v; want an error naming the log", err)
	}
}

// TestAuditRefusesUnsafeLogs: isotop, as root, appends only to a log of its own. A symbolic link
// (as the log or on its way), a file of another user's, one others may write, a second name of a
// file (a hard link), a FIFO: each refused with the reason, and the file behind it unchanged.
func TestAuditRefusesUnsafeLogs(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "root-only")
	if err := os.WriteFile(victim, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, f func(p string) error) string {
		p := filepath.Join(dir, name)
		if err := f(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	linkDir := mk("linkdir", func(p string) error { return os.Symlink(dir, p) })
	cases := []struct{ path, why string }{
		{mk("link.jsonl", func(p string) error { return os.Symlink(victim, p) }), "symbolic link"},
		{filepath.Join(linkDir, "audit.jsonl"), "symbolic link"},
		{mk("world.jsonl", func(p string) error {
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				return err
			}
			return os.Chmod(p, 0o666)
		}), "anyone may write it"},
		{mk("hard.jsonl", func(p string) error { return os.Link(victim, p) }), "2 hard links"},
		{mk("fifo.jsonl", func(p string) error { return syscall.Mkfifo(p, 0o600) }), "audit log"},
		{dir, "audit log"},
	}
	if os.Geteuid() == 0 {
		cases = append(cases, struct{ path, why string }{mk("theirs.jsonl", func(p string) error {
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				return err
			}
			return os.Chown(p, 65534, 65534)
		}), "owned by uid 65534"})
	}
	for _, tc := range cases {
		a := &AuditLog{Path: tc.path}
		if err := a.Writable(); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("Writable(%s) = %v; want a refusal saying %q", tc.path, err, tc.why)
		}
		if err := a.Append(AuditRecord{Action: "limit", Result: "ok"}); err == nil {
			t.Errorf("Append(%s) wrote", tc.path)
		}
	}
	if data, _ := os.ReadFile(victim); string(data) != "secret\n" {
		t.Errorf("the root-only file behind the links was written: %q", data)
	}
}

// TestUnfinished: an intent or a start that no record of its op follows is unfinished; in
// progress while its isotop runs, else flagged as without a result.
func TestUnfinished(t *testing.T) {
	recs := []AuditRecord{
		{Action: "limit", Op: "a", Result: "intent", PID: 10, PIDStart: 1},
		{Action: "limit", Op: "a", Result: "ok", PID: 10, PIDStart: 1},
		{Action: "limit", Op: "b", Result: "intent", PID: 11, PIDStart: 1},
		{Action: "sandbox", Op: "c", Result: "started", PID: 12, PIDStart: 5},
		{Action: "enter", Op: "d", Result: "started", PID: 13, PIDStart: 1},
		{Action: "enter", Result: "started"}, // an old record, from before ops: nothing to pair
		{Action: "enter", Op: "d", Result: "exit 0", PID: 13},
		{Action: "limit", Result: "refused: below the usage"},
	}
	got := Unfinished(recs, func(pid int, start uint64) bool { return pid == 12 && start == 5 })
	if len(got) != 2 || !strings.HasPrefix(got[2], "no result: isotop (pid 11) ended") || !strings.HasPrefix(got[3], "in progress (isotop pid 12") {
		t.Errorf("Unfinished = %v", got)
	}
}
