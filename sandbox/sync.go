package sandbox

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// The parent and the sandbox's first process talk over two pipes, as runc's parent and init do
// (libcontainer/sync.go): typed messages, one JSON object a line, on the status pipe (child to
// parent), and one byte on the go pipe (parent to child) once the cgroup and the network are
// ready, and another in answer to SyncExec. The status pipe is closed on exec (with --init, by the
// init once the command runs): EOF with no error message means the command started.

// SyncType is what a message says.
type SyncType string

const (
	// SyncError: the sandbox could not be made; Message says why. The child exits 126.
	SyncError SyncType = "error"
	// SyncNoCommand: the command is not in the sandbox's root; Command names it. Exit 127.
	SyncNoCommand SyncType = "nocmd"
	// SyncExec: the sandbox is made, the command is next; the parent sets the command's limits
	// and sends a byte on the go pipe (as runc's procReady and procRun).
	SyncExec SyncType = "exec"
)

// Sync is one message.
type Sync struct {
	Type    SyncType `json:"type"`
	Message string   `json:"message,omitempty"`
	Command string   `json:"command,omitempty"`
}

func (s Sync) String() string {
	switch s.Type {
	case SyncNoCommand:
		return "command " + s.Command + ": not found in the sandbox"
	case SyncError:
		return "making the sandbox: " + s.Message
	}
	return fmt.Sprintf("%s %s", s.Type, s.Message)
}

// writeSync sends a message on the status descriptor, in one write.
func writeSync(fd int, s Sync) {
	data, _ := json.Marshal(s)
	unix.Write(fd, append(data, '\n'))
}

// ReadSyncs reads the child's messages from the status pipe and sends each on out, until the
// pipe is closed (the command started, or the child ended); then it closes out. A line that is not
// a message is an error in its own right, not silence, and the last thing read.
func ReadSyncs(r io.Reader, out chan<- Sync) {
	defer close(out)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for sc.Scan() {
		var s Sync
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil || s.Type == "" {
			out <- Sync{Type: SyncError, Message: fmt.Sprintf("the sandbox's first process sent %q, not a message", sc.Text())}
			return
		}
		out <- s
	}
}

// reportf sends a setup failure to the parent, says it on stderr, and returns the exit status.
func reportf(format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	writeSync(statusFD, Sync{Type: SyncError, Message: msg})
	fmt.Fprintln(os.Stderr, "isotop sandbox: "+msg)
	return 126
}
