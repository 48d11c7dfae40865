package klloss

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
)

// The self-checks of the CIFAR-10 exercise (solutions/02_cifar10_kl_losses.ipynb):
// the forward KL loss KL(P‖softmax(logits)) and the reverse KL loss with
// clipped targets. Their references are this package's losses, which the
// exercise's grading forbids the answers to call.

// LossFn is the exercise's loss: the targets p and the logits, both
// [batch, classes] (or with more leading axes), to a value per example.
type LossFn = func(p, logits *Node) *Node

// LossCases are the fixed inputs of both self-checks: targets and logits,
// with the gradients compared with respect to the logits (input 1), what
// training differentiates.
func LossCases() []exercise.Case {
	return []exercise.Case{
		{Name: "one-hot targets", Inputs: []any{[][]float32{{0, 1, 0}, {1, 0, 0}}, [][]float32{{0.5, 2, -1}, {1, 1, 3}}}, WRT: []int{1}},
		{Name: "soft targets", Inputs: []any{[][]float32{{0.1, 0.4, 0.5}}, [][]float32{{2, 0.1, -1}}}, WRT: []int{1}},
		{Name: "large logits", Inputs: []any{[][]float32{{0, 0, 1}}, [][]float32{{200, -200, 0}}}, WRT: []int{1},
			Hint: "with logits of ±200, softmax(z) underflows to 0 in float32: log(softmax(z)) is −∞ there, and guarding it (a max or a Where) does not bring back the right value or gradient. Use graph.LogSoftmax."},
	}
}

// negated is −fn.
func negated(fn LossFn) LossFn {
	return func(p, logits *Node) *Node { return Neg(fn(p, logits)) }
}

// clippedReverseKL is the reference of the reverse KL exercise.
func clippedReverseKL(epsilon float64) LossFn {
	return WithClippedTarget(ReverseKLFromLogits, epsilon)
}

// CheckForwardKL checks the student's forward KL loss KL(P‖Q), Q =
// softmax(logits), against ForwardKLFromLogits on LossCases, or on cases
// when given (an exercise's hidden tests), and prints PASS or what differs,
// with a hint for the common mistakes (the reverse KL, the cross-entropy,
// the sign, log of softmax). name heads the report.
func CheckForwardKL(backend compute.Backend, name string, student LossFn, cases ...exercise.Case) exercise.Result {
	crossEntropy := func(p, logits *Node) *Node { return Neg(ReduceSum(Mul(p, LogSoftmax(logits)), -1)) }
	logOfSoftmax := func(p, logits *Node) *Node { return ForwardKL(p, Softmax(logits)) }
	mistakes := []exercise.Mistake[LossFn]{
		{Fn: clippedReverseKL(1e-7), Hint: "this is the reverse KL, KL(Q‖P): the forward KL averages over the target, Σ p (log p − log q)."},
		{Fn: crossEntropy, Hint: "this is the cross-entropy H(P,Q) = H(P) + KL(P‖Q): add Σ p log p (it is 0 for one-hot targets, not for soft ones)."},
		{Fn: negated(ForwardKLFromLogits), Hint: "the sign is flipped: KL(P‖Q) ≥ 0, and training minimises it."},
		{Fn: logOfSoftmax, Hint: "log(softmax(z)) underflows to log 0 = −∞ for large logits: use graph.LogSoftmax."},
	}
	if len(cases) == 0 {
		cases = LossCases()
	}
	return exercise.Check(backend, name, student, LossFn(ForwardKLFromLogits), mistakes, cases...)
}

// CheckReverseKL checks the student's reverse KL loss KL(Q‖P) with the
// targets clipped to [epsilon, 1] against
// WithClippedTarget(ReverseKLFromLogits, epsilon), on LossCases or on cases
// when given, and prints PASS or what differs, with a hint for the common
// mistakes (the forward KL, no clipping, the sign).
func CheckReverseKL(backend compute.Backend, name string, student LossFn, epsilon float64, cases ...exercise.Case) exercise.Result {
	reference := clippedReverseKL(epsilon)
	mistakes := []exercise.Mistake[LossFn]{
		{Fn: ForwardKLFromLogits, Hint: "this is the forward KL, KL(P‖Q): the reverse KL averages over the model, Σ q (log q − log p)."},
		{Fn: ReverseKLFromLogits, Hint: "where a target is 0, log p = −∞: clip the targets to [epsilon, 1] before the log."},
		{Fn: negated(reference), Hint: "the sign is flipped: KL(Q‖P) ≥ 0, and training minimises it."},
	}
	if len(cases) == 0 {
		cases = LossCases()
	}
	return exercise.Check(backend, name, student, reference, mistakes, cases...)
}

// LossDone reports whether the student's loss is written, i.e. is no longer
// the exercise's TODO stub: the training cells train only then.
func LossDone(backend compute.Backend, student LossFn) bool {
	return exercise.Done(backend, student, LossCases()[0])
}
