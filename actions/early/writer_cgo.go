//go:build cgo

package early

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/isotop/isotop/probe/record"
)

// Writer is the client of isotop record's writer helper (lockdown.c), the lockdown's one
// exception for the recorder: the one process that may write, and only files named isotop-….rec
// in the directory early.c opened before the lockdown (--output). It satisfies record.Dir.
type Writer struct {
	mu   sync.Mutex
	fd   int
	path string
}

// NewWriter returns the writer helper's client for the directory output, or why there is none:
// not read-only, the directory could not be opened before the lockdown (an *os.PathError with
// its errno), or early.c read another --output than the Go flags did.
func NewWriter(output string) (record.Dir, error) {
	fd, path, why, errno := writerFD()
	switch {
	case !readOnly():
		return nil, errors.New("not in read-only mode: no writer helper")
	case path != "" && path != output:
		return nil, fmt.Errorf("--output: the lockdown opened %q, the flags say %q", path, output)
	case errno != 0: // opening it failed: the errno, for errors.Is
		return nil, &os.PathError{Op: "--output", Path: path, Err: errno}
	case why != "":
		return nil, fmt.Errorf("read-only mode writes only into a directory opened before the lockdown: %s", why)
	case path != output:
		return nil, fmt.Errorf("--output: the lockdown opened %q, the flags say %q", path, output)
	case fd < 0:
		return nil, fmt.Errorf("read-only mode has no writer helper (it needs Landlock): %s; --read-only=false records without the lockdown", reported())
	}
	return &Writer{fd: fd, path: path}, nil
}

// Name is the directory's path.
func (w *Writer) Name() string { return w.path }

func (w *Writer) ask(op uint32, name string, wantFD bool) (string, int, error) {
	req := make([]byte, requestSize)
	binary.NativeEndian.PutUint32(req, op)
	if len(name) >= len(req)-4 {
		return "", -1, unix.ENAMETOOLONG
	}
	copy(req[4:], name)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := unix.Sendmsg(w.fd, req, nil, nil, unix.MSG_NOSIGNAL); err != nil {
		return "", -1, fmt.Errorf("writer helper: %w", err)
	}
	return (&Helper{}).answer(w.fd, wantFD)
}

// Create makes name in the directory (it must not exist), open for writing.
func (w *Writer) Create(name string) (*os.File, error) {
	if err := record.ValidName(name); err != nil {
		return nil, err
	}
	_, fd, err := w.ask(opCreate, name, true)
	if err != nil {
		return nil, fmt.Errorf("create %s in %s: %w", name, w.path, err)
	}
	return os.NewFile(uintptr(fd), w.path+"/"+name), nil
}

// Remove removes the recording name.
func (w *Writer) Remove(name string) error {
	if err := record.ValidName(name); err != nil {
		return err
	}
	if _, _, err := w.ask(opRemove, name, false); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove %s/%s: %w", w.path, name, err)
	}
	return nil
}

// List is the directory's recordings (the files a Recorder writes; no other is stat'ed).
func (w *Writer) List() ([]record.FileInfo, error) {
	_, fd, err := w.ask(opList, "", true)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", w.path, err)
	}
	d := os.NewFile(uintptr(fd), w.path)
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", w.path, err)
	}
	var out []record.FileInfo
	for _, e := range ents {
		if !e.Type().IsRegular() || record.ValidName(e.Name()) != nil {
			continue
		}
		st, _, err := w.ask(opStat, e.Name(), false)
		if err != nil {
			continue // removed meanwhile
		}
		f := strings.Fields(st)
		if len(f) != 3 {
			return nil, fmt.Errorf("writer helper: stat %s: %q", e.Name(), st)
		}
		size, _ := strconv.ParseInt(f[0], 10, 64)
		sec, _ := strconv.ParseInt(f[1], 10, 64)
		nsec, _ := strconv.ParseInt(f[2], 10, 64)
		out = append(out, record.FileInfo{Name: e.Name(), Size: size, Mod: time.Unix(sec, nsec)})
	}
	return out, nil
}
