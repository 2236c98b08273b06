package probe

import (
	"encoding/binary"
	"testing"
	"time"
)

// connectorMsg is one netlink message of the proc connector: a proc_event of kind what.
func connectorMsg(what uint32, ts time.Duration, pid, tgid int32) []byte {
	b := make([]byte, nlmsgHdrLen+cnMsgLen+24)
	ne := binary.NativeEndian
	ne.PutUint32(b, uint32(len(b)))
	ne.PutUint32(b[16:], cnIdxProc)
	ne.PutUint32(b[20:], cnValProc)
	ev := b[nlmsgHdrLen+cnMsgLen:]
	ne.PutUint32(ev, what)
	ne.PutUint64(ev[8:], uint64(ts))
	ne.PutUint32(ev[16:], uint32(pid))
	ne.PutUint32(ev[20:], uint32(tgid))
	return b
}

// TestParseExecEvents: of a datagram of several events, the execs, by thread group, at the
// kernel's time after boot; a cut or foreign message is skipped, never read past its end.
func TestParseExecEvents(t *testing.T) {
	boot := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	var dgram []byte
	dgram = append(dgram, connectorMsg(0x1, time.Second, 10, 10)...)          // a fork
	dgram = append(dgram, connectorMsg(0x2, 5*time.Second, 43, 42)...)        // an exec by a thread of 42
	dgram = append(dgram, connectorMsg(0x80000000, 6*time.Second, 42, 42)...) // an exit
	foreign := connectorMsg(0x2, 7*time.Second, 99, 99)
	binary.NativeEndian.PutUint32(foreign[16:], 7) // another connector's index
	dgram = append(dgram, foreign...)
	got := parseExecEvents(dgram, boot)
	if len(got) != 1 || got[0].PID != 42 || !got[0].Time.Equal(boot.Add(5*time.Second)) {
		t.Fatalf("got %+v, want pid 42 at boot+5s", got)
	}
	for cut := range len(dgram) {
		_ = parseExecEvents(dgram[:cut], boot) // no panic on a cut datagram
	}
}

// TestListenMessage: the subscription is 4 bytes of operation before 6.6 (the kernel ignores
// another length) and the operation with an exec-only filter from 6.6.
func TestListenMessage(t *testing.T) {
	for _, c := range []struct {
		filter bool
		n      int
	}{{false, 40}, {true, 44}} {
		b := ListenMessage(c.filter)
		ne := binary.NativeEndian
		if len(b) != c.n || int(ne.Uint32(b)) != c.n || ne.Uint16(b[32:]) != uint16(c.n-40+4) || ne.Uint32(b[36:]) != procCnMcastListen {
			t.Errorf("filter %v: % x", c.filter, b)
		}
		if c.filter && ne.Uint32(b[40:]) != procEventExec {
			t.Errorf("the filter is not exec: % x", b)
		}
	}
}
