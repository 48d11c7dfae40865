package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// marginGap is the space between a plot's data area and what is drawn in
// the column to its right (a colour bar, a legend).
const marginGap = 6 * vg.Length(1)

// rightMargin is a plotter that draws in a column to the right of a plot's
// data area, width wide and as tall as the data area, and makes room for it:
// its glyph box sticks out of the data area by the column's width, so the
// plot's layout shrinks the data area (in a figure's grid too) to fit it.
type rightMargin struct {
	width vg.Length
	paint func(col draw.Canvas)
}

func (m rightMargin) Plot(c draw.Canvas, _ *plot.Plot) {
	col := c
	col.Min.X = c.Max.X + marginGap
	col.Max.X = col.Min.X + m.width
	m.paint(col)
}

func (m rightMargin) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	return []plot.GlyphBox{{X: 1, Y: 0.5, Rectangle: vg.Rectangle{Max: vg.Point{X: marginGap + m.width}}}}
}

// LegendOutside moves p's legend out of the data area, to a column on the
// right, so that it covers no data. Call it once p has its entries.
func LegendOutside(p *plot.Plot) {
	legend := p.Legend
	legend.Top, legend.Left = true, true
	legend.XOffs, legend.YOffs = 0, 0
	size := legend.Rectangle(draw.Canvas{}).Size()
	if size.X == 0 {
		return
	}
	empty := plot.NewLegend()
	empty.TextStyle = legend.TextStyle
	p.Legend = empty
	p.Add(rightMargin{width: size.X, paint: func(col draw.Canvas) { legend.Draw(col) }})
}

// AddColourBar adds a colour bar to the right of p's data area: colours
// (from lo at the bottom to hi at the top, as a heat map's palette maps
// values) with five labelled ticks from lo to hi. A heat map without one
// does not say what its colours mean.
func AddColourBar(p *plot.Plot, colours []color.Color, lo, hi float64) error {
	if len(colours) < 2 || !(hi > lo) {
		return fmt.Errorf("plots.AddColourBar: %d colours from %g to %g, want at least 2 colours and lo < hi", len(colours), lo, hi)
	}
	const ticks = 5
	style := p.Y.Tick.Label
	labels := make([]string, ticks)
	widest := vg.Length(0)
	for i := range labels {
		labels[i] = TickLabel(lo + (hi-lo)*float64(i)/(ticks-1))
		widest = max(widest, style.Width(labels[i]))
	}
	const bar, tick = 10 * vg.Length(1), 3 * vg.Length(1)
	p.Add(rightMargin{width: bar + tick + 2 + widest, paint: func(col draw.Canvas) {
		h := col.Max.Y - col.Min.Y
		for i, c := range colours {
			y0 := col.Min.Y + h*vg.Length(i)/vg.Length(len(colours))
			y1 := col.Min.Y + h*vg.Length(i+1)/vg.Length(len(colours))
			col.SetColor(c)
			col.Fill(vg.Rectangle{Min: vg.Point{X: col.Min.X, Y: y0}, Max: vg.Point{X: col.Min.X + bar, Y: y1 + 0.3}}.Path())
		}
		line := draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
		r := vg.Rectangle{Min: col.Min, Max: vg.Point{X: col.Min.X + bar, Y: col.Max.Y}}
		col.StrokeLines(line, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min})
		sty := style
		sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
		for i, l := range labels {
			y := col.Min.Y + h*vg.Length(i)/(ticks-1)
			col.StrokeLine2(line, r.Max.X, y, r.Max.X+tick, y)
			col.FillText(sty, vg.Point{X: r.Max.X + tick + 2, Y: y}, l)
		}
	}})
	return nil
}

// TickLabel writes v as a tick label: the shortest form that reads back as v
// to ten significant digits, with a real minus sign: "−275", "0.25", "1e-05",
// never "-275.00".
func TickLabel(v float64) string {
	if v == 0 || math.Abs(v) < 1e-12 {
		return "0"
	}
	s := strconv.FormatFloat(v, 'g', 10, 64)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		s = strconv.FormatFloat(f, 'g', -1, 64)
	}
	if s[0] == '-' {
		s = "−" + s[1:]
	}
	return s
}

// Ticks is gonum/plot's default tick marker with labels written by
// TickLabel; the course's plots use it on both axes.
type Ticks struct{}

func (Ticks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = TickLabel(ts[i].Value)
		}
	}
	return ts
}
