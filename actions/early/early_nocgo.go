//go:build !cgo

package early

// Built is whether early.c is linked in (it needs cgo): without it, read-only mode cannot be
// enforced (isotop refuses to start in it) and isotop enter cannot enter namespaces.
const Built = false

func reported() string { return "" }
