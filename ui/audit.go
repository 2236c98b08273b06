package ui

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/isotop/isotop/actions"
	"github.com/isotop/isotop/ui/render"
)

// AuditTable lists the audit log, newest first. An intent with no result (open, by index: see
// actions.Unfinished) says so in its RESULT: a change whose outcome no one recorded.
func AuditTable(recs []actions.AuditRecord, open map[int]string, path string) render.Table {
	t := render.Table{Columns: []render.Column{{Title: "TIME", Width: 19, Drop: 1}, {Title: "WHO", Width: 8, Drop: 3}, {Title: "ACTION", Width: 7},
		{Title: "TARGET", Width: 20, Flex: true}, {Title: "CHANGE", Width: 20, Flex: true, Drop: 2}, {Title: "RESULT", Width: 10, Keep: true}}}
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		who := "uid " + strconv.Itoa(r.UID)
		if r.SudoUser != "" {
			who = r.SudoUser
		}
		var change []string
		for _, w := range r.Writes {
			change = append(change, filepath.Base(w.File)+" "+w.OldHuman+"→"+w.NewHuman)
		}
		switch r.Action {
		case "enter":
			change = append(change, strings.Join(r.Namespaces, ",")+": "+strings.Join(r.Command, " "))
		case "sandbox":
			change = append(change, strings.Join(r.Command, " "))
		}
		rec, result, why := r, r.Result, open[i]
		switch {
		case strings.HasPrefix(why, "in progress"):
			result = r.Result + ", in progress"
		case why != "":
			result = strings.ToUpper(r.Result) + ", NO RESULT" // the detail says why
		}
		t.Rows = append(t.Rows, render.Row{
			Ref:   render.AuditRef(i),
			Cells: []string{r.Time.Local().Format("2006-01-02 15:04:05"), who, r.Action, r.Target, strings.Join(change, "; "), result},
			Expand: func() render.More {
				d := auditDetail(rec)
				if why != "" {
					d = append(d, "outcome   "+why)
				}
				return render.More{Explain: auditExplain(path, len(t.Columns)), Detail: d}
			},
		})
	}
	return t
}

func auditExplain(path string, n int) []render.Explanation {
	e := render.Explanation{Files: []string{path}, Command: "tail -n 20 " + path,
		Meaning: "one JSON line per action isotop took or refused: who (uid, SUDO_USER, login uid), when, what, the old and new values, the result"}
	out := make([]render.Explanation, n)
	for i := range out {
		out[i] = e
	}
	return out
}

func auditDetail(r actions.AuditRecord) []string {
	d := []string{"time      " + r.Time.Format("2006-01-02 15:04:05.000 MST"), fmt.Sprintf("uid       %d (pid %d)", r.UID, r.PID)}
	if r.SudoUser != "" {
		d = append(d, "sudo user "+r.SudoUser)
	}
	if r.LoginUID != nil {
		d = append(d, fmt.Sprintf("login uid %d", *r.LoginUID))
	}
	d = append(d, "action    "+r.Action, "target    "+r.Target)
	if r.Cgroup != "" {
		d = append(d, "cgroup    "+r.Cgroup)
	}
	for _, w := range r.Writes {
		d = append(d, "write     "+w.File, fmt.Sprintf("            %s (%s) → %s (%s)", w.Old, w.OldHuman, w.New, w.NewHuman))
	}
	for _, rb := range r.ReadBack {
		d = append(d, fmt.Sprintf("read back %s = %s", filepath.Base(rb.File), rb.Value))
		if rb.Note != "" {
			d = append(d, "          "+rb.Note)
		}
	}
	if len(r.Namespaces) > 0 {
		d = append(d, "entered   "+strings.Join(r.Namespaces, ", "))
	}
	if len(r.Command) > 0 {
		d = append(d, "command   "+strings.Join(r.Command, " "))
	}
	if r.Op != "" {
		d = append(d, "op        "+r.Op+" (its intent and its result share it)")
	}
	return append(d, "result    "+r.Result)
}
