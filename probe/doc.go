// Package probe reads the kernel's view of how a host is partitioned (processes, namespaces, and in
// later parts cgroups and network links) from /proc and /sys, and builds an immutable Snapshot of it.
//
// probe never writes: every file is opened read-only, and the only other calls it makes on the host
// are the namespace ioctls (NS_GET_USERNS, NS_GET_PARENT, NS_GET_OWNER_UID), which only query.
//
// The layout follows prometheus/procfs: one file per kernel file (proc_stat.go for /proc/PID/stat, …),
// each with a public reader and a private parser that is table-tested and fuzzed. The roots are
// injectable (FS{Proc, Sys}) so that every reader also runs on the fixture trees under testdata/.
package probe
