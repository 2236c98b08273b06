package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// WriteJSON writes the snapshot as one line of JSON, byte for byte what json.Marshal gives, but with
// the process list (most of the document) encoded without reflection and in parallel chunks: on a
// host with thousands of processes the encoding is otherwise a serial tail after the parallel reads.
func (s *Snapshot) WriteJSON(w io.Writer) error {
	chunks := runtime.GOMAXPROCS(0)
	if len(s.Processes) < 256 || chunks == 1 {
		return json.NewEncoder(w).Encode(s)
	}
	// Encode the document with an empty process list, then splice the chunks in its place.
	shell := *s
	shell.Processes = []Process{}
	head, err := json.Marshal(&shell)
	if err != nil {
		return err
	}
	marker := []byte(`"processes":[]`)
	at := bytes.Index(head, marker)
	if at < 0 {
		return json.NewEncoder(w).Encode(s)
	}
	parts := make([][]byte, chunks)
	errs := make([]error, chunks)
	per := (len(s.Processes) + chunks - 1) / chunks
	var wg sync.WaitGroup
	for i := range chunks {
		lo, hi := min(i*per, len(s.Processes)), min((i+1)*per, len(s.Processes))
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := make([]byte, 0, (hi-lo)*1024+2)
			b = append(b, '[')
			for j := lo; j < hi; j++ {
				if j > lo {
					b = append(b, ',')
				}
				b = appendProcessJSON(b, &s.Processes[j])
			}
			parts[i] = append(b, ']')
		}()
	}
	wg.Wait()
	var out bytes.Buffer
	out.Grow(len(head) + 2 + sum(parts))
	out.Write(head[:at+len(marker)-1]) // up to and including '['
	first := true
	for i, p := range parts {
		if errs[i] != nil {
			return errs[i]
		}
		if len(p) <= 2 { // "[]"
			continue
		}
		if !first {
			out.WriteByte(',')
		}
		out.Write(p[1 : len(p)-1])
		first = false
	}
	out.Write(head[at+len(marker)-1:])
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

func sum(parts [][]byte) int {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return n
}

// DecodeSnapshot reads a snapshot saved with isotop snapshot --json (--replay's file, untrusted
// input: the TUI must render whatever it holds without a panic).
func DecodeSnapshot(data []byte) (*Snapshot, error) {
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("not an isotop snapshot: %w", err)
	}
	switch {
	case s.Schema == 0:
		return nil, fmt.Errorf("not an isotop snapshot: no \"schema\" field (save one with isotop snapshot --json)")
	case s.Schema > Schema:
		return nil, fmt.Errorf("snapshot schema %d is newer than this isotop's (%d)", s.Schema, Schema)
	}
	return &s, nil
}
