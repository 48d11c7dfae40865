package datasets

import (
	"math"
	"slices"

	"github.com/klcourse/klcourse/internal/rng"
)

// PixelStats returns the mean and the standard deviation of each channel over
// all pixels of all images, in the units of the tensors (byte/255, in [0, 1]):
// for channel c with values v₁…v_M,
//
//	mean[c] = (1/M) Σ vᵢ,   std[c] = sqrt((1/M) Σ (vᵢ − mean[c])²),
//
// the population standard deviation (NumPy's default, ddof=0). Normalising the
// inputs by (x − mean)/std is the usual use. The sums run over exact byte
// histograms, so the result does not depend on the order of the images.
func (s *Images) PixelStats() (mean, std []float64) {
	hist := make([][256]int64, s.Channels)
	for i, b := range s.Pixels {
		hist[i%s.Channels][b]++
	}
	mean, std = make([]float64, s.Channels), make([]float64, s.Channels)
	for c, h := range hist {
		var m, sum float64
		for v, n := range h {
			m += float64(n)
			sum += float64(n) * float64(v)
		}
		if m == 0 {
			mean[c], std[c] = math.NaN(), math.NaN()
			continue
		}
		mu := sum / m
		var ss float64
		for v, n := range h {
			d := float64(v) - mu
			ss += float64(n) * d * d
		}
		mean[c], std[c] = mu/255, math.Sqrt(ss/m)/255
	}
	return mean, std
}

// Sample returns n distinct indices of images chosen at random by seed (all
// indices, shuffled, when n >= Len()).
func (s *Images) Sample(n int, seed uint64) []int {
	perm := rng.New(seed, streamSample).Perm(s.Len())
	return perm[:min(max(n, 0), len(perm))]
}

// ByClass returns perClass indices of each class, class after class in label
// order, chosen at random by seed; a class with fewer images gives all it has.
// With GridLayout{Cols: perClass} each class fills one row of a Grid.
func (s *Images) ByClass(perClass int, seed uint64) []int {
	byClass := make([][]int, s.NumClasses())
	for _, i := range rng.New(seed, streamSample).Perm(s.Len()) {
		if l := s.Labels[i]; len(byClass[l]) < perClass {
			byClass[l] = append(byClass[l], i)
		}
	}
	var out []int
	for _, idx := range byClass {
		slices.Sort(idx)
		out = append(out, idx...)
	}
	return out
}
