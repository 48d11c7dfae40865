// Package rng is the course's seeded random number generator.
//
// Every random choice the course makes from a seed (shuffles, splits, samples
// of the synthetic data) goes through it, so that a seed gives the same numbers
// on every machine and every Go release: the bits come from the PCG generator
// of math/rand/v2 (a fixed algorithm), and the conversions to bounded integers,
// uniform floats and normal variates are written out here rather than taken
// from math/rand, whose conversions carry no such promise. MathRand is the
// exception that keeps the streams the RBM and the diffusion model were
// written with (math/rand's conversions, pinned by a test).
package rng

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// Source is a seeded stream of random numbers. It is not safe for concurrent use.
type Source struct {
	pcg *rand.PCG
	// spare holds the second normal variate of the last Box–Muller pair.
	spare    float64
	hasSpare bool
}

// New returns the stream selected by seed and stream. Different streams of one
// seed are independent for all practical purposes; the course uses them to keep
// unrelated random choices (say, a split and a shuffle) from sharing numbers.
func New(seed, stream uint64) *Source {
	return &Source{pcg: rand.NewPCG(seed, stream^0x9e3779b97f4a7c15)}
}

// Uint64 returns 64 uniformly random bits.
func (s *Source) Uint64() uint64 { return s.pcg.Uint64() }

// IntN returns a uniform integer in [0, n). It panics if n <= 0.
//
// It uses Lemire's multiply-and-reject method, which is exact: every value has
// probability 1/n.
func (s *Source) IntN(n int) int {
	if n <= 0 {
		panic("rng: IntN with n <= 0")
	}
	bound := uint64(n)
	hi, lo := bits.Mul64(s.Uint64(), bound)
	if lo < bound {
		threshold := -bound % bound
		for lo < threshold {
			hi, lo = bits.Mul64(s.Uint64(), bound)
		}
	}
	return int(hi)
}

// Float64 returns a uniform number in [0, 1) with 53 random bits.
func (s *Source) Float64() float64 {
	return float64(s.Uint64()>>11) * 0x1p-53
}

// Normal returns a standard normal variate, by the Box–Muller transform:
// for U1 uniform on (0, 1] and U2 uniform on [0, 1),
// sqrt(−2 ln U1)·cos(2πU2) and sqrt(−2 ln U1)·sin(2πU2) are independent N(0, 1).
func (s *Source) Normal() float64 {
	if s.hasSpare {
		s.hasSpare = false
		return s.spare
	}
	u1 := 1 - s.Float64() // in (0, 1], so the logarithm is finite
	u2 := s.Float64()
	r := math.Sqrt(-2 * math.Log(u1))
	sin, cos := math.Sincos(2 * math.Pi * u2)
	s.spare, s.hasSpare = r*sin, true
	return r * cos
}

// Perm returns a uniformly random permutation of 0, …, n−1 (Fisher–Yates).
func (s *Source) Perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := s.IntN(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// MathRand returns math/rand/v2's generator on the PCG of (seed, stream) —
// exactly rand.New(rand.NewPCG(seed, stream)), stream not mixed as New mixes
// it — for the code whose published numbers were drawn with math/rand's own
// conversions (its ziggurat NormFloat64, its IntN, Float64 and Perm): the
// RBM's initial weights, binarisations, batch orders and chains, and the
// diffusion model's training batches, samples and ELBO estimates. It keeps
// those random streams, and so those lectures' numbers, as they were, while
// every seeded choice still goes through this package. New code uses New:
// math/rand promises its conversions only within a Go release (the course
// pins Go 1.26, and TestMathRandStable notices a change).
func MathRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}
