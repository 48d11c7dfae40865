package references

import (
	"fmt"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
	"github.com/klcourse/klcourse/pkg/gan"
)

// Exercise 6 (solutions/06_fgan.ipynb): the f-GAN critic's and generator's
// losses for the forward and the reverse KL, and the blog post's alternative
// generator loss. The names of the checks are the notebook's.

// fakeTerm is f*(g_f(v)): for the reverse KL simplified by hand to v − 1,
// which is finite for every v.
func fakeTerm(d gan.Divergence) func(v *Node) *Node {
	if d.Name == gan.ReverseKL.Name {
		return func(v *Node) *Node { return AddScalar(v, -1) }
	}
	return func(v *Node) *Node { return d.Conjugate(d.Activation(v)) }
}

// criticLoss is −(mean g_f(vReal) − mean f*(g_f(vFake))).
func criticLoss(d gan.Divergence) func(r, f *Node) *Node {
	return func(r, f *Node) *Node {
		return Neg(Sub(ReduceAllMean(d.Activation(r)), ReduceAllMean(fakeTerm(d)(f))))
	}
}

// minimaxLoss is the generator's −mean f*(g_f(vFake)).
func minimaxLoss(d gan.Divergence) func(f *Node) *Node {
	return func(f *Node) *Node { return Neg(ReduceAllMean(fakeTerm(d)(f))) }
}

// alternativeLoss is the blog post's generator loss −mean g_f(vFake).
func alternativeLoss(d gan.Divergence) func(f *Node) *Node {
	return func(f *Node) *Node { return Neg(ReduceAllMean(d.Activation(f))) }
}

// fOf is f as a graph function, for the "f instead of f*" mistake.
func fOf(d gan.Divergence) func(*Node) *Node {
	if d.Name == gan.ReverseKL.Name {
		return func(u *Node) *Node { return Neg(Log(u)) }
	}
	return func(u *Node) *Node { return Mul(u, Log(u)) }
}

// swappedHint is the hint of the "f for f*" mistake. For the reverse KL,
// f(g_f(v)) = −log(−e^{−v}) is the logarithm of a negative number, NaN for
// every input: the mistake is recognised by that pattern (NaN in the value
// and in the gradient with respect to vFake, the rest right), which a
// logarithm of T instead of −T inside f* shares, so the hint names both.
func swappedHint(d gan.Divergence, where string) string {
	if d.Name == gan.ReverseKL.Name {
		return where + " is NaN for every input: it takes the logarithm of a negative number. T = g_f(v) = −e^{−v} is negative; " +
			"f(u) = −log u is only defined for u > 0, and f*(t) = −1 − log(−t) takes the log of −t. Either f and f* are swapped " +
			"(you applied f where the bound has its conjugate f*), or the minus sign inside f*'s logarithm is missing."
	}
	return where + " uses f, not its convex conjugate f*: f and f* are swapped."
}

func criticMistakes(d gan.Divergence) []exercise.Mistake[func(r, f *Node) *Node] {
	other, _ := gan.ExerciseOther(d)
	ms := []exercise.Mistake[func(r, f *Node) *Node]{
		{Fn: criticLoss(other), Hint: fmt.Sprintf("this is the loss of the %s: forward and reverse are swapped.", other.Name)},
		{Fn: func(r, f *Node) *Node { return Neg(criticLoss(d)(r, f)) },
			Hint: "the sign is flipped: the critic maximises the bound E_P[g_f(v)] − E_Q[f*(g_f(v))], so its loss is the bound's negative."},
		{Fn: func(r, f *Node) *Node {
			return Neg(Sub(ReduceAllMean(d.Activation(r)), ReduceAllMean(fOf(d)(d.Activation(f)))))
		}, Hint: swappedHint(d, "the generated samples' term")},
		{Fn: func(r, f *Node) *Node { return criticLoss(d)(f, r) },
			Hint: "data and generated samples are swapped: E_P[T] takes the critic's outputs on the data, E_Q[f*(T)] those on generated samples."},
		{Fn: func(r, f *Node) *Node { return Neg(Sub(ReduceAllSum(d.Activation(r)), ReduceAllSum(fakeTerm(d)(f)))) },
			Hint: "you summed over the batch; the expectations are means (graph.ReduceAllMean)."},
	}
	if d.Name == gan.ReverseKL.Name { // for the forward KL, g_f is the identity
		ms = append(ms, exercise.Mistake[func(r, f *Node) *Node]{
			Fn:   func(r, f *Node) *Node { return Neg(Sub(ReduceAllMean(r), ReduceAllMean(d.Conjugate(f)))) },
			Hint: "the activation g_f is missing: the critic's raw output v is unconstrained; T = g_f(v) is what enters the bound (and f* is only defined on g_f's range)."})
	}
	return ms
}

func generatorMistakes(d gan.Divergence) []exercise.Mistake[func(f *Node) *Node] {
	other, _ := gan.ExerciseOther(d)
	ms := []exercise.Mistake[func(f *Node) *Node]{
		{Fn: minimaxLoss(other), Hint: fmt.Sprintf("this is the generator loss of the %s: forward and reverse are swapped.", other.Name)},
		{Fn: func(f *Node) *Node { return Neg(minimaxLoss(d)(f)) },
			Hint: "the sign of the generator's objective is flipped: the generator minimises the bound, whose part that depends on it is −E_Q[f*(g_f(v))]."},
		{Fn: alternativeLoss(d),
			Hint: "this is the alternative (\"non-saturating\") loss −E_Q[g_f(v)]; the exercise asks for the minimax one, −E_Q[f*(g_f(v))]."},
		{Fn: func(f *Node) *Node { return Neg(ReduceAllMean(fOf(d)(d.Activation(f)))) },
			Hint: swappedHint(d, "your loss")},
		{Fn: func(f *Node) *Node { return Neg(ReduceAllSum(fakeTerm(d)(f))) },
			Hint: "you summed over the batch; the expectation is a mean (graph.ReduceAllMean)."},
	}
	if d.Name == gan.ReverseKL.Name {
		ms = append(ms, exercise.Mistake[func(f *Node) *Node]{
			Fn:   func(f *Node) *Node { return Neg(ReduceAllMean(d.Conjugate(f))) },
			Hint: "the activation g_f is missing: apply f* to T = g_f(v), not to the raw output v."})
	}
	return ms
}

func alternativeMistakes(d gan.Divergence) []exercise.Mistake[func(f *Node) *Node] {
	return []exercise.Mistake[func(f *Node) *Node]{
		{Fn: minimaxLoss(d), Hint: "this is the minimax loss −E_Q[f*(g_f(v))] of Task 1; the blog post's loss feeds the generated points to the critic as \"real\": −E_Q[g_f(v)], the bound's first term on generated points."},
		{Fn: func(f *Node) *Node { return Neg(alternativeLoss(d)(f)) },
			Hint: "the sign is flipped: the generator maximises E_Q[T] = E_Q[g_f(v)], so its loss is −E_Q[g_f(v)]."},
		{Fn: func(f *Node) *Node { return Neg(ReduceAllSum(d.Activation(f))) },
			Hint: "you summed over the batch; the expectation is a mean (graph.ReduceAllMean)."},
	}
}

// FGAN returns the expected values of exercise 6's checks: dLossForwardKL,
// gLossForwardKL, dLossReverseKL, gLossReverseKL and gLossAlternative (the
// forward KL's alternative generator loss).
func FGAN(backend compute.Backend) ([]exercise.Expected, error) {
	var fns []func() (exercise.Expected, error)
	for _, d := range []gan.Divergence{gan.ForwardKL, gan.ReverseKL} {
		suffix := map[string]string{gan.ForwardKL.Name: "ForwardKL", gan.ReverseKL.Name: "ReverseKL"}[d.Name]
		fns = append(fns,
			func() (exercise.Expected, error) {
				return exercise.Expect(backend, "dLoss"+suffix, criticLoss(d), criticMistakes(d), gan.ExerciseCases(d, true)...)
			},
			func() (exercise.Expected, error) {
				return exercise.Expect(backend, "gLoss"+suffix, minimaxLoss(d), generatorMistakes(d), gan.ExerciseCases(d, false)...)
			})
	}
	fns = append(fns, func() (exercise.Expected, error) {
		return exercise.Expect(backend, "gLossAlternative", alternativeLoss(gan.ForwardKL), alternativeMistakes(gan.ForwardKL), gan.ExerciseCases(gan.ForwardKL, false)...)
	})
	return all(fns...)
}
