// Package mixture provides the Gaussian mixtures that the lectures use as
// targets: exact densities and log-densities (for KL divergences computed on a
// grid or by Monte Carlo), exact moments, and seeded samples.
//
// A mixture with weights wᵢ (wᵢ > 0, Σ wᵢ = 1) and normal components has the
// density p(x) = Σᵢ wᵢ N(x; μᵢ, Σᵢ). Its logarithm is computed as a
// log-sum-exp, log p(x) = m + log Σᵢ exp(tᵢ − m) with tᵢ = log wᵢ + log N(x; μᵢ, Σᵢ)
// and m = maxᵢ tᵢ, which stays finite and accurate far in the tails where p(x)
// itself underflows to 0.
package mixture

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/klcourse/klcourse/internal/rng"
)

// log √(2π)
var logSqrt2Pi = 0.5 * math.Log(2*math.Pi)

// Component is one normal component N(Mean, StdDev²) of a Univariate mixture, with its weight.
type Component struct {
	Weight, Mean, StdDev float64
}

// Univariate is a mixture of normal distributions on the real line,
// p(x) = Σᵢ wᵢ N(x; μᵢ, σᵢ²). Its components must satisfy Validate.
type Univariate struct {
	Components []Component
}

// NewUnivariate returns the mixture of the components, after Validate.
func NewUnivariate(components ...Component) (Univariate, error) {
	m := Univariate{Components: components}
	return m, m.Validate()
}

// Validate reports whether m is a probability distribution: at least one
// component, positive weights that sum to 1 (within 1e-9), finite means and
// positive finite standard deviations.
func (m Univariate) Validate() error {
	weights := make([]float64, len(m.Components))
	for i, c := range m.Components {
		weights[i] = c.Weight
		if !finite(c.Mean) || !finite(c.StdDev) || c.StdDev <= 0 {
			return fmt.Errorf("mixture: component %d: mean %v and standard deviation %v must be finite, the deviation positive", i, c.Mean, c.StdDev)
		}
	}
	return validateWeights(weights)
}

// LogPDF returns log p(x), by log-sum-exp over the components.
func (m Univariate) LogPDF(x float64) float64 {
	terms := make([]float64, len(m.Components))
	for i, c := range m.Components {
		z := (x - c.Mean) / c.StdDev
		terms[i] = math.Log(c.Weight) - logSqrt2Pi - math.Log(c.StdDev) - 0.5*z*z
	}
	return floats.LogSumExp(terms)
}

// PDF returns p(x).
func (m Univariate) PDF(x float64) float64 { return math.Exp(m.LogPDF(x)) }

// PDFs returns p(x) at each of xs (for instance a Linspace grid).
func (m Univariate) PDFs(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = m.PDF(x)
	}
	return out
}

// LogPDFs returns log p(x) at each of xs.
func (m Univariate) LogPDFs(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = m.LogPDF(x)
	}
	return out
}

// Mean returns E[X] = Σᵢ wᵢ μᵢ.
func (m Univariate) Mean() float64 {
	var mu float64
	for _, c := range m.Components {
		mu += c.Weight * c.Mean
	}
	return mu
}

// Variance returns Var[X] = Σᵢ wᵢ (σᵢ² + μᵢ²) − E[X]².
func (m Univariate) Variance() float64 {
	mu := m.Mean()
	var v float64
	for _, c := range m.Components {
		d := c.Mean - mu // Σ wᵢ(σᵢ² + (μᵢ−μ)²) is the same, without cancellation
		v += c.Weight * (c.StdDev*c.StdDev + d*d)
	}
	return v
}

// MomentMatched returns the normal distribution with m's mean and variance, as
// a one-component mixture: the maximum-likelihood Gaussian for infinitely many
// samples of m, which is also the Gaussian q that minimises the forward
// divergence KL(m ‖ q).
func (m Univariate) MomentMatched() Univariate {
	return Univariate{Components: []Component{{Weight: 1, Mean: m.Mean(), StdDev: math.Sqrt(m.Variance())}}}
}

// Affine returns the distribution of a·X + b for X ~ m (a ≠ 0): the mixture
// with means a·μᵢ + b and standard deviations |a|·σᵢ.
func (m Univariate) Affine(a, b float64) Univariate {
	out := Univariate{Components: make([]Component, len(m.Components))}
	for i, c := range m.Components {
		out.Components[i] = Component{Weight: c.Weight, Mean: a*c.Mean + b, StdDev: math.Abs(a) * c.StdDev}
	}
	return out
}

// Sample draws n independent values from m with the course's seeded
// generator, and returns with them the component each came from. Each draw
// picks its component at random with the weights as probabilities (so the
// counts vary, unlike a sample that takes exactly n·wᵢ from each component).
func (m Univariate) Sample(n int, seed uint64) (x []float64, component []int) {
	r := rng.New(seed, 1)
	x, component = make([]float64, n), make([]int, n)
	cum := cumulative(m.weights())
	for k := range n {
		i := pick(cum, r.Float64())
		c := m.Components[i]
		x[k], component[k] = c.Mean+c.StdDev*r.Normal(), i
	}
	return x, component
}

func (m Univariate) weights() []float64 {
	w := make([]float64, len(m.Components))
	for i, c := range m.Components {
		w[i] = c.Weight
	}
	return w
}

// Linspace returns n evenly spaced points from lo to hi, both included, as
// numpy.linspace and torch.linspace do; n = 1 gives [lo].
func Linspace(lo, hi float64, n int) []float64 {
	out := make([]float64, n)
	if n == 1 {
		out[0] = lo
		return out
	}
	step := (hi - lo) / float64(n-1)
	for i := range out {
		out[i] = lo + float64(i)*step
	}
	if n > 1 {
		out[n-1] = hi // exact, whatever the rounding of the steps
	}
	return out
}

func validateWeights(w []float64) error {
	if len(w) == 0 {
		return fmt.Errorf("mixture: no components")
	}
	var sum float64
	for i, x := range w {
		if !(x > 0) || !finite(x) {
			return fmt.Errorf("mixture: weight %d is %v, must be positive", i, x)
		}
		sum += x
	}
	if math.Abs(sum-1) > 1e-9 {
		return fmt.Errorf("mixture: weights sum to %v, must sum to 1", sum)
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func cumulative(w []float64) []float64 {
	cum := make([]float64, len(w))
	var s float64
	for i, x := range w {
		s += x
		cum[i] = s
	}
	return cum
}

// pick returns the component whose cumulative weight interval holds u ∈ [0, 1).
func pick(cum []float64, u float64) int {
	u *= cum[len(cum)-1] // weights that sum to 1 within rounding
	for i, c := range cum {
		if u < c {
			return i
		}
	}
	return len(cum) - 1
}
