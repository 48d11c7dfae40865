package plots

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Density is a named function of two variables on a grid, such as a
// probability density, drawn as contour lines.
type Density struct {
	Name string
	Grid plotter.GridXYZ
	// Levels are the heights of the contour lines; nil draws lines at
	// DefaultLevels times the grid's maximum.
	Levels []float64
}

// DefaultLevels are the heights of contour lines, as fractions of the
// maximum, when a Density names none.
var DefaultLevels = []float64{0.05, 0.2, 0.4, 0.6, 0.8, 0.95}

// Contours returns a plot of the densities' contour lines, each density in its
// own palette colour, with a legend.
func Contours(title, xLabel, yLabel string, densities ...Density) (*plot.Plot, error) {
	return layered("plots.Contours", title, xLabel, yLabel, len(densities), func(p *plot.Plot, i int) (string, error) {
		return densities[i].Name, AddContours(p, i, densities[i])
	})
}

// AddContours adds the contour lines of d to p in the i-th palette colour.
func AddContours(p *plot.Plot, i int, d Density) error {
	cols, rows := d.Grid.Dims()
	if cols < 2 || rows < 2 {
		return fmt.Errorf("density %q: grid is %d×%d, want at least 2×2", d.Name, cols, rows)
	}
	levels := d.Levels
	if levels == nil {
		top := d.Grid.Z(0, 0)
		for c := range cols {
			for r := range rows {
				top = max(top, d.Grid.Z(c, r))
			}
		}
		for _, f := range DefaultLevels {
			levels = append(levels, f*top)
		}
	}
	contour := plotter.NewContour(d.Grid, levels, nil)
	style := draw.LineStyle{Color: Color(i), Width: vg.Points(1.2)}
	contour.LineStyles = []draw.LineStyle{style}
	p.Add(contour)
	if d.Name != "" {
		p.Legend.Add(d.Name, swatch{style})
	}
	return nil
}

// swatch is a legend entry that shows a line style.
type swatch struct{ draw.LineStyle }

func (s swatch) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(s.LineStyle, c.Min.X, y, c.Max.X, y)
}
