package vae

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
)

// The self-checks of the VAE exercise (solutions/05_vae_elbo.ipynb). They
// compare with the expected values in exercises/05_vae_elbo.checks.json; the
// references and the known mistakes are the solution's
// (solutions/references), not shipped with the course.

// Exercise is the name of exercise 5's notebook and expected values.
const Exercise = "05_vae_elbo"

// SampleFn is the student's reparameterised sampling: z from the encoder's
// mean and log-variance [batch, d] and standard normal noise eps [batch, d].
type SampleFn = func(mean, logVar, eps *Node) *Node

// KLFn is the student's KL term: KL(N(mean, diag(exp(logVar))) ‖ N(0, I))
// for each row of mean and logVar [batch, d], shaped [batch].
type KLFn = func(mean, logVar *Node) *Node

// vaeCases are the fixed inputs of both checks: latent dimensions 3 and 5,
// so that a mean over the dimensions differs from every other mistake.
var vaeCases = []exercise.Case{
	{Name: "2 rows, 3 latent dimensions", Inputs: []any{
		[][]float32{{0.5, -1, 2}, {0, 0.3, -0.7}},
		[][]float32{{0.2, -1.5, 0.7}, {-0.4, 1.1, 0.05}},
		[][]float32{{1.3, -0.2, 0.4}, {-0.9, 0.6, 2.1}},
	}},
	{Name: "1 row, 5 latent dimensions", Inputs: []any{
		[][]float32{{1, -2, 0.1, 0, 3}},
		[][]float32{{-3, 0.5, 2, -0.1, 1}},
		[][]float32{{0.3, 1.7, -1.1, -0.5, 0.8}},
	}},
}

// SampleCases are the inputs of the sampling check: mean, logVar and eps,
// compared on the value and the gradient with respect to all three.
func SampleCases() []exercise.Case { return vaeCases }

// KLCases are the inputs of the KL check: mean and logVar.
func KLCases() []exercise.Case { return twoInputs(vaeCases) }

// CheckSample checks the student's reparameterised sampling against the
// expected values, value and gradient with respect to the mean, the
// log-variance and the noise, and prints PASS or what differs with a hint.
func CheckSample(backend compute.Backend, student SampleFn) exercise.Result {
	return exercise.CheckExpected(backend, Exercise, "sampleLatent", student, SampleCases()...)
}

// CheckKL checks the student's KL term against the expected values, value
// and gradient with respect to the mean and the log-variance.
func CheckKL(backend compute.Backend, student KLFn) exercise.Result {
	return exercise.CheckExpected(backend, Exercise, "klToPrior", student, KLCases()...)
}

func twoInputs(cases []exercise.Case) []exercise.Case {
	out := make([]exercise.Case, len(cases))
	for i, c := range cases {
		out[i] = exercise.Case{Name: c.Name, Inputs: c.Inputs[:2]}
	}
	return out
}
