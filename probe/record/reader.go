package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/isotop/isotop/probe"
)

// Recording is one or more recording files read as one timeline: their samples in time order,
// their events, and what could not be read.
type Recording struct {
	Files   []File
	Samples []Sample
	Events  []Event
	// Problems are the parts that could not be read (a cut end, a damaged block, a newer
	// format): the rest opens.
	Problems []string

	mu    sync.Mutex
	cache struct { // the last decoded sample: stepping forward decodes one delta
		i    int
		json []byte
	}
}

// File is one file of a recording.
type File struct {
	Path   string
	Header Header
	r      io.ReaderAt
}

// Sample is one instant of the timeline.
type Sample struct {
	Time time.Time
	file int
	off  int64 // of the payload
	size uint32
	crc  uint32
	kind byte
	key  int // the index in Samples of the keyframe it is decoded from
	bad  string
}

// Open reads a recording file, or every *.rec file of a directory, as one timeline. Only the
// block heads are read (and the events); a snapshot is decoded when asked for.
func Open(path string) (*Recording, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	paths := []string{path}
	if st.IsDir() {
		if paths, err = filepath.Glob(filepath.Join(path, "*.rec")); err != nil {
			return nil, err
		}
		sort.Strings(paths)
		if len(paths) == 0 {
			return nil, fmt.Errorf("%s: no recording (*.rec) in it", path)
		}
	}
	rec := &Recording{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			rec.Problems = append(rec.Problems, err.Error())
			continue
		}
		// The files stay open for the recording's life (a replay reads them as it steps).
		st, err := f.Stat()
		if err == nil {
			err = rec.add(p, f, st.Size())
		}
		if err != nil {
			rec.Problems = append(rec.Problems, p+": "+err.Error())
		}
	}
	return rec, rec.finish()
}

// Read reads one recording from r (size bytes), named name in its messages.
func Read(r io.ReaderAt, size int64, name string) (*Recording, error) {
	rec := &Recording{}
	if err := rec.add(name, r, size); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rec, rec.finish()
}

func (rec *Recording) finish() error {
	if len(rec.Samples) == 0 {
		why := "no sample in it"
		if len(rec.Problems) > 0 {
			why = strings.Join(rec.Problems, "; ")
		}
		return errors.New("nothing to replay: " + why)
	}
	// Files in name order are in time order (one a day, numbered); events too, after sorting.
	slices.SortStableFunc(rec.Events, func(a, b Event) int { return a.Time.Compare(b.Time) })
	rec.cache.i = -1
	return nil
}

// add indexes one file: its header, then each block's head, skipping the payloads (but those of
// the events, which are small and read at once).
func (rec *Recording) add(path string, r io.ReaderAt, size int64) error {
	first := make([]byte, min(size, 64<<10))
	if _, err := r.ReadAt(first, 0); err != nil && err != io.EOF {
		return err
	}
	h, off, err := decodeHeader(first)
	if err != nil {
		return err
	}
	fi := len(rec.Files)
	rec.Files = append(rec.Files, File{Path: path, Header: h, r: r})
	pos, key := int64(off), -1
	head := make([]byte, headSize)
	for pos < size {
		n, _ := r.ReadAt(head, pos)
		bh, err := decodeHead(head[:n])
		if err == nil && (bh.size > maxPayload || pos+headSize+int64(bh.size) > size) {
			err = fmt.Errorf("a block of %d bytes that the file cuts (a recorder stopped while writing)", bh.size)
		}
		if err != nil {
			rec.Problems = append(rec.Problems, fmt.Sprintf("%s: from byte %d on (%d bytes): %v", path, pos, size-pos, err))
			return nil
		}
		payload := pos + headSize
		switch bh.kind {
		case Keyframe, Delta:
			s := Sample{Time: bh.time, file: fi, off: payload, size: bh.size, crc: bh.crc, kind: bh.kind, key: key}
			if bh.kind == Keyframe {
				s.key = len(rec.Samples)
				key = s.key
			} else if key < 0 {
				s.bad = "a delta with no keyframe before it"
			}
			rec.Samples = append(rec.Samples, s)
		case Events:
			rec.readEvents(path, r, payload, bh)
		default:
			rec.Problems = append(rec.Problems, fmt.Sprintf("%s: byte %d: a block of kind %q this isotop does not know (skipped)", path, pos, bh.kind))
		}
		pos = payload + int64(bh.size)
	}
	return nil
}

func (rec *Recording) readEvents(path string, r io.ReaderAt, off int64, bh blockHead) {
	payload, err := readPayload(r, off, bh.size, bh.crc)
	var data []byte
	if err == nil {
		data, err = plainDecoder.DecodeAll(payload, nil)
	}
	if err != nil {
		rec.Problems = append(rec.Problems, fmt.Sprintf("%s: the events at %s: %v", path, bh.time.Format(time.RFC3339), err))
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e Event
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			rec.Events = append(rec.Events, e)
		}
	}
}

func readPayload(r io.ReaderAt, off int64, size, crc uint32) ([]byte, error) {
	b := make([]byte, size)
	if _, err := r.ReadAt(b, off); err != nil {
		return nil, err
	}
	if crc32.Checksum(b, castagnoli) != crc {
		return nil, errors.New("damaged (its checksum does not match)")
	}
	return b, nil
}

// SnapshotJSON is sample i's snapshot as JSON, decoded from the keyframe before it.
func (rec *Recording) SnapshotJSON(i int) ([]byte, error) {
	if i < 0 || i >= len(rec.Samples) {
		return nil, fmt.Errorf("no sample %d (there are %d)", i, len(rec.Samples))
	}
	s := rec.Samples[i]
	if s.bad != "" {
		return nil, fmt.Errorf("the sample at %s: %s", s.Time.Format(time.RFC3339), s.bad)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	from, prev := s.key, []byte(nil)
	if c := rec.cache; c.i >= s.key && c.i <= i && c.json != nil {
		if c.i == i {
			return c.json, nil
		}
		from, prev = c.i+1, c.json
	}
	for j := from; j <= i; j++ {
		data, err := rec.decode(j, prev)
		if err != nil {
			return nil, fmt.Errorf("the sample at %s (%s): %w", rec.Samples[j].Time.Format(time.RFC3339), rec.Files[rec.Samples[j].file].Path, err)
		}
		prev = data
	}
	rec.cache.i, rec.cache.json = i, prev
	return prev, nil
}

func (rec *Recording) decode(j int, prev []byte) ([]byte, error) {
	s := rec.Samples[j]
	payload, err := readPayload(rec.Files[s.file].r, s.off, s.size, s.crc)
	if err != nil {
		return nil, err
	}
	if s.kind == Keyframe {
		return plainDecoder.DecodeAll(payload, nil)
	}
	return decodeDelta(payload, prev)
}

// Snapshot is sample i's snapshot.
func (rec *Recording) Snapshot(i int) (*probe.Snapshot, error) {
	data, err := rec.SnapshotJSON(i)
	if err != nil {
		return nil, err
	}
	return probe.DecodeSnapshot(data)
}

// At is the index of the last sample taken at or before t (the first when t is before them all).
func (rec *Recording) At(t time.Time) int {
	i := sort.Search(len(rec.Samples), func(i int) bool { return rec.Samples[i].Time.After(t) })
	return max(0, i-1)
}

// Zone is the recorded host's time zone (of the first file), for showing its instants.
func (rec *Recording) Zone() *time.Location {
	h := rec.Files[0].Header
	return time.FixedZone(h.Zone, h.Offset)
}

// Close closes the files.
func (rec *Recording) Close() {
	for _, f := range rec.Files {
		if c, ok := f.r.(io.Closer); ok {
			c.Close()
		}
	}
}
