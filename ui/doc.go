// Package ui is isotop's terminal interface: the views of one probe.Snapshot (overview,
// namespaces, processes, cgroups, containers, network, audit) with cross-links between them. The
// rows and texts come from package render; here the root Model routes each message: a key to the
// filter prompt, or to the box over the view (help, explain, jump, compare, detail, the actions'
// forms and plans: each an overlay with its own update, text and keys), or to the view's table
// (tableModel: filter, sort, cursor, selection). Every key is a binding of keys.go, and the help
// screen and the status line are made from them. All I/O (snapshots, the audit log, actions)
// happens in tea.Cmds.
package ui
