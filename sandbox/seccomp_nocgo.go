//go:build !cgo

package sandbox

import "errors"

// seccompBPF needs libseccomp (cgo); a build without cgo has no sandbox at all (its first
// process is C), so this is never reached there but to say why.
func seccompBPF() ([]byte, error) {
	return nil, errors.New("this isotop was built without cgo: no seccomp filter for the sandbox")
}
