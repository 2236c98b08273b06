package probe

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendProcessJSON appends p as encoding/json would marshal it (with its default HTML escaping),
// byte for byte (FuzzProcessJSON checks), without reflection: the process list is most of a
// snapshot's document, and a one-shot `isotop snapshot --json` would otherwise spend much of its
// time building encoding/json's type caches.
func appendProcessJSON(b []byte, p *Process) []byte {
	b = append(b, `{"pid":`...)
	b = strconv.AppendInt(b, int64(p.PID), 10)
	b = append(b, `,"ppid":`...)
	b = strconv.AppendInt(b, int64(p.PPID), 10)
	b = append(b, `,"comm":`...)
	b = appendJSONString(b, p.Comm)
	b = append(b, `,"cmdline":`...)
	b = appendStrings(b, p.Cmdline)
	b = append(b, `,"state":`...)
	b = appendJSONString(b, p.State)
	b = append(b, `,"uid":`...)
	b = strconv.AppendInt(b, int64(p.UID), 10)
	b = append(b, `,"gid":`...)
	b = strconv.AppendInt(b, int64(p.GID), 10)
	b = append(b, `,"threads":`...)
	b = strconv.AppendInt(b, int64(p.Threads), 10)
	b = append(b, `,"start_ticks":`...)
	b = strconv.AppendUint(b, p.StartTicks, 10)
	b = append(b, `,"started":"`...)
	b = p.Started.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","cpu_usec":`...)
	b = strconv.AppendUint(b, p.CPUUsec, 10)
	if p.CPUPct != nil {
		b = append(b, `,"cpu_pct":`...)
		b = appendJSONFloat(b, *p.CPUPct)
	}
	b = append(b, `,"rss_bytes":`...)
	b = strconv.AppendUint(b, p.RSSBytes, 10)
	b = append(b, `,"ns_pids":`...)
	if p.NSPids == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, n := range p.NSPids {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(n), 10)
		}
		b = append(b, ']')
	}
	b = append(b, `,"cgroup_membership":`...)
	if p.CgroupMembership == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, m := range p.CgroupMembership {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"hierarchy":`...)
			b = strconv.AppendInt(b, int64(m.Hierarchy), 10)
			b = append(b, `,"controllers":`...)
			b = appendStrings(b, m.Controllers)
			b = append(b, `,"path":`...)
			b = appendJSONString(b, m.Path)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"cgroup":`...)
	b = appendJSONString(b, p.Cgroup)
	b = append(b, `,"container":`...)
	b = appendJSONString(b, p.Container)
	b = append(b, `,"namespaces":{`...)
	first := true
	for _, k := range nsLinks { // alphabetical, as the struct's fields
		if v := p.Namespaces.Get(k); v != 0 {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, '"')
			b = append(b, k...)
			b = append(b, `":`...)
			b = strconv.AppendUint(b, v, 10)
		}
	}
	b = append(b, `},"isolated":`...)
	if p.Isolated == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, k := range p.Isolated {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, string(k))
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping on: <, > and & as \u003c …,
// control characters, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONFloat appends f as encoding/json writes a float64 (its 'f' form, 'e' for the very
// small and the very large, "e-07" as "e-7").
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
