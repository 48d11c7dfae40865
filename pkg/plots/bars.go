package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is a named list of values, one per category or point.
type Series struct {
	Name   string
	Values []float64
}

// Bars returns a grouped bar chart: one group per category, one bar per
// series in each group, with a legend naming the series. It is the picture of
// discrete distributions side by side.
func Bars(title, yLabel string, categories []string, series ...Series) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, fmt.Errorf("plots.Bars %q: no series", title)
	}
	p := plot.New()
	p.Y.Tick.Marker = Ticks{}
	p.Title.Text = title
	p.Y.Label.Text = yLabel
	p.Y.Min = 0
	p.Legend.Top = true
	// Groups take up to 70 % of the space per category, at most 40 points.
	group := min(vg.Points(40), Width*0.7*0.85/vg.Length(len(categories)))
	width := group / vg.Length(len(series))
	for i, s := range series {
		if len(s.Values) != len(categories) {
			return nil, fmt.Errorf("plots.Bars %q: series %q has %d values for %d categories", title, s.Name, len(s.Values), len(categories))
		}
		bars, err := plotter.NewBarChart(plotter.Values(s.Values), width)
		if err != nil {
			return nil, fmt.Errorf("plots.Bars %q: series %q: %w", title, s.Name, err)
		}
		bars.Color = Color(i)
		bars.LineStyle.Width = 0
		bars.Offset = width * vg.Length(2*i-len(series)+1) / 2
		p.Add(bars)
		p.Legend.Add(s.Name, bars)
	}
	p.NominalX(categories...)
	if len(categories) > 6 { // Slant the names so that long ones do not collide.
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	legendRoom(p, len(series))
	return p, nil
}
