package divergence

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

var units = []Unit{Nats, Bits}

func TestDiscreteAgainstSciPy(t *testing.T) {
	ref := loadReference(t)
	if len(ref.Discrete) == 0 {
		t.Fatal("no discrete reference cases")
	}
	for _, c := range ref.Discrete {
		for _, u := range units {
			for _, f := range []struct {
				name string
				fn   func(p, q []float64, u Unit) (float64, error)
				want refUnits
			}{
				{"KL", KL, c.KL},
				{"ReverseKL", ReverseKL, c.ReverseKL},
				{"JS", JS, c.JS},
				{"JSDistance", JSDistance, c.JSDistance},
				{"Entropy", func(p, _ []float64, u Unit) (float64, error) { return Entropy(p, u) }, c.Entropy},
				{"CrossEntropy", CrossEntropy, c.CrossEntropy},
			} {
				got, err := f.fn(c.P, c.Q, u)
				if err != nil {
					t.Errorf("%s: %s(%v, %v, %v): %v", c.Name, f.name, c.P, c.Q, u, err)
					continue
				}
				if want := f.want.in(u); !near(got, want, 1e-14) {
					t.Errorf("%s: %s(%v, %v, %v) = %.17g, SciPy gives %.17g", c.Name, f.name, c.P, c.Q, u, got, want)
				}
			}
		}
	}
}

// The numbers the seed's report prints, to the digits it prints, with the
// right units: its "1.336 bits" is a natural-log value, so nats.
func TestSeed004(t *testing.T) {
	p := []float64{0.10, 0.40, 0.50}
	q := []float64{0.80, 0.15, 0.05}
	for _, c := range []struct {
		name string
		fn   func(p, q []float64, u Unit) (float64, error)
		unit Unit
		want float64 // rounded to 4 decimals
	}{
		{"KL(P‖Q)", KL, Nats, 1.3357},
		{"KL(P‖Q)", KL, Bits, 1.9270},
		{"KL(Q‖P)", ReverseKL, Nats, 1.4013},
		{"KL(Q‖P)", ReverseKL, Bits, 2.0216},
		{"JS", JS, Bits, 0.4202},
		{"JS distance", JSDistance, Bits, 0.6482},
	} {
		got, err := c.fn(p, q, c.unit)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if math.Abs(got-c.want) > 0.5e-4 {
			t.Errorf("%s = %.6f %v, want %.4f", c.name, got, c.unit, c.want)
		}
	}
}

func TestDiscreteEdgeCases(t *testing.T) {
	// 0·log 0 = 0: a term with p_i = 0 contributes nothing, even where q_i = 0.
	for _, u := range units {
		got, err := KL([]float64{0.5, 0.5, 0}, []float64{0.5, 0.5, 0}, u)
		if err != nil || got != 0 {
			t.Errorf("KL with p_i = q_i = 0 in %v = %v, %v; want 0, nil", u, got, err)
		}
		got, err = Entropy([]float64{1, 0, 0}, u)
		if err != nil || got != 0 {
			t.Errorf("Entropy([1 0 0], %v) = %v, %v; want 0, nil", u, got, err)
		}
		got, err = CrossEntropy([]float64{0, 1}, []float64{0, 1}, u)
		if err != nil || got != 0 {
			t.Errorf("CrossEntropy([0 1], [0 1], %v) = %v, %v; want 0, nil", u, got, err)
		}
	}
	// p_i > 0 where q_i = 0 is +Inf, not an error.
	p, q := []float64{0.5, 0.5}, []float64{1, 0}
	for _, c := range []struct {
		name string
		fn   func(p, q []float64, u Unit) (float64, error)
		a, b []float64
	}{
		{"KL", KL, p, q},
		{"ReverseKL", ReverseKL, q, p},
		{"CrossEntropy", CrossEntropy, p, q},
	} {
		got, err := c.fn(c.a, c.b, Bits)
		if err != nil || !math.IsInf(got, 1) {
			t.Errorf("%s(%v, %v) = %v, %v; want +Inf, nil", c.name, c.a, c.b, got, err)
		}
	}
	// JS stays finite and reaches its bound, 1 bit, on disjoint supports.
	if got, err := JS(q, []float64{0, 1}, Bits); err != nil || math.Abs(got-1) > 1e-15 {
		t.Errorf("JS of disjoint distributions = %v bits, %v; want 1", got, err)
	}
	// A subnormal q_i: log(p_i/q_i) overflows, log p_i − log q_i does not.
	tiny := math.SmallestNonzeroFloat64
	got, err := KL([]float64{0.5, 0.5}, []float64{1, tiny}, Nats)
	want := 0.5*math.Log(0.5) + 0.5*(math.Log(0.5)-math.Log(tiny))
	if err != nil || !near(got, want, 1e-15) {
		t.Errorf("KL with subnormal q_i = %v, %v; want %v", got, err, want)
	}
	// A sum within SumTolerance of 1 is accepted.
	if _, err := KL([]float64{0.5, 0.5 + 0.5e-9}, []float64{0.5, 0.5}, Nats); err != nil {
		t.Errorf("KL with a sum 5e-10 above 1: %v", err)
	}
}

func TestDiscreteErrors(t *testing.T) {
	good := []float64{0.2, 0.3, 0.5}
	for _, c := range []struct {
		p, q []float64
		unit Unit
		want string
	}{
		{good, []float64{0.6, 0.5, -0.1}, Nats, "divergence: q[2] = -0.1 is negative"},
		{[]float64{1, 1}, []float64{0.5, 0.5}, Nats,
			"divergence: p sums to 2 (want 1 within 1e-09); normalise it with divergence.Normalize if that is intended"},
		{good, []float64{0.5, 0.5}, Nats, "divergence: p has 3 entries and q has 2; want the same length"},
		{nil, good, Nats, "divergence: p is empty; want at least one entry"},
		{good, []float64{}, Nats, "divergence: q is empty; want at least one entry"},
		{[]float64{0.5, math.NaN(), 0.5}, good, Nats, "divergence: p[1] is NaN"},
		{good, []float64{math.Inf(1), 0, 0}, Nats, "divergence: q[0] = +Inf is not finite"},
		{good, []float64{0.2, 0.3, 0.5 + 2e-9}, Nats, "divergence: q sums to 1.000000002 (want 1 within 1e-09)"},
		{good, good, Unit(2), "divergence: unit is Unit(2); want divergence.Nats or divergence.Bits"},
	} {
		for _, f := range []struct {
			name string
			fn   func(p, q []float64, u Unit) (float64, error)
		}{{"KL", KL}, {"ReverseKL", ReverseKL}, {"JS", JS}, {"JSDistance", JSDistance}, {"CrossEntropy", CrossEntropy}} {
			got, err := f.fn(c.p, c.q, c.unit)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("%s(%v, %v, %v) = %v, %v; want error %q", f.name, c.p, c.q, c.unit, got, err, c.want)
			}
		}
	}
	if _, err := Entropy([]float64{0.5, 0.6}, Bits); err == nil || !strings.HasPrefix(err.Error(), "divergence: p sums to 1.1 ") {
		t.Errorf("Entropy([0.5 0.6]): error %v; want p sums to 1.1", err)
	}
}

func TestNormalize(t *testing.T) {
	w := []float64{1, 2, 0, 1}
	p, err := Normalize(w)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.25, 0.5, 0, 0.25}
	for i := range want {
		if p[i] != want[i] {
			t.Errorf("Normalize(%v) = %v, want %v", w, p, want)
			break
		}
	}
	if w[1] != 2 {
		t.Errorf("Normalize modified its argument: %v", w)
	}
	if _, err := KL(p, []float64{0.25, 0.25, 0.25, 0.25}, Nats); err != nil {
		t.Errorf("KL of a normalised vector: %v", err)
	}
	for _, c := range []struct {
		w    []float64
		want string
	}{
		{nil, "divergence: w is empty"},
		{[]float64{1, -1}, "divergence: w[1] = -1 is negative"},
		{[]float64{math.NaN()}, "divergence: w[0] is NaN"},
		{[]float64{0, 0}, "divergence: w sums to 0"},
		{[]float64{math.MaxFloat64, math.MaxFloat64}, "divergence: w sums to +Inf"},
	} {
		if _, err := Normalize(c.w); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Normalize(%v): error %v; want %q", c.w, err, c.want)
		}
	}
}

// randomDistribution returns a probability vector of n entries, some of them
// zero when sparse is set.
func randomDistribution(rng *rand.Rand, n int, sparse bool) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = rng.ExpFloat64() // normalised, a flat Dirichlet sample
		if sparse && rng.IntN(4) == 0 {
			w[i] = 0
		}
	}
	w[rng.IntN(n)] += 1e-3 // at least one positive entry
	p, err := Normalize(w)
	if err != nil {
		panic(err)
	}
	return p
}

func TestDiscreteProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	for trial := range 500 {
		n := 1 + rng.IntN(12)
		p := randomDistribution(rng, n, trial%2 == 0)
		q := randomDistribution(rng, n, false) // q > 0, so KL(P‖Q) is finite
		must := func(v float64, err error) float64 {
			t.Helper()
			if err != nil {
				t.Fatalf("p = %v, q = %v: %v", p, q, err)
			}
			return v
		}
		klPQ := must(KL(p, q, Nats))
		if klPQ < 0 || math.IsInf(klPQ, 0) {
			t.Errorf("KL(P‖Q) = %v for p = %v, q = %v; want finite and ≥ 0", klPQ, p, q)
		}
		if got := must(KL(p, p, Nats)); got != 0 {
			t.Errorf("KL(P‖P) = %v for p = %v; want 0", got, p)
		}
		if got, want := must(ReverseKL(p, q, Nats)), must(KL(q, p, Nats)); got != want {
			t.Errorf("ReverseKL(p, q) = %v, KL(q, p) = %v; want equal", got, want)
		}
		if got, want := must(KL(p, q, Bits)), klPQ/math.Ln2; !near(got, want, 1e-15) {
			t.Errorf("KL in bits = %v, KL in nats / ln 2 = %v", got, want)
		}
		// Gibbs' inequality: H(P,Q) ≥ H(P), the gap being KL(P‖Q).
		h, hpq := must(Entropy(p, Nats)), must(CrossEntropy(p, q, Nats))
		if hpq < h-1e-15 || !near(hpq, h+klPQ, 1e-13) {
			t.Errorf("H(P) = %v, H(P,Q) = %v, KL(P‖Q) = %v; want H(P,Q) = H(P) + KL ≥ H(P)", h, hpq, klPQ)
		}
		if h < 0 || h > math.Log(float64(n))+1e-15 {
			t.Errorf("H(P) = %v for %d entries; want it in [0, log %d]", h, n, n)
		}
		jsPQ, jsQP := must(JS(p, q, Bits)), must(JS(q, p, Bits))
		if !near(jsPQ, jsQP, 1e-15) {
			t.Errorf("JS(P,Q) = %v, JS(Q,P) = %v; want equal", jsPQ, jsQP)
		}
		if jsPQ < 0 || jsPQ > 1+1e-15 {
			t.Errorf("JS(P,Q) = %v bits; want it in [0, 1]", jsPQ)
		}
		if d := must(JSDistance(p, q, Bits)); !near(d*d, jsPQ, 1e-15) {
			t.Errorf("JSDistance² = %v, JS = %v; want equal", d*d, jsPQ)
		}
	}
}
