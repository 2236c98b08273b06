package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/isotop/isotop/probe/probetest"
)

// TestReplayStepsThroughARecording: the real `isotop record` on the live host while a netns of
// the test's comes and goes, then the real TUI on the recording in tmux: it opens at the last
// instant with the timeline in the title, < goes to the first, } to the sample after the next event
// (the netns is there), ] and [ step, } again to its removal (gone), and an action is refused as
// the past.
func TestReplayStepsThroughARecording(t *testing.T) {
	probetest.Live(t)
	bin := buildBinary(t)
	out := t.TempDir()
	name := probetest.Name(t)
	rec, stderr := startRecorder(t, bin, out, nil, "--interval", "1s", "--count", "7")
	time.Sleep(1500 * time.Millisecond)
	probetest.Run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	time.Sleep(2500 * time.Millisecond)
	probetest.Run(t, "ip", "netns", "del", name)
	if err := rec.Wait(); err != nil {
		t.Fatalf("isotop record: %v\n%s", err, stderr.String())
	}

	tm := startTmux(t, 160, 40, bin, "--replay", out, "--no-mouse")
	tm.waitFor("replay 20", "(7/7)")
	tm.keys("w")
	if s := tm.waitFor("[w Network]"); strings.Contains(s, name) {
		t.Errorf("the last instant shows the netns removed before it:\n%s", s)
	}
	tm.keys("<")
	tm.waitFor("(1/7)")
	tm.keys("}")
	s := tm.waitFor(name)
	at := strings.Index(s, "/7)")
	if at < 0 {
		t.Fatalf("no timeline in the title:\n%s", s)
	}
	tm.keys("]")
	tm.waitFor(name)
	tm.keys("[")
	tm.waitFor(name)
	tm.keys("}")
	tm.waitGone(name) // the sample after its removal
	tm.keys("[")
	tm.waitFor(name)
	// The Events box: filtered by the netns's name, enter goes to the instant after its creation.
	tm.keys(">")
	tm.waitFor("(7/7)")
	tm.waitGone(name)
	tm.keys("v")
	tm.waitFor("Events of the recording")
	tm.text(name)
	tm.waitFor("netns-created", "netns-removed", "matching "+name)
	tm.keys("Enter")
	tm.waitGone("Events of the recording")
	tm.waitFor(name, "[w Network]")
	// @ goes to an instant: a bad one is refused saying why, then the first sample's time.
	tm.keys("@")
	tm.waitFor("Go to an instant")
	tm.text("yesterday")
	tm.keys("Enter")
	tm.waitFor("not RFC 3339")
	tm.keys("C-u")
	rec0 := strings.Fields(strings.SplitN(tm.screen(), "recorded ", 2)[1])[1] // "01-02 15:04:05": the first instant's time of day
	tm.text(rec0)
	tm.keys("Enter")
	tm.waitFor("(1/7)")
	// Explain names the instant the value is from.
	tm.keys("e")
	tm.waitFor("the value at 20", "recorded from the file below")
	tm.keys("Escape")
	tm.waitGone("recorded from the file below")
	// The past cannot be changed: L on a cgroup says so.
	tm.keys("g", "j", "L")
	tm.waitFor("replay of a recording")
	tm.keys("q")
}
