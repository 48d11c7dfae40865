package phi4

import (
	"image"
	"image/color"
	"math"
)

// FieldImage draws an L×L configuration as an image of L·scale pixels a
// side: blue for φ < 0, white for 0, red for φ > 0, saturating at ±vmax.
func FieldImage(L int, phi []float64, vmax float64, scale int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, L*scale, L*scale))
	for i := range L {
		for j := range L {
			v := math.Max(-1, math.Min(1, phi[i*L+j]/vmax))
			fade := uint8(255 * (1 - math.Abs(v)))
			c := color.RGBA{255, fade, fade, 255}
			if v < 0 {
				c = color.RGBA{fade, fade, 255, 255}
			}
			for a := range scale {
				for b := range scale {
					img.Set(j*scale+b, i*scale+a, c)
				}
			}
		}
	}
	return img
}

// Histogram returns the bin centres and the normalised density (integrating
// to 1 over [lo, hi]) of the values xs in bins equal bins; values outside
// [lo, hi] are counted in the normalisation but in no bin.
func Histogram(xs []float64, lo, hi float64, bins int) (centres, density []float64) {
	width := (hi - lo) / float64(bins)
	centres = make([]float64, bins)
	density = make([]float64, bins)
	for b := range centres {
		centres[b] = lo + (float64(b)+0.5)*width
	}
	for _, x := range xs {
		b := int(math.Floor((x - lo) / width))
		if b >= 0 && b < bins {
			density[b]++
		}
	}
	for b := range density {
		density[b] /= float64(len(xs)) * width
	}
	return centres, density
}
