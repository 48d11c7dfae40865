package diffusion

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
)

// The self-checks of the diffusion exercise (solutions/07_diffusion_q.ipynb).
// They compare with the expected values in
// exercises/07_diffusion_q.checks.json; the references and the known
// mistakes are the solution's (solutions/references), not shipped with the
// course.

// Exercise is the name of the diffusion exercise's notebook and expected
// values.
const Exercise = "07_diffusion_q"

// QSampleCases are the inputs of the q(x_t | x_0) check: x0, t, eps,
// compared on the value and the gradient with respect to x0 and eps, on the
// DDPM schedule.
func QSampleCases() []exercise.Case {
	wrt := []int{0, 2}
	return []exercise.Case{
		{Name: "3 points at t = 1, 250, 999", WRT: wrt, Inputs: []any{
			[][]float64{{0.5, -1.2}, {2.0, 0.3}, {-0.7, 0.9}}, []int32{1, 250, 999}, [][]float64{{0.3, 1.1}, {-0.8, 0.2}, {1.5, -0.4}}}},
		{Name: "2 points at t = 40, 1000", WRT: wrt, Inputs: []any{
			[][]float64{{-1.5, 0.25}, {0.1, 0.1}}, []int32{40, 1000}, [][]float64{{0.6, -2.0}, {0.05, 0.7}}}},
	}
}

// StepKLCases are the inputs of the per-step KL check: [x0, xt, t,
// epsPred], compared on the value and the gradient with respect to x0, xt
// and epsPred, on the DDPM schedule.
func StepKLCases() []exercise.Case {
	wrt := []int{0, 1, 3}
	return []exercise.Case{
		{Name: "3 examples at t = 2, 300, 1000", WRT: wrt, Inputs: []any{
			[][]float64{{0.5, -1.2}, {2.0, 0.3}, {-0.7, 0.9}}, [][]float64{{0.52, -1.15}, {0.8, 0.1}, {0.4, -1.3}}, []int32{2, 300, 1000}, [][]float64{{0.3, 1.0}, {-0.5, 0.2}, {1.2, -0.6}}}},
		{Name: "2 examples at t = 10, 600", WRT: wrt, Inputs: []any{
			[][]float64{{-1.5, 0.25}, {0.1, 0.1}}, [][]float64{{-1.4, 0.3}, {0.9, -0.6}}, []int32{10, 600}, [][]float64{{0.6, -1.9}, {0.05, 0.7}}}},
	}
}

// CheckQSample checks a student's sampling of q(x_t | x_0),
// x_t = √ᾱ_t x0 + √(1 − ᾱ_t) eps for the steps t of the DDPM schedule,
// against the expected values (value and gradients with respect to x0 and
// eps), prints PASS or what differs with a hint, and returns the result.
func CheckQSample(backend compute.Backend, student QSampleFn) exercise.Result {
	type F = func(x0, t, eps *graph.Node) *graph.Node
	return exercise.CheckExpected(backend, Exercise, "qSample", F(student), QSampleCases()...)
}

// QSampleDone reports whether the student's qSample is written (is not the
// TODO stub): the exercise trains with it only then.
func QSampleDone(backend compute.Backend, student QSampleFn) bool {
	type F = func(x0, t, eps *graph.Node) *graph.Node
	return exercise.Done(backend, F(student), QSampleCases()[0])
}

// CheckStepKL checks a student's per-step KL term of the ELBO,
// KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)) per example with σ_t² = β_t,
// for inputs [x0, xt, t, epsPred], on the DDPM schedule, against the
// expected values: value and gradients with respect to x0, xt and epsPred.
func CheckStepKL(backend compute.Backend, student func(in []*graph.Node) *graph.Node) exercise.Result {
	return exercise.CheckExpected(backend, Exercise, "stepKL", student, StepKLCases()...)
}
