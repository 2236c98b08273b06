package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/record"
)

// remoteConfig is isotop --remote's: the serve's address, its token, the TLS files, the interval.
type remoteConfig struct {
	base, tokenFile, cert, key, ca string
	interval                       time.Duration
}

// remote is a remote host's isotop serve as the TUI reads it: one long-lived request to
// /api/v1/stream, whose newest line is the Source's snapshot; /api/v1/snapshot a refresh each
// when the serve has no stream (an older one answers 404); /api/v1/events for the Events box.
type remote struct {
	host, base, token string
	interval          time.Duration
	client, stream    *http.Client

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when a line or an error comes
	started bool
	polling bool   // the serve has no stream
	line    []byte // the newest line
	seq     uint64 // lines received
	snap    *probe.Snapshot
	snapSeq uint64 // the line snap was decoded from
	err     error  // why the stream is down, until a line comes again
}

// maxLine is the longest snapshot read from a serve.
const maxLine = 512 << 20

func newRemote(c remoteConfig) (*remote, error) {
	u, err := url.Parse(strings.TrimSuffix(c.base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--remote %q: not an http(s)://HOST:PORT address", actions.Cut(c.base))
	}
	r := &remote{host: u.Host, base: u.String(), interval: c.interval, changed: make(chan struct{})}
	if c.tokenFile != "" {
		b, err := os.ReadFile(c.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("--token-file: %w", err)
		}
		r.token = strings.TrimSpace(string(b))
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 30 * time.Second
	// HTTP/1.1: a refused client certificate then says so ("tls: certificate required"), where
	// HTTP/2's transport says only that it could not connect; a stream needs no multiplexing.
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	if c.cert != "" || c.key != "" || c.ca != "" {
		if u.Scheme != "https" {
			return nil, fmt.Errorf("--tls-cert, --tls-key and --tls-ca are for an https:// --remote, not %s", u.Scheme)
		}
		if (c.cert == "") != (c.key == "") {
			return nil, errors.New("--tls-cert and --tls-key go together")
		}
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.cert != "" {
			pair, err := tls.LoadX509KeyPair(c.cert, c.key)
			if err != nil {
				return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		if c.ca != "" {
			pem, err := os.ReadFile(c.ca)
			if err != nil {
				return nil, fmt.Errorf("--tls-ca: %w", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("--tls-ca %s: no PEM certificate in it", c.ca)
			}
		}
		tr.TLSClientConfig = cfg
	}
	r.client = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	r.stream = &http.Client{Transport: tr} // a stream lasts: a watchdog ends one that goes quiet
	return r, nil
}

// get asks the serve for path, with the token; a status but 200 is an error that says what it is.
func (r *remote) get(ctx context.Context, c *http.Client, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+path, nil)
	if err != nil {
		return nil, err
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.host, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	msg, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	if r := []rune(msg); len(r) > 300 {
		msg = string(r[:300]) + "…"
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return nil, fmt.Errorf("%s refused the token (%s): give the one its isotop serve reads with --token-file", r.host, msg)
	case http.StatusNotFound:
		return nil, &notFound{fmt.Sprintf("%s: %s: %s", r.host, resp.Status, msg)}
	}
	return nil, fmt.Errorf("%s: %s: %s", r.host, resp.Status, msg)
}

// notFound is a 404: the serve has no such endpoint (an older one) or nothing there.
type notFound struct{ msg string }

func (e *notFound) Error() string { return e.msg }

// Snapshot is the ui.Source: the newest line of the stream (waiting for the first), or why the
// stream is down (it reconnects meanwhile); a refresh by /api/v1/snapshot when it has none.
func (r *remote) Snapshot() (*probe.Snapshot, error) {
	r.mu.Lock()
	if !r.started {
		r.started = true
		go r.run()
	}
	for !r.polling && r.err == nil && r.seq == r.snapSeq && r.snap == nil {
		ch := r.changed
		r.mu.Unlock()
		<-ch
		r.mu.Lock()
	}
	// A line not shown yet first; then why the stream is down, while it is; else the newest.
	switch {
	case r.polling:
		r.mu.Unlock()
		return r.poll()
	case r.seq == r.snapSeq && r.err != nil:
		err := r.err
		r.mu.Unlock()
		return nil, err
	case r.seq == r.snapSeq:
		snap := r.snap
		r.mu.Unlock()
		return snap, nil
	}
	line, seq := r.line, r.seq
	r.mu.Unlock()
	snap, err := probe.DecodeSnapshot(line)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.host, err)
	}
	r.mu.Lock()
	if seq > r.snapSeq {
		r.snap, r.snapSeq = snap, seq
	}
	r.mu.Unlock()
	return snap, nil
}

// set records a line or an error and wakes who waits.
func (r *remote) set(line []byte, err error, polling bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if line != nil {
		r.line, r.seq, r.err = line, r.seq+1, nil
	}
	if err != nil {
		r.err = err
	}
	r.polling = r.polling || polling
	close(r.changed)
	r.changed = make(chan struct{})
}

// run keeps the stream open: it reconnects after an error (a second, then longer, up to ten),
// until the serve says it has no stream.
func (r *remote) run() {
	wait := time.Second
	for {
		lines, err := r.follow()
		var nf *notFound
		if errors.As(err, &nf) {
			r.set(nil, nil, true)
			return
		}
		if err == nil {
			err = fmt.Errorf("%s: its stream ended (isotop serve stopped?); reconnecting", r.host)
		}
		r.set(nil, err, false)
		if lines > 0 {
			wait = time.Second
		}
		time.Sleep(wait)
		wait = min(2*wait, 10*time.Second)
	}
}

// follow reads one stream to its end, and says how many lines it gave.
func (r *remote) follow() (int, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := r.get(ctx, r.stream, "/api/v1/stream?interval="+r.interval.String())
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// A stream that gives no line for three intervals (30 s at least) is dead, whatever TCP says.
	idle := max(30*time.Second, 3*r.interval)
	var quiet atomic.Bool
	watchdog := time.AfterFunc(idle, func() { quiet.Store(true); cancel() })
	defer watchdog.Stop()
	br := bufio.NewReaderSize(resp.Body, 1<<20)
	n := 0
	for {
		line, err := readLine(br)
		if err != nil {
			if quiet.Load() {
				return n, fmt.Errorf("%s: no snapshot in %s; reconnecting", r.host, idle)
			}
			if err == io.EOF {
				return n, nil
			}
			return n, fmt.Errorf("%s: %w", r.host, err)
		}
		watchdog.Reset(idle)
		n++
		r.set(line, nil, false)
	}
}

// readLine reads a line of up to maxLine bytes, without its newline.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		part, err := br.ReadSlice('\n')
		if len(line)+len(part) > maxLine {
			return nil, fmt.Errorf("a line longer than %d MiB", maxLine>>20)
		}
		line = append(line, part...)
		switch {
		case err == nil:
			return bytes.TrimSuffix(line, []byte("\n")), nil
		case err != bufio.ErrBufferFull:
			if err == io.EOF && len(line) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// poll reads one snapshot (/api/v1/snapshot): the refresh of a serve without a stream.
func (r *remote) poll() (*probe.Snapshot, error) {
	resp, err := r.get(context.Background(), r.client, "/api/v1/snapshot")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxLine))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.host, err)
	}
	return probe.DecodeSnapshot(body)
}

// Events reads the events of the remote host's recorder (/api/v1/events: its isotop serve
// --recordings), for the Events box, and the command that replays its recording there.
func (r *remote) Events() ([]record.Event, string, error) {
	resp, err := r.get(context.Background(), r.client, "/api/v1/events")
	if err != nil {
		var nf *notFound
		if errors.As(err, &nf) && !strings.Contains(nf.msg, "isotop serve:") {
			err = fmt.Errorf("%s: its isotop serve has no /api/v1/events (older than this isotop)", r.host)
		}
		return nil, "", err
	}
	defer resp.Body.Close()
	replay := ""
	if dir := resp.Header.Get("Isotop-Recordings"); dir != "" {
		replay = "isotop --replay " + dir
	}
	var out []record.Event
	br := bufio.NewReader(resp.Body)
	for {
		line, err := readLine(br)
		if err == io.EOF {
			return out, replay, nil
		}
		if err != nil {
			return out, replay, fmt.Errorf("%s: /api/v1/events: %w", r.host, err)
		}
		var l eventLine
		if err := json.Unmarshal(line, &l); err != nil {
			return out, replay, fmt.Errorf("%s: /api/v1/events: %w", r.host, err)
		}
		out = append(out, l.Event)
	}
}
