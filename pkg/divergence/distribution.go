package divergence

import (
	"fmt"
	"math"
)

// SumTolerance is how far from 1 the sum of a probability vector may be:
// a vector p is accepted when |Σ p_i − 1| ≤ SumTolerance. It absorbs the
// rounding of vectors computed in floating point, such as a softmax output or
// literals like 0.1, 0.4, 0.5, and nothing more.
const SumTolerance = 1e-9

// Normalize returns w/Σw, a probability vector proportional to the weights w,
// in a new slice. The weights must be non-empty, finite and non-negative, with
// a positive and finite sum; otherwise Normalize returns an error. The
// divergence functions never normalise their arguments themselves: call
// Normalize when the input is known to be unnormalised, such as counts or a
// density evaluated on a grid.
func Normalize(w []float64) ([]float64, error) {
	if err := checkEntries("w", w, "weight"); err != nil {
		return nil, err
	}
	var sum float64
	for _, v := range w {
		sum += v
	}
	if sum == 0 {
		return nil, fmt.Errorf("divergence: w sums to 0; want at least one positive weight")
	}
	if math.IsInf(sum, 0) {
		return nil, fmt.Errorf("divergence: w sums to +Inf (the weights overflow float64); scale them down first")
	}
	p := make([]float64, len(w))
	for i, v := range w {
		p[i] = v / sum
	}
	return p, nil
}

// checkEntries checks that x, the argument called name, is non-empty and has
// only finite, non-negative entries; what names an entry in the messages.
func checkEntries(name string, x []float64, what string) error {
	if len(x) == 0 {
		return fmt.Errorf("divergence: %s is empty; want at least one entry", name)
	}
	for i, v := range x {
		switch {
		case math.IsNaN(v):
			return fmt.Errorf("divergence: %s[%d] is NaN; want a finite %s ≥ 0", name, i, what)
		case math.IsInf(v, 0):
			return fmt.Errorf("divergence: %s[%d] = %v is not finite; want a finite %s ≥ 0", name, i, v, what)
		case v < 0:
			return fmt.Errorf("divergence: %s[%d] = %v is negative; want a %s ≥ 0", name, i, v, what)
		}
	}
	return nil
}

// checkDistribution checks that x, the argument called name, is a probability
// vector: checkEntries, and a sum within SumTolerance of 1.
func checkDistribution(name string, x []float64) error {
	if err := checkEntries(name, x, "probability"); err != nil {
		return err
	}
	var sum float64
	for _, v := range x {
		sum += v
	}
	if math.Abs(sum-1) > SumTolerance {
		return fmt.Errorf("divergence: %s sums to %.12g (want 1 within %v); normalise it with divergence.Normalize if that is intended",
			name, sum, SumTolerance)
	}
	return nil
}

// checkPair checks p and q with checkDistribution, that they have the same
// length, and the unit.
func checkPair(p, q []float64, unit Unit) error {
	if err := unit.check(); err != nil {
		return err
	}
	if err := checkDistribution("p", p); err != nil {
		return err
	}
	if err := checkDistribution("q", q); err != nil {
		return err
	}
	if len(p) != len(q) {
		return fmt.Errorf("divergence: p has %d entries and q has %d; want the same length", len(p), len(q))
	}
	return nil
}
