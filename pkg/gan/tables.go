package gan

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
)

// Integrals checks the f-GAN table for two densities on the line, given by
// their logarithms: it integrates, by Simpson's rule on n + 1 equally spaced
// points of [a, b] (gonum's integrate.Simpsons; n even), the variational bound
// at the optimal critic,
//
//	∫ p g_f(v*) − q f*(g_f(v*)) dx,  v* = OptimalRaw(log p − log q),
//
// and the divergence itself, ∫ q f(p/q) dx. Both are D_f(P‖Q) when the mass of
// p and q lies inside [a, b].
func (d Divergence) Integrals(logP, logQ func(float64) float64, a, b float64, n int) (bound, direct float64, err error) {
	if n < 2 || n%2 != 0 || !(a < b) {
		return 0, 0, fmt.Errorf("gan.Integrals: [%v, %v] with %d intervals; want a < b and an even number of intervals", a, b, n)
	}
	xs := floats.Span(make([]float64, n+1), a, b)
	fb, fd := make([]float64, n+1), make([]float64, n+1)
	for i, x := range xs {
		lp, lq := logP(x), logQ(x)
		t := d.ActivationAt(d.OptimalRaw(lp - lq))
		fb[i] = math.Exp(lp)*t - math.Exp(lq)*d.ConjugateAt(t)
		fd[i] = math.Exp(lq) * d.F(math.Exp(lp-lq))
	}
	return integrate.Simpsons(xs, fb), integrate.Simpsons(xs, fd), nil
}

// MeanSE is the mean of N runs' values and its standard error (the sample
// standard deviation over √N). SE is NaN for a single run, Mean for none.
type MeanSE struct {
	Mean, SE float64
	N        int
}

// Summarise returns the MeanSE of xs, leaving out NaN (a metric a run does
// not define, such as the KL of a run without a high-quality sample).
func Summarise(xs []float64) MeanSE {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	switch len(v) {
	case 0:
		return MeanSE{Mean: math.NaN(), SE: math.NaN()}
	case 1:
		return MeanSE{Mean: v[0], SE: math.NaN(), N: 1}
	}
	mean, std := stat.MeanStdDev(v, nil)
	return MeanSE{Mean: mean, SE: stat.StdErr(std, float64(len(v))), N: len(v)}
}

// Format writes "mean ± se" with digits decimals, the mean alone where the
// error is undefined (a single run), and "—" where the mean is.
func (m MeanSE) Format(digits int) string {
	switch {
	case math.IsNaN(m.Mean):
		return "—"
	case math.IsNaN(m.SE):
		return fmt.Sprintf("%.*f", digits, m.Mean)
	}
	return fmt.Sprintf("%.*f ± %.*f", digits, m.Mean, digits, m.SE)
}

// PacGANResult is one row of PacGAN's Table 1: modes covered, high-quality
// samples in percent, and the KL divergence of the mode histogram to the
// uniform one, each as mean ± standard error over 10 runs.
type PacGANResult struct {
	Modes, HighQuality, KL MeanSE
}

// String formats the row as "modes  high-quality%  KL", and the zero value —
// what PacGANTable1 gives for a method the paper did not run — as "".
func (r PacGANResult) String() string {
	if r == (PacGANResult{}) {
		return ""
	}
	return fmt.Sprintf("%s  %s%%  %s", r.Modes.Format(1), r.HighQuality.Format(1), r.KL.Format(2))
}

// PacGANTable1 is Table 1 of Lin, Khetan, Fanti and Oh, "PacGAN: the power of
// two samples in generative adversarial networks" (NeurIPS 2018), for the
// 2-D ring of 8 and grid of 25 Gaussians, by data set ("ring", "grid") and
// method ("GAN", "PacGAN2", "PacGAN4").
var PacGANTable1 = map[string]map[string]PacGANResult{
	"ring": {
		"GAN":     {pub(6.3, 0.5), pub(98.2, 0.2), pub(0.45, 0.09)},
		"PacGAN2": {pub(7.9, 0.1), pub(95.6, 2.0), pub(0.07, 0.03)},
		"PacGAN4": {pub(7.8, 0.1), pub(95.9, 1.4), pub(0.07, 0.02)},
	},
	"grid": {
		"GAN":     {pub(17.3, 0.8), pub(94.8, 0.7), pub(0.70, 0.07)},
		"PacGAN2": {pub(23.8, 0.7), pub(91.3, 0.8), pub(0.13, 0.04)},
		"PacGAN4": {pub(24.8, 0.2), pub(93.6, 0.6), pub(0.04, 0.01)},
	},
}

// pub is a published mean ± standard error of 10 runs.
func pub(mean, se float64) MeanSE { return MeanSE{Mean: mean, SE: se, N: 10} }
