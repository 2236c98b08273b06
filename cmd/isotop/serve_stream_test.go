package main

import (
	"bufio"
	"context"
	"encoding/json"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/probetest"
)

const hybridSys = "../../probe/testdata/hybrid/sys"

// testServe starts serve's handlers in this process on the fixture host, on loopback.
func testServe(t *testing.T, c serveConfig) (*server, string) {
	t.Helper()
	c.listen = "127.0.0.1:0"
	if c.fresh == 0 {
		c.fresh = 100 * time.Millisecond
	}
	s, ln, err := newServer(probe.NewFS(hybrid, hybridSys), c)
	if err != nil {
		t.Fatal(err)
	}
	go s.http.Serve(ln)
	t.Cleanup(s.close)
	return s, "http://" + ln.Addr().String()
}

// openStream opens /api/v1/stream; gzip: as Go's client asks by default (and unpacks), else plain.
func openStream(t *testing.T, ctx context.Context, url string, gzip bool) (*http.Response, *bufio.Reader) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if !gzip {
		req.Header.Set("Accept-Encoding", "identity")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" || resp.Uncompressed != gzip {
		t.Fatalf("%s: %s, %s, gzip'd %v (want %v)", url, resp.Status, resp.Header.Get("Content-Type"), resp.Uncompressed, gzip)
	}
	return resp, bufio.NewReaderSize(resp.Body, 1<<20)
}

// nextLine reads a line of a stream: a whole snapshot, and its time.
func nextLine(t *testing.T, br *bufio.Reader) (string, time.Time) {
	t.Helper()
	line, err := readLine(br)
	if err != nil {
		t.Fatal(err)
	}
	s, err := probe.DecodeSnapshot(line)
	if err != nil {
		t.Fatalf("a line is not a snapshot: %v", err)
	}
	if s.Host.Hostname != "vm" || len(s.Processes) != 8 {
		t.Fatalf("a line's snapshot: host %q, %d processes", s.Host.Hostname, len(s.Processes))
	}
	return string(line), s.Taken
}

// streamGoroutines are serve's goroutines of streams still running (handlers and the hub).
func streamGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "main.(*server).serveStream(") + strings.Count(string(buf), "main.(*server).runHub(")
}

// TestServeStream: /api/v1/stream sends a snapshot a line, the same document as /api/v1/snapshot;
// two clients, one plain and one gzip'd (each line flushed, readable at once), get the very same
// snapshots (the server's reads, shared); an interval below --min-interval is raised to it; a
// client that goes is let go; serve's shutdown ends the streams at once, a gzip one with its
// trailer (read to a clean end), and leaves no goroutine of theirs.
func TestServeStream(t *testing.T) {
	before := streamGoroutines()
	s, base := testServe(t, serveConfig{fresh: 100 * time.Millisecond})

	resp, err := http.Get(base + "/api/v1/stream?interval=soon")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("interval=soon: %s", resp.Status)
		}
	}

	// Below --min-interval: raised to it. Gone: let go.
	ctx, cancel := context.WithCancel(context.Background())
	_, br := openStream(t, ctx, base+"/api/v1/stream?interval=1ms", false)
	nextLine(t, br)
	if p := s.hub.period(); p != 100*time.Millisecond {
		t.Errorf("a stream at interval=1ms: the hub reads every %s, want --min-interval's 100ms", p)
	}
	cancel()
	probetest.WaitFor(t, "the stream of a client that went to end", func() bool { return s.hub.period() == 0 })

	_, plain := openStream(t, context.Background(), base+"/api/v1/stream?interval=100ms", false)
	_, gz := openStream(t, context.Background(), base+"/api/v1/stream?interval=100ms", true)
	seen := map[time.Time]string{}
	for range 3 {
		line, taken := nextLine(t, plain)
		seen[taken] = line
	}
	for i := range 3 {
		line, taken := nextLine(t, gz)
		if i == 0 {
			continue // the newest snapshot when it came, maybe one before the plain stream's first
		}
		for range 10 {
			if _, ok := seen[taken]; ok {
				break
			}
			l, tk := nextLine(t, plain)
			seen[tk] = l
		}
		if got, ok := seen[taken]; !ok || got != line {
			t.Fatalf("the gzip'd stream's snapshot of %s is not the plain stream's (one read each for all clients)", taken.Format(time.RFC3339Nano))
		}
	}

	shut, cancelShut := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelShut()
	if err := s.shutdown(shut); err != nil {
		t.Fatalf("shutdown with two streams open: %v", err)
	}
	for name, br := range map[string]*bufio.Reader{"plain": plain, "gzip": gz} {
		var err error
		for err == nil {
			_, err = readLine(br)
		}
		if err != io.EOF {
			t.Errorf("the %s stream after shutdown: %v, want its clean end", name, err)
		}
	}
	if n := streamGoroutines(); n != before {
		t.Errorf("%d goroutines of streams or of the hub after shutdown (%d before)", n, before)
	}
}

// TestServeSnapshotGzip: /api/v1/snapshot is the stream's document, gzip'd for a client that
// takes it (Go's does), plain for one that does not.
func TestServeSnapshotGzip(t *testing.T) {
	_, base := testServe(t, serveConfig{fresh: time.Hour})
	resp, err := http.Get(base + "/api/v1/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	zipped, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !resp.Uncompressed {
		t.Fatalf("gzip'd: %v, unpacked by the client %v", err, resp.Uncompressed)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/snapshot", nil)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "" || string(plain) != string(zipped) {
		t.Errorf("plain (%s) and gzip'd differ: %d and %d bytes", resp.Header.Get("Content-Encoding"), len(plain), len(zipped))
	}
	if _, err := probe.DecodeSnapshot(plain); err != nil {
		t.Error(err)
	}
}

// fixtureJSON is the fixture host's snapshot as serve sends it.
func fixtureJSON(t *testing.T) string {
	code, out, stderr := runCLI("snapshot", "--json", "--proc", hybrid)
	if code != 0 {
		t.Fatal(stderr)
	}
	return out
}

// TestRemoteSource: isotop --remote's source follows the stream (one request however many
// refreshes); when the stream ends it says so for a refresh and connects again; a serve with no
// stream (older: 404) is polled at /api/v1/snapshot instead; a refused token is said as such.
func TestRemoteSource(t *testing.T) {
	s, base := testServe(t, serveConfig{})
	r, err := newRemote(remoteConfig{base: base, interval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if snap, err := r.Snapshot(); err != nil || snap.Host.Hostname != "vm" {
			t.Fatalf("from the stream: %v", err)
		}
	}
	if s.hub.period() != 100*time.Millisecond {
		t.Errorf("the remote source does not stream (the hub's period %s)", s.hub.period())
	}

	// A stream that ends after a line: said for a refresh, then followed again.
	doc := fixtureJSON(t)
	var streams, polls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/stream", func(w http.ResponseWriter, _ *http.Request) {
		streams.Add(1)
		io.WriteString(w, doc)
	})
	ending := httptest.NewServer(mux)
	defer ending.Close()
	r, _ = newRemote(remoteConfig{base: ending.URL, interval: 100 * time.Millisecond})
	if _, err := r.Snapshot(); err != nil {
		t.Fatal(err)
	}
	probetest.WaitFor(t, "the end of the stream to be said", func() bool {
		_, err := r.Snapshot()
		return err != nil && strings.Contains(err.Error(), "stream ended")
	})
	probetest.WaitFor(t, "the source to connect again", func() bool {
		_, err := r.Snapshot()
		return err == nil && streams.Load() >= 2
	})

	// An older serve: no stream, polled.
	mux = http.NewServeMux()
	mux.HandleFunc("GET /api/v1/snapshot", func(w http.ResponseWriter, _ *http.Request) {
		polls.Add(1)
		io.WriteString(w, doc)
	})
	old := httptest.NewServer(mux)
	defer old.Close()
	r, _ = newRemote(remoteConfig{base: old.URL, interval: time.Second})
	for range 3 {
		if snap, err := r.Snapshot(); err != nil || snap.Host.Hostname != "vm" {
			t.Fatalf("from an older serve: %v", err)
		}
	}
	if polls.Load() != 3 {
		t.Errorf("%d polls of an older serve for 3 refreshes", polls.Load())
	}

	// A refused token.
	dir := t.TempDir()
	token := dir + "/token"
	os.WriteFile(token, []byte("isotop-test-token-0123456789\n"), 0o600)
	_, base = testServe(t, serveConfig{tokenFile: token})
	os.WriteFile(token, []byte("not-the-token-0123456789\n"), 0o600)
	r, _ = newRemote(remoteConfig{base: base, tokenFile: token, interval: time.Second})
	if _, err := r.Snapshot(); err == nil || !strings.Contains(err.Error(), "refused the token") {
		t.Errorf("a wrong token: %v", err)
	}
}

// TestServeEvents: serve --recordings gives the recording's events as export prints them, over
// a period as export's --from and --to read it, with the directory named for the replay command;
// isotop --remote's Events reads them; without --recordings, 404 saying why.
func TestServeEvents(t *testing.T) {
	dir := "../../probe/record/testdata" // format1.rec: five events
	_, base := testServe(t, serveConfig{recordings: dir})
	get := func(query string) (int, []string, http.Header) {
		resp, err := http.Get(base + "/api/v1/events" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.Split(strings.TrimSpace(string(body)), "\n"), resp.Header
	}
	code, lines, h := get("")
	if code != http.StatusOK || len(lines) != 5 || h.Get("Isotop-Recordings") != dir {
		t.Fatalf("all events: %d, %d lines, %q", code, len(lines), h.Get("Isotop-Recordings"))
	}
	_, export, _ := runCLI("export", dir)
	for _, l := range lines {
		var e eventLine
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.Event.Kind == "" || !strings.Contains(export, l+"\n") {
			t.Errorf("an event line that is not export's: %s (%v)", l, err)
		}
	}
	if code, lines, _ = get("?from=2026-12-03T02:00:40Z&to=2026-12-03T02:01:00Z"); code != http.StatusOK || len(lines) != 1 || !strings.Contains(lines[0], "limit-changed") {
		t.Errorf("from 02:00:40 to 02:01:00: %d %q", code, lines)
	}
	if code, lines, _ = get("?from=soon"); code != http.StatusBadRequest || !strings.Contains(lines[0], "soon") {
		t.Errorf("from=soon: %d %q", code, lines)
	}

	r, _ := newRemote(remoteConfig{base: base, interval: time.Second})
	evs, replay, err := r.Events()
	if err != nil || len(evs) != 5 || replay != "isotop --replay "+dir || evs[0].Kind != "container-started" {
		t.Errorf("the remote's events: %+v, %q, %v", evs, replay, err)
	}

	_, base = testServe(t, serveConfig{})
	if code, lines, _ := get(""); code != http.StatusNotFound || !strings.Contains(lines[0], "without --recordings") {
		t.Errorf("without --recordings: %d %q", code, lines)
	}
	r, _ = newRemote(remoteConfig{base: base, interval: time.Second})
	if _, _, err := r.Events(); err == nil || !strings.Contains(err.Error(), "without --recordings") {
		t.Errorf("the remote's events without --recordings: %v", err)
	}
}

// TestCRC32Combine: the CRC of two parts from theirs is the CRC of the whole.
func TestCRC32Combine(t *testing.T) {
	whole := []byte(strings.Repeat("isotop serve's stream, a snapshot a line\n", 1000))
	for _, at := range []int{0, 1, 7, 41, 1000, len(whole) - 1, len(whole)} {
		a, b := whole[:at], whole[at:]
		if got, want := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b))), crc32.ChecksumIEEE(whole); got != want {
			t.Errorf("split at %d: %08x, want %08x", at, got, want)
		}
	}
}
