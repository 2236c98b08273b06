// Package render turns a probe.Snapshot into what people read: a table of rows for each view
// (one file per view: namespaces, processes, cgroups, containers, network), each row with a typed
// reference to its object, its cells, and, on demand, where it links to, where each value comes
// from (the file and the shell command that shows it) and the object in full; and the overview and
// compare text. It does no I/O and knows neither Bubble Tea nor package actions: the TUI (package
// ui) and isotop snapshot's tables both draw from it.
package render
