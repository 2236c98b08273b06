package probe

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/isotop/isotop/probe/probetest"
)

// BenchmarkNetVsIP times the network part of a snapshot (every namespace's links, addresses and
// veth peers) against `ip -all netns exec ip -j link` (links only, of the named namespaces only), on
// a host with 50 extra network namespaces, each joined by a veth pair to a hub namespace with a
// bridge, all made and removed by the benchmark.
func BenchmarkNetVsIP(b *testing.B) {
	probetest.Live(b)
	if _, err := exec.LookPath("ip"); err != nil {
		b.Skip("needs ip from iproute2")
	}
	hub := probetest.NetnsAdd(b)
	tag := hub[len(probetest.Prefix):]
	probetest.Run(b, "ip", "-n", hub, "link", "add", "itt"+tag+"br", "type", "bridge")
	for i := range 50 {
		ns := probetest.NetnsAdd(b)
		n := strconv.Itoa(i)
		probetest.Run(b, "ip", "-n", hub, "link", "add", "itt"+tag+"h"+n, "type", "veth", "peer", "name", "eth0", "netns", ns)
		probetest.Run(b, "ip", "-n", hub, "link", "set", "itt"+tag+"h"+n, "master", "itt"+tag+"br")
		probetest.Run(b, "ip", "-n", ns, "addr", "add", "10.232."+strconv.Itoa(i/200)+"."+strconv.Itoa(i%200+1)+"/16", "dev", "eth0")
	}
	fs := DefaultFS()
	snap, err := fs.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d network namespaces", len(snap.NetNamespaces))
	var isotop, peer time.Duration
	n := 0
	devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer devnull.Close()
	for b.Loop() {
		start := time.Now()
		var errs errorList
		fs.netNamespaces(snap.Namespaces, &errs)
		isotop += time.Since(start)
		cmd := exec.Command("ip", "-all", "netns", "exec", "ip", "-j", "link")
		cmd.Stdout = devnull
		start = time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		peer += time.Since(start)
		n++
	}
	b.ReportMetric(float64(isotop.Microseconds())/float64(n)/1000, "isotop-ms/op")
	b.ReportMetric(float64(peer.Microseconds())/float64(n)/1000, "ip-ms/op")
	b.ReportMetric(float64(isotop)/float64(peer), "isotop/ip")
}
