package plots

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
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
	p.Title.Text = title
	p.Y.Label.Text = yLabel
	p.Y.Min = 0
	p.Legend.Top = true
	width := vg.Points(40 / float64(len(series)))
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
	legendRoom(p, len(series))
	return p, nil
}
