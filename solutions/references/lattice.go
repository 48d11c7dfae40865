package references

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
	"github.com/klcourse/klcourse/pkg/flow"
	"github.com/klcourse/klcourse/pkg/phi4"
)

// Exercise 8 (solutions/08_lattice_action.ipynb): the lattice action, the
// reverse-KL loss and the effective sample size.

type graphFn = func(*graph.Node) *graph.Node

// lattice is the action with the kinetic term scaled by kineticWeight and
// the interaction quartic·φ^power, for the reference (1, λ, 4) and the
// mistakes.
func lattice(phi *graph.Node, kineticWeight, quartic float64, power int) *graph.Node {
	kin := graph.ZerosLike(phi)
	for _, axis := range []int{1, 2} {
		kin = graph.Add(kin, graph.Mul(phi, graph.Sub(graph.MulScalar(phi, 2), graph.Add(phi4.Roll(phi, axis, 1), phi4.Roll(phi, axis, -1)))))
	}
	phiP := graph.Square(phi)
	if power == 4 {
		phiP = graph.Square(phiP)
	}
	pot := graph.Add(graph.MulScalar(graph.Square(phi), flow.ExerciseM2), graph.MulScalar(phiP, quartic))
	return graph.ReduceSum(graph.Add(graph.MulScalar(kin, kineticWeight), pot), 1, 2)
}

func actionReference(phi *graph.Node) *graph.Node { return lattice(phi, 1, flow.ExerciseLambda, 4) }

func actionMistakes() []exercise.Mistake[graphFn] {
	lambda := flow.ExerciseLambda
	return []exercise.Mistake[graphFn]{
		{Fn: func(phi *graph.Node) *graph.Node { return lattice(phi, 0.5, lambda, 4) },
			Hint: "the kinetic term is half what it should be: φ_x(φ_x − φ_{x+μ}) takes the forward difference only; the action has φ_x(2φ_x − φ_{x+μ} − φ_{x−μ}), the forward and the backward difference (summed over x: each link's squared difference (φ_{x+μ} − φ_x)² once in full)."},
		{Fn: func(phi *graph.Node) *graph.Node { return lattice(phi, 0, lambda, 4) },
			Hint: "the kinetic (neighbour) term is missing: a constant field's action is right, but neighbours do not couple."},
		{Fn: func(phi *graph.Node) *graph.Node { return lattice(phi, 1, lambda, 2) },
			Hint: "the interaction is λφ⁴, the fourth power: square φ² again."},
		{Fn: func(phi *graph.Node) *graph.Node { return graph.ReduceAllSum(actionReference(phi)) },
			Hint: "return one action per configuration, shaped [batch]: sum over the lattice axes 1 and 2 only (graph.ReduceSum(x, 1, 2))."},
	}
}

type lossFn = func(logQ, s *graph.Node) *graph.Node

func reverseKLReference(logQ, s *graph.Node) *graph.Node {
	return graph.ReduceAllMean(graph.Add(logQ, s))
}

func reverseKLMistakes() []exercise.Mistake[lossFn] {
	return []exercise.Mistake[lossFn]{
		{Fn: func(q, s *graph.Node) *graph.Node { return graph.ReduceAllMean(graph.Sub(q, s)) },
			Hint: "a sign: log p̃ = −S, so log q − log p̃ = log q + S."},
		{Fn: func(q, s *graph.Node) *graph.Node { return graph.Neg(reverseKLReference(q, s)) },
			Hint: "the whole loss has the wrong sign: minimise the mean of log q − log p̃, not of log p̃ − log q."},
		{Fn: func(q, s *graph.Node) *graph.Node {
			logW := graph.Neg(graph.Add(q, s))
			mx := graph.StopGradient(graph.ReduceAllMax(logW))
			logZ := graph.Add(mx, graph.Log(graph.ReduceAllMean(graph.Exp(graph.Sub(logW, mx))))) // log of the mean weight
			return graph.Add(reverseKLReference(q, s), logZ)
		}, Hint: "you included an estimate of log Z: it is a constant of the target, not of the flow, and leaves the true gradient unchanged — drop it (the batch estimate changes the gradient)."},
		{Fn: func(q, s *graph.Node) *graph.Node { return graph.ReduceAllSum(graph.Add(q, s)) },
			Hint: "you summed over the batch; the loss is the mean."},
	}
}

// essSums returns Σw, Σw² and N for w = exp(logW − max logW).
func essSums(logW *graph.Node) (s1, s2, n *graph.Node) {
	w := graph.Exp(graph.Sub(logW, graph.StopGradient(graph.ReduceAllMax(logW))))
	return graph.ReduceAllSum(w), graph.ReduceAllSum(graph.Square(w)), graph.Scalar(logW.Graph(), logW.DType(), float64(logW.Shape().Dimensions[0]))
}

func essReference(logW *graph.Node) *graph.Node {
	s1, s2, n := essSums(logW)
	return graph.Div(graph.Square(s1), graph.Mul(n, s2))
}

func essMistakes() []exercise.Mistake[graphFn] {
	return []exercise.Mistake[graphFn]{
		{Fn: func(l *graph.Node) *graph.Node { s1, s2, _ := essSums(l); return graph.Div(graph.Square(s1), s2) },
			Hint: "that is the ESS as a number of samples, (Σw)²/Σw²; per sample, divide by N (it must lie in [1/N, 1])."},
		{Fn: func(l *graph.Node) *graph.Node {
			s1, s2, n := essSums(l)
			return graph.Div(graph.Mul(n, s2), graph.Square(s1))
		},
			Hint: "upside down: (Σw)² goes in the numerator, N Σw² in the denominator."},
		{Fn: func(l *graph.Node) *graph.Node {
			n := graph.Scalar(l.Graph(), l.DType(), float64(l.Shape().Dimensions[0]))
			return graph.Div(graph.Square(graph.ReduceAllSum(l)), graph.Mul(n, graph.ReduceAllSum(graph.Square(l))))
		}, Hint: "you used the log weights as weights: take w = exp(log w − max log w) first."},
		{Fn: func(l *graph.Node) *graph.Node { s1, _, n := essSums(l); return graph.Div(s1, n) },
			Hint: "the mean weight is not the ESS: ESS = (Σw)² / (N Σw²)."},
	}
}

// Lattice returns the expected values of exercise 8's checks: action,
// reverseKL and ess.
func Lattice(backend compute.Backend) ([]exercise.Expected, error) {
	return all(
		func() (exercise.Expected, error) {
			return exercise.Expect(backend, "action", graphFn(actionReference), actionMistakes(), flow.ActionCases()...)
		},
		func() (exercise.Expected, error) {
			return exercise.Expect(backend, "reverseKL", lossFn(reverseKLReference), reverseKLMistakes(), flow.ReverseKLCases()...)
		},
		func() (exercise.Expected, error) {
			return exercise.Expect(backend, "ess", graphFn(essReference), essMistakes(), flow.ESSCases()...)
		})
}
