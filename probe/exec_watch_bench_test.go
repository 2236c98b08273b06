package probe

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/isotop/isotop/probe/probetest"
)

// BenchmarkExecWatch compares the two ways isotop record can see execs: the proc connector, and
// polling /proc for new processes (each new one's comm read) every 100 ms and every 1 s (the
// recorder's --poll). A shell runs /bin/true 2000 times (each lives about a millisecond); each way
// reports the share of those it saw and its CPU time (this process's, the shell being a child)
// per 1000 execs. The polls' CPU is mostly the listing of /proc, whatever the exec rate; the
// connector's follows the exec rate (from 6.6 only execs are sent).
func BenchmarkExecWatch(b *testing.B) {
	probetest.Live(b)
	const n = 2000
	spawn := func() (int, func()) {
		cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt "+strconv.Itoa(n)+" ]; do /bin/true; i=$((i+1)); done")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		return cmd.Process.Pid, func() { _ = cmd.Wait() }
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	fs := DefaultFS()
	snap, err := fs.Snapshot() // the containers the recorder checks each exec against
	if err != nil {
		b.Fatal(err)
	}
	for _, classify := range []bool{false, true} {
		name := map[bool]string{false: "connector-receive", true: "connector-recorder"}[classify]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				w, err := OpenExecWatcher()
				if err != nil {
					b.Skipf("no proc connector: %v", err)
				}
				seen := 0
				done := make(chan struct{})
				go func() {
					defer close(done)
					buf := make([]byte, 64<<10)
					for {
						evs, err := w.Next(buf)
						if err != nil {
							return
						}
						for _, e := range evs {
							seen++
							if classify { // what isotop record does with each: is it an exec into a container?
								fs.ExecIntoContainer(snap, e.PID)
							}
						}
					}
				}()
				c0 := cpu()
				_, wait := spawn()
				wait()
				time.Sleep(100 * time.Millisecond) // the last events
				w.Close()
				<-done
				b.ReportMetric(min(1, float64(seen)/n), "seen/exec")
				b.ReportMetric(float64((cpu()-c0).Microseconds())/1000/(n/1000), "cpu-ms/1000execs")
			}
		})
	}
	for _, every := range []time.Duration{100 * time.Millisecond, time.Second} {
		b.Run("poll-"+every.String(), func(b *testing.B) {
			for b.Loop() {
				known := map[int]bool{}
				pids, _ := fs.listPIDs()
				for _, p := range pids {
					known[p] = true
				}
				c0 := cpu()
				_, wait := spawn()
				stop := make(chan struct{})
				seen := 0
				go func() { wait(); close(stop) }()
				tick := time.NewTicker(every)
				for running := true; running; {
					select {
					case <-stop:
						running = false
					case <-tick.C:
					}
					pids, _ := fs.listPIDs()
					for _, p := range pids {
						if !known[p] {
							known[p] = true
							if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/comm"); strings.TrimSpace(string(comm)) == "true" {
								seen++
							}
						}
					}
				}
				tick.Stop()
				b.ReportMetric(float64(seen)/n, "seen/exec")
				b.ReportMetric(float64((cpu()-c0).Microseconds())/1000/(n/1000), "cpu-ms/1000execs")
			}
		})
	}
}
