package toy2d

import (
	"math"

	"github.com/klcourse/klcourse/pkg/mixture"
)

// EntropyMC estimates the differential entropy H(p) = E_p[−log p(X)] in nats
// from n samples of m drawn with the given seed, and returns it with its
// standard error (the sample standard deviation of −log p over √n).
func EntropyMC(m mixture.Bivariate, n int, seed uint64) (h, stderr float64) {
	if n < 2 {
		panic("toy2d.EntropyMC: want n ≥ 2 samples")
	}
	xy, _ := m.Sample(n, seed)
	var mean, m2 float64
	for i, p := range xy {
		v := -m.LogPDF(p[0], p[1])
		d := v - mean
		mean += d / float64(i+1)
		m2 += d * (v - mean)
	}
	return mean, math.Sqrt(m2 / float64(n-1) / float64(n))
}

// EntropySeparated returns Σᵢ wᵢ (−log wᵢ + ½ log((2πe)² det Σᵢ)): the
// entropy of the component label plus the mean entropy of the components.
// It is an upper bound on H(p), reached when the components do not overlap
// (H(p) = H(label) + H(X | label) − I(X; label) and the mutual information
// tends to H(label) as the components separate).
func EntropySeparated(m mixture.Bivariate) float64 {
	var h float64
	for _, c := range m.Components {
		det := c.Cov[0][0]*c.Cov[1][1] - c.Cov[0][1]*c.Cov[1][0]
		h += c.Weight * (-math.Log(c.Weight) + 1 + math.Log(2*math.Pi) + 0.5*math.Log(det))
	}
	return h
}
