package gan

import (
	"fmt"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
)

// The self-checks of the f-GAN exercise. The student writes, for the forward
// and the reverse KL, the critic's loss of the raw outputs (vReal, vFake) and
// the generator's minimax loss of vFake. The references and the known
// mistakes are built here from unexported code, so the exercise cannot be
// solved by calling them.

// CheckDiscriminatorLoss compares the student's critic loss for d (ForwardKL
// or ReverseKL) with the reference, −(mean g_f(vReal) − mean f*(g_f(vFake))),
// in value and gradient, on fixed inputs; it prints and returns the result,
// with a hint when the answer matches a known mistake.
func CheckDiscriminatorLoss(backend compute.Backend, name string, d Divergence, student func(vReal, vFake *Node) *Node) exercise.Result {
	other, ok := exerciseOther(d)
	if !ok {
		return exercise.Result{Report: fmt.Sprintf("%s: the exercise covers the forward and the reverse KL, not %s", name, d.Name)}
	}
	type fn = func(vReal, vFake *Node) *Node
	ref := func(d Divergence) fn { return func(r, f *Node) *Node { return discriminatorLoss(d, r, f) } }
	mistakes := []exercise.Mistake[fn]{
		{Fn: ref(other), Hint: fmt.Sprintf("this is the loss of the %s: forward and reverse are swapped.", other.Name)},
		{Fn: func(r, f *Node) *Node { return Neg(discriminatorLoss(d, r, f)) },
			Hint: "the sign is flipped: the critic maximises the bound E_P[g_f(v)] − E_Q[f*(g_f(v))], so its loss is the bound's negative."},
		{Fn: func(r, f *Node) *Node {
			return Neg(Sub(ReduceAllMean(d.Activation(r)), ReduceAllMean(generatorF(d)(d.Activation(f)))))
		}, Hint: "the generated samples' term uses f, not its convex conjugate f*: f and f* are swapped."},
		{Fn: func(r, f *Node) *Node {
			return Neg(Sub(ReduceAllMean(d.Activation(f)), ReduceAllMean(d.fake(r))))
		}, Hint: "data and generated samples are swapped: E_P[T] takes the critic's outputs on the data, E_Q[f*(T)] those on generated samples."},
		{Fn: func(r, f *Node) *Node { return Neg(Sub(ReduceAllSum(d.Activation(r)), ReduceAllSum(d.fake(f)))) },
			Hint: "you summed over the batch; the expectations are means (graph.ReduceAllMean)."},
	}
	if d.Name == ReverseKL.Name { // for the forward KL, g_f is the identity
		mistakes = append(mistakes, exercise.Mistake[fn]{
			Fn:   func(r, f *Node) *Node { return Neg(Sub(ReduceAllMean(r), ReduceAllMean(d.Conjugate(f)))) },
			Hint: "the activation g_f is missing: the critic's raw output v is unconstrained; T = g_f(v) is what enters the bound (and f* is only defined on g_f's range)."})
	}
	return exercise.Check(backend, name, student, ref(d), mistakes, exerciseCases(d, true)...)
}

// CheckGeneratorLoss compares the student's minimax generator loss for d
// (ForwardKL or ReverseKL), −mean f*(g_f(vFake)), with the reference; see
// CheckDiscriminatorLoss.
func CheckGeneratorLoss(backend compute.Backend, name string, d Divergence, student func(vFake *Node) *Node) exercise.Result {
	other, ok := exerciseOther(d)
	if !ok {
		return exercise.Result{Report: fmt.Sprintf("%s: the exercise covers the forward and the reverse KL, not %s", name, d.Name)}
	}
	type fn = func(vFake *Node) *Node
	ref := func(d Divergence) fn { return func(f *Node) *Node { return generatorLoss(d, Minimax, f) } }
	mistakes := []exercise.Mistake[fn]{
		{Fn: ref(other), Hint: fmt.Sprintf("this is the generator loss of the %s: forward and reverse are swapped.", other.Name)},
		{Fn: func(f *Node) *Node { return Neg(generatorLoss(d, Minimax, f)) },
			Hint: "the sign of the generator's objective is flipped: the generator minimises the bound, whose part that depends on it is −E_Q[f*(g_f(v))]."},
		{Fn: func(f *Node) *Node { return generatorLoss(d, NonSaturating, f) },
			Hint: "this is the alternative (\"non-saturating\") loss −E_Q[g_f(v)]; the exercise asks for the minimax one, −E_Q[f*(g_f(v))]."},
		{Fn: func(f *Node) *Node { return Neg(ReduceAllMean(generatorF(d)(d.Activation(f)))) },
			Hint: "you used f where the bound has its convex conjugate f*: f and f* are swapped."},
		{Fn: func(f *Node) *Node { return Neg(ReduceAllSum(d.fake(f))) },
			Hint: "you summed over the batch; the expectation is a mean (graph.ReduceAllMean)."},
	}
	if d.Name == ReverseKL.Name { // for the forward KL, g_f is the identity
		mistakes = append(mistakes, exercise.Mistake[fn]{
			Fn:   func(f *Node) *Node { return Neg(ReduceAllMean(d.Conjugate(f))) },
			Hint: "the activation g_f is missing: apply f* to T = g_f(v), not to the raw output v."})
	}
	return exercise.Check(backend, name, student, ref(d), mistakes, exerciseCases(d, false)...)
}

// exerciseOther returns the other divergence of the exercise.
func exerciseOther(d Divergence) (Divergence, bool) {
	switch d.Name {
	case ForwardKL.Name:
		return ReverseKL, true
	case ReverseKL.Name:
		return ForwardKL, true
	}
	return Divergence{}, false
}

// generatorF is f as a graph function, for the "f instead of f*" mistake.
func generatorF(d Divergence) func(*Node) *Node {
	if d.Name == ReverseKL.Name {
		return func(u *Node) *Node { return Neg(Log(u)) }
	}
	return func(u *Node) *Node { return Mul(u, Log(u)) }
}

// exerciseCases returns the inputs of the checks. The first case keeps every
// known mistake finite (raw outputs where f, and f* of a raw output, are
// defined), so that a wrong answer is recognised by its values; the second
// has outputs of both signs.
func exerciseCases(d Divergence, critic bool) []exercise.Case {
	var a, b []float64
	if d.Name == ReverseKL.Name {
		// f(g_f(v)) = −log(−e⁻ᵛ) is never defined: compare where f* of the raw output is.
		a, b = []float64{-0.4, -1.3, -0.05, -2.1}, []float64{-0.7, -0.2, -1.6}
	} else {
		a, b = []float64{0.4, 1.3, 0.05, 2.1}, []float64{0.7, 0.2, 1.6}
	}
	c, e := []float64{0.9, -0.3, 1.7, -1.1, 0.2}, []float64{-0.6, 0.45, -1.2, 1.1}
	if critic {
		return []exercise.Case{
			{Name: "vReal = " + fmt.Sprint(a) + ", vFake = " + fmt.Sprint(b), Inputs: []any{a, b}},
			{Name: "vReal = " + fmt.Sprint(c) + ", vFake = " + fmt.Sprint(e), Inputs: []any{c, e}},
		}
	}
	return []exercise.Case{
		{Name: "vFake = " + fmt.Sprint(b), Inputs: []any{b}},
		{Name: "vFake = " + fmt.Sprint(e), Inputs: []any{e}},
	}
}
