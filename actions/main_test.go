package actions

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain removes the isotop binary that builtIsotop built, if it built one.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin.dir != "" {
		os.RemoveAll(builtBin.dir)
	}
	os.Exit(code)
}

// builtBin is the isotop binary, built once for every test that drives it.
var builtBin struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

// builtIsotop returns the isotop command to drive: ISOTOP_TEST_BIN when set (a guest without Go),
// else cmd/isotop built once per test binary with cgo, so that early.c is linked in.
func builtIsotop(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("ISOTOP_TEST_BIN"); bin != "" {
		return bin
	}
	builtBin.once.Do(func() {
		if _, builtBin.err = exec.LookPath("go"); builtBin.err != nil {
			return
		}
		builtBin.dir, builtBin.err = os.MkdirTemp("", "isotop-test-bin-")
		if builtBin.err != nil {
			return
		}
		builtBin.path = filepath.Join(builtBin.dir, "isotop")
		cmd := exec.Command("go", "build", "-o", builtBin.path, "./cmd/isotop")
		cmd.Dir = ".." // the repository root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		builtBin.out, builtBin.err = cmd.CombinedOutput()
	})
	if builtBin.err != nil {
		t.Fatalf("go build ./cmd/isotop: %v\n%s", builtBin.err, builtBin.out)
	}
	return builtBin.path
}

// cmdResult is how a command ended.
type cmdResult struct {
	code           int
	stdout, stderr string
}

// runWithStdin runs cmd with stdin, and returns its exit status and output. The deadline only keeps
// a hung command from hanging the test run: nothing is measured against it.
func runWithStdin(t *testing.T, stdin string, cmd *exec.Cmd) cmdResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	c.Env, c.Dir = cmd.Env, cmd.Dir
	if c.Env == nil {
		// Not read-only unless a test asks for it.
		c.Env = append(os.Environ(), "ISOTOP_READONLY=0")
	}
	var out, errb strings.Builder
	c.Stdin, c.Stdout, c.Stderr = strings.NewReader(stdin), &out, &errb
	err := c.Run()
	r := cmdResult{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", c, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish: stdout %q stderr %q", c, r.stdout, r.stderr)
	}
	return r
}

// runIsotop runs the isotop binary with args.
func runIsotop(t *testing.T, stdin string, args ...string) cmdResult {
	t.Helper()
	return runWithStdin(t, stdin, exec.Command(builtIsotop(t), args...))
}
