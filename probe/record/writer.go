package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Writer appends samples and events to one recording file.
type Writer struct {
	f        *os.File
	prev     []byte // the last sample's JSON: the next delta's dictionary
	samples  int
	keyEvery int
	size     int64
	plain    *zstd.Encoder
}

// Create makes the file name in the directory dir (the recorder writes nowhere else). The file
// must not exist already (O_EXCL), and a symlink is never followed.
func Create(dir Dir, name string, h Header) (*Writer, error) {
	f, err := dir.Create(name)
	if err != nil {
		return nil, err
	}
	h.Format = Format
	if h.KeyEvery <= 0 {
		h.KeyEvery = 60
	}
	line, err := json.Marshal(h)
	if err == nil {
		_, err = f.Write(append([]byte(Magic), append(line, '\n')...))
	}
	plain, err2 := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err == nil {
		err = err2
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return &Writer{f: f, keyEvery: h.KeyEvery, size: int64(len(Magic) + len(line) + 1), plain: plain}, nil
}

// Size is how many bytes the file has.
func (w *Writer) Size() int64 { return w.size }

// Name is the file's path.
func (w *Writer) Name() string { return w.f.Name() }

// Sample appends a snapshot's JSON taken at t: a keyframe every KeyEvery samples (and the
// first), else a delta against the previous sample.
func (w *Writer) Sample(t time.Time, snapJSON []byte) error {
	var payload []byte
	kind := byte(Keyframe)
	if w.prev == nil || w.samples%w.keyEvery == 0 {
		payload = w.plain.EncodeAll(snapJSON, nil)
	} else {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderDictRaw(0, w.prev))
		if err != nil {
			return err
		}
		payload = enc.EncodeAll(snapJSON, nil)
		enc.Close()
		kind = Delta
	}
	if err := w.block(kind, t, payload); err != nil {
		return err
	}
	w.prev = bytes.Clone(snapJSON)
	w.samples++
	return nil
}

// Events appends the events seen since the previous sample (none: nothing is written).
func (w *Writer) Events(t time.Time, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, e := range evs {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return w.block(Events, t, w.plain.EncodeAll(b.Bytes(), nil))
}

// block writes a head and its payload in one write(2): a recorder killed at any moment leaves
// at most one cut block at the end.
func (w *Writer) block(kind byte, t time.Time, payload []byte) error {
	if len(payload) > maxPayload {
		return fmt.Errorf("a %c block of %d bytes is larger than the format allows (%d)", kind, len(payload), maxPayload)
	}
	head := blockHead{kind: kind, time: t, size: uint32(len(payload)), crc: crc32.Checksum(payload, castagnoli)}
	n, err := w.f.Write(append(head.encode(), payload...))
	w.size += int64(n)
	if err != nil {
		return fmt.Errorf("%s: %w", w.f.Name(), err)
	}
	return nil
}

// Close syncs and closes the file.
func (w *Writer) Close() error {
	w.plain.Close()
	err := w.f.Sync()
	if err2 := w.f.Close(); err == nil {
		err = err2
	}
	return err
}
