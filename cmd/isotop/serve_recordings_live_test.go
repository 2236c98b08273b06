package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/isotop/isotop/probe/probetest"
)

// TestServeRecordingsReadOnly: `isotop serve --read-only --recordings DIR` reads DIR as the
// read-only user: a directory only root may read is refused at start, saying so and what to do
// (not a crash, not a 500 at the first request); one that user may read gives its events.
func TestServeRecordingsReadOnly(t *testing.T) {
	probetest.Live(t)
	bin := buildBinary(t)
	parent := t.TempDir()
	os.Chmod(parent, 0o755)
	dir := filepath.Join(parent, "isotop-test-record")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	rec, err := os.ReadFile("../../probe/record/testdata/format1.rec")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "isotop-20261203.rec"), rec, 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	out, err := exec.Command(bin, "serve", "--read-only", "--listen", "127.0.0.1:"+port, "--recordings", dir).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "permission denied: in read-only mode serve reads as ") ||
		!strings.Contains(string(out), "--recordings "+dir) || strings.Contains(string(out), "panic") {
		t.Errorf("a directory of root's (0700): %v\n%s", err, out)
	}

	os.Chmod(dir, 0o755)
	serve := exec.Command(bin, "serve", "--read-only", "--listen", "127.0.0.1:"+port, "--recordings", dir)
	var serr lockedBuffer
	serve.Stderr = &serr
	probetest.Start(t, serve)
	probetest.WaitFor(t, "isotop serve listening", func() bool { return strings.Contains(serr.String(), "listening on") })
	resp, err := http.Get("http://127.0.0.1:" + port + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Count(string(body), `"event":`) != 5 {
		t.Errorf("/api/v1/events of a readable directory: %s\n%s", resp.Status, body)
	}
}

// TestRemoteEvents: the real TUI in tmux on a serve with --recordings: v lists the remote
// recorder's events, typing filters them, and enter says a live view cannot go back and names the
// command that replays the instant there.
func TestRemoteEvents(t *testing.T) {
	probetest.Live(t)
	bin := buildBinary(t)
	dir := "../../probe/record/testdata" // format1.rec: five events
	abs, _ := filepath.Abs(dir)
	port := freePort(t)
	serve := exec.Command(bin, "serve", "--listen", "127.0.0.1:"+port, "--recordings", abs)
	var serr lockedBuffer
	serve.Stderr = &serr
	probetest.Start(t, serve)
	probetest.WaitFor(t, "isotop serve listening", func() bool { return strings.Contains(serr.String(), "listening on") })
	tm := startTmux(t, 200, 40, bin, "--remote", "http://127.0.0.1:"+port, "--no-mouse")
	tm.waitFor("busiest cgroups")
	tm.keys("v")
	tm.waitFor("Events of the host's recorder: 5 of 5", "podman:web")
	tm.text("limit")
	tm.waitFor("1 of 5 matching limit", "memory max 1073741824")
	tm.keys("Enter")
	tm.waitFor("a live view cannot go back to", "isotop --replay "+abs+" --at 2026-12-03T02:00:50Z")
	tm.keys("q")
}
