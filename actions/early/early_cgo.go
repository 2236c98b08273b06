//go:build cgo

package early

// #cgo CFLAGS: -Wall -O2
// extern char isotop_lockdown[256];
import "C"

// Built is whether early.c is linked in (it needs cgo).
const Built = true

// reported is what early.c's lockdown reported, "" when it did not run.
func reported() string { return C.GoString(&C.isotop_lockdown[0]) }
