package rng

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestReproducible(t *testing.T) {
	a, b, c := New(42, 1), New(42, 1), New(42, 2)
	for range 100 {
		x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
		if x != y {
			t.Fatal("the same seed and stream gave different numbers")
		}
		if x == z {
			t.Fatal("different streams gave the same number")
		}
	}
}

// TestStable pins the first outputs, recorded when the generator was written:
// a change here changes every seeded shuffle, split and sample of the course
// (and the course's printed results), so it must be deliberate.
func TestStable(t *testing.T) {
	s := New(1, 2)
	got := []int{s.IntN(1000), s.IntN(1000), s.IntN(1000)}
	perm := New(7, 0).Perm(8)
	if want, wantPerm := []int{86, 254, 566}, []int{4, 6, 2, 5, 1, 7, 0, 3}; !slices.Equal(got, want) || !slices.Equal(perm, wantPerm) {
		t.Errorf("got IntN %v and Perm %v, want %v and %v", got, perm, want, wantPerm)
	}
}

func TestIntNUniform(t *testing.T) {
	const n, draws = 7, 700000
	s := New(3, 0)
	counts := make([]float64, n)
	for range draws {
		counts[s.IntN(n)]++
	}
	// Pearson's χ² with 6 degrees of freedom: P(χ² > 22.46) = 0.001.
	var chi2 float64
	for _, c := range counts {
		chi2 += (c - draws/n) * (c - draws/n) / (draws / n)
	}
	if chi2 > 22.46 {
		t.Errorf("χ² = %.1f for counts %v", chi2, counts)
	}
}

func TestNormalMoments(t *testing.T) {
	const n = 400000
	s := New(5, 0)
	var m1, m2, m4 float64
	for range n {
		x := s.Normal()
		m1 += x
		m2 += x * x
		m4 += x * x * x * x
	}
	m1, m2, m4 = m1/n, m2/n, m4/n
	// Standard errors: sd(x)/√n = 1/√n, sd(x²)/√n = √2/√n, sd(x⁴)/√n = √96/√n.
	if math.Abs(m1) > 4/math.Sqrt(n) || math.Abs(m2-1) > 4*math.Sqrt(2.0/n) || math.Abs(m4-3) > 4*math.Sqrt(96.0/n) {
		t.Errorf("moments %v %v %v, want 0, 1, 3", m1, m2, m4)
	}
}

func TestFloat64AndPerm(t *testing.T) {
	s := New(9, 0)
	for range 10000 {
		if x := s.Float64(); x < 0 || x >= 1 {
			t.Fatalf("Float64 gave %v", x)
		}
	}
	p := s.Perm(1000)
	sorted := slices.Sorted(slices.Values(p))
	for i, v := range sorted {
		if v != i {
			t.Fatal("Perm is not a permutation")
		}
	}
	if len(s.Perm(0)) != 0 {
		t.Error("Perm(0) is not empty")
	}
}

// TestMathRandStable checks that MathRand is math/rand's generator on the
// unmixed PCG stream, and pins its first variates: a change of Go's
// conversions would change the RBM's and the diffusion model's numbers.
func TestMathRandStable(t *testing.T) {
	a, b := MathRand(3, 0x5eed), rand.New(rand.NewPCG(3, 0x5eed))
	for range 50 {
		if x, y := a.NormFloat64(), b.NormFloat64(); x != y {
			t.Fatalf("MathRand's NormFloat64 %v, rand.New(rand.NewPCG) %v", x, y)
		}
	}
	s := MathRand(1, 2)
	got := fmt.Sprintf("%d %.6f %v", s.IntN(1000), s.NormFloat64(), s.Perm(6))
	if want := pinnedMathRand; got != want {
		t.Errorf("MathRand(1, 2): IntN, NormFloat64, Perm = %q, want %q", got, want)
	}
}

// pinnedMathRand was recorded with Go 1.26's math/rand/v2.
const pinnedMathRand = "769 0.074738 [2 1 5 0 3 4]"
