package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/isotop/isotop/probe/probetest"
)

// BenchmarkRemoteStream measures what a remote TUI costs isotop serve (--min-interval 1s) on this
// host with about 2000 extra processes: for ISOTOP_BENCH_STREAM_SECS (60 by default) one client
// and then ten, each wanting a snapshot a second, by /api/v1/stream?interval=1s (gzip, as Go's
// client asks), by polling /api/v1/snapshot gzip'd, and by polling it plain (as an isotop before
// the stream did): the new snapshots each client got (a poll may get the one it had), the bytes
// it read from its socket a second, and serve's CPU (utime+stime) as a share of one core, with
// one client and for each client added.
func BenchmarkRemoteStream(b *testing.B) {
	probetest.Live(b)
	bin := filepath.Join(b.TempDir(), "isotop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	secs := 60
	if v, err := strconv.Atoi(os.Getenv("ISOTOP_BENCH_STREAM_SECS")); err == nil && v > 0 {
		secs = v
	}
	fillHost(b, 8, 250)
	port := freeBenchPort(b)
	serve := exec.Command(bin, "serve", "--listen", "127.0.0.1:"+port)
	serve.Stderr = os.Stderr
	probetest.Start(b, serve)
	base := "http://127.0.0.1:" + port
	waitHTTP(b, base+"/healthz")
	for range 10 { // the first reads are the costly ones (every process read in full)
		get(base + "/api/v1/snapshot")
		time.Sleep(time.Second)
	}
	for b.Loop() {
		one := map[string]float64{}
		for _, n := range []int{1, 10} {
			for _, mode := range []string{"poll-plain", "poll-gzip", "stream"} {
				time.Sleep(2 * time.Second) // the previous phase's connections closed
				u0, s0 := cpuTicks(b, serve.Process.Pid)
				bytes, fresh := remoteLoad(b, base, mode, n, time.Duration(secs)*time.Second)
				u1, s1 := cpuTicks(b, serve.Process.Pid)
				core := float64(u1-u0+s1-s0) / float64(secs) // ticks of 1/100 s a second: % of a core
				perClient := float64(bytes) / float64(n) / float64(secs)
				b.Logf("%-10s %2d clients for %d s: %.0f new snapshots a client, %.1f KiB/s a client on the wire, serve %.2f %% of a core",
					mode, n, secs, float64(fresh)/float64(n), perClient/1024, core)
				if n == 1 {
					one[mode] = core
					b.ReportMetric(float64(fresh)/float64(secs), mode+"-new/s")
					b.ReportMetric(perClient/1024, mode+"-KiB/s")
					b.ReportMetric(core, mode+"-core-%")
				} else {
					b.ReportMetric((core-one[mode])/float64(n-1), mode+"-core-%/client")
				}
			}
		}
	}
}

// countingConn counts the bytes read from a connection.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// remoteLoad runs n clients of serve at base for d, each wanting a snapshot a second, and returns
// the bytes they read from their sockets and the new snapshots they got (by their "taken").
func remoteLoad(b *testing.B, base, mode string, n int, d time.Duration) (int64, int64) {
	var wire, lines atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for range n {
		tr := &http.Transport{DisableCompression: mode == "poll-plain",
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return countingConn{c, &wire}, nil
			}}
		client := &http.Client{Transport: tr}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer tr.CloseIdleConnections()
			var last []byte
			got := func(doc []byte) {
				taken := doc[:min(len(doc), 64)]
				if _, after, ok := bytes.Cut(doc[:min(len(doc), 200)], []byte(`"taken":"`)); ok {
					taken, _, _ = bytes.Cut(after, []byte(`"`))
				}
				if !bytes.Equal(taken, last) {
					lines.Add(1)
					last = bytes.Clone(taken)
				}
			}
			if mode == "stream" {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/stream?interval=1s", nil)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				defer resp.Body.Close()
				br := bufio.NewReaderSize(resp.Body, 1<<20)
				for {
					line, err := readLine(br)
					if err != nil {
						return
					}
					got(line)
				}
			}
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/snapshot", nil)
				resp, err := client.Do(req)
				if err != nil {
					return
				}
				doc, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil {
					got(doc)
				}
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
	}
	wg.Wait()
	return wire.Load(), lines.Load()
}
