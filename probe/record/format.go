// Package record is isotop's recording format: snapshots of the host taken at an interval, and the
// events seen between them, in files that a reader can seek without reading them from the start.
//
// A file is:
//
//	"ISOTOP-RECORDING\n"                 the magic line
//	{"format":1,...}\n                    the header: one JSON line (Header)
//	block*                                 until the end of the file
//
// and a block is a 20-byte head followed by its payload:
//
//	2 bytes  "IB"
//	1 byte   kind: 'K' keyframe, 'D' delta, 'E' events
//	1 byte   flags (0)
//	8 bytes  time, Unix nanoseconds (big-endian)
//	4 bytes  payload length (big-endian)
//	4 bytes  CRC-32 (Castagnoli) of the payload
//
// The payloads are zstd frames. A keyframe is a snapshot's JSON (isotop snapshot --json). A
// delta is the next snapshot's JSON compressed with the previous sample's JSON as the dictionary
// (zstd raw-content dictionary, id 0): most of a host does not change in 10 s, so a delta holds
// little more than what changed, and a reader rebuilds it exactly by decoding from the keyframe
// before it. An events block is the JSON lines of the events seen since the previous sample
// (Event). The heads are the index: a reader reads them alone (pread, skipping the payloads) to
// find an instant, then decodes from the keyframe before it. A file written by a recorder that
// was killed ends in a cut block: what comes before it is read, the rest is reported.
package record

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Magic is a recording's first line.
const Magic = "ISOTOP-RECORDING\n"

// Format is the version of the layout this package writes and the newest it reads.
const Format = 1

// Block kinds.
const (
	Keyframe = 'K'
	Delta    = 'D'
	Events   = 'E'
)

const headSize = 20

// Header is a recording's self-description, its second line.
type Header struct {
	Format   int       `json:"format"`
	Schema   int       `json:"schema"` // probe.Schema of the snapshots
	Hostname string    `json:"hostname"`
	Started  time.Time `json:"started"`
	// Zone is the recorded host's time zone (its name and its offset east of UTC, in seconds, at
	// the start), for showing instants in the host's time.
	Zone     string `json:"zone"`
	Offset   int    `json:"offset"`
	Interval string `json:"interval"`  // between samples, as given (10s)
	KeyEvery int    `json:"key_every"` // a keyframe every this many samples
	Writer   string `json:"writer"`    // the isotop version that wrote it
}

// Event is one thing that happened on the host, seen between two samples or as it happened.
type Event struct {
	Time time.Time `json:"time"`
	// Kind: container-started, container-stopped, cgroup-created, cgroup-removed,
	// netns-created, netns-removed, limit-changed, veth-peer-changed, oom-kill, and the other
	// counters of the cgroup events (oom, max, high, failcnt, pids_max).
	Kind string `json:"kind"`
	// Object is what it happened to: a container ("podman:web"), a cgroup path, a netns
	// ("netns:4026532301 blue"), a link.
	Object string `json:"object"`
	Detail string `json:"detail,omitempty"` // the limit's old → new value, the counter's count …
	// Source says how it was seen: "inotify" (as it happened), "poll" (a cheap read between
	// samples), "sample" (two samples compared).
	Source string `json:"source"`
}

// blockHead is a block's head, decoded.
type blockHead struct {
	kind byte
	time time.Time
	size uint32
	crc  uint32
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (h blockHead) encode() []byte {
	b := make([]byte, headSize)
	b[0], b[1], b[2] = 'I', 'B', h.kind
	binary.BigEndian.PutUint64(b[4:], uint64(h.time.UnixNano()))
	binary.BigEndian.PutUint32(b[12:], h.size)
	binary.BigEndian.PutUint32(b[16:], h.crc)
	return b
}

var errBadHead = errors.New("not a block head (the file is cut or damaged here)")

func decodeHead(b []byte) (blockHead, error) {
	if len(b) < headSize || b[0] != 'I' || b[1] != 'B' {
		return blockHead{}, errBadHead
	}
	return blockHead{kind: b[2], time: time.Unix(0, int64(binary.BigEndian.Uint64(b[4:]))).UTC(),
		size: binary.BigEndian.Uint32(b[12:]), crc: binary.BigEndian.Uint32(b[16:])}, nil
}

// maxPayload bounds a block's payload (a snapshot of a very large host compresses far below it):
// a damaged length cannot make a reader allocate gigabytes.
const maxPayload = 256 << 20

// decodeHeader reads the magic line and the header line of data; it returns the header and where
// the blocks start.
func decodeHeader(data []byte) (Header, int, error) {
	var h Header
	if !bytes.HasPrefix(data, []byte(Magic)) {
		return h, 0, errors.New("not an isotop recording (no ISOTOP-RECORDING line)")
	}
	rest := data[len(Magic):]
	nl := bytes.IndexByte(rest, '\n')
	if nl < 0 {
		return h, 0, errors.New("the header line is cut")
	}
	if err := json.Unmarshal(rest[:nl], &h); err != nil {
		return h, 0, fmt.Errorf("the header line: %w", err)
	}
	if h.Format < 1 {
		return h, 0, errors.New("the header has no format")
	}
	if h.Format > Format {
		return h, 0, fmt.Errorf("written in format %d by a newer isotop (%s); this one reads up to format %d", h.Format, h.Writer, Format)
	}
	return h, len(Magic) + nl + 1, nil
}

// One decoder for the keyframes and events; a delta needs one with its dictionary.
var plainDecoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxPayload*4))

func decodeDelta(payload, prev []byte) ([]byte, error) {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxPayload*4),
		zstd.WithDecoderDictRaw(0, prev))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.DecodeAll(payload, nil)
}
