package probe

import "time"

// ReadProcessesForTest exposes the per-process reader to the external tests.
func ReadProcessesForTest(fs FS, pids []int) ([]Process, []Error) {
	var errs errorList
	recs := fs.readProcesses(pids, time.Time{}, &errs, nil, time.Time{})
	out := make([]Process, len(recs))
	for i := range recs {
		out[i] = recs[i].Process
	}
	return out, errs
}
