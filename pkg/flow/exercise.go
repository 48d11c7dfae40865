package flow

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
)

// The self-checks of exercise 8 (solutions/08_lattice_action.ipynb): the
// lattice action, the reverse-KL loss and the effective sample size. They
// compare with the expected values in exercises/08_lattice_action.checks.json;
// the references and the known mistakes are the solution's
// (solutions/references), not shipped with the course.

// Exercise is the name of exercise 8's notebook and expected values.
const Exercise = "08_lattice_action"

// The couplings of the action check, the tutorial's point (the notebook's m2
// and lambda).
const (
	ExerciseM2     = -4.0
	ExerciseLambda = 8.0
)

// ActionCases are the inputs of the action check: two 4×4 configurations
// (one around 0, one around 1), compared on the value and the gradient.
func ActionCases() []exercise.Case {
	configs := [][][]float64{
		{{0.3, -0.2, 0.5, 0.1}, {-0.4, 0.6, 0.0, -0.1}, {0.2, 0.2, -0.3, 0.7}, {0.1, -0.5, 0.4, 0.0}},
		{{1.1, 0.9, 1.0, 1.2}, {0.8, 1.0, 1.1, 0.9}, {1.0, 1.0, 0.9, 1.1}, {1.2, 0.8, 1.0, 1.0}},
	}
	return []exercise.Case{{Name: "two 4×4 configurations", Inputs: []any{configs}}}
}

// ReverseKLCases are the inputs of the reverse-KL loss check: log q and the
// actions S of a batch.
func ReverseKLCases() []exercise.Case {
	return []exercise.Case{
		{Name: "4 samples", Inputs: []any{[]float64{-40.2, -38.7, -45.1, -41.0}, []float64{-3.5, -6.1, 2.2, -4.8}}},
		{Name: "3 samples", Inputs: []any{[]float64{-60.0, -58.5, -61.3}, []float64{1.5, -0.4, 3.2}}},
	}
}

// ESSCases are the inputs of the ESS check: log weights, moderate and large
// (exp overflows float64 beyond about 709, float32 beyond 88).
func ESSCases() []exercise.Case {
	return []exercise.Case{
		{Name: "5 weights", Inputs: []any{[]float64{-1.2, 0.3, -0.7, 0.1, -2.5}}},
		{Name: "large log weights", Inputs: []any{[]float64{210.0, 208.5, 209.7, 205.0}}},
	}
}

// CheckAction checks the student's action S[φ] of a batch of L×L
// configurations, with m² = ExerciseM2 and λ = ExerciseLambda, against the
// expected values (value and gradient); it prints PASS or what differs with
// a hint.
func CheckAction(backend compute.Backend, student func(phi *graph.Node) *graph.Node) exercise.Result {
	return exercise.CheckExpected(backend, Exercise, "action", student, ActionCases()...)
}

// CheckReverseKL checks the student's reverse-KL training loss of log q and
// S against the expected values.
func CheckReverseKL(backend compute.Backend, student func(logQ, s *graph.Node) *graph.Node) exercise.Result {
	return exercise.CheckExpected(backend, Exercise, "reverseKL", student, ReverseKLCases()...)
}

// CheckESS checks the student's effective sample size per sample of the
// importance weights exp(logW) against the expected values.
func CheckESS(backend compute.Backend, student func(logW *graph.Node) *graph.Node) exercise.Result {
	return exercise.CheckExpected(backend, Exercise, "ess", student, ESSCases()...)
}

// ExerciseDone reports whether the student's action and reverse-KL loss are
// both written (neither is the TODO stub): the exercise trains a flow with
// them only then.
func ExerciseDone(backend compute.Backend, action func(phi *graph.Node) *graph.Node, loss func(logQ, s *graph.Node) *graph.Node) bool {
	return exercise.Done(backend, action, ActionCases()[0]) && exercise.Done(backend, loss, ReverseKLCases()[0])
}

// ESSDone reports whether the student's ESS is written.
func ESSDone(backend compute.Backend, ess func(logW *graph.Node) *graph.Node) bool {
	return exercise.Done(backend, ess, ESSCases()[0])
}
