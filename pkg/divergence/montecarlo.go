package divergence

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Estimate is a Monte Carlo estimate: the mean of N independent terms and its
// standard error.
type Estimate struct {
	// Value is the sample mean of the terms.
	Value float64
	// StdErr is the standard error of Value: the sample standard deviation of
	// the terms (with N − 1 in the denominator) divided by √N. For large N,
	// Value lies within ±2·StdErr of the quantity estimated about 95 % of the
	// time, and StdErr shrinks like 1/√N.
	StdErr float64
	// N is the number of samples.
	N int
}

// String formats the estimate as "value ± stderr (n = N)".
func (e Estimate) String() string {
	return fmt.Sprintf("%.6g ± %.2g (n = %d)", e.Value, e.StdErr, e.N)
}

// KLMonteCarlo estimates KL(P‖Q) = E_{x~P}[log p(x) − log q(x)] by the mean of
// log p(x_i) − log q(x_i) over n samples x_i drawn from P with sampleP, in the
// given unit (Value and StdErr both). T is the sample type: float64 for
// distributions on the line, []float64 for vectors.
//
// The estimate is unbiased, can come out negative when KL is small, and is
// reproducible: all randomness comes from rng, which sampleP must use for
// every draw, so the same seed gives the same estimate:
//
//	rng := course.Rand(1, 2) // the course's seeded generator (internal/rng)
//	est, err := divergence.KLMonteCarlo(rng, 10_000, sampleP, logP, logQ, divergence.Nats)
//
// A sample where q(x) = 0 (logQ returns −Inf) makes the term, the estimate
// and its standard error +Inf. A sample outside P's support (logP not
// finite), a logQ of NaN or +Inf, n < 2 or a nil argument is an error.
func KLMonteCarlo[T any](rng *rand.Rand, n int, sampleP func(rng *rand.Rand) T, logP, logQ func(x T) float64, unit Unit) (Estimate, error) {
	if err := unit.check(); err != nil {
		return Estimate{}, err
	}
	switch {
	case rng == nil:
		return Estimate{}, errors.New("divergence: rng is nil; pass course.Rand(seed, stream) for a reproducible estimate")
	case sampleP == nil:
		return Estimate{}, errors.New("divergence: sampleP is nil; want a function drawing one sample of P")
	case logP == nil || logQ == nil:
		return Estimate{}, errors.New("divergence: logP or logQ is nil; want log-density functions")
	case n < 2:
		return Estimate{}, fmt.Errorf("divergence: n = %d; want at least 2 samples for a standard error", n)
	}
	// Welford's running mean and sum of squared deviations: one pass, no
	// stored terms, and no cancellation when the terms share a large offset.
	var mean, m2 float64
	for i := range n {
		x := sampleP(rng)
		lp := logP(x)
		if math.IsNaN(lp) || math.IsInf(lp, 0) {
			return Estimate{}, fmt.Errorf("divergence: sample %d, x = %v, has log p(x) = %v; want finite (does sampleP draw from the density logP describes?)", i, x, lp)
		}
		lq := logQ(x)
		if math.IsNaN(lq) || math.IsInf(lq, 1) {
			return Estimate{}, fmt.Errorf("divergence: sample %d, x = %v, has log q(x) = %v; want a finite value or -Inf", i, x, lq)
		}
		if math.IsInf(lq, -1) {
			inf := math.Inf(1)
			return Estimate{Value: inf, StdErr: inf, N: n}, nil
		}
		t := lp - lq
		delta := t - mean
		mean += delta / float64(i+1)
		m2 += delta * (t - mean)
	}
	stdErr := math.Sqrt(m2/float64(n-1)) / math.Sqrt(float64(n))
	return Estimate{Value: unit.FromNats(mean), StdErr: unit.FromNats(stdErr), N: n}, nil
}
