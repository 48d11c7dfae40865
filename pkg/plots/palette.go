package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
)

// Palette is the Okabe–Ito palette, distinguishable with the common forms of
// colour blindness; series take its colours in order.
var Palette = []color.Color{
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{213, 94, 0, 255},    // vermillion
	color.RGBA{0, 158, 115, 255},   // bluish green
	color.RGBA{204, 121, 167, 255}, // reddish purple
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{86, 180, 233, 255},  // sky blue
	color.RGBA{240, 228, 66, 255},  // yellow
	color.RGBA{0, 0, 0, 255},       // black
}

// Categorical is a palette of ten colours for ten classes (the digits of
// MNIST), all distinguishable from each other: Tableau's "Tableau 10"
// (matplotlib's tab10). The Okabe–Ito palette has only eight, and two more
// added to it made 1, 4 and 9 (vermillion, orange, brown) look alike.
var Categorical = []color.Color{
	color.RGBA{31, 119, 180, 255},  // blue
	color.RGBA{255, 127, 14, 255},  // orange
	color.RGBA{44, 160, 44, 255},   // green
	color.RGBA{214, 39, 40, 255},   // red
	color.RGBA{148, 103, 189, 255}, // purple
	color.RGBA{140, 86, 75, 255},   // brown
	color.RGBA{227, 119, 194, 255}, // pink
	color.RGBA{127, 127, 127, 255}, // grey
	color.RGBA{188, 189, 34, 255},  // olive
	color.RGBA{23, 190, 207, 255},  // cyan
}

// Color returns the i-th colour of the palette, cycling.
func Color(i int) color.Color {
	return Palette[i%len(Palette)]
}

// legendRoom raises the top of p's y range by a line per legend entry, so
// that a legend drawn at the top does not cover the data.
func legendRoom(p *plot.Plot, entries int) {
	if entries == 0 || p.Y.Max <= p.Y.Min {
		return
	}
	p.Y.Max += (p.Y.Max - p.Y.Min) * 0.08 * float64(entries)
}

// layered returns a plot with a title, axis labels and a legend at the top,
// to which add adds layer i of n (returning its legend name, "" for none);
// the y range leaves room for the legend. fn names the caller in errors.
func layered(fn, title, xLabel, yLabel string, n int, add func(p *plot.Plot, i int) (name string, err error)) (*plot.Plot, error) {
	p := plot.New()
	p.X.Tick.Marker, p.Y.Tick.Marker = Ticks{}, Ticks{}
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	named := 0
	for i := range n {
		name, err := add(p, i)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", fn, title, err)
		}
		if name != "" {
			named++
		}
	}
	legendRoom(p, named)
	return p, nil
}
