package gan

import (
	"fmt"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
)

// The self-checks of the f-GAN exercise (solutions/06_fgan.ipynb). The
// student writes, for the forward and the reverse KL, the critic's loss of
// the raw outputs (vReal, vFake) and the generator's minimax loss of vFake,
// and then the blog post's alternative generator loss. The checks compare
// with the expected values in exercises/06_fgan.checks.json; the references
// and the known mistakes are the solution's (solutions/references), not
// shipped with the course.

// Exercise is the name of the f-GAN exercise's notebook and expected values.
const Exercise = "06_fgan"

// CheckDiscriminatorLoss compares the student's critic loss for d (ForwardKL
// or ReverseKL), −(mean g_f(vReal) − mean f*(g_f(vFake))), with the expected
// values of the check called name, in value and gradient, on fixed inputs;
// it prints and returns the result, with a hint when the answer matches a
// known mistake.
func CheckDiscriminatorLoss(backend compute.Backend, name string, d Divergence, student func(vReal, vFake *Node) *Node) exercise.Result {
	if _, ok := ExerciseOther(d); !ok {
		return exercise.Result{Report: fmt.Sprintf("%s: the exercise covers the forward and the reverse KL, not %s", name, d.Name)}
	}
	return exercise.CheckExpected(backend, Exercise, name, student, ExerciseCases(d, true)...)
}

// CheckGeneratorLoss compares the student's minimax generator loss for d
// (ForwardKL or ReverseKL), −mean f*(g_f(vFake)), with the expected values
// of the check called name; see CheckDiscriminatorLoss. The alternative
// generator loss of Task 4, −mean g_f(vFake), is checked the same way.
func CheckGeneratorLoss(backend compute.Backend, name string, d Divergence, student func(vFake *Node) *Node) exercise.Result {
	if _, ok := ExerciseOther(d); !ok {
		return exercise.Result{Report: fmt.Sprintf("%s: the exercise covers the forward and the reverse KL, not %s", name, d.Name)}
	}
	return exercise.CheckExpected(backend, Exercise, name, student, ExerciseCases(d, false)...)
}

// LossesDone reports whether a critic's and a generator's loss are both
// written (neither is the TODO stub): the exercise trains only then.
func LossesDone(backend compute.Backend, dLoss func(vReal, vFake *Node) *Node, gLoss func(vFake *Node) *Node) bool {
	critic, generator := ExerciseCases(ForwardKL, true)[0], ExerciseCases(ForwardKL, false)[0]
	return exercise.Done(backend, dLoss, critic) && exercise.Done(backend, gLoss, generator)
}

// ExerciseOther returns the other divergence of the exercise.
func ExerciseOther(d Divergence) (Divergence, bool) {
	switch d.Name {
	case ForwardKL.Name:
		return ReverseKL, true
	case ReverseKL.Name:
		return ForwardKL, true
	}
	return Divergence{}, false
}

// ExerciseCases returns the inputs of the checks for d: (vReal, vFake) for
// the critic's loss, vFake for the generator's. The first case has raw
// outputs where f*(v) is defined for the reverse KL (negative ones), so that
// the known mistakes that apply f* to the raw output are recognised by their
// values; the second has outputs of both signs.
func ExerciseCases(d Divergence, critic bool) []exercise.Case {
	var a, b []float64
	if d.Name == ReverseKL.Name {
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
