package main

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/isotop/isotop/probe"
)

// frame is a full snapshot as serve sends it: its JSON on one line, and that line deflated once
// for every client that takes gzip, however many take it.
type frame struct {
	taken time.Time
	json  []byte // the snapshot's JSON and a newline

	once     sync.Once
	deflated []byte
	crc      uint32
}

func newFrame(snap *probe.Snapshot, taken time.Time) (*frame, error) {
	var b bytes.Buffer
	if err := snap.WriteJSON(&b); err != nil {
		return nil, err
	}
	if b.Len() == 0 || b.Bytes()[b.Len()-1] != '\n' {
		b.WriteByte('\n')
	}
	return &frame{taken: taken, json: b.Bytes()}, nil
}

// deflate is the line as raw deflate blocks made by a compressor of its own (they refer to nothing
// before them) and ended by a sync flush (on a byte boundary, not the final block): any gzip
// stream at a block boundary continues with them, so a stream is the gzip header, frames' blocks
// one after another, and at its end a final empty block and the trailer.
func (f *frame) deflate() []byte {
	f.once.Do(func() {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, flate.BestSpeed)
		w.Write(f.json)
		w.Flush()
		f.deflated, f.crc = b.Bytes(), crc32.ChecksumIEEE(f.json)
	})
	return f.deflated
}

var (
	gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff} // deflate, no name, no time, unknown OS
	finalBlock = []byte{1, 0, 0, 0xff, 0xff}                   // a final stored block of no bytes
)

// gzipTrailer ends a gzip stream: the final block, the CRC-32 and the length (mod 2³²) of its data.
func gzipTrailer(crc, size uint32) []byte {
	b := append([]byte(nil), finalBlock...)
	b = binary.LittleEndian.AppendUint32(b, crc)
	return binary.LittleEndian.AppendUint32(b, size)
}

// acceptsGzip says whether the request takes a gzip body (Accept-Encoding: gzip, not q=0).
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
				return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
			}
		}
	}
	return false
}

// frame is the full snapshot as served: the last one when it was taken within min-interval and
// after since, else a new read of the host. Concurrent callers wait for one read and share it.
func (s *server) frame(since time.Time) (*frame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.full; f != nil && time.Since(f.taken) < s.fresh && f.taken.After(since) {
		return f, nil
	}
	snap, err := s.col.Snapshot()
	if err != nil {
		return nil, err
	}
	f, err := newFrame(snap, time.Now())
	if err != nil {
		return nil, err
	}
	s.full = f
	return f, nil
}

// hub takes the streams' snapshots: while a client streams, one read of the host each period (the
// shortest interval a client asked for), which every client shares; a client that asked for a
// longer one skips the frames that come sooner than it wants.
type hub struct {
	mu      sync.Mutex
	clients map[*time.Duration]struct{}
	cur     *frame
	next    chan struct{} // closed when cur is replaced
	changed chan struct{} // a client came or went
}

func (h *hub) join(interval time.Duration) *time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := &interval
	h.clients[c] = struct{}{}
	h.wake()
	return c
}

func (h *hub) leave(c *time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
	h.wake()
}

func (h *hub) wake() {
	select {
	case h.changed <- struct{}{}:
	default:
	}
}

// period is the shortest interval a client asked for, 0 when none streams.
func (h *hub) period() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	var p time.Duration
	for c := range h.clients {
		if p == 0 || *c < p {
			p = *c
		}
	}
	return p
}

// state is the newest frame and what closes when a newer one comes.
func (h *hub) state() (*frame, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur, h.next
}

func (h *hub) publish(f *frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f == h.cur {
		return
	}
	h.cur = f
	close(h.next)
	h.next = make(chan struct{})
}

// runHub reads the host for the streams, a period apart, until serve stops.
func (s *server) runHub() {
	defer s.wg.Done()
	var last time.Time
	for {
		var timer *time.Timer
		var tick <-chan time.Time
		if p := s.hub.period(); p > 0 {
			if wait := time.Until(last.Add(p)); wait > 0 {
				timer = time.NewTimer(wait)
				tick = timer.C
			} else {
				// A read that fails is not published: the streams wait for the next one.
				if f, err := s.frame(last); err == nil {
					s.hub.publish(f)
					last = f.taken
				} else {
					last = time.Now()
				}
				continue
			}
		}
		select {
		case <-s.stop:
			return
		case <-s.hub.changed:
		case <-tick:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// track counts a handler that runs until serve stops (a stream), or says serve is stopping.
func (s *server) track() bool {
	s.stopMu.Lock()
	defer s.stopMu.Unlock()
	if s.stopped {
		return false
	}
	s.wg.Add(1)
	return true
}

// serveStream sends a snapshot a line (newline-delimited JSON, each line what /api/v1/snapshot
// gives) at the interval asked (?interval=2s, 1s by default, not below --min-interval), from the
// hub's reads, each line flushed, gzip'd when the client takes it, until the client goes or serve
// stops (then a gzip stream is ended properly).
func (s *server) serveStream(w http.ResponseWriter, r *http.Request) {
	interval := time.Second
	if v := r.URL.Query().Get("interval"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			http.Error(w, fmt.Sprintf("isotop serve: interval=%q: not a positive duration (2s, 500ms)", cutQuery(v)), http.StatusBadRequest)
			return
		}
		interval = d
	}
	interval = max(interval, s.fresh, minStreamInterval)
	f, err := s.frame(time.Time{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	gz := acceptsGzip(r)
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	if r.Method == http.MethodHead {
		return
	}
	if !s.track() {
		http.Error(w, "isotop serve is stopping", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	c := s.hub.join(interval)
	defer s.hub.leave(c)

	sw := streamWriter{w: w, rc: http.NewResponseController(w), gzip: gz, timeout: max(30*time.Second, 3*interval)}
	if err := sw.line(f); err != nil {
		return
	}
	sent := f.taken
	for {
		cur, next := s.hub.state()
		// The hub reads a period apart; a client that asked for a longer interval takes a frame
		// when at least three quarters of its interval passed since the one it has.
		if cur != nil && cur.taken.Sub(sent) >= interval*3/4 {
			if err := sw.line(cur); err != nil {
				return
			}
			sent = cur.taken
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.stop:
			sw.end()
			return
		case <-next:
		}
	}
}

// minStreamInterval is the shortest interval of a stream, whatever --min-interval says.
const minStreamInterval = 100 * time.Millisecond

func cutQuery(v string) string {
	if len(v) > 40 {
		return v[:40] + "…"
	}
	return v
}

// streamWriter writes a stream's lines, each flushed, in a gzip stream of its own or plain.
type streamWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	gzip    bool
	started bool
	crc     uint32
	size    uint32
	timeout time.Duration // a client that takes no line for so long is dropped
}

func (sw *streamWriter) line(f *frame) error {
	// The server's WriteTimeout counts from the request; a stream's is each line's.
	_ = sw.rc.SetWriteDeadline(time.Now().Add(sw.timeout))
	var err error
	if sw.gzip {
		blocks := f.deflate()
		if !sw.started {
			_, err = sw.w.Write(gzipHeader)
		}
		if err == nil {
			_, err = sw.w.Write(blocks)
		}
		// The stream's CRC from the line's, computed once: not a pass over the line a client.
		sw.crc = crc32Combine(sw.crc, f.crc, int64(len(f.json)))
		sw.size += uint32(len(f.json))
	} else {
		_, err = sw.w.Write(f.json)
	}
	sw.started = true
	if err == nil {
		err = sw.rc.Flush()
	}
	return err
}

// end closes a gzip stream: its client reads to a clean end, not a cut one.
func (sw *streamWriter) end() {
	if sw.gzip && sw.started {
		_ = sw.rc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, _ = sw.w.Write(gzipTrailer(sw.crc, sw.size))
		_ = sw.rc.Flush()
	}
}

// crc32Combine is the CRC-32 (IEEE) of a then b from a's CRC, b's and b's length (zlib's
// crc32_combine): the zeros that b's length appends to a, as a matrix over GF(2) squared
// log₂(len) times.
func crc32Combine(crcA, crcB uint32, lenB int64) uint32 {
	if lenB <= 0 {
		return crcA
	}
	var even, odd [32]uint32
	odd[0] = crc32.IEEE // the operator for one zero bit
	for n, row := 1, uint32(1); n < 32; n, row = n+1, row<<1 {
		odd[n] = row
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four
	for {
		gf2Square(&even, &odd) // one zero byte, then 4, 16, …
		if lenB&1 != 0 {
			crcA = gf2Times(&even, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
		gf2Square(&odd, &even)
		if lenB&1 != 0 {
			crcA = gf2Times(&odd, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}

func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = gf2Times(mat, mat[n])
	}
}
