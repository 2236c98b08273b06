package probe

import (
	"errors"
	"fmt"
	"io/fs"

	"golang.org/x/sys/unix"
)

// ErrParse is wrapped by every error that comes from content the parser did not understand.
var ErrParse = errors.New("unexpected content")

func parseErr(what, detail string) error {
	return fmt.Errorf("%s: %w: %s", what, ErrParse, detail)
}

// Error is one thing the snapshot could not read. The snapshot keeps going without it: processes
// vanish and files become unreadable all the time on a live host, and that is data, not failure.
type Error struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// gone reports whether err means the process (or the object behind the path) no longer exists.
// ESRCH comes from files of a task that died after its /proc directory was opened.
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENOENT)
}

// reason turns an error into the short text the snapshot carries, without repeating the path.
func reason(err error) string {
	var errno unix.Errno
	switch {
	case errors.As(err, &errno):
		return errno.Error()
	default:
		return err.Error()
	}
}
