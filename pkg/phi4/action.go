package phi4

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
)

// Theory is the φ⁴ theory on an L×L periodic lattice with bare mass squared M2
// and coupling Lambda.
type Theory struct {
	L      int
	M2     float64
	Lambda float64
}

// Volume is the number of sites, L².
func (t Theory) Volume() int { return t.L * t.L }

// Validate reports a lattice too small to have distinct neighbours, or a
// coupling that leaves the action unbounded below.
func (t Theory) Validate() error {
	if t.L < 2 {
		return fmt.Errorf("phi4: lattice size L = %d, want at least 2", t.L)
	}
	if !(t.Lambda >= 0) || math.IsNaN(t.M2) || math.IsInf(t.M2, 0) || math.IsInf(t.Lambda, 0) || (t.Lambda == 0 && t.M2 <= 0) {
		return fmt.Errorf("phi4: λ = %g, m² = %g: want λ > 0, or λ = 0 and m² > 0 (the free field); the action is unbounded below otherwise", t.Lambda, t.M2)
	}
	return nil
}

func (t Theory) check(name string, phi []float64) {
	if len(phi) != t.Volume() {
		panic(fmt.Sprintf("phi4: %s: configuration has %d sites, want L² = %d", name, len(phi), t.Volume()))
	}
}

// Action returns S[φ] for one configuration of L² sites, row-major.
func (t Theory) Action(phi []float64) float64 {
	t.check("Action", phi)
	L := t.L
	s := 0.0
	for i := 0; i < L; i++ {
		up := (i + 1) % L
		for j := 0; j < L; j++ {
			right := (j + 1) % L
			p := phi[i*L+j]
			// Σ_x Σ_μ φ_x(2φ_x − φ_{x+μ} − φ_{x−μ}) = Σ_x Σ_μ (φ_{x+μ} − φ_x)².
			dx := phi[i*L+right] - p
			dy := phi[up*L+j] - p
			p2 := p * p
			s += dx*dx + dy*dy + t.M2*p2 + t.Lambda*p2*p2
		}
	}
	return s
}

// Gradient writes ∂S/∂φ into grad (length L²) and returns S.
func (t Theory) Gradient(phi, grad []float64) float64 {
	t.check("Gradient", phi)
	t.check("Gradient (output)", grad)
	L := t.L
	s := 0.0
	for i := 0; i < L; i++ {
		up, down := (i+1)%L, (i+L-1)%L
		for j := 0; j < L; j++ {
			right, left := (j+1)%L, (j+L-1)%L
			p := phi[i*L+j]
			nb := phi[i*L+right] + phi[i*L+left] + phi[up*L+j] + phi[down*L+j]
			p2 := p * p
			grad[i*L+j] = 2*(4*p-nb) + 2*t.M2*p + 4*t.Lambda*p2*p
			dx := phi[i*L+right] - p
			dy := phi[up*L+j] - p
			s += dx*dx + dy*dy + t.M2*p2 + t.Lambda*p2*p2
		}
	}
	return s
}

// Roll returns x shifted cyclically by n along axis: out[..., i, ...] =
// x[..., (i+n) mod size, ...]. Roll(x, axis, 1) is φ_{x+μ}, Roll(x, axis, -1)
// is φ_{x−μ}.
func Roll(x *Node, axis, n int) *Node {
	size := x.Shape().Dimensions[axis]
	n = ((n % size) + size) % size
	if n == 0 {
		return x
	}
	rank := x.Rank()
	spec := func(from, to int) []SliceAxisSpec {
		s := make([]SliceAxisSpec, rank)
		for a := range s {
			s[a] = AxisRange()
		}
		s[axis] = AxisRange(from, to)
		return s
	}
	return Concatenate([]*Node{Slice(x, spec(n, size)...), Slice(x, spec(0, n)...)}, axis)
}
