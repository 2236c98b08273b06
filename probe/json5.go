package probe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// json5ToJSON turns the JSON5 that configuration files are written in (ContainerPilot's) into
// JSON, for the subset such files use: // and /* */ comments, unquoted (identifier) keys, single
// quoted strings, trailing commas in objects and arrays. A Go template action ({{ .CONSUL }},
// which ContainerPilot expands before it parses) is kept as text: inside a string as written, in
// a value's place as a string. Hexadecimal numbers, Infinity, NaN, a leading '+' or '.' and a
// string continued on the next line are not understood: json.Unmarshal then says where. The
// output keeps the input's lines (a comment's newlines stay), so a line in an error of
// json.Unmarshal on it is the input's line; errors say the line.
func json5ToJSON(src []byte) ([]byte, error) {
	out := make([]byte, 0, len(src)+len(src)/8)
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '/' && i+1 < len(src) && (src[i+1] == '/' || src[i+1] == '*'):
			end, err := skipComment(src, i)
			if err != nil {
				return nil, err
			}
			out = appendNewlines(out, src[i:end])
			i = end
		case c == '"' || c == '\'':
			var err error
			if out, i, err = appendJSON5String(out, src, i); err != nil {
				return nil, err
			}
		case c == '{' && i+1 < len(src) && src[i+1] == '{':
			end := bytes.Index(src[i:], []byte("}}"))
			if end < 0 {
				return nil, fmt.Errorf("line %d: template action {{ without }}", lineAt(src, i))
			}
			out = appendJSONString(out, string(src[i:i+end+2]))
			out = appendNewlines(out, src[i:i+end+2])
			i += end + 2
		case c == ',':
			next, err := skipSpace(src, i+1)
			if err != nil {
				return nil, err
			}
			if next == len(src) || (src[next] != '}' && src[next] != ']') {
				out = append(out, ',') // a trailing comma is dropped
			}
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			next, err := skipSpace(src, j)
			if err != nil {
				return nil, err
			}
			if next < len(src) && src[next] == ':' {
				out = appendJSONString(out, string(src[i:j])) // a bare key
			} else {
				out = append(out, src[i:j]...) // true, false, null (anything else json rejects)
			}
			i = j
		default:
			out = append(out, c)
			i++
		}
	}
	return out, nil
}

// unmarshalJSON5 decodes a JSON5 document into v; an error says the line.
func unmarshalJSON5(src []byte, v any) error {
	js, err := json5ToJSON(src)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(js, v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return fmt.Errorf("line %d: %w", lineAt(js, int(syn.Offset)-1), err)
		case errors.As(err, &typ):
			return fmt.Errorf("line %d: %w", lineAt(js, int(typ.Offset)-1), err)
		}
		return err
	}
	return nil
}

// skipComment returns the end of the comment at src[i:] ("//" to the line's end, "/*" past "*/").
func skipComment(src []byte, i int) (int, error) {
	if src[i+1] == '/' {
		if n := bytes.IndexByte(src[i:], '\n'); n >= 0 {
			return i + n, nil
		}
		return len(src), nil
	}
	n := bytes.Index(src[i+2:], []byte("*/"))
	if n < 0 {
		return 0, fmt.Errorf("line %d: comment /* without */", lineAt(src, i))
	}
	return i + 2 + n + 2, nil
}

// skipSpace returns the index of the next byte at or after i that is neither space nor comment.
func skipSpace(src []byte, i int) (int, error) {
	for i < len(src) {
		switch c := src[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '/' && i+1 < len(src) && (src[i+1] == '/' || src[i+1] == '*'):
			end, err := skipComment(src, i)
			if err != nil {
				return 0, err
			}
			i = end
		default:
			return i, nil
		}
	}
	return i, nil
}

// appendJSON5String appends the string at src[i:] (quoted with " or ') as a JSON string and
// returns the index past its closing quote.
func appendJSON5String(out, src []byte, i int) ([]byte, int, error) {
	quote, start := src[i], i
	out = append(out, '"')
	for i++; i < len(src); i++ {
		switch c := src[i]; {
		case c == quote:
			return append(out, '"'), i + 1, nil
		case c == '\\' && i+1 < len(src):
			i++
			switch e := src[i]; e {
			case '\'':
				out = append(out, '\'')
			case '\n':
				return nil, 0, fmt.Errorf("line %d: a string continued on the next line is not supported", lineAt(src, i))
			default:
				out = append(out, '\\', e) // json.Unmarshal checks the escape
			}
		case c == '{' && i+1 < len(src) && src[i+1] == '{':
			end := bytes.Index(src[i:], []byte("}}"))
			if end < 0 {
				return nil, 0, fmt.Errorf("line %d: template action {{ without }}", lineAt(src, i))
			}
			s := appendJSONString(nil, string(src[i:i+end+2])) // its quotes are the template's
			out = append(out, s[1:len(s)-1]...)
			i += end + 1
		case c == '"':
			out = append(out, '\\', '"')
		case c == '\n' || c == '\r':
			return nil, 0, fmt.Errorf("line %d: string not closed on its line", lineAt(src, start))
		case c < 0x20:
			out = append(out, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		default:
			out = append(out, c)
		}
	}
	return nil, 0, fmt.Errorf("line %d: string not closed", lineAt(src, start))
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// appendNewlines appends the newlines of skipped text, so that the output keeps the input's lines.
func appendNewlines(out, skipped []byte) []byte {
	for range bytes.Count(skipped, []byte("\n")) {
		out = append(out, '\n')
	}
	return out
}

// lineAt is the 1-based line of offset i in src.
func lineAt(src []byte, i int) int {
	i = min(max(i, 0), len(src))
	return bytes.Count(src[:i], []byte("\n")) + 1
}

// jsonText is a JSON value as text: a string as it is, a number as written, an array of strings
// joined by spaces (a command's argv), "" for anything else.
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	var list []any
	if json.Unmarshal(raw, &list) == nil {
		parts := make([]string, 0, len(list))
		for _, v := range list {
			switch v := v.(type) {
			case string:
				parts = append(parts, v)
			case float64:
				parts = append(parts, strconv.FormatFloat(v, 'f', -1, 64))
			}
		}
		return joinArgs(parts)
	}
	return ""
}

// joinArgs joins a command's arguments by spaces, quoting those that are empty or hold a space.
func joinArgs(args []string) string {
	var b []byte
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		if a == "" || bytes.ContainsAny([]byte(a), " \t\n'\"") {
			b = strconv.AppendQuote(b, a)
			continue
		}
		b = append(b, a...)
	}
	return string(b)
}
