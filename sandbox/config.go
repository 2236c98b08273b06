// Package sandbox is the inside of `isotop sandbox`: what runs in the new namespaces, before the
// command. It builds the root filesystem (an overlay on a tmpfs, binds, a fresh /proc, a read-only
// /sys, a minimal /dev), moves into it with pivot_root, sets the hostname, drops capabilities to a
// container's default set, sets no_new_privs, and executes the command as pid 1 (or a small init in
// front of it). The outside (the cgroup, the veth, the cleanup) is package actions'.
//
// With --explain each step is printed as the shell command that would do the same, so that a
// teaching lab can follow a container being made.
package sandbox

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ChildEnv carries the ChildConfig (JSON) to the re-executed binary in the new namespaces.
const ChildEnv = "_ISOTOP_SANDBOX"

// DefaultPath is the PATH of the command when the caller gives none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Bind is a --bind SRC:DST[:ro].
type Bind struct {
	Src, Dst string
	ReadOnly bool
}

func (b Bind) String() string {
	s := b.Src + ":" + b.Dst
	if b.ReadOnly {
		s += ":ro"
	}
	return s
}

// ChildConfig is what the parent tells the sandbox's first process.
type ChildConfig struct {
	Lower    string   // the read-only lower layer: "/" (the host's root) or --rootfs
	WorkDir  string   // an empty directory for the tmpfs that holds the overlay's writable layer
	Hostname string   // of the uts namespace
	Binds    []Bind   //
	Command  []string // what runs, looked up in the new root
	Env      []string // its environment
	Init     bool     // --init: a small init stays pid 1 in front of the command
	Explain  bool     // print each step as a shell command
	CgroupV2 bool     // mount cgroup2 read-only at /sys/fs/cgroup (the host is pure v2)
	Rootless bool     // in a user namespace of its own
}

// explain prints one step: the shell command that does the same, and why.
func explain(w io.Writer, who, cmd, why string) {
	if why != "" {
		fmt.Fprintf(w, "[%s] %-60s # %s\n", who, cmd, why)
		return
	}
	fmt.Fprintf(w, "[%s] %s\n", who, cmd)
}

// Explain prints a step of the parent's (the host side) in the same form.
func Explain(w io.Writer, cmd, why string) { explain(w, "host", cmd, why) }

// ParseBind reads --bind SRC:DST[:ro].
func ParseBind(s string) (Bind, error) {
	parts := strings.Split(s, ":")
	b := Bind{}
	switch {
	case len(parts) == 3 && parts[2] == "ro":
		b.ReadOnly = true
	case len(parts) == 3 && parts[2] == "rw":
	case len(parts) != 2:
		return b, fmt.Errorf("--bind %q: write SRC:DST or SRC:DST:ro", s)
	}
	b.Src, b.Dst = parts[0], parts[1]
	if !strings.HasPrefix(b.Src, "/") || !strings.HasPrefix(b.Dst, "/") {
		return b, fmt.Errorf("--bind %q: SRC and DST must be absolute paths", s)
	}
	for _, p := range strings.Split(b.Dst, "/") {
		if p == ".." {
			return b, fmt.Errorf("--bind %q: DST must not contain \"..\"", s)
		}
		if p == ".oldroot" {
			return b, fmt.Errorf("--bind %q: /.oldroot is where the host's root goes while the sandbox is made", s)
		}
	}
	return b, nil
}

// ExecSpec is what the sandbox's setup (Go) hands its pid 1 (C, actions/early/sandbox.c), which
// execs the command: the new root it must be in, the capabilities to keep, the command, and
// Docker's seccomp profile as a BPF program.
type ExecSpec struct {
	RootDev, RootIno uint64
	Caps             uint64
	Path             string
	Argv, Env        []string
	Seccomp          []byte // struct sock_filter[], as libseccomp exports it
}

// encode writes the spec as sandbox.c reads it: a magic line, then NUL-ended fields, the lists
// counted, then the filter's length and bytes.
func (s ExecSpec) encode() []byte {
	var b strings.Builder
	field := func(v string) { b.WriteString(v); b.WriteByte(0) }
	list := func(l []string) {
		field(strconv.Itoa(len(l)))
		for _, v := range l {
			field(v)
		}
	}
	field("isotop-exec-spec-1")
	field(strconv.FormatUint(s.RootDev, 10))
	field(strconv.FormatUint(s.RootIno, 10))
	field(strconv.FormatUint(s.Caps, 10))
	list([]string{s.Path})
	list(s.Argv)
	list(s.Env)
	field(strconv.Itoa(len(s.Seccomp)))
	b.Write(s.Seccomp)
	return []byte(b.String())
}
