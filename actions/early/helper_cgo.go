//go:build cgo

package early

// #include "lockdown.h"
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Helper is the client of read-only mode's namespace helper (lockdown.c): the process that may
// setns(2) into another network or UTS namespace, which the main process may not. It answers one
// request at a time; Helper serializes them. It satisfies probe.NamespaceOpener.
type Helper struct {
	mu sync.Mutex
	fd int
}

// NewHelper returns the helper's client, or why this process has none (it is not in read-only
// mode, or the helper could not lock itself down).
func NewHelper() (*Helper, error) {
	fd := helperFD()
	if fd < 0 {
		if readOnly() {
			return nil, fmt.Errorf("read-only mode has no namespace helper: %s", reported())
		}
		return nil, errors.New("not in read-only mode: no namespace helper")
	}
	return &Helper{fd: fd}, nil
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
	buf := make([]byte, replySize)
	oob := make([]byte, unix.CmsgSpace(4*4))
	var n, oobn int
	var err error
	for {
		n, oobn, _, _, err = unix.Recvmsg(h.fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil || n != len(buf) {
		return "", -1, fmt.Errorf("namespace helper: no answer (%v, %d bytes)", err, n)
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
	case op == opNetlink && len(fds) == 1:
		return name, fds[0], nil
	case op != opNetlink && len(fds) == 0:
		return name, -1, nil
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	return "", -1, fmt.Errorf("namespace helper: %d descriptors in its answer", len(fds))
}
