package mixture

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/klcourse/klcourse/internal/rng"
)

// Component2 is one bivariate normal component N(Mean, Cov) of a Bivariate
// mixture, with its weight. Cov must be symmetric positive definite.
type Component2 struct {
	Weight float64
	Mean   [2]float64
	Cov    [2][2]float64
}

// Bivariate is a mixture of normal distributions on the plane,
// p(x) = Σᵢ wᵢ N(x; μᵢ, Σᵢ). Its components must satisfy Validate.
type Bivariate struct {
	Components []Component2
}

// NewBivariate returns the mixture of the components, after Validate.
func NewBivariate(components ...Component2) (Bivariate, error) {
	m := Bivariate{Components: components}
	return m, m.Validate()
}

// Validate reports whether m is a probability distribution: at least one
// component, positive weights that sum to 1 (within 1e-9), finite means and
// symmetric positive definite covariances.
func (m Bivariate) Validate() error {
	weights := make([]float64, len(m.Components))
	for i, c := range m.Components {
		weights[i] = c.Weight
		a, b, b2, d := c.Cov[0][0], c.Cov[0][1], c.Cov[1][0], c.Cov[1][1]
		if !finite(c.Mean[0]) || !finite(c.Mean[1]) || !finite(a) || !finite(b) || !finite(d) {
			return fmt.Errorf("mixture: component %d: mean %v and covariance %v must be finite", i, c.Mean, c.Cov)
		}
		if b != b2 || !(a > 0) || !(a*d-b*b > 0) {
			return fmt.Errorf("mixture: component %d: covariance %v must be symmetric positive definite", i, c.Cov)
		}
	}
	return validateWeights(weights)
}

// logNormal2 returns log N(x, y; μ, Σ) = −log 2π − ½ log det Σ − ½ (v−μ)ᵀ Σ⁻¹ (v−μ),
// with Σ⁻¹ = [[d, −b], [−b, a]] / det for Σ = [[a, b], [b, d]].
func logNormal2(c Component2, x, y float64) float64 {
	a, b, d := c.Cov[0][0], c.Cov[0][1], c.Cov[1][1]
	det := a*d - b*b
	dx, dy := x-c.Mean[0], y-c.Mean[1]
	q := (d*dx*dx - 2*b*dx*dy + a*dy*dy) / det
	return -math.Log(2*math.Pi) - 0.5*math.Log(det) - 0.5*q
}

// LogPDF returns log p(x, y), by log-sum-exp over the components.
func (m Bivariate) LogPDF(x, y float64) float64 {
	terms := make([]float64, len(m.Components))
	for i, c := range m.Components {
		terms[i] = math.Log(c.Weight) + logNormal2(c, x, y)
	}
	return floats.LogSumExp(terms)
}

// Responsibility returns the component k most likely to have produced (x, y)
// and its posterior probability wₖ N(x, y; μₖ, Σₖ) / p(x, y).
func (m Bivariate) Responsibility(x, y float64) (k int, p float64) {
	terms := make([]float64, len(m.Components))
	for i, c := range m.Components {
		terms[i] = math.Log(c.Weight) + logNormal2(c, x, y)
		if terms[i] > terms[k] {
			k = i
		}
	}
	return k, math.Exp(terms[k] - floats.LogSumExp(terms))
}

// PDF returns p(x, y).
func (m Bivariate) PDF(x, y float64) float64 { return math.Exp(m.LogPDF(x, y)) }

// Mean returns E[X] = Σᵢ wᵢ μᵢ.
func (m Bivariate) Mean() [2]float64 {
	var mu [2]float64
	for _, c := range m.Components {
		mu[0] += c.Weight * c.Mean[0]
		mu[1] += c.Weight * c.Mean[1]
	}
	return mu
}

// Cov returns the covariance of the mixture,
//
//	Cov[X] = Σᵢ wᵢ (Σᵢ + μᵢμᵢᵀ) − μμᵀ = Σᵢ wᵢ (Σᵢ + (μᵢ−μ)(μᵢ−μ)ᵀ),
//
// computed in the second form, which does not cancel.
func (m Bivariate) Cov() [2][2]float64 {
	mu := m.Mean()
	var cov [2][2]float64
	for _, c := range m.Components {
		d := [2]float64{c.Mean[0] - mu[0], c.Mean[1] - mu[1]}
		for j := range 2 {
			for k := range 2 {
				cov[j][k] += c.Weight * (c.Cov[j][k] + d[j]*d[k])
			}
		}
	}
	return cov
}

// MomentMatched returns the normal distribution with m's mean and covariance,
// as a one-component mixture: the maximum-likelihood Gaussian for infinitely
// many samples of m, which is also the Gaussian q that minimises the forward
// divergence KL(m ‖ q).
func (m Bivariate) MomentMatched() Bivariate {
	return Bivariate{Components: []Component2{{Weight: 1, Mean: m.Mean(), Cov: m.Cov()}}}
}

// Affine returns the distribution of a·X + b for X ~ m (a ≠ 0): the mixture
// with means a·μᵢ + b and covariances a²·Σᵢ. Rescaling data to the unit square
// by one factor, as the GAN lecture does, keeps its density exact this way.
func (m Bivariate) Affine(a float64, b [2]float64) Bivariate {
	out := Bivariate{Components: make([]Component2, len(m.Components))}
	for i, c := range m.Components {
		out.Components[i] = Component2{
			Weight: c.Weight,
			Mean:   [2]float64{a*c.Mean[0] + b[0], a*c.Mean[1] + b[1]},
			Cov:    [2][2]float64{{a * a * c.Cov[0][0], a * a * c.Cov[0][1]}, {a * a * c.Cov[1][0], a * a * c.Cov[1][1]}},
		}
	}
	return out
}

// Sample draws n independent points from m with the course's seeded
// generator, and returns with them the component each came from. Each draw
// picks its component at random with the weights as probabilities, then
// returns μ + L z for z standard normal and L the Cholesky factor of Σ
// (L Lᵀ = Σ).
func (m Bivariate) Sample(n int, seed uint64) (xy [][2]float64, component []int) {
	r := rng.New(seed, 2)
	weights := make([]float64, len(m.Components))
	chol := make([][3]float64, len(m.Components)) // l11, l21, l22
	for i, c := range m.Components {
		weights[i] = c.Weight
		l11 := math.Sqrt(c.Cov[0][0])
		l21 := c.Cov[1][0] / l11
		chol[i] = [3]float64{l11, l21, math.Sqrt(c.Cov[1][1] - l21*l21)}
	}
	cum := cumulative(weights)
	xy, component = make([][2]float64, n), make([]int, n)
	for k := range n {
		i := pick(cum, r.Float64())
		z1, z2 := r.Normal(), r.Normal()
		l, mu := chol[i], m.Components[i].Mean
		xy[k] = [2]float64{mu[0] + l[0]*z1, mu[1] + l[1]*z1 + l[2]*z2}
		component[k] = i
	}
	return xy, component
}

// Grid returns p on the grid xs × ys.
func (m Bivariate) Grid(xs, ys []float64) *Grid {
	return m.grid(xs, ys, m.PDF)
}

// LogGrid returns log p on the grid xs × ys.
func (m Bivariate) LogGrid(xs, ys []float64) *Grid {
	return m.grid(xs, ys, m.LogPDF)
}

func (m Bivariate) grid(xs, ys []float64, f func(x, y float64) float64) *Grid {
	g := &Grid{Xs: xs, Ys: ys, Values: make([]float64, len(xs)*len(ys))}
	for r, y := range ys {
		for c, x := range xs {
			g.Values[r*len(xs)+c] = f(x, y)
		}
	}
	return g
}

// Grid holds values of a function of two variables on a rectangular grid:
// Values[r·len(Xs) + c] is the value at (Xs[c], Ys[r]). Its methods Dims, Z, X
// and Y are those of gonum/plot's plotter.GridXYZ, so a Grid draws directly as
// a heat map or contour plot.
type Grid struct {
	Xs, Ys []float64
	Values []float64
}

// Dims returns the number of columns (x values) and rows (y values).
func (g *Grid) Dims() (c, r int) { return len(g.Xs), len(g.Ys) }

// Z returns the value at column c, row r.
func (g *Grid) Z(c, r int) float64 { return g.Values[r*len(g.Xs)+c] }

// X returns the x coordinate of column c.
func (g *Grid) X(c int) float64 { return g.Xs[c] }

// Y returns the y coordinate of row r.
func (g *Grid) Y(r int) float64 { return g.Ys[r] }
