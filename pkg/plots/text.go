package plots

import (
	"fmt"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// Figures write the double bar of KL(P‖Q) as "KL(P || Q)": the figures' font
// (Liberation, gonum/plot's default) draws "‖" as two hairlines that read as
// an "l" at the size of a label ("KL(PlQ)"). Every plot made after this
// package is loaded uses the clearer text handler, for titles, axis labels,
// tick labels and legends alike.
func init() {
	plot.DefaultTextHandler = clearText{plot.DefaultTextHandler}
}

// FigureText returns s as figures draw it.
func FigureText(s string) string { return clearer.Replace(s) }

var clearer = strings.NewReplacer("‖", " || ")

// clearText is a text handler that draws FigureText(s) for s.
type clearText struct{ text.Handler }

func (h clearText) Lines(s string) []string { return h.Handler.Lines(FigureText(s)) }

func (h clearText) Box(s string, f font.Font) (width, height, depth vg.Length) {
	return h.Handler.Box(FigureText(s), f)
}

func (h clearText) Draw(c vg.Canvas, s string, sty text.Style, pt vg.Point) {
	h.Handler.Draw(c, FigureText(s), sty, pt)
}

// JoinAnd writes a list for a caption, "1, 10 and 100", where fmt's %v
// would print a Go slice, "[1 10 100]".
func JoinAnd[T any](xs []T) string {
	words := make([]string, len(xs))
	for i, x := range xs {
		words[i] = fmt.Sprint(x)
	}
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
