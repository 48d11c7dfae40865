package gaussfit

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/support/exceptions"
)

// A SampledLoss is a Monte Carlo objective: a scalar function of the
// parameter vector θ (shaped [n]) and of standard normal noise ε, written as
// graph code. MinimizeSampled draws fresh noise for it at every step.
type SampledLoss func(theta, eps *Node) *Node

// Point is the type of a sample: a number on the line or a pair on the plane.
type Point interface {
	float64 | [2]float64
}

// NegLogLikelihood returns the average negative log-likelihood of the
// samples x₁ … x_N of P under q_θ,
//
//	−(1/N) Σᵢ log q_θ(xᵢ)  ≈  H(P, Q_θ) = KL(P‖Q_θ) + H(P),
//
// the Monte Carlo estimate of the forward KL up to the entropy H(P), which does
// not depend on θ: the two have the same gradient in expectation, and
// minimising this loss is maximum likelihood. For normal families the
// minimiser is the samples' mean and their covariance with divisor N.
//
// The samples must be finite and of q's dimension: float64 for a family on the
// line, [2]float64 for one on the plane.
func NegLogLikelihood[S Point](samples []S, q Family) (Loss, error) {
	if len(samples) == 0 {
		return nil, fmt.Errorf("gaussfit.NegLogLikelihood: no samples")
	}
	var flat []float64
	dim := 1
	switch s := any(samples).(type) {
	case []float64:
		flat = append(flat, s...)
	case [][2]float64:
		dim = 2
		for _, xy := range s {
			flat = append(flat, xy[0], xy[1])
		}
	}
	if q.Dim != dim || q.LogPDF == nil {
		return nil, fmt.Errorf("gaussfit.NegLogLikelihood: samples of dimension %d for the family %q of dimension %d", dim, q.Name, q.Dim)
	}
	if !allFinite(flat) {
		return nil, fmt.Errorf("gaussfit.NegLogLikelihood: a sample is not finite")
	}
	n := len(samples)
	return func(theta *Node) *Node {
		checkParams("NegLogLikelihood", theta, q.NumParams)
		x := ConstAs(theta, flat)
		if dim > 1 {
			x = Reshape(x, n, dim)
		}
		return Neg(ReduceAllMean(q.LogPDF(theta, x)))
	}, nil
}

// ReverseKLSampled returns the Monte Carlo estimate of the reverse KL
// divergence by the reparameterisation trick,
//
//	(1/M) Σⱼ [log q_θ(xⱼ) − log p(xⱼ)],  xⱼ = q.Sample(θ, εⱼ),  εⱼ ~ N(0, I),
//
// an unbiased estimate of KL(Q_θ‖P) = E_{x~Q_θ}[log q_θ(x) − log p(x)]. The
// expectation is under Q_θ, which moves with θ; writing its samples as a
// differentiable function of θ and of noise that does not depend on θ (for a
// normal family x = μ + σε) turns it into an expectation over ε, whose gradient
// is the average of the gradients: graph.Gradient differentiates through
// the samples. Only log p is needed, never samples of P, and p may be
// unnormalised (a constant factor shifts the value, not the gradient).
//
// The noise ε is shaped like the points, [M] or [M, 2]; the result is a
// scalar. It panics while the graph is built if p or q is nil or the shapes
// do not fit.
func ReverseKLSampled(p Target, q Family) SampledLoss {
	return func(theta, eps *Node) *Node {
		if p == nil || q.Sample == nil || q.LogPDF == nil {
			exceptions.Panicf("gaussfit.ReverseKLSampled: the target, or the family's LogPDF or Sample, is nil")
		}
		x := q.Sample(theta, eps)
		return ReduceAllMean(Sub(q.LogPDF(theta, x), p(x)))
	}
}
