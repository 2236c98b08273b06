//go:build cgo

package early

// #cgo CFLAGS: -Wall -O2
// #cgo LDFLAGS: -lseccomp
// #include "lockdown.h"
import "C"

import "syscall"

// Built is whether early.c is linked in (it needs cgo).
const Built = true

// reported is what the lockdown reported, "" when it did not run.
func reported() string { return C.GoString(&C.isotop_lockdown[0]) }

// readOnly is whether the lockdown ran.
func readOnly() bool { return C.isotop_readonly != 0 }

func helperFD() int { return int(C.isotop_helper_fd) }

func filesFD() int { return int(C.isotop_files_fd) }

func listenFD() (int, string) { return int(C.isotop_listen_fd), C.GoString(&C.isotop_listen_err[0]) }

// replySize and the layout of struct isotop_reply, for the helper's client.
const (
	replySize   = C.sizeof_struct_isotop_reply
	requestSize = C.sizeof_struct_isotop_request
	opNetlink   = C.ISOTOP_OP_NETLINK
	opUTSName   = C.ISOTOP_OP_UTSNAME
	opOpen      = C.ISOTOP_OP_OPEN
)

func writerFD() (int, string, string, syscall.Errno) {
	return int(C.isotop_writer_fd), C.GoString(&C.isotop_record_path[0]), C.GoString(&C.isotop_writer_err[0]), syscall.Errno(C.isotop_writer_errno)
}

const (
	opCreate = C.ISOTOP_OP_CREATE
	opRemove = C.ISOTOP_OP_REMOVE
	opList   = C.ISOTOP_OP_LIST
	opStat   = C.ISOTOP_OP_STAT
)

// ExecsFD is isotop record's proc connector socket, subscribed before the lockdown, or -1 and why
// there is none.
func ExecsFD() (int, string) { return int(C.isotop_execs_fd), C.GoString(&C.isotop_execs_err[0]) }
