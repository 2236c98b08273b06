package ui

import "charm.land/lipgloss/v2"

// Styles are built once from a theme and passed down; with color off (NO_COLOR, or tests) every
// style is plain, and the selection is still marked by a ▶ in the first column.
type Styles struct {
	Title, Tab, ActiveTab, Header, Selected, Dim, Status, Warn, Box lipgloss.Style
	// Level colours a value by how close it is to its limit (render.Warn, render.Alarm); with
	// Color off, a marker after it says so instead.
	Level [3]lipgloss.Style
	Color bool
}

// NewStyles returns the styles for a terminal with or without color.
func NewStyles(color bool) Styles {
	if !color {
		plain := lipgloss.NewStyle()
		return Styles{Title: plain, Tab: plain, ActiveTab: plain, Header: plain, Selected: plain,
			Dim: plain, Status: plain, Warn: plain, Box: plain.Border(lipgloss.NormalBorder()).Padding(0, 1),
			Level: [3]lipgloss.Style{plain, plain, plain}}
	}
	return Styles{
		Title:     lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("14")),
		Tab:       lipgloss.NewStyle().Foreground(lipgloss.Color("7")),
		ActiveTab: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("0")).Background(lipgloss.Color("14")),
		Header:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("11")),
		Selected:  lipgloss.NewStyle().Reverse(true),
		Dim:       lipgloss.NewStyle().Foreground(lipgloss.Color("8")),
		Status:    lipgloss.NewStyle().Foreground(lipgloss.Color("7")),
		Warn:      lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("9")),
		Box:       lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color("14")).Padding(0, 1),
		Level: [3]lipgloss.Style{lipgloss.NewStyle(), lipgloss.NewStyle().Foreground(lipgloss.Color("11")),
			lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("9"))},
		Color: true,
	}
}
