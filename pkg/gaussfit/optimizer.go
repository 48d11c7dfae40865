package gaussfit

import (
	"fmt"
	"math"
)

// An Optimizer turns gradients into parameter updates: GradientDescent or
// Adam. Its fields are its settings; the state of a run (Adam's moments) lives
// in the run, so one Optimizer value serves any number of fits.
type Optimizer interface {
	// String describes the optimiser and its settings.
	String() string
	// validate reports settings that cannot work.
	validate() error
	// start returns the update of a new run over n parameters: it moves θ in
	// place, given the gradient at θ.
	start(n int) func(theta, grad []float64)
}

// GradientDescent is plain gradient descent, θ ← θ − η ∇L(θ), with learning
// rate η = LR > 0 (tf.train.GradientDescentOptimizer, torch.optim.SGD without
// momentum).
type GradientDescent struct {
	LR float64
}

func (o GradientDescent) String() string { return fmt.Sprintf("gradient descent (lr %g)", o.LR) }

func (o GradientDescent) validate() error {
	if !(o.LR > 0) || math.IsInf(o.LR, 0) {
		return fmt.Errorf("gradient descent: the learning rate must be positive and finite, got %g", o.LR)
	}
	return nil
}

func (o GradientDescent) start(int) func(theta, grad []float64) {
	return func(theta, grad []float64) {
		for i, g := range grad {
			theta[i] -= o.LR * g
		}
	}
}

// Adam is the Adam optimiser (Kingma and Ba, 2015) as torch.optim.Adam
// computes it: at step t = 1, 2, …, with gradient g,
//
//	m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,
//	θ ← θ − η · (m/(1 − β₁ᵗ)) / (√(v/(1 − β₂ᵗ)) + ε),
//
// elementwise, from m = v = 0. Each parameter moves by about η per step while
// its gradient keeps its sign, whatever the gradient's size: the scale of the
// loss hardly matters, the scale of the parameters does (see the package
// documentation on log σ).
type Adam struct {
	// LR is the learning rate η > 0.
	LR float64
	// Beta1 and Beta2 are the decay rates of the moment estimates, in [0, 1).
	Beta1, Beta2 float64
	// Epsilon ≥ 0 is added to √v̂; it keeps the division finite.
	Epsilon float64
}

// NewAdam returns Adam with learning rate lr and PyTorch's defaults β₁ = 0.9,
// β₂ = 0.999, ε = 10⁻⁸ (Keras and GoMLX use ε = 10⁻⁷). torch.optim.Adam's
// default learning rate, used by seed 002, is 10⁻³.
func NewAdam(lr float64) Adam {
	return Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}
}

func (o Adam) String() string {
	return fmt.Sprintf("Adam (lr %g, β₁ %g, β₂ %g, ε %g)", o.LR, o.Beta1, o.Beta2, o.Epsilon)
}

func (o Adam) validate() error {
	switch {
	case !(o.LR > 0) || math.IsInf(o.LR, 0):
		return fmt.Errorf("Adam: the learning rate must be positive and finite, got %g", o.LR)
	case !(o.Beta1 >= 0 && o.Beta1 < 1) || !(o.Beta2 >= 0 && o.Beta2 < 1):
		return fmt.Errorf("Adam: β₁ and β₂ must lie in [0, 1), got %g and %g (NewAdam sets PyTorch's defaults)", o.Beta1, o.Beta2)
	case !(o.Epsilon >= 0) || math.IsInf(o.Epsilon, 0):
		return fmt.Errorf("Adam: ε must be non-negative and finite, got %g", o.Epsilon)
	}
	return nil
}

func (o Adam) start(n int) func(theta, grad []float64) {
	m, v := make([]float64, n), make([]float64, n)
	t := 0
	return func(theta, grad []float64) {
		t++
		c1 := 1 - math.Pow(o.Beta1, float64(t))
		c2 := 1 - math.Pow(o.Beta2, float64(t))
		for i, g := range grad {
			m[i] = o.Beta1*m[i] + (1-o.Beta1)*g
			v[i] = o.Beta2*v[i] + (1-o.Beta2)*g*g
			theta[i] -= o.LR * (m[i] / c1) / (math.Sqrt(v[i]/c2) + o.Epsilon)
		}
	}
}
