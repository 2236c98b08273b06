package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// freeze (v0.2.2) understands only part of SGR: no reverse video (the TUI's selection), no
// default-colour resets (39, 49), no normal backgrounds (40-47), and no colour for the bright ones
// (100-107). normalize rewrites tmux's capture into what it does understand: after every change of
// style a reset, then the resolved foreground and, when not the terminal's, background as 24-bit
// colours. Bold becomes the bright colour, as terminals have long shown it.

type rgb struct{ r, g, b uint8 }

func (c rgb) String() string { return fmt.Sprintf("%d;%d;%d", c.r, c.g, c.b) }

// The 16 colours: the palette of freeze's own ANSI output, with a lighter bright black (8, the
// TUI's dim text) so that it stays readable on the dark background.
var palette16 = [16]rgb{
	{0x28, 0x2a, 0x2e}, {0xd7, 0x4e, 0x6f}, {0x31, 0xbb, 0x71}, {0xd3, 0xe5, 0x61},
	{0x80, 0x56, 0xff}, {0xed, 0x61, 0xd7}, {0x04, 0xd7, 0xd7}, {0xc5, 0xc8, 0xc6},
	{0x80, 0x80, 0x80}, {0xfe, 0x5f, 0x86}, {0x00, 0xd7, 0x87}, {0xeb, 0xff, 0x71},
	{0x8f, 0x69, 0xff}, {0xff, 0x7a, 0xea}, {0x00, 0xfe, 0xfe}, {0xff, 0xff, 0xff},
}

var (
	defaultFG = rgb{0xdd, 0xdd, 0xdd}
	defaultBG = rgb{0x17, 0x17, 0x17} // freeze's background
)

func color256(n int) rgb {
	switch {
	case n < 16:
		return palette16[n]
	case n < 232:
		n -= 16
		lv := func(v int) uint8 {
			if v == 0 {
				return 0
			}
			return uint8(55 + 40*v)
		}
		return rgb{lv(n / 36), lv(n / 6 % 6), lv(n % 6)}
	default:
		v := uint8(8 + 10*(n-232))
		return rgb{v, v, v}
	}
}

type sgrColor struct {
	set bool
	idx int // -1: rgb
	c   rgb
}

type style struct {
	fg, bg                           sgrColor
	bold, dim, italic, under, strike bool
	reverse                          bool
}

func (s style) sgr() string {
	fg, bg := defaultFG, defaultBG
	if s.fg.set {
		fg = s.fg.c
		if s.fg.idx >= 0 && s.fg.idx < 8 && s.bold {
			fg = palette16[s.fg.idx+8]
		}
	}
	if s.bg.set {
		bg = s.bg.c
	}
	if s.reverse {
		fg, bg = bg, fg
	}
	if s.dim {
		fg = rgb{(fg.r + bg.r) / 2, (fg.g + bg.g) / 2, (fg.b + bg.b) / 2}
	}
	out := "\x1b[0m\x1b[38;2;" + fg.String() + "m"
	if bg != defaultBG {
		out += "\x1b[48;2;" + bg.String() + "m"
	}
	if s.italic {
		out += "\x1b[3m"
	}
	if s.under {
		out += "\x1b[4m"
	}
	if s.strike {
		out += "\x1b[9m"
	}
	return out
}

// apply applies one SGR sequence's parameters.
func (s *style) apply(params string) {
	var p []int
	for _, f := range strings.FieldsFunc(params, func(r rune) bool { return r == ';' || r == ':' }) {
		n, _ := strconv.Atoi(f)
		p = append(p, n)
	}
	if len(p) == 0 {
		p = []int{0}
	}
	ext := func(i int) (sgrColor, int) { // 38/48;5;n or 38/48;2;r;g;b at p[i]
		if i+1 < len(p) && p[i+1] == 5 && i+2 < len(p) {
			return sgrColor{true, p[i+2], color256(p[i+2])}, i + 2
		}
		if i+1 < len(p) && p[i+1] == 2 && i+4 < len(p) {
			return sgrColor{true, -1, rgb{uint8(p[i+2]), uint8(p[i+3]), uint8(p[i+4])}}, i + 4
		}
		return sgrColor{}, len(p)
	}
	for i := 0; i < len(p); i++ {
		switch v := p[i]; {
		case v == 0:
			*s = style{}
		case v == 1:
			s.bold = true
		case v == 2:
			s.dim = true
		case v == 3:
			s.italic = true
		case v == 4:
			s.under = true
		case v == 7:
			s.reverse = true
		case v == 9:
			s.strike = true
		case v == 22:
			s.bold, s.dim = false, false
		case v == 23:
			s.italic = false
		case v == 24:
			s.under = false
		case v == 27:
			s.reverse = false
		case v == 29:
			s.strike = false
		case v >= 30 && v <= 37:
			s.fg = sgrColor{true, v - 30, palette16[v-30]}
		case v == 38:
			s.fg, i = ext(i)
		case v == 39:
			s.fg = sgrColor{}
		case v >= 40 && v <= 47:
			s.bg = sgrColor{true, v - 40, palette16[v-40]}
		case v == 48:
			s.bg, i = ext(i)
		case v == 49:
			s.bg = sgrColor{}
		case v >= 90 && v <= 97:
			s.fg = sgrColor{true, v - 90 + 8, palette16[v-90+8]}
		case v >= 100 && v <= 107:
			s.bg = sgrColor{true, v - 100 + 8, palette16[v-100+8]}
		}
	}
}

// glyphs the font freeze embeds (JetBrains Mono) lacks, and the one of the same meaning it has.
var glyphs = strings.NewReplacer("↵", "⏎")

// normalize rewrites a tmux capture (capture-pane -e) for freeze; see above. Escape sequences
// other than SGR are dropped.
func normalize(in string) string {
	var b strings.Builder
	var cur style
	last := ""
	lines := strings.Split(strings.TrimRight(in, "\n"), "\n")
	for li, l := range lines {
		last = "" // freeze ends every style at a line's end
		for i := 0; i < len(l); {
			if l[i] == 0x1b && i+1 < len(l) && l[i+1] == '[' {
				j := i + 2
				for j < len(l) && (l[j] < 0x40 || l[j] > 0x7e) {
					j++
				}
				if j < len(l) && l[j] == 'm' {
					cur.apply(l[i+2 : j])
				}
				i = j + 1
				continue
			}
			if l[i] == 0x1b { // another escape: drop ESC and its next byte
				i += 2
				continue
			}
			if sg := cur.sgr(); sg != last {
				b.WriteString(sg)
				last = sg
			}
			j := i
			for j < len(l) && l[j] != 0x1b {
				j++
			}
			b.WriteString(glyphs.Replace(l[i:j]))
			i = j
		}
		// freeze draws a background 1/1.68 of the font size per cell, its font's cells are 0.6:
		// one more cell of a background that reaches the line's end keeps its last letter on it.
		if last != "" && strings.Contains(last, "[48;") {
			b.WriteString(" ")
		}
		b.WriteString("\x1b[0m")
		if li < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Geometry of the images: freeze at scale 1 (an explicit width and height) with the font size
// and line height below, twice the usual, for screens of high density; a cell is fontSize/1.68
// wide (freeze's ratio for its font).
const (
	fontSize   = 28.0
	lineHeight = 1.25
	padding    = 40.0
)

// render writes png from the capture in ansiFile (cols×rows) with freeze, built from
// screenshots/tools/go.mod (`go tool freeze`).
func render(tools, ansiFile, png string, cols, rows int) error {
	raw, err := os.ReadFile(ansiFile)
	if err != nil {
		return err
	}
	norm := strings.TrimSuffix(ansiFile, ".ansi") + ".freeze"
	if err := os.WriteFile(norm, []byte(normalize(string(raw))), 0o644); err != nil {
		return err
	}
	defer os.Remove(norm)
	width := float64(cols+1)*fontSize/1.68 + 2*padding
	height := float64(rows)*fontSize*lineHeight + 2*padding + fontSize/2
	absNorm, _ := filepath.Abs(norm)
	absPNG, _ := filepath.Abs(png)
	cmd := exec.Command("go", "tool", "freeze", "--config", "base", "--language", "ansi",
		"--border.radius", "16", "--padding", fmt.Sprint(padding), "--margin", "0",
		"--font.size", fmt.Sprint(fontSize), "--line-height", fmt.Sprint(lineHeight), "--no-font.ligatures",
		"--background", "#"+fmt.Sprintf("%02x%02x%02x", defaultBG.r, defaultBG.g, defaultBG.b),
		"--width", fmt.Sprintf("%.0f", width), "--height", fmt.Sprintf("%.0f", height),
		"--output", absPNG, absNorm)
	cmd.Dir = tools
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("freeze %s: %v\n%s", png, err, out)
	}
	return shrink(png)
}

// shrink rewrites the PNG with a palette of its 256 most frequent colours, each pixel the nearest
// of them: text on a plain background has few colours besides the shades of its anti-aliasing, and
// the file is a third of freeze's RGBA one.
func shrink(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	b := img.Bounds()
	count := map[color.NRGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			count[color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)]++
		}
	}
	colors := make([]color.NRGBA, 0, len(count))
	for c := range count {
		colors = append(colors, c)
	}
	sort.Slice(colors, func(i, j int) bool {
		if count[colors[i]] != count[colors[j]] {
			return count[colors[i]] > count[colors[j]]
		}
		pack := func(c color.NRGBA) uint32 { return uint32(c.R)<<24 | uint32(c.G)<<16 | uint32(c.B)<<8 | uint32(c.A) }
		return pack(colors[i]) < pack(colors[j])
	})
	pal := make(color.Palette, 0, 256)
	for _, c := range colors[:min(256, len(colors))] {
		pal = append(pal, c)
	}
	out := image.NewPaletted(b, pal)
	index := map[color.NRGBA]uint8{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			i, ok := index[c]
			if !ok {
				i = uint8(pal.Index(c))
				index[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	w, err := os.Create(file)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(w, out); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return os.Chmod(file, 0o644) // freeze makes it 0600
}
