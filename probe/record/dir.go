package record

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Dir is the directory a Recorder writes: it makes, lists and removes files in it by name only.
// DirOf is an open directory; in read-only mode it is the lockdown's writer helper
// (actions/early.Writer), the one process that may write, and only there.
type Dir interface {
	Name() string
	// Create makes a file that must not exist yet, for writing; a symlink is never followed.
	Create(name string) (*os.File, error)
	Remove(name string) error
	// List is the directory's regular files.
	List() ([]FileInfo, error)
}

// FileInfo is a file of a Dir.
type FileInfo struct {
	Name string
	Size int64
	Mod  time.Time
}

// ValidName reports why name is not one a Recorder writes (isotop-….rec, one path element), or nil.
// The writer helper applies the same rule on its side.
func ValidName(name string) error {
	if !strings.HasPrefix(name, "isotop-") || !strings.HasSuffix(name, ".rec") || strings.ContainsAny(name, "/\x00") || len(name) < 12 || len(name) > 255 {
		return fmt.Errorf("%q: not a recording's name (isotop-….rec)", name)
	}
	return nil
}

// DirOf is the directory open as f (the recorder opens it once, refusing a symlink).
func DirOf(f *os.File) Dir { return fileDir{f} }

type fileDir struct{ f *os.File }

func (d fileDir) Name() string { return d.f.Name() }

func (d fileDir) Create(name string) (*os.File, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	fd, err := unix.Openat(int(d.f.Fd()), name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o640)
	if err != nil {
		return nil, fmt.Errorf("create %s in %s: %w", name, d.f.Name(), err)
	}
	return os.NewFile(uintptr(fd), d.f.Name()+"/"+name), nil
}

func (d fileDir) Remove(name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if err := unix.Unlinkat(int(d.f.Fd()), name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove %s/%s: %w", d.f.Name(), name, err)
	}
	return nil
}

func (d fileDir) List() ([]FileInfo, error) {
	if _, err := d.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	ents, err := d.f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.f.Name(), err)
	}
	var out []FileInfo
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(int(d.f.Fd()), e.Name(), &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue
		}
		out = append(out, FileInfo{Name: e.Name(), Size: st.Size, Mod: time.Unix(st.Mtim.Unix())})
	}
	return out, nil
}
