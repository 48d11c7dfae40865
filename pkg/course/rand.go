package course

import (
	"math/rand/v2"

	"github.com/klcourse/klcourse/internal/rng"
)

// Rand returns the seeded generator of a notebook's own random choices (a
// test configuration, a sample of points): math/rand's generator on the PCG
// of (seed, stream), drawn through the course's internal/rng (its
// MathRand), which a notebook cannot import. It gives the same numbers as
// rand.New(rand.NewPCG(seed, stream)).
func Rand(seed, stream uint64) *rand.Rand { return rng.MathRand(seed, stream) }
