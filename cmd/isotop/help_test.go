package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

// subcommands are every command isotop has besides the TUI.
var subcommands = []string{"snapshot", "enter", "limit", "sandbox", "version", "help"}

// TestREADMECommandsExist: every `isotop WORD` the README documents as a command heading is a
// command isotop takes, and every command isotop takes has a heading in the README.
func TestREADMECommandsExist(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	heads := regexp.MustCompile("(?m)^### `isotop ([a-z]+)").FindAllSubmatch(readme, -1)
	documented := map[string]bool{}
	for _, h := range heads {
		documented[string(h[1])] = true
		var out, errb bytes.Buffer
		if code := run([]string{string(h[1]), "--help"}, &out, &errb); code != 0 || strings.Contains(errb.String(), "unknown command") {
			t.Errorf("the README documents `isotop %s`, which isotop does not take (exit %d): %s", h[1], code, errb.String())
		}
	}
	for _, c := range subcommands {
		if !documented[c] && !strings.Contains(string(readme), "`isotop "+c+"`") {
			t.Errorf("isotop %s is not documented in the README", c)
		}
	}
	var out, errb bytes.Buffer
	run([]string{"help"}, &out, &errb)
	for _, c := range subcommands {
		if !strings.Contains(out.String(), "isotop "+c) {
			t.Errorf("isotop help does not list %s", c)
		}
	}
}

// TestHelpFlagsDocumented: every flag in every command's --help is in the README, as --flag.
func TestHelpFlagsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	flagLine := regexp.MustCompile(`(?m)^  -([a-z][a-z-]*)`)
	for _, args := range [][]string{{"--help"}, {"snapshot", "--help"}, {"enter", "--help"}, {"limit", "--help"}, {"sandbox", "--help"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 0 {
			t.Fatalf("isotop %s: exit %d", strings.Join(args, " "), code)
		}
		help := out.String() + errb.String()
		flags := flagLine.FindAllStringSubmatch(help, -1)
		if len(flags) == 0 {
			t.Fatalf("isotop %s lists no flags:\n%s", strings.Join(args, " "), help)
		}
		for _, f := range flags {
			if !bytes.Contains(readme, []byte("--"+f[1])) {
				t.Errorf("isotop %s: --%s is not documented in the README", strings.Join(args, " "), f[1])
			}
		}
	}
}
