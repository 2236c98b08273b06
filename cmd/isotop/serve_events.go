package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/isotop/isotop/probe/record"
)

// readableDir checks at start that serve may read the directory of recordings: in read-only mode
// it reads as the read-only user, not root, and a directory of root's says so then, not at the
// first request.
func readableDir(dir string, md mode) error {
	f, err := os.Open(dir)
	if err == nil {
		var st os.FileInfo
		if st, err = f.Stat(); err == nil && !st.IsDir() {
			err = errors.New("not a directory (give the directory isotop record --output writes)")
		} else if err == nil {
			_, err = f.ReadDir(1)
			if errors.Is(err, io.EOF) {
				err = nil
			}
		}
		f.Close()
	}
	if err != nil && errors.Is(err, fs.ErrPermission) && md.readOnly {
		return fmt.Errorf("%w: in read-only mode serve reads as %s, which may not read it: let that user read the directory and its files (e.g. chgrp -R %s DIR; chmod g+rxs DIR), or serve without --read-only",
			err, md.lockdown.Identity, identityName(md.lockdown.Identity))
	}
	return err
}

// identityName is the user of an identity as early.Lockdown names it ("isotop(999)" → "isotop").
func identityName(id string) string {
	name, _, _ := strings.Cut(id, "(")
	if name == "" {
		return "isotop"
	}
	return name
}

// serveEvents sends the events of serve's --recordings as JSON lines, as isotop export prints them
// ({"time":…,"event":{…}}), over the period asked (?from=T&to=T, as export's --from and --to: RFC
// 3339, a time of day in the recorded host's zone, -10m; the whole recording by default). The
// header Isotop-Recordings names the directory, for the command that replays it.
func (s *server) serveEvents(w http.ResponseWriter, r *http.Request) {
	if s.recordings == "" {
		http.Error(w, "isotop serve: no recordings here: this serve was started without --recordings DIR (the directory isotop record --output writes)", http.StatusNotFound)
		return
	}
	rec, err := record.Open(s.recordings)
	if err != nil {
		http.Error(w, fmt.Sprintf("isotop serve: --recordings %s: %v", s.recordings, err), http.StatusInternalServerError)
		return
	}
	defer rec.Close()
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	begin, end, err := periodFlags{&from, &to}.period(rec)
	if err != nil {
		http.Error(w, "isotop serve: from/to: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Isotop-Recordings", s.recordings)
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	for _, e := range rec.Events {
		if e.Time.Before(begin) || e.Time.After(end) {
			continue
		}
		line, _ := json.Marshal(eventLine{e.Time, e})
		bw.Write(append(line, '\n'))
	}
}

// eventLine is an event as isotop export prints it.
type eventLine struct {
	Time  time.Time    `json:"time"`
	Event record.Event `json:"event"`
}
