package toy2d

import (
	"fmt"
	"math"

	"github.com/klcourse/klcourse/pkg/mixture"
)

// Ring returns k equally weighted isotropic Gaussians N(μᵢ, σ² I) with means
// μᵢ = radius·(cos 2πi/k, sin 2πi/k), i = 0…k−1.
func Ring(k int, radius, sigma float64) (mixture.Bivariate, error) {
	if k < 1 || !(radius >= 0) || !(sigma > 0) {
		return mixture.Bivariate{}, fmt.Errorf("toy2d.Ring: want k ≥ 1, radius ≥ 0 and sigma > 0, got k=%d radius=%g sigma=%g", k, radius, sigma)
	}
	cs := make([]mixture.Component2, k)
	for i := range k {
		a := 2 * math.Pi * float64(i) / float64(k)
		cs[i] = isotropic(1/float64(k), radius*math.Cos(a), radius*math.Sin(a), sigma)
	}
	return mixture.NewBivariate(cs...)
}

// Grid returns n×n equally weighted isotropic Gaussians N(μ, σ² I) with means
// on the square grid of the given spacing centred at the origin:
// μ = spacing·(i − (n−1)/2, j − (n−1)/2), i, j = 0…n−1, ordered with i (x)
// outermost.
func Grid(n int, spacing, sigma float64) (mixture.Bivariate, error) {
	if n < 1 || !(spacing > 0) || !(sigma > 0) {
		return mixture.Bivariate{}, fmt.Errorf("toy2d.Grid: want n ≥ 1, spacing > 0 and sigma > 0, got n=%d spacing=%g sigma=%g", n, spacing, sigma)
	}
	cs := make([]mixture.Component2, 0, n*n)
	c := float64(n-1) / 2
	for i := range n {
		for j := range n {
			cs = append(cs, isotropic(1/float64(n*n), spacing*(float64(i)-c), spacing*(float64(j)-c), sigma))
		}
	}
	return mixture.NewBivariate(cs...)
}

func isotropic(w, x, y, sigma float64) mixture.Component2 {
	return mixture.Component2{Weight: w, Mean: [2]float64{x, y}, Cov: [2][2]float64{{sigma * sigma, 0}, {0, sigma * sigma}}}
}

// Ring8 is PacGAN's 2D-ring: Ring(8, 1, 0.01).
func Ring8() mixture.Bivariate { return must(Ring(8, 1, 0.01)) }

// Grid25 is PacGAN's 2D-grid: Grid(5, 2, 0.05), means in {−4, −2, 0, 2, 4}².
func Grid25() mixture.Bivariate { return must(Grid(5, 2, 0.05)) }

// TwoClusters is the blog post's mixture
// 0.75·N((0.5, 2), diag(4, 1.5)) + 0.25·N((9, 9), diag(1, 3)), in its
// original coordinates (mixture.TwoClusters); see MinMax and RescaleMixture
// for the post's rescaling to [0, 1].
func TwoClusters() mixture.Bivariate { return mixture.TwoClusters() }

func must(m mixture.Bivariate, err error) mixture.Bivariate {
	if err != nil {
		panic(err)
	}
	return m
}

// MinMax returns the smallest and the largest coordinate of the points, over
// both axes together, as the blog post's data.min() and data.max(). It
// panics on no points.
func MinMax(xy [][2]float64) (lo, hi float64) {
	if len(xy) == 0 {
		panic("toy2d.MinMax: no points")
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range xy {
		lo = math.Min(lo, math.Min(p[0], p[1]))
		hi = math.Max(hi, math.Max(p[0], p[1]))
	}
	return lo, hi
}

// Rescale returns the points mapped by x ↦ (x − lo)/(hi − lo) in both
// coordinates; with lo, hi from MinMax of the same points it is the blog
// post's normalisation, onto [0, 1]².
func Rescale(xy [][2]float64, lo, hi float64) [][2]float64 {
	out := make([][2]float64, len(xy))
	s := 1 / (hi - lo)
	for i, p := range xy {
		out[i] = [2]float64{(p[0] - lo) * s, (p[1] - lo) * s}
	}
	return out
}

// RescaleMixture returns the exact distribution of (X − lo)/(hi − lo) for
// X ~ m (both coordinates, one scale): the density of the rescaled data.
func RescaleMixture(m mixture.Bivariate, lo, hi float64) mixture.Bivariate {
	s := 1 / (hi - lo)
	return m.Affine(s, [2]float64{-lo * s, -lo * s})
}

// LogPDFs returns log p at each point.
func LogPDFs(m mixture.Bivariate, xy [][2]float64) []float64 {
	out := make([]float64, len(xy))
	for i, p := range xy {
		out[i] = m.LogPDF(p[0], p[1])
	}
	return out
}

// Flatten returns the points as float32 in row-major order [x0, y0, x1, y1, …],
// the layout of a [n, 2] tensor.
func Flatten(xy [][2]float64) []float32 {
	out := make([]float32, 2*len(xy))
	for i, p := range xy {
		out[2*i], out[2*i+1] = float32(p[0]), float32(p[1])
	}
	return out
}

// Unflatten is the inverse of Flatten: it reads a row-major [n, 2] array.
// It panics when the length is odd.
func Unflatten(v []float32) [][2]float64 {
	if len(v)%2 != 0 {
		panic(fmt.Sprintf("toy2d.Unflatten: want an even number of values (n×2), got %d", len(v)))
	}
	out := make([][2]float64, len(v)/2)
	for i := range out {
		out[i] = [2]float64{float64(v[2*i]), float64(v[2*i+1])}
	}
	return out
}
