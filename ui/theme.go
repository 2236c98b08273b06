package ui

import "charm.land/lipgloss/v2"

// Styles are built once from a theme and passed down; with color off (NO_COLOR, or tests) every
// style is plain, and the selection is still marked by a ▶ in the first column.
type Styles struct {
	Title, Tab, ActiveTab, Header, Selected, Dim, Status, Warn, Box lipgloss.Style
}

// NewStyles returns the styles for a terminal with or without color.
func NewStyles(color bool) Styles {
	if !color {
		plain := lipgloss.NewStyle()
		return Styles{Title: plain, Tab: plain, ActiveTab: plain, Header: plain, Selected: plain,
			Dim: plain, Status: plain, Warn: plain, Box: plain.Border(lipgloss.NormalBorder()).Padding(0, 1)}
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
	}
}
