package probe

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestJSON5: the subset of JSON5 configs are written in, each feature alone, against the JSON it
// means; bad input is an error that says its line.
func TestJSON5(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"a": 1}`, `{"a":1}`},
		{"{\n  // a comment, with 'quotes' and a /* \n  a: 1, /* another\n over lines */ b: 2\n}", `{"a":1,"b":2}`},
		{`{a: 1, $b_2: true, _c: null}`, `{"a":1,"$b_2":true,"_c":null}`},
		{`{'a': 'it\'s "x"', b: "\u00e9\n"}`, `{"a":"it's \"x\"","b":"é\n"}`},
		{`{a: [1, 2, ], b: {c: 3, }, }`, `{"a":[1,2],"b":{"c":3}}`},
		{`{a: [1, /* x */ ], b: 1e3, c: -2.5}`, `{"a":[1],"b":1000,"c":-2.5}`},
		{`{consul: "{{ .CONSUL | default "consul" }}:8500"}`, `{"consul":"{{ .CONSUL | default \"consul\" }}:8500"}`},
		{`{port: {{ .PORT }}, x: 'a{{b}}c'}`, `{"port":"{{ .PORT }}","x":"a{{b}}c"}`},
		{`{url: "http://x//y/*z*/"}`, `{"url":"http://x//y/*z*/"}`},
		{"{a: 'tab\there'}", `{"a":"tab\there"}`},
		{`[]`, `[]`},
	} {
		var got, want any
		if err := unmarshalJSON5([]byte(tt.in), &got); err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q = %v, want %v", tt.in, got, want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"{\n a: 1,\n b: 'open\n}", "line 3: string not closed on its line"},
		{"{a: 1 /* open", "line 1: comment /* without */"},
		{"{\n\n a: 'x' b: 1}", "line 3: invalid character"},
		{"{\n a: 0x1F}", "line 2: invalid character"},
		{"{a: Infinity}", "line 1: invalid character"},
		{"{a: {{ .X }", "line 1: template action {{ without }}"},
		{"{a: 'x\\\ny'}", "line 1: a string continued on the next line is not supported"},
		{"", "unexpected end of JSON input"},
		{"{a: 'x", "line 1: string not closed"},
	} {
		var v any
		err := unmarshalJSON5([]byte(tt.in), &v)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want one with %q", tt.in, err, tt.want)
		}
	}
}

// TestParseContainerPilot: jobs with exec as a string or an argv, health checks, and what starts
// them; a config whose jobs are not a list is an error, one with no jobs has none.
func TestParseContainerPilot(t *testing.T) {
	jobs, err := parseContainerPilot([]byte(`{
	  consul: "localhost:8500",
	  logging: {level: "INFO"},
	  jobs: [
	    {name: "setup", exec: "/bin/setup", when: {once: "startup"}},
	    {name: "app", exec: ["/bin/app", "--port", "80"], restarts: "unlimited",
	     when: {source: "setup", once: "exitSuccess", timeout: "60s"},
	     health: {exec: "/bin/check", interval: 10, ttl: 25}},
	    {name: "backup", exec: "/bin/backup", when: {interval: "1h"}},
	    {name: "reload", exec: "nginx -s reload", when: {source: "watch.app", each: "changed"}},
	    "not a job",
	  ],
	  watches: [{name: "app", interval: 3}],
	}`))
	want := []InitJob{
		{Name: "setup", Exec: "/bin/setup", When: "once startup"},
		{Name: "app", Exec: "/bin/app --port 80", Health: "/bin/check", Interval: "10s", When: "once exitSuccess: setup (timeout 60s)"},
		{Name: "backup", Exec: "/bin/backup", When: "every 1h"},
		{Name: "reload", Exec: "nginx -s reload", When: "each changed: watch.app"},
	}
	if err != nil || !reflect.DeepEqual(jobs, want) {
		t.Errorf("jobs %+v, %v", jobs, err)
	}
	if jobs, err := parseContainerPilot([]byte(`{consul: "x"}`)); err != nil || len(jobs) != 0 {
		t.Errorf("no jobs: %+v, %v", jobs, err)
	}
	for _, bad := range []string{`{jobs: {name: "x"}}`, `[1]`, `{jobs: [}`} {
		if _, err := parseContainerPilot([]byte(bad)); err == nil || !errors.Is(err, ErrParse) {
			t.Errorf("%s: error %v", bad, err)
		}
	}
	if got := joinArgs([]string{"sh", "-c", "sleep 1", ""}); got != `sh -c "sleep 1" ""` {
		t.Errorf("joinArgs = %s", got)
	}
}

// FuzzJSON5: no input makes the converter panic; what it accepts is JSON; JSON (without template
// actions, which it reads as ContainerPilot does) means the same after it; a config parse error
// wraps ErrParse.
func FuzzJSON5(f *testing.F) {
	for _, s := range []string{
		`{a: 1, 'b': [1, 2, ], /* c */ "d": "e" // f
		}`,
		`{consul: "{{ .CONSUL }}:8500", jobs: [{name: 'x', exec: ["a", 'b'], health: {exec: "c", interval: 5}}]}`,
		`{"a": "\u00e9\\\"", "b": [true, false, null, -1.5e3]}`,
		"{a: 'x\\'y'}", "/*", "'", "{{", `[1,]`, `{a:}`,
		"1E700", // valid JSON that does not decode (out of range): found by the fuzzer
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := json5ToJSON(data)
		if err == nil && json.Valid(data) && !bytes.Contains(data, []byte("{{")) {
			var a, b any
			if json.Unmarshal(data, &a) == nil && (json.Unmarshal(out, &b) != nil || !reflect.DeepEqual(a, b)) {
				t.Fatalf("JSON %q became %q", data, out) // (valid JSON may not decode: 1E700 is out of range)
			}
		}
		if _, err := parseContainerPilot(data); err != nil && !errors.Is(err, ErrParse) {
			t.Fatalf("error %v does not wrap ErrParse", err)
		}
	})
}
