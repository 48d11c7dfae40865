package plots

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Curve is a named line y(x).
type Curve struct {
	Name string
	X, Y []float64
	// Dashed draws the line dashed, e.g. for a reference or a target.
	Dashed bool
	// Width is the line width; 0 means 1.5 points.
	Width vg.Length
}

// Curves returns a plot of the curves with a legend (for the named ones),
// each curve in the next colour of the palette.
func Curves(title, xLabel, yLabel string, curves ...Curve) (*plot.Plot, error) {
	colours := make([]int, len(curves))
	for i := range colours {
		colours[i] = i
	}
	return CurvesColoured(title, xLabel, yLabel, colours, curves...)
}

// CurvesColoured is Curves with curve i drawn in the palette's colour
// colours[i], so that related curves (training and validation of one run)
// share a colour.
func CurvesColoured(title, xLabel, yLabel string, colours []int, curves ...Curve) (*plot.Plot, error) {
	if len(colours) != len(curves) {
		return nil, fmt.Errorf("plots.Curves %q: %d colours for %d curves", title, len(colours), len(curves))
	}
	return layered("plots.Curves", title, xLabel, yLabel, len(curves), func(p *plot.Plot, i int) (string, error) {
		if i == 0 {
			p.Add(plotter.NewGrid()) // Under the curves.
		}
		return curves[i].Name, AddCurve(p, colours[i], curves[i])
	})
}

// AddCurve adds c to p in the i-th palette colour.
func AddCurve(p *plot.Plot, i int, c Curve) error {
	xys, err := pairs("curve", c.Name, c.X, c.Y)
	if err != nil {
		return err
	}
	line, err := plotter.NewLine(xys)
	if err != nil {
		return fmt.Errorf("curve %q: %w", c.Name, err)
	}
	line.Color = Color(i)
	line.Width = c.Width
	if line.Width == 0 {
		line.Width = vg.Points(1.5)
	}
	if c.Dashed {
		line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	p.Add(line)
	if c.Name != "" {
		p.Legend.Add(c.Name, line)
	}
	return nil
}

// Func samples f at n evenly spaced points of [a, b] as a curve.
func Func(name string, f func(float64) float64, a, b float64, n int) Curve {
	c := Curve{Name: name, X: make([]float64, n), Y: make([]float64, n)}
	for i := range n {
		x := a + (b-a)*float64(i)/float64(n-1)
		c.X[i], c.Y[i] = x, f(x)
	}
	return c
}

// pairs zips x and y into points; when their lengths differ, the error names
// the series (what, name).
func pairs(what, name string, x, y []float64) (plotter.XYs, error) {
	if len(x) != len(y) {
		return nil, fmt.Errorf("%s %q: %d x values but %d y values", what, name, len(x), len(y))
	}
	xys := make(plotter.XYs, len(x))
	for j := range x {
		xys[j] = plotter.XY{X: x[j], Y: y[j]}
	}
	return xys, nil
}
