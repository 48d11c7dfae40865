package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Points is a named set of points (X[i], Y[i]), such as samples of a
// distribution on the plane.
type Points struct {
	Name string
	X, Y []float64
	// Radius is the radius of each dot; 0 means 1.5 points.
	Radius vg.Length
	// Colour, when not nil, replaces the set's palette colour (for more
	// sets than the palette has colours, such as ten digits).
	Colour color.Color
}

// scatterOpacity is the opacity of the dots: where many overlap the colour
// deepens, so a dense cloud of samples shows where the density is high.
const scatterOpacity = 0.4

// Scatter returns a plot of the sets of points, each in its own palette
// colour, half transparent, with a legend naming the named sets. Contours
// (AddContours) and curves (AddCurve) can be drawn over it.
func Scatter(title, xLabel, yLabel string, sets ...Points) (*plot.Plot, error) {
	return layered("plots.Scatter", title, xLabel, yLabel, len(sets), func(p *plot.Plot, i int) (string, error) {
		return sets[i].Name, AddPoints(p, i, sets[i])
	})
}

// AddPoints adds the points of s to p as dots in the i-th palette colour.
func AddPoints(p *plot.Plot, i int, s Points) error {
	xys, err := pairs("points", s.Name, s.X, s.Y)
	if err != nil {
		return err
	}
	scatter, err := plotter.NewScatter(xys)
	if err != nil {
		return fmt.Errorf("points %q: %w", s.Name, err)
	}
	colour := Color(i)
	if s.Colour != nil {
		colour = s.Colour
	}
	r, g, b, _ := colour.RGBA()
	translucent := color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(scatterOpacity * 255)}
	radius := s.Radius
	if radius == 0 {
		radius = vg.Points(1.5)
	}
	scatter.GlyphStyle = draw.GlyphStyle{Color: translucent, Radius: radius, Shape: draw.CircleGlyph{}}
	p.Add(scatter)
	if s.Name != "" {
		legend := *scatter
		legend.GlyphStyle.Color = colour // The legend's dot at full strength.
		legend.GlyphStyle.Radius = vg.Points(3)
		p.Legend.Add(s.Name, &legend)
	}
	return nil
}
