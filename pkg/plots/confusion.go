package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ConfusionMatrix returns a heat map of counts[true][predicted] with the
// count in each cell: rows are the true classes (the first at the top),
// columns the predicted ones, so a perfect classifier fills the diagonal.
func ConfusionMatrix(title string, classes []string, counts [][]int) (*plot.Plot, error) {
	k := len(classes)
	if k == 0 || len(counts) != k {
		return nil, fmt.Errorf("plots.ConfusionMatrix %q: %d rows of counts for %d classes", title, len(counts), k)
	}
	top := 1
	for i, row := range counts {
		if len(row) != k {
			return nil, fmt.Errorf("plots.ConfusionMatrix %q: row %d has %d counts for %d classes", title, i, len(row), k)
		}
		for _, n := range row {
			top = max(top, n)
		}
	}
	grid := confusionGrid{counts: counts, top: float64(top)}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "predicted class"
	p.Y.Label.Text = "true class"
	heat := plotter.NewHeatMap(grid, blues(32))
	heat.Min, heat.Max = 0, float64(top)
	p.Add(heat)

	var labels plotter.XYLabels
	var dark []bool // White numbers on the darkest cells.
	for r := range k {
		for c := range k {
			n := grid.count(c, r)
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(c), Y: float64(r)})
			labels.Labels = append(labels.Labels, fmt.Sprint(n))
			dark = append(dark, float64(n) > 0.55*grid.top)
		}
	}
	numbers, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i := range numbers.TextStyle {
		numbers.TextStyle[i].Font.Size = vg.Points(8)
		numbers.TextStyle[i].XAlign = draw.XCenter
		numbers.TextStyle[i].YAlign = draw.YCenter
		if dark[i] {
			numbers.TextStyle[i].Color = color.White
		}
	}
	p.Add(numbers)

	p.NominalX(classes...)
	reversed := make([]string, k)
	for i, name := range classes {
		reversed[k-1-i] = name
	}
	p.NominalY(reversed...)
	if k > 6 {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	return p, nil
}

// confusionGrid is a confusion matrix as a plotter.GridXYZ: column c is the
// predicted class c, row r the true class k−1−r.
type confusionGrid struct {
	counts [][]int
	top    float64
}

func (g confusionGrid) count(c, r int) int { return g.counts[len(g.counts)-1-r][c] }
func (g confusionGrid) Dims() (int, int)   { return len(g.counts), len(g.counts) }
func (g confusionGrid) Z(c, r int) float64 { return float64(g.count(c, r)) }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }

// blues is a palette of n colours from white to the palette's blue.
type blues int

func (n blues) Colors() []color.Color {
	end := Palette[0].(color.RGBA)
	cs := make([]color.Color, n)
	for i := range cs {
		t := float64(i) / float64(n-1)
		mix := func(a uint8) uint8 { return uint8(math.Round(255 + t*(float64(a)-255))) }
		cs[i] = color.RGBA{mix(end.R), mix(end.G), mix(end.B), 255}
	}
	return cs
}
