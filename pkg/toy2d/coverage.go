package toy2d

import (
	"math"

	"github.com/klcourse/klcourse/pkg/mixture"
)

// Threshold is the Mahalanobis distance below which a generated point counts
// as a high-quality sample of its nearest mode: 3 standard deviations, as in
// VEEGAN and PacGAN.
const Threshold = 3.0

// CoverageResult holds the mode-coverage metrics of a set of generated points
// against a mixture (see the package documentation).
type CoverageResult struct {
	// PerMode[i] is the number of high-quality points assigned to component i.
	PerMode []int
	// Covered is the number of modes with at least one high-quality point.
	Covered int
	// HighQuality is the share of all points that are high-quality, in [0, 1].
	HighQuality float64
	// KL is KL(h ‖ w) in nats between the histogram h of high-quality points
	// over the modes and the mixture weights w (uniform for Ring8 and Grid25).
	// It is NaN when there are no high-quality points.
	KL float64
}

// CoveredAtLeast returns the number of modes with at least n high-quality
// points (a stricter rule than Covered, which is CoveredAtLeast(1)).
func (r CoverageResult) CoveredAtLeast(n int) int {
	k := 0
	for _, c := range r.PerMode {
		if c >= n {
			k++
		}
	}
	return k
}

// Coverage computes the mode-coverage metrics of the points xy against the
// components of m.
func Coverage(m mixture.Bivariate, xy [][2]float64) CoverageResult {
	k := len(m.Components)
	// Inverse covariances [[a, b], [b, d]]⁻¹ = [[d, −b], [−b, a]] / det.
	inv := make([][3]float64, k)
	for i, c := range m.Components {
		a, b, d := c.Cov[0][0], c.Cov[0][1], c.Cov[1][1]
		det := a*d - b*b
		inv[i] = [3]float64{d / det, -b / det, a / det}
	}
	r := CoverageResult{PerMode: make([]int, k)}
	good := 0
	for _, p := range xy {
		best, bestD2 := -1, math.Inf(1)
		for i, c := range m.Components {
			dx, dy := p[0]-c.Mean[0], p[1]-c.Mean[1]
			d2 := inv[i][0]*dx*dx + 2*inv[i][1]*dx*dy + inv[i][2]*dy*dy
			if d2 < bestD2 {
				best, bestD2 = i, d2
			}
		}
		if best >= 0 && bestD2 < Threshold*Threshold {
			r.PerMode[best]++
			good++
		}
	}
	r.Covered = r.CoveredAtLeast(1)
	if len(xy) > 0 {
		r.HighQuality = float64(good) / float64(len(xy))
	}
	r.KL = math.NaN()
	if good > 0 {
		r.KL = 0
		for i, c := range r.PerMode {
			if c > 0 {
				h := float64(c) / float64(good)
				r.KL += h * math.Log(h/m.Components[i].Weight)
			}
		}
	}
	return r
}
