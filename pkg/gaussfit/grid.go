package gaussfit

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/support/exceptions"
)

// A Grid is a target density P on evenly spaced points: the quadrature rule of
// the grid losses,
//
//	∫ f(x) dx ≈ Σᵢ f(xᵢ) Δ,
//
// with Δ the volume of one cell. For densities that vanish smoothly at both
// ends of the grid this sum is as accurate as the trapezoidal rule (they differ
// only by the end points' terms), which for normal densities and their
// mixtures converges faster than any power of Δ once Δ resolves the narrowest
// component.
type Grid struct {
	// Dim is the dimension of the points: 1 or 2.
	Dim int
	// Points holds the N points, Dim coordinates each, one point after the
	// other. In two dimensions point r·len(xs) + c is (xs[c], ys[r]), the
	// order of mixture.Grid.
	Points []float64
	// Cell is Δ: the spacing Δx in one dimension, the area ΔxΔy in two.
	Cell float64
	// LogP holds log p at each point.
	LogP []float64
}

// NewGrid returns the grid of the increasing, evenly spaced points xs (at least
// two, as mixture.Linspace makes them) with log p evaluated at each. log p must be finite
// at every point: compute it as a log-sum-exp (mixture.Univariate.LogPDF) rather
// than as the logarithm of a density that underflows.
func NewGrid(xs []float64, logP func(x float64) float64) (*Grid, error) {
	if logP == nil {
		return nil, fmt.Errorf("gaussfit.NewGrid: logP is nil")
	}
	dx, err := spacing("xs", xs)
	if err != nil {
		return nil, fmt.Errorf("gaussfit.NewGrid: %w", err)
	}
	g := &Grid{Dim: 1, Points: append([]float64(nil), xs...), Cell: dx, LogP: make([]float64, len(xs))}
	for i, x := range xs {
		g.LogP[i] = logP(x)
		if math.IsNaN(g.LogP[i]) || math.IsInf(g.LogP[i], 0) {
			return nil, fmt.Errorf("gaussfit.NewGrid: log p(%g) = %v, want a finite value at every point", x, g.LogP[i])
		}
	}
	return g, nil
}

// NewGrid2D returns the grid xs × ys (each increasing and evenly spaced, at
// least two points) with log p evaluated at each point (x, y); log p must be
// finite everywhere, as for NewGrid.
func NewGrid2D(xs, ys []float64, logP func(x, y float64) float64) (*Grid, error) {
	if logP == nil {
		return nil, fmt.Errorf("gaussfit.NewGrid2D: logP is nil")
	}
	dx, err := spacing("xs", xs)
	if err != nil {
		return nil, fmt.Errorf("gaussfit.NewGrid2D: %w", err)
	}
	dy, err := spacing("ys", ys)
	if err != nil {
		return nil, fmt.Errorf("gaussfit.NewGrid2D: %w", err)
	}
	n := len(xs) * len(ys)
	g := &Grid{Dim: 2, Points: make([]float64, 0, 2*n), Cell: dx * dy, LogP: make([]float64, 0, n)}
	for _, y := range ys {
		for _, x := range xs {
			lp := logP(x, y)
			if math.IsNaN(lp) || math.IsInf(lp, 0) {
				return nil, fmt.Errorf("gaussfit.NewGrid2D: log p(%g, %g) = %v, want a finite value at every point", x, y, lp)
			}
			g.Points = append(g.Points, x, y)
			g.LogP = append(g.LogP, lp)
		}
	}
	return g, nil
}

// spacing returns the step of the evenly spaced, increasing values xs, or an
// error naming them.
func spacing(name string, xs []float64) (float64, error) {
	if len(xs) < 2 {
		return 0, fmt.Errorf("%s has %d points, want at least 2", name, len(xs))
	}
	if !allFinite(xs) {
		return 0, fmt.Errorf("%s holds a value that is not finite", name)
	}
	step := (xs[len(xs)-1] - xs[0]) / float64(len(xs)-1)
	if step <= 0 {
		return 0, fmt.Errorf("%s runs from %g to %g, want increasing values", name, xs[0], xs[len(xs)-1])
	}
	// Rounding in a linspace moves points by a few ulps of their magnitude.
	tolerance := 1e-9 * max(step, math.Abs(xs[0]), math.Abs(xs[len(xs)-1]))
	for i := 1; i < len(xs); i++ {
		if d := xs[i] - xs[i-1]; math.Abs(d-step) > tolerance {
			return 0, fmt.Errorf("%s is not evenly spaced: %s[%d] − %s[%d] = %g, the average step is %g", name, name, i, name, i-1, d, step)
		}
	}
	return step, nil
}

// Len returns the number of points.
func (g *Grid) Len() int { return len(g.LogP) }

// P returns p at each point.
func (g *Grid) P() []float64 {
	p := make([]float64, len(g.LogP))
	for i, lp := range g.LogP {
		p[i] = math.Exp(lp)
	}
	return p
}

// Mass returns Σᵢ p(xᵢ) Δ ≈ ∫ p, which is 1 for a normalised density whose
// mass lies inside the grid (the seed's unnormalised mixture gives 2).
func (g *Grid) Mass() float64 {
	mass := 0.0
	for _, lp := range g.LogP {
		mass += math.Exp(lp)
	}
	return mass * g.Cell
}

// logQ returns log q_θ at the grid's points as graph code, panicking with a
// message naming fn if the family and the grid do not fit together.
func (g *Grid) logQ(fn string, theta *Node, q Family) *Node {
	if g == nil || g.Len() == 0 {
		exceptions.Panicf("gaussfit.%s: the grid is nil or empty", fn)
	}
	if q.LogPDF == nil || q.Dim != g.Dim {
		exceptions.Panicf("gaussfit.%s: the family %q has points of dimension %d and a LogPDF %s; the grid's points have dimension %d",
			fn, q.Name, q.Dim, map[bool]string{true: "", false: "(nil)"}[q.LogPDF != nil], g.Dim)
	}
	checkParams(fn, theta, q.NumParams)
	x := ConstAs(theta, g.Points)
	if g.Dim > 1 {
		x = Reshape(x, g.Len(), g.Dim)
	}
	return q.LogPDF(theta, x)
}
