package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/isotop/isotop/probe/probetest"
)

// TestServeReadOnlyReadsItsArgumentsOnce: in read-only mode early.c binds the socket before Go
// reads the flags. Where the two readings could differ (Go's flag package stops at the first
// argument that is not a flag, early.c does not), serve refuses to start: an address on every
// interface bound by early.c must never pass Go's check as loopback, which needs no token.
func TestServeReadOnlyReadsItsArgumentsOnce(t *testing.T) {
	probetest.Live(t)
	bin := buildBinary(t)
	port := freePort(t)
	for _, args := range [][]string{
		{"serve", "--read-only", "stray", "--listen", "0.0.0.0:" + port},
		{"serve", "--read-only", "--", "--listen", "0.0.0.0:" + port},
	} {
		cmd := exec.Command(bin, args...)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		probetest.Start(t, cmd)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if code := cmd.ProcessState.ExitCode(); code != 2 {
				t.Errorf("%q: exit %d (%v), want 2:\n%s", args, code, err, out.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%q: still serving:\n%s", args, out.String())
		}
	}
}
