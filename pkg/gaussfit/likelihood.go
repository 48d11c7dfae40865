package gaussfit

import (
	"fmt"
	"math"
)

// MaxLikelihood returns the maximum-likelihood normal distribution for the
// samples xs: their mean and their standard deviation with divisor N,
//
//	μ = (1/N) Σᵢ xᵢ,   σ² = (1/N) Σᵢ (xᵢ − μ)²,
//
// the minimiser of NegLogLikelihood over NormalFamily. It needs at least two
// finite samples that are not all equal.
func MaxLikelihood(xs []float64) (Normal, error) {
	if len(xs) < 2 || !allFinite(xs) {
		return Normal{}, fmt.Errorf("gaussfit.MaxLikelihood: want at least 2 finite samples, got %d", len(xs))
	}
	mu := 0.0
	for _, x := range xs {
		mu += x
	}
	mu /= float64(len(xs))
	variance := 0.0
	for _, x := range xs {
		variance += (x - mu) * (x - mu)
	}
	variance /= float64(len(xs))
	if variance == 0 {
		return Normal{}, fmt.Errorf("gaussfit.MaxLikelihood: all %d samples equal %g, so no normal distribution is most likely", len(xs), xs[0])
	}
	return Normal{Mu: mu, Sigma: math.Sqrt(variance)}, nil
}

// MaxLikelihood2D returns the maximum-likelihood bivariate normal distribution
// for the samples xy: their mean and their covariance with divisor N,
//
//	μ = (1/N) Σᵢ xᵢ,   Σ = (1/N) Σᵢ (xᵢ − μ)(xᵢ − μ)ᵀ,
//
// the estimate of seed 003 and the minimiser of NegLogLikelihood over
// Normal2DFamily. It needs at least three finite samples that do not lie on
// one line.
func MaxLikelihood2D(xy [][2]float64) (Normal2D, error) {
	if len(xy) < 3 {
		return Normal2D{}, fmt.Errorf("gaussfit.MaxLikelihood2D: want at least 3 samples, got %d", len(xy))
	}
	var mean [2]float64
	for i, p := range xy {
		if !allFinite(p[:]) {
			return Normal2D{}, fmt.Errorf("gaussfit.MaxLikelihood2D: sample %d is %v, want finite numbers", i, p)
		}
		mean[0] += p[0]
		mean[1] += p[1]
	}
	n := float64(len(xy))
	mean[0] /= n
	mean[1] /= n
	var cov [2][2]float64
	for _, p := range xy {
		d0, d1 := p[0]-mean[0], p[1]-mean[1]
		cov[0][0] += d0 * d0
		cov[0][1] += d0 * d1
		cov[1][1] += d1 * d1
	}
	cov[0][0] /= n
	cov[0][1] /= n
	cov[1][1] /= n
	cov[1][0] = cov[0][1]
	ml := Normal2D{Mean: mean, Cov: cov}
	if _, err := ml.Params(); err != nil {
		return Normal2D{}, fmt.Errorf("gaussfit.MaxLikelihood2D: the samples lie on a line (covariance %v)", cov)
	}
	return ml, nil
}
