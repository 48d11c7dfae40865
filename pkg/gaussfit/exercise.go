package gaussfit

import (
	"math"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
)

// The self-check of the reverse-KL exercise (solutions/03_reverse_kl_fit.ipynb):
// the Monte Carlo estimate of KL(Q_θ‖P) from reparameterised samples of
// Q_θ = N(μ, σ²), θ = (μ, log σ). Its reference is ReverseKLSampled, which
// the exercise's grading forbids the answer to call.

// SampledFn is the student's estimate: θ [2] and the standard normal noise
// eps [M] to a scalar.
type SampledFn = func(theta, eps *Node) *Node

// ReverseKLCases are the fixed inputs of the self-check: θ and eps, compared
// on the value and the gradient with respect to both.
func ReverseKLCases() []exercise.Case {
	return []exercise.Case{
		{Name: "Q = N(1, 2²), 5 samples", Inputs: []any{[]float64{1, math.Log(2)}, []float64{-1.2, 0.3, 0.8, 2.0, -0.5}}},
		{Name: "Q = N(7, 0.74²), 4 samples", Inputs: []any{[]float64{7, -0.3}, []float64{0.1, -2.2, 1.4, 0.6}}},
	}
}

// CheckReverseKLSampled checks the student's estimate of KL(Q_θ‖P), P with
// the log-density p, against ReverseKLSampled(p, NormalFamily) on
// ReverseKLCases, or on cases when given (the exercise's hidden tests), and
// prints PASS or what differs, with a hint for the common mistakes (the
// sign, a sum over the samples, samples that carry no gradient, θ₂ taken as
// σ, log q left out). name heads the report.
func CheckReverseKLSampled(backend compute.Backend, name string, p Target, student SampledFn, cases ...exercise.Case) exercise.Result {
	reference := ReverseKLSampled(p, NormalFamily)
	frozen := NormalFamily // samples that do not carry the gradient
	frozen.Sample = func(theta, eps *Node) *Node { return StopGradient(NormalFamily.Sample(theta, eps)) }
	rawSigma := NormalFamily // θ₂ taken as σ instead of log σ
	rawSigma.Sample = func(theta, eps *Node) *Node { return Add(param(theta, 0), Mul(param(theta, 1), eps)) }
	noEntropy := NormalFamily // log q left out
	noEntropy.LogPDF = func(theta, x *Node) *Node { return ZerosLike(x) }
	mistakes := []exercise.Mistake[SampledFn]{
		{Fn: func(t, e *Node) *Node { return Neg(reference(t, e)) },
			Hint: "your estimate has the wrong sign: average log q(x) − log p(x), not log p(x) − log q(x)."},
		{Fn: func(t, e *Node) *Node { return MulScalar(reference(t, e), float64(e.Shape().Dimensions[0])) },
			Hint: "you summed over the samples; the estimate is their mean (graph.ReduceAllMean)."},
		{Fn: ReverseKLSampled(p, frozen),
			Hint: "the value is right but the gradient misses the path through the samples: compute x = μ + σ·ε from θ, without StopGradient."},
		{Fn: ReverseKLSampled(p, rawSigma),
			Hint: "θ₂ is log σ: the samples are μ + exp(θ₂)·ε."},
		{Fn: ReverseKLSampled(p, noEntropy),
			Hint: "you left out log q(x): without it you minimise E_Q[−log p] alone, and Q shrinks onto a mode with σ → 0."},
	}
	if len(cases) == 0 {
		cases = ReverseKLCases()
	}
	return exercise.Check(backend, name, student, SampledFn(reference), mistakes, cases...)
}
