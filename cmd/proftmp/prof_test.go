package prof

import (
	"testing"
	"time"

	"github.com/isotop/isotop/probe"
	"github.com/isotop/isotop/ui"
)

func TestRefreshLoop(t *testing.T) {
	c := probe.NewCollector(probe.FS{Proc: "/proc", Sys: "/sys"})
	for range 20 {
		s, err := c.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		ui.NamespaceTable(s)
		ui.ProcessTable(s)
		ui.CgroupTable(s)
		ui.ContainerTable(s)
		ui.NetworkTable(s)
		time.Sleep(time.Second)
	}
}
