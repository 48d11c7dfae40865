package gan

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"

	"github.com/klcourse/klcourse/internal/safefile"
	"github.com/klcourse/klcourse/pkg/mixture"
	"github.com/klcourse/klcourse/pkg/plots"
)

// HeatMap returns a heat map of z on the grid xs × ys (z[r·len(xs) + c] at
// (xs[c], ys[r]), as mixture.Grid), coloured from lo (blue) to hi (red) on
// Moreland's diverging palette (values outside [lo, hi] take its end
// colours): a critic's output D(x) with lo = 0, hi = 1 shows ½ in white. A
// colour bar beside it says which value each colour stands for; the data
// area is square.
func HeatMap(title string, g *mixture.Grid, lo, hi float64) (*plot.Plot, error) {
	if len(g.Xs) < 2 || len(g.Ys) < 2 || len(g.Values) != len(g.Xs)*len(g.Ys) {
		return nil, fmt.Errorf("gan.HeatMap: want a grid of at least 2×2 with one value per point, got %d×%d and %d values", len(g.Xs), len(g.Ys), len(g.Values))
	}
	clamped := &mixture.Grid{Xs: g.Xs, Ys: g.Ys, Values: make([]float64, len(g.Values))}
	for i, v := range g.Values { // values beyond the range take its end colours
		clamped.Values[i] = math.Min(math.Max(v, lo), hi)
	}
	g = clamped
	pal := moreland.SmoothBlueRed()
	pal.SetMin(lo)
	pal.SetMax(hi)
	colours := pal.Palette(255)
	h := plotter.NewHeatMap(g, colours)
	h.Min, h.Max = lo, hi
	p := plot.New()
	p.X.Tick.Marker, p.Y.Tick.Marker = plots.Ticks{}, plots.Ticks{}
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = "x₁", "x₂"
	p.Add(h)
	if err := plots.AddColourBar(p, colours.Colors(), lo, hi); err != nil {
		return nil, fmt.Errorf("gan.HeatMap %q: %w", title, err)
	}
	return plots.Square(p), nil // x₁ and x₂ in the same units
}

// Linspace returns n evenly spaced numbers from a to b.
func Linspace(a, b float64, n int) []float64 { return mixture.Linspace(a, b, n) }

// CriticGrid returns the critic's output on the grid xs × ys, mapped by f
// (for the GAN, f = σ gives D(x)).
func (t *Trainer) CriticGrid(xs, ys []float64, f func(v float64) float64) (*mixture.Grid, error) {
	pts := make([][2]float64, 0, len(xs)*len(ys))
	for _, y := range ys {
		for _, x := range xs {
			pts = append(pts, [2]float64{x, y})
		}
	}
	v, err := t.Critic(pts)
	if err != nil {
		return nil, err
	}
	for i := range v {
		v[i] = f(v[i])
	}
	return &mixture.Grid{Xs: xs, Ys: ys, Values: v}, nil
}

// D is σ(v) = 1/(1 + e⁻ᵛ): the GAN critic's D = σ(v).
func D(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

// Points converts points to a plots.Points set.
func Points(name string, xy [][2]float64) plots.Points {
	p := plots.Points{Name: name, X: make([]float64, len(xy)), Y: make([]float64, len(xy))}
	for i, q := range xy {
		p.X[i], p.Y[i] = q[0], q[1]
	}
	return p
}

// Smooth returns the moving average of v over windows of w steps, one value
// per window (for plotting noisy per-step losses), with the step at each
// window's end.
func Smooth(v []float64, w int) (steps, means []float64) {
	for end := w; end <= len(v); end += w {
		var s float64
		for _, x := range v[end-w : end] {
			s += x
		}
		steps, means = append(steps, float64(end)), append(means, s/float64(w))
	}
	return steps, means
}

// SaveJSON writes v as JSON to path (temporary file and rename), creating
// its directory: how a notebook cell hands results to later cells.
func SaveJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("gan.SaveJSON %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return safefile.WriteBytes(path, data)
}

// LoadJSON reads JSON written by SaveJSON into v; the error names the file
// and says to run the cell that writes it when it is missing.
func LoadJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return fmt.Errorf("%s is missing: run the cell that trains and saves it first", path)
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("gan.LoadJSON %s: %w", path, err)
	}
	return nil
}
