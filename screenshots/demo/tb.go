package main

import (
	"fmt"
	"log"
	"os"
	"sync"
	"sync/atomic"
	"testing"
)

// tb lets this program use the tests' helpers (package probetest) outside a test: Cleanup keeps
// a stack that teardown runs in reverse, and Fatal or Skip stop the demo through a panic that run
// recovers, so that the teardown runs whatever failed. Only the methods probetest calls are here;
// the embedded nil testing.TB supplies the interface's unexported method.
type tb struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	failed   bool
	stop     atomic.Bool // set by SIGINT, SIGTERM or SIGHUP
	tmp      string      // removed last
}

// fatal is the panic value of Fatal, Skip and an interrupt.
type fatal string

func (t *tb) Helper()      {}
func (t *tb) Name() string { return "isotop-screenshots" }
func (t *tb) Failed() bool { t.mu.Lock(); defer t.mu.Unlock(); return t.failed }

func (t *tb) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

func (t *tb) Log(args ...any)                 { log.Print(args...) }
func (t *tb) Logf(format string, args ...any) { log.Printf(format, args...) }
func (t *tb) Error(args ...any)               { t.fail(); log.Print(args...) }
func (t *tb) Errorf(format string, args ...any) {
	t.fail()
	log.Printf(format, args...)
}
func (t *tb) Fatal(args ...any)                 { t.fail(); panic(fatal(fmt.Sprint(args...))) }
func (t *tb) Fatalf(format string, args ...any) { t.fail(); panic(fatal(fmt.Sprintf(format, args...))) }
func (t *tb) FailNow()                          { t.Fatal("failed") }
func (t *tb) Skip(args ...any)                  { t.Fatal(append([]any{"cannot build the demo host: "}, args...)...) }
func (t *tb) Skipf(format string, args ...any) {
	t.Fatal("cannot build the demo host: " + fmt.Sprintf(format, args...))
}
func (t *tb) SkipNow() { t.Fatal("cannot build the demo host") }

func (t *tb) fail() { t.mu.Lock(); t.failed = true; t.mu.Unlock() }

// TempDir returns a new directory under the demo's own temporary directory.
func (t *tb) TempDir() string {
	d, err := os.MkdirTemp(t.tmp, "t")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// check stops the demo when a signal asked for it.
func (t *tb) check() {
	if t.stop.Load() {
		panic(fatal("interrupted"))
	}
}

// teardown runs every cleanup, the last registered first, and reports whether all went well.
func (t *tb) teardown() bool {
	for {
		t.mu.Lock()
		n := len(t.cleanups)
		if n == 0 {
			t.mu.Unlock()
			break
		}
		f := t.cleanups[n-1]
		t.cleanups = t.cleanups[:n-1]
		t.mu.Unlock()
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.fail()
					log.Printf("teardown: %v", r)
				}
			}()
			f()
		}()
	}
	if t.tmp != "" {
		if err := os.RemoveAll(t.tmp); err != nil {
			t.Errorf("teardown: %v", err)
		}
	}
	return !t.Failed()
}
