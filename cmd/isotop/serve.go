package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/actions/early"
	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/probe/metrics"
)

// DefaultServePort is isotop serve's port: outside the range the Prometheus wiki allocates to
// exporters (9100–9999) and not a well-known service's.
const DefaultServePort = "7319"

// runServe serves the host's snapshot to Prometheus (/metrics) and to remote TUIs
// (/api/v1/snapshot), read-only: there is no endpoint that changes anything.
func runServe(args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("isotop serve", flag.ContinueOnError)
	fl.SetOutput(cutting(stderr))
	listen := fl.String("listen", "127.0.0.1:"+DefaultServePort, "the address to listen on; another than loopback needs --token-file or --tls-client-ca")
	tokenFile := fl.String("token-file", "", "a file holding the bearer token every request must carry (Authorization: Bearer …)")
	cert := fl.String("tls-cert", "", "serve HTTPS with this certificate (PEM)")
	key := fl.String("tls-key", "", "… and this key (PEM)")
	clientCA := fl.String("tls-client-ca", "", "with --tls-cert: require client certificates signed by this CA (mTLS)")
	fresh := fl.Duration("min-interval", time.Second, "scrapes within this time of a snapshot share it (one read of the host however many scrape)")
	procRoot := fl.String("proc", "/proc", "procfs mount point to read (a host's /proc, from a pod with hostPID)")
	sysRoot := fl.String("sys", "/sys", "sysfs mount point to read (a host's /sys mounted into a pod, e.g. /host/sys)")
	recheck := fl.Duration("recheck", 5*time.Minute, "read each process in full again within this (a process that changes its cgroup or namespaces without exec shows within it; others at once)")
	readOnly := addReadOnlyFlag(fl)
	prefix := fl.String("prefix", "", "put this before the cAdvisor metric names (e.g. isotop_), for a Prometheus that also scrapes the kubelet's cAdvisor")
	recordings := fl.String("recordings", "", "serve the events of this directory of recordings (isotop record --output) at /api/v1/events; with --read-only, serve reads it as the read-only user (isotop, else nobody), which must be able to read it and its files")
	fl.Usage = func() {
		fmt.Fprint(stderr, "Usage: isotop serve [--listen 127.0.0.1:"+DefaultServePort+"] [--token-file F] [--tls-cert F --tls-key F [--tls-client-ca F]] [--min-interval 1s] [--recheck 5m] [--prefix P] [--recordings DIR] [--proc DIR] [--sys DIR] [--read-only]\n\n"+
			"Serves this host read-only over HTTP: /metrics for Prometheus (the cAdvisor names per container, and\n"+
			"isotop_* for the limits in force, namespaces, network namespaces and veth peers, OOM kills),\n"+
			"/api/v1/snapshot (the JSON of isotop snapshot --json) and /api/v1/stream (a snapshot a line,\n"+
			"?interval=1s) for isotop --remote, /api/v1/events (with --recordings; ?from=T&to=T), /healthz.\n\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *recheck < 0 || *fresh < 0 {
		fmt.Fprintln(stderr, "isotop serve: --recheck and --min-interval must not be negative")
		return 2
	}
	if fl.NArg() > 0 { // the flags after it would go unread here, and not in early.c
		fmt.Fprintf(stderr, "isotop serve: unexpected argument %q\n", actions.Cut(fl.Arg(0)))
		return 2
	}
	md, fs, err := readOnlyHost(*readOnly, *procRoot, *sysRoot)
	if err != nil {
		fmt.Fprintf(stderr, "isotop serve: %v\n", err)
		return 1
	}
	if *recordings != "" {
		if err := readableDir(*recordings, md); err != nil {
			fmt.Fprintf(stderr, "isotop serve: --recordings %s: %v\n", *recordings, err)
			return 1
		}
	}
	srv, ln, err := newServer(fs, serveConfig{recheck: *recheck, listen: *listen, tokenFile: *tokenFile, cert: *cert, key: *key, clientCA: *clientCA, fresh: *fresh, prefix: *prefix, recordings: *recordings})
	if err != nil {
		fmt.Fprintf(stderr, "isotop serve: %v\n", err)
		return 2
	}
	defer srv.close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go srv.col.Watch(ctx, nil) // OOM kills as they happen (v2), even in a cgroup removed at once
	scheme := "http"
	if *cert != "" {
		scheme = "https"
	}
	fmt.Fprintf(stderr, "isotop serve: listening on %s://%s (%s)\n", scheme, ln.Addr(), srv.endpoints())
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- srv.shutdown(shut)
	}()
	if *cert != "" {
		err = srv.http.ServeTLS(ln, *cert, *key)
	} else {
		err = srv.http.Serve(ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "isotop serve: %v\n", err)
		return 1
	}
	if err := <-done; err != nil {
		fmt.Fprintf(stderr, "isotop serve: shutting down: %v\n", err)
	}
	return 0
}

// shutdown stops serve: the streams end first (http.Server.Shutdown waits for a request's
// handler, and a stream's runs until told), then the server, the hub and the handlers are waited for.
func (s *server) shutdown(ctx context.Context) error {
	s.stopMu.Lock()
	if !s.stopped {
		s.stopped = true
		close(s.stop)
	}
	s.stopMu.Unlock()
	err := s.http.Shutdown(ctx)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = cmp.Or(err, ctx.Err())
	}
	return err
}

type serveConfig struct {
	listen, tokenFile, cert, key, clientCA, prefix, recordings string
	fresh, recheck                                             time.Duration
}

type server struct {
	http  *http.Server
	col   *probe.Collector
	token []byte

	fresh time.Duration
	mu    sync.Mutex
	// Two cached snapshots: a lite one for /metrics, which needs no process's own figures (the
	// processes' stat files are not read again), and a full one, as sent, for /api/v1/snapshot
	// and the streams.
	lite cached
	full *frame
	hub  hub

	recordings string // --recordings: the directory of isotop record whose events it serves

	// stop closes when serve stops, which ends the streams; wg counts the hub and the streams.
	stop    chan struct{}
	stopMu  sync.Mutex
	stopped bool
	wg      sync.WaitGroup
}

type cached struct {
	snap  *probe.Snapshot
	taken time.Time
}

// newServer checks the configuration, binds the socket and builds the handlers.
func newServer(fs probe.FS, c serveConfig) (*server, net.Listener, error) {
	s := &server{col: probe.NewCollectorRecheck(fs, c.recheck), recordings: c.recordings, stop: make(chan struct{})}
	s.hub = hub{clients: map[*time.Duration]struct{}{}, next: make(chan struct{}), changed: make(chan struct{}, 1)}
	if c.tokenFile != "" {
		b, err := os.ReadFile(c.tokenFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--token-file: %w", err)
		}
		if s.token = bytes.TrimSpace(b); len(s.token) < 16 {
			return nil, nil, fmt.Errorf("--token-file %s: the token has %d characters; give at least 16", c.tokenFile, len(s.token))
		}
	}
	if (c.cert == "") != (c.key == "") || (c.clientCA != "" && c.cert == "") {
		return nil, nil, errors.New("--tls-cert and --tls-key go together, and --tls-client-ca needs them")
	}
	host, _, err := net.SplitHostPort(c.listen)
	if err != nil {
		return nil, nil, fmt.Errorf("--listen %q: %w", actions.Cut(c.listen), err)
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && s.token == nil && c.clientCA == "" {
		return nil, nil, fmt.Errorf("--listen %s is not a loopback address: it needs --token-file or --tls-client-ca, so that only those it is meant for can read this host", c.listen)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.New(s.snapshot, c.prefix), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /api/v1/snapshot", s.serveSnapshot)
	mux.HandleFunc("GET /api/v1/stream", s.serveStream)
	mux.HandleFunc("GET /api/v1/events", s.serveEvents)
	mux.HandleFunc("GET /healthz", s.health)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "isotop serve: "+s.endpoints())
	})
	s.http = &http.Server{Handler: s.auth(mux), ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 60 * time.Second}
	if c.clientCA != "" {
		pem, err := os.ReadFile(c.clientCA)
		if err != nil {
			return nil, nil, fmt.Errorf("--tls-client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("--tls-client-ca %s: no PEM certificate in it", c.clientCA)
		}
		s.http.TLSConfig = &tls.Config{ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
	}
	s.fresh = c.fresh
	// In read-only mode the socket was made before the lockdown, which forbids making one.
	ln, err := early.Listener()
	if ln != nil && err == nil {
		err = sameAddress(ln.Addr(), c.listen)
	}
	if ln == nil && err == nil {
		ln, err = net.Listen("tcp", c.listen)
	}
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return nil, nil, fmt.Errorf("--listen %s: %w", c.listen, err)
	}
	s.wg.Add(1)
	go s.runHub()
	return s, ln, nil
}

// close ends what shutdown has not (the hub, when serve did not get to serve) and the collector.
func (s *server) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.shutdown(ctx)
	s.col.Close()
}

func (s *server) endpoints() string {
	events := ""
	if s.recordings != "" {
		events = ", /api/v1/events"
	}
	return "/metrics (Prometheus), /api/v1/snapshot and /api/v1/stream (isotop --remote)" + events + ", /healthz"
}

// auth lets a request through when it carries the token (none is asked for without one) and is a
// GET: nothing here writes.
func (s *server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "isotop serve is read-only: only GET", http.StatusMethodNotAllowed)
			return
		}
		if s.token != nil && r.URL.Path != "/healthz" { // a liveness probe carries no token; it learns "ok" and an age
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), s.token) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="isotop"`)
				http.Error(w, "isotop serve: a bearer token is needed, and this one is not it", http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// snapshot is the host now, or as read within min-interval: concurrent scrapes share one read.
func (s *server) snapshot() (*probe.Snapshot, error) { return s.cachedSnapshot(&s.lite, s.col.Lite) }

func (s *server) cachedSnapshot(c *cached, read func() (*probe.Snapshot, error)) (*probe.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.snap != nil && time.Since(c.taken) < s.fresh {
		return c.snap, nil
	}
	snap, err := read()
	if err != nil {
		return nil, err
	}
	c.snap, c.taken = snap, time.Now()
	return snap, nil
}

// serveSnapshot sends the full snapshot's JSON, gzip'd when the client takes it (from the frame's
// blocks, deflated once for every client).
func (s *server) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	f, err := s.frame(time.Time{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r) {
		_, _ = w.Write(f.json)
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	_, _ = w.Write(gzipHeader)
	_, _ = w.Write(f.deflate())
	_, _ = w.Write(gzipTrailer(f.crc, uint32(len(f.json))))
}

func (s *server) health(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	taken := s.lite.taken
	if s.full != nil && s.full.taken.After(taken) {
		taken = s.full.taken
	}
	s.mu.Unlock()
	if taken.IsZero() {
		fmt.Fprintln(w, "ok; no snapshot taken yet (the first scrape takes one)")
		return
	}
	fmt.Fprintf(w, "ok; the last snapshot is %s old\n", time.Since(taken).Round(time.Millisecond))
}

// sameAddress checks that the socket early.c bound before the lockdown is at the address the flags
// say, which the loopback-or-authentication rule was checked against: its reading of the
// arguments and Go's must not differ.
func sameAddress(bound net.Addr, listen string) error {
	want, err := net.ResolveTCPAddr("tcp", listen)
	got, ok := bound.(*net.TCPAddr)
	switch {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("the socket made before the lockdown is %s", bound)
	case !(want.IP.Equal(got.IP) || (len(want.IP) == 0 || want.IP.IsUnspecified()) && got.IP.IsUnspecified()) || (want.Port != 0 && want.Port != got.Port):
		return fmt.Errorf("the socket made before the lockdown listens on %s, not on what the flags say", got)
	}
	return nil
}
