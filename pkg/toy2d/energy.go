package toy2d

import "math"

// EnergyDistance returns the unbiased estimate of the squared energy distance
// E(P, Q) = 2 E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖ from points x of P and y of Q:
// the mean distance over all n·m pairs across the sets, and over the
// n(n−1)/2 and m(m−1)/2 distinct pairs within each set. The cost is
// O((n + m)²); a few thousand points per set take milliseconds. It panics
// unless each set has at least 2 points.
func EnergyDistance(x, y [][2]float64) float64 {
	if len(x) < 2 || len(y) < 2 {
		panic("toy2d.EnergyDistance: want at least 2 points in each set")
	}
	return 2*meanCross(x, y) - meanWithin(x) - meanWithin(y)
}

func dist(a, b [2]float64) float64 { return math.Hypot(a[0]-b[0], a[1]-b[1]) }

func meanCross(x, y [][2]float64) float64 {
	var s float64
	for _, a := range x {
		for _, b := range y {
			s += dist(a, b)
		}
	}
	return s / float64(len(x)*len(y))
}

func meanWithin(x [][2]float64) float64 {
	var s float64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			s += dist(x[i], x[j])
		}
	}
	n := float64(len(x))
	return s / (n * (n - 1) / 2)
}
