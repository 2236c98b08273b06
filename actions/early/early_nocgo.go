//go:build !cgo

package early

import (
	"errors"
	"os"

	"github.com/isotop/isotop/probe/record"
)

// Built is whether early.c is linked in (it needs cgo): without it, read-only mode cannot be
// enforced (isotop refuses to start in it) and isotop enter cannot enter namespaces.
const Built = false

func reported() string { return "" }
func readOnly() bool   { return false }

// Helper is read-only mode's namespace helper; without cgo there is none.
type Helper struct{}

// NewHelper says there is none.
func NewHelper() (*Helper, error) {
	return nil, errors.New("built without cgo: no lockdown, no helper")
}

// NetlinkSocket is not available without cgo.
func (*Helper) NetlinkSocket(int) (int, error) { return -1, errors.New("no namespace helper") }

// OpenFile is not available without cgo.
func (*Helper) OpenFile(string) (*os.File, error) { return nil, errors.New("no files helper") }

// Hostname is not available without cgo.
func (*Helper) Hostname(int) (string, error) { return "", errors.New("no namespace helper") }

func listenFD() (int, string) { return -1, "built without cgo" }

// NewWriter says there is no writer helper without cgo.
func NewWriter(string) (record.Dir, error) {
	return nil, errors.New("built without cgo: no lockdown, no writer helper")
}

// ExecsFD says there is no proc connector socket without cgo.
func ExecsFD() (int, string) { return -1, "built without cgo" }
