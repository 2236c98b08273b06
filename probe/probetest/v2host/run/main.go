// Command run boots the pure cgroup v2 guest of package v2host and runs a shell script in it as
// root, printing what the script prints and exiting with its status (125 when the guest did not
// finish). For capturing fixtures (probe/testdata/capture.sh) and for trying things by hand:
//
//	go run ./probe/probetest/v2host/run [--file SRC[:DST]]... [--module NAME]... [--mem MiB] [--timeout 5m] -- 'script'
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/isotop/isotop/probe/probetest/v2host"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	var files, modules list
	fl := flag.NewFlagSet("v2host", flag.ExitOnError)
	fl.Var(&files, "file", "SRC[:DST]: copy a host file into the guest (DST default /bin/<base>); a dynamic program brings its libraries")
	fl.Var(&modules, "module", "a kernel module to load first (overlay, veth, bridge, …)")
	mem := fl.Int("mem", 1024, "guest memory in MiB")
	cpus := fl.Int("cpus", 1, "guest CPUs")
	timeout := fl.Duration("timeout", 5*time.Minute, "give up after this long")
	fl.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: run [--file SRC[:DST]]... [--module NAME]... [--mem MiB] [--cpus N] [--timeout D] -- 'script'")
		fl.PrintDefaults()
	}
	fl.Parse(os.Args[1:])
	if fl.NArg() != 1 {
		fl.Usage()
		os.Exit(2)
	}
	o := v2host.Options{Script: fl.Arg(0), Modules: modules, MemMiB: *mem, CPUs: *cpus, Output: os.Stdout, Log: os.Stderr}
	for _, f := range files {
		src, dst, _ := strings.Cut(f, ":")
		o.Files = append(o.Files, v2host.File{Src: src, Dst: dst})
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	res, err := v2host.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(125)
	}
	fmt.Fprintf(os.Stderr, "v2host: %s, %.1fs, exit %d\n", res.Kernel, res.Took.Seconds(), res.Status)
	os.Exit(res.Status)
}
