package probe

import "bytes"

// parseCmdline splits /proc/PID/cmdline, NUL-separated arguments with a trailing NUL. Kernel
// threads have an empty one. A process that rewrote its argv (setproctitle) may leave one long
// string with spaces and no NUL; it is kept as one argument, as ps shows it.
func parseCmdline(data []byte) []string {
	data = bytes.TrimRight(data, "\x00")
	if len(data) == 0 {
		return nil
	}
	parts := bytes.Split(data, []byte{0})
	args := make([]string, len(parts))
	for i, p := range parts {
		args[i] = string(p)
	}
	return args
}
