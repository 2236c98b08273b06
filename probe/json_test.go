package probe

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

// TestWriteJSONMatchesMarshal: the parallel encoder must give exactly what encoding/json gives.
func TestWriteJSONMatchesMarshal(t *testing.T) {
	base := fixture(t, "hybrid")
	for _, n := range []int{0, 1, 255, 256, 257, 1001} {
		s := *base
		s.Processes = nil
		for i := range n {
			p := base.Processes[i%len(base.Processes)]
			p.PID = i + 1
			p.Comm = "odd \"name\" <&>\u2028" + strconv.Itoa(i)
			s.Processes = append(s.Processes, p)
		}
		var got bytes.Buffer
		if err := s.WriteJSON(&got); err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(&s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), append(want, '\n')) {
			t.Fatalf("%d processes: WriteJSON differs from json.Marshal", n)
		}
	}
}

// TestNSSetJSON: an NSSet encodes exactly as the map {kind: inode} of its known kinds would.
func TestNSSetJSON(t *testing.T) {
	var s NSSet
	m := map[NSKind]uint64{}
	for i, k := range nsLinks {
		if i%3 == 1 {
			continue
		}
		s.set(k, uint64(4026531830+i))
		m[k] = uint64(4026531830 + i)
	}
	a, _ := json.Marshal(s)
	b, _ := json.Marshal(m)
	if !bytes.Equal(a, b) {
		t.Fatalf("NSSet %s, map %s", a, b)
	}
	var back NSSet
	if err := json.Unmarshal(a, &back); err != nil || back != s {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}
