// Package references holds the answer keys of the exercises whose
// self-checks compare with expected values: the reference of each checked
// function and the known mistakes, each with its hint. It lives beside the
// solution notebooks and, like them, is never given to students (`klcourse
// setup --system` releases pkg/, internal/, notebooks/ and exercises/ only).
//
// `klcourse assign` evaluates Exercises[name] for the solution
// solutions/NAME.ipynb and writes the result beside the generated exercise,
// as exercises/NAME.checks.json (the format is exercise.ExpectedFile);
// `klcourse assign --check` fails when a file is not what the references
// give now. The self-checks of the exercise (exercise.CheckExpected) read
// that file: the students' copy of the course holds the values and the
// gradients of the references on fixed inputs, never their code.
//
// The references are written independently of the solution's answers (the
// solution's self-checks compare the two) and tested against the lectures'
// own functions.
package references

import (
	"github.com/gomlx/compute"

	"github.com/klcourse/klcourse/pkg/diffusion"
	"github.com/klcourse/klcourse/pkg/exercise"
	"github.com/klcourse/klcourse/pkg/flow"
	"github.com/klcourse/klcourse/pkg/gan"
	"github.com/klcourse/klcourse/pkg/rbm"
	"github.com/klcourse/klcourse/pkg/vae"
)

// Exercises maps the name of a solution notebook (without ".ipynb") to the
// function that computes the expected values of its self-checks.
var Exercises = map[string]func(backend compute.Backend) ([]exercise.Expected, error){
	rbm.Exercise:       RBM,
	vae.Exercise:       VAE,
	gan.Exercise:       FGAN,
	diffusion.Exercise: Diffusion,
	flow.Exercise:      Lattice,
}

// all collects the expected values of several checks, stopping at the first
// error.
func all(fns ...func() (exercise.Expected, error)) ([]exercise.Expected, error) {
	var out []exercise.Expected
	for _, f := range fns {
		e, err := f()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
