// Package ui is isotop's terminal interface: views of one probe.Snapshot (overview, namespaces,
// processes, cgroups, containers, network) with cross-links between them, a compare panel and an
// explain panel. Rows are built from the snapshot by pure functions (rows.go), the root model only
// routes keys and lays out panes, and all I/O (taking snapshots) happens in tea.Cmds.
package ui
