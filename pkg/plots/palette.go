package plots

import (
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
