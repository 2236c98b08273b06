package probe

import (
	"encoding/json"
	"path"
	"strconv"
	"strings"
)

// containerPilotConfig is where ContainerPilot reads its config when its command line names none
// (its -config flag; the CONTAINERPILOT variable of its environment is not read).
const containerPilotConfig = "/etc/containerpilot.json5"

// maxConfigSize bounds what is read of a config file in a container's root.
const maxConfigSize = 1 << 20

// containerPilotJobs reads the jobs of the ContainerPilot that is the container's init from its
// config in the container's root, which the host reaches as /proc/PID/root/PATH. It returns the
// jobs and that path; nothing when the file is not there, and an error entry when it cannot be
// read or parsed.
func (m *runtimeMeta) containerPilotJobs(init *Process) ([]InitJob, string) {
	cfg := flagValue(init.Cmdline, "-config")
	if cfg == "" {
		cfg = flagValue(init.Cmdline, "--config")
	}
	cfg = strings.TrimPrefix(cfg, "file://")
	if cfg == "" {
		cfg = containerPilotConfig
	}
	cfg = path.Clean("/" + cfg) // a relative path is taken from the root (ContainerPilot's cwd is usually /)
	root := m.fs.Proc + "/" + strconv.Itoa(init.PID) + "/root"
	file := root + cfg
	data, err := readInRoot(root, cfg, maxConfigSize)
	if err != nil {
		if !gone(err) {
			m.errs.add(file, err)
		}
		return nil, ""
	}
	jobs, err := parseContainerPilot(data)
	if err != nil {
		m.errs.add(file, err)
	}
	return jobs, file
}

// parseContainerPilot reads the jobs of a ContainerPilot (v3) config: each job's name, exec (a
// string or an argv), health check (its exec and interval) and when (what starts it). The config
// is JSON5; an error wraps ErrParse and says the line.
func parseContainerPilot(data []byte) ([]InitJob, error) {
	var cfg map[string]json.RawMessage
	if err := unmarshalJSON5(data, &cfg); err != nil {
		return nil, parseErr("containerpilot config", err.Error())
	}
	var list []json.RawMessage
	if raw, ok := cfg["jobs"]; ok && json.Unmarshal(raw, &list) != nil {
		return nil, parseErr("containerpilot config", "jobs is not a list")
	}
	jobs := make([]InitJob, 0, len(list))
	for _, raw := range list {
		var j, health, when map[string]json.RawMessage
		if json.Unmarshal(raw, &j) != nil {
			continue // not an object: ContainerPilot would refuse it too
		}
		_ = json.Unmarshal(j["when"], &when)
		job := InitJob{Name: jsonText(j["name"]), Exec: jsonText(j["exec"]), When: whenText(when)}
		if json.Unmarshal(j["health"], &health) == nil {
			job.Health = jsonText(health["exec"])
			job.Interval = seconds(health["interval"])
		}
		jobs = append(jobs, job)
	}
	return jobs, nil
}

// whenText says what starts a job, from its "when": "once healthy: db" (the event, then its
// source), "each changed: watch.app", "every 10s" (a periodic job), with " (timeout 60s)" when it
// has one; "" when the job has no "when" (it starts with ContainerPilot).
func whenText(w map[string]json.RawMessage) string {
	var parts []string
	for _, ev := range []string{"once", "each"} {
		if e := jsonText(w[ev]); e != "" {
			if src := jsonText(w["source"]); src != "" {
				e += ": " + src
			}
			parts = append(parts, ev+" "+e)
		}
	}
	if iv := seconds(w["interval"]); iv != "" {
		parts = append(parts, "every "+iv)
	}
	text := strings.Join(parts, ", ")
	if t := seconds(w["timeout"]); t != "" {
		text = strings.TrimSpace(text + " (timeout " + t + ")")
	}
	return text
}

// seconds is a ContainerPilot duration as written ("10s", "1m"), a bare number being seconds.
func seconds(raw json.RawMessage) string {
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String() + "s"
	}
	return jsonText(raw)
}
