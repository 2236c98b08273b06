package actions

import (
	"fmt"
	"strings"

	"github.com/isotop/isotop/sandbox"
)

// Option is one setting of a request, by name, as the CLI's flags and the TUI's forms both take
// it: "--memory 256M" on the command line, "memory=256M" in the limit form. Set parses a value
// into the request; its error names the option and says why.
type Option[R any] struct {
	Name   string
	Usage  string
	Bool   bool   // a switch: given or not, no value
	Repeat bool   // may be given more than once (--bind)
	Alias  string // a shorter name the TUI's forms take too (high, weight)
	Set    func(r *R, value string) error
}

// LimitOptions are isotop limit's settings.
var LimitOptions = []Option[LimitRequest]{
	{Name: "memory", Usage: "memory limit: memory.max (v2) or memory.limit_in_bytes (v1), e.g. 256M, 1.5G, max", Alias: "mem",
		Set: func(r *LimitRequest, s string) (err error) { r.Memory, err = parsed(ParseSize("--memory", s)); return }},
	{Name: "memory-high", Usage: "memory throttling threshold: memory.high (v2 only), e.g. 200M, max", Alias: "high",
		Set: func(r *LimitRequest, s string) (err error) {
			r.MemoryHigh, err = parsed(ParseSize("--memory-high", s))
			return
		}},
	{Name: "cpus", Usage: "CPU limit in CPUs: cpu.max (v2) or cpu.cfs_quota_us (v1), e.g. 0.5, 2, max", Alias: "cpu",
		Set: func(r *LimitRequest, s string) (err error) { r.CPUs, err = parsed(ParseCPUs("--cpus", s)); return }},
	{Name: "cpu-weight", Usage: "CPU weight 1-10000 (100 default): cpu.weight (v2) or cpu.shares (v1)", Alias: "weight",
		Set: func(r *LimitRequest, s string) (err error) {
			r.CPUWeight, err = parsed(ParseWeight("--cpu-weight", s))
			return
		}},
	{Name: "pids", Usage: "most processes and threads: pids.max, e.g. 100, max",
		Set: func(r *LimitRequest, s string) (err error) { r.PIDs, err = parsed(ParseCount("--pids", s)); return }},
}

func parsed[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// sandboxLimit is one of LimitOptions as a sandbox's option (the sandbox takes memory, cpus, pids).
func sandboxLimit(name string) Option[SandboxRequest] {
	for _, o := range LimitOptions {
		if o.Name == name {
			return Option[SandboxRequest]{Name: o.Name, Usage: o.Usage, Set: func(r *SandboxRequest, s string) error {
				var lim LimitRequest
				if err := o.Set(&lim, s); err != nil {
					return err
				}
				r.Memory, r.CPUs, r.PIDs = firstOf(r.Memory, lim.Memory), firstOf(r.CPUs, lim.CPUs), firstOf(r.PIDs, lim.PIDs)
				return nil
			}}
		}
	}
	panic("no limit option " + name)
}

// firstOf is the newly set value when there is one, else the old.
func firstOf[T any](old, set *T) *T {
	if set != nil {
		return set
	}
	return old
}

// SandboxOptions are isotop sandbox's settings.
var SandboxOptions = []Option[SandboxRequest]{
	{Name: "rootfs", Usage: "the root filesystem (a busybox or debootstrap tree); default: the host's / read-only with a tmpfs on top",
		Set: func(r *SandboxRequest, s string) error { r.Rootfs = s; return nil }},
	sandboxLimit("memory"), sandboxLimit("cpus"), sandboxLimit("pids"),
	{Name: "hostname", Usage: "hostname inside (default sandbox-<short id>)",
		Set: func(r *SandboxRequest, s string) error { r.Hostname = s; return nil }},
	{Name: "net", Usage: "none (loopback only) or veth (a veth pair to a bridge on the host)",
		Set: func(r *SandboxRequest, s string) error { r.Net = s; return nil }},
	{Name: "bridge", Usage: "with --net veth: the bridge for the host end (made if missing, and then removed after)",
		Set: func(r *SandboxRequest, s string) error { r.Bridge = s; return nil }},
	{Name: "bind", Repeat: true, Usage: "SRC:DST[:ro], a host directory or file inside the sandbox (repeatable)",
		Set: func(r *SandboxRequest, s string) error {
			b, err := sandbox.ParseBind(s)
			if err != nil {
				return badValuef("%v", err)
			}
			r.Binds = append(r.Binds, b)
			return nil
		}},
	{Name: "explain", Bool: true, Usage: "print each step as the shell command that does the same",
		Set: func(r *SandboxRequest, s string) error { r.Explain = s == "true"; return nil }},
	{Name: "init", Bool: true, Usage: "a small init as pid 1 in front of the command: it reaps zombies and forwards signals",
		Set: func(r *SandboxRequest, s string) error { r.Init = s == "true"; return nil }},
	{Name: "rootless", Bool: true, Usage: "a user namespace too (always when not root)",
		Set: func(r *SandboxRequest, s string) error { r.Rootless = s == "true"; return nil }},
	{Name: "cgroup-parent", Usage: "the cgroup under which the sandbox's own cgroup is made (default /)",
		Set: func(r *SandboxRequest, s string) error { r.CgroupParent = s; return nil }},
}

// FindOption is the option named name (or its alias).
func FindOption[R any](opts []Option[R], name string) (Option[R], bool) {
	for _, o := range opts {
		if o.Name == name || (o.Alias != "" && o.Alias == name) {
			return o, true
		}
	}
	return Option[R]{}, false
}

// OptionNames lists the options' names, "--name" each, for a message.
func OptionNames[R any](opts []Option[R]) string {
	var names []string
	for _, o := range opts {
		names = append(names, "--"+o.Name)
	}
	return strings.Join(names, " ")
}

// ParseArgs applies options given as arguments, "--name value", "--name=value" or "--switch", up
// to "--" or the first argument that is not an option, and returns the rest (the command). The TUI's
// sandbox form reads its line with it; the CLI gives the same options to the flag package.
func ParseArgs[R any](opts []Option[R], r *R, args []string) ([]string, error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return args[i+1:], nil
		}
		if !strings.HasPrefix(a, "-") {
			return args[i:], nil
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		o, ok := FindOption(opts, name)
		if !ok {
			return nil, badValuef("unknown option %s (%s)", cut(a), OptionNames(opts))
		}
		switch {
		case o.Bool && !hasValue:
			value = "true"
		case !hasValue && i+1 < len(args):
			i++
			value = args[i]
		case !hasValue:
			return nil, badValuef("--%s needs a value", o.Name)
		}
		if err := o.Set(r, value); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// SplitArgs splits a line into arguments as a shell would, for the TUI's forms: spaces separate,
// 'single' and "double" quotes keep them, a backslash escapes the next character.
func SplitArgs(line string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inArg, quote, escaped := false, rune(0), false
	for _, r := range line {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inArg = true, true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inArg = r, true
		case r == ' ' || r == '\t':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if quote != 0 || escaped {
		return nil, badValuef("unfinished quote or escape in %s", cut(fmt.Sprintf("%q", line)))
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args, nil
}
