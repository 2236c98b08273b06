package probe

import (
	"bytes"
	"strconv"
)

// IDMapRange is one line of /proc/PID/uid_map or gid_map (user_namespaces(7)): Count ids starting at
// Inside in the user namespace are ids starting at Outside in the namespace of the reader (isotop
// reads from the initial user namespace, so Outside is the host's id). "0 100000 65536" reads "root
// inside is uid 100000 outside".
type IDMapRange struct {
	Inside  uint32 `json:"inside"`
	Outside uint32 `json:"outside"`
	Count   uint32 `json:"count"`
}

// parseIDMap parses a uid_map or gid_map file.
func parseIDMap(data []byte) ([]IDMapRange, error) {
	var out []IDMapRange
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return out, parseErr("id map", "line without three numbers")
		}
		var v [3]uint32
		for i := range f {
			n, err := strconv.ParseUint(string(f[i]), 10, 32)
			if err != nil {
				return out, parseErr("id map", "bad number")
			}
			v[i] = uint32(n)
		}
		out = append(out, IDMapRange{Inside: v[0], Outside: v[1], Count: v[2]})
	}
	return out, nil
}
