//go:build cgo

package early

// #include "lockdown.h"
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Helper is the client of read-only mode's helpers (lockdown.c): the namespace helper, the
// process that may setns(2) into another network or UTS namespace, which the main process may not;
// and the files helper, which may read the runtimes' state that only root may read, and opens it
// for the main process. Each answers one request at a time; Helper serializes them. It satisfies
// probe.Opener.
type Helper struct {
	mu, fmu sync.Mutex
	fd, ffd int
}

// NewHelper returns the helpers' client, or why this process has none (it is not in read-only
// mode, or the namespace helper could not lock itself down). A missing files helper (no Landlock)
// is not an error: OpenFile then says why.
func NewHelper() (*Helper, error) {
	fd := helperFD()
	if fd < 0 {
		if readOnly() {
			return nil, fmt.Errorf("read-only mode has no namespace helper: %s", reported())
		}
		return nil, errors.New("not in read-only mode: no namespace helper")
	}
	return &Helper{fd: fd, ffd: filesFD()}, nil
}

// OpenFile opens, for reading, a regular file or a directory beneath the runtimes' state
// directories (Docker's, containerd's, Podman's and CRI-O's containers, LXC's) or isotop's audit
// log, through the files helper.
func (h *Helper) OpenFile(path string) (*os.File, error) {
	if h.ffd < 0 {
		return nil, &os.PathError{Op: "open", Path: path, Err: errors.New("read-only mode reads what only root may through a helper confined by Landlock, and this kernel has none")}
	}
	h.fmu.Lock()
	defer h.fmu.Unlock()
	req := make([]byte, requestSize)
	binary.NativeEndian.PutUint32(req, opOpen)
	if len(path) >= len(req)-4 {
		return nil, &os.PathError{Op: "open", Path: path, Err: unix.ENAMETOOLONG}
	}
	copy(req[4:], path)
	if err := unix.Sendmsg(h.ffd, req, nil, nil, unix.MSG_NOSIGNAL); err != nil {
		return nil, fmt.Errorf("files helper: %w", err)
	}
	_, fd, err := h.answer(h.ffd, true)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// NetlinkSocket returns a NETLINK_ROUTE socket made inside the network namespace open as nsfd.
// The kernel refuses every change made through it: the helper holds no CAP_NET_ADMIN.
func (h *Helper) NetlinkSocket(nsfd int) (int, error) {
	_, fd, err := h.ask(opNetlink, nsfd)
	return fd, err
}

// Hostname returns the nodename of the UTS namespace open as nsfd.
func (h *Helper) Hostname(nsfd int) (string, error) {
	name, _, err := h.ask(opUTSName, nsfd)
	return name, err
}

func (h *Helper) ask(op uint32, nsfd int) (string, int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	req := make([]byte, requestSize)
	binary.NativeEndian.PutUint32(req, op)
	if err := unix.Sendmsg(h.fd, req, unix.UnixRights(nsfd), nil, unix.MSG_NOSIGNAL); err != nil {
		return "", -1, fmt.Errorf("namespace helper: %w", err)
	}
	return h.answer(h.fd, op == opNetlink)
}

// answer reads a helper's reply: its name field, and the one descriptor it carries when wantFD.
func (h *Helper) answer(sock int, wantFD bool) (string, int, error) {
	buf := make([]byte, replySize)
	oob := make([]byte, unix.CmsgSpace(4*4))
	var n, oobn int
	var err error
	for {
		n, oobn, _, _, err = unix.Recvmsg(sock, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil || n != len(buf) {
		return "", -1, fmt.Errorf("helper: no answer (%v, %d bytes)", err, n)
	}
	var fds []int
	if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
		for _, m := range msgs {
			if more, err := unix.ParseUnixRights(&m); err == nil {
				fds = append(fds, more...)
			}
		}
	}
	r := (*C.struct_isotop_reply)(unsafe.Pointer(&buf[0]))
	if r.err != 0 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return "", -1, fmt.Errorf("%s: %w", C.GoString(&r.step[0]), syscall.Errno(r.err))
	}
	name := C.GoString(&r.name[0])
	switch {
	case wantFD && len(fds) == 1:
		return name, fds[0], nil
	case !wantFD && len(fds) == 0:
		return name, -1, nil
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	return "", -1, fmt.Errorf("helper: %d descriptors in its answer", len(fds))
}
