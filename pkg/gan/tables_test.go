package gan

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/klcourse/klcourse/pkg/divergence"
)

// TestIntegrals: for P = N(0, 1) and Q = N(1, 1.5²) both integrals of the
// forward and the reverse KL equal the closed form, and those of every
// divergence agree with each other.
func TestIntegrals(t *testing.T) {
	p, q := distuv.Normal{Mu: 0, Sigma: 1}, distuv.Normal{Mu: 1, Sigma: 1.5}
	want := map[string]float64{}
	kl, _ := divergence.KLNormal(0, 1, 1, 1.5, divergence.Nats)
	want[ForwardKL.Name] = kl
	kl, _ = divergence.KLNormal(1, 1.5, 0, 1, divergence.Nats)
	want[ReverseKL.Name] = kl
	for _, d := range Divergences {
		bound, direct, err := d.Integrals(p.LogProb, q.LogProb, -30, 30, 20000)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(bound-direct) > 1e-9 {
			t.Errorf("%s: bound at T* %v, ∫ q f(p/q) %v", d.Name, bound, direct)
		}
		if w, ok := want[d.Name]; ok && math.Abs(direct-w) > 1e-9 {
			t.Errorf("%s: %v; closed form %v", d.Name, direct, w)
		}
	}
	if _, _, err := ForwardKL.Integrals(p.LogProb, q.LogProb, 0, 1, 3); err == nil {
		t.Error("an odd number of intervals was accepted")
	}
}

func TestSummarise(t *testing.T) {
	// 1, 2, 3, 6: mean 3, sample variance 14/3, standard error √(14/3)/2.
	m := Summarise([]float64{1, math.NaN(), 2, 3, 6})
	if m.N != 4 || m.Mean != 3 || math.Abs(m.SE-math.Sqrt(14.0/3)/2) > 1e-15 {
		t.Errorf("Summarise = %+v", m)
	}
	if got := m.Format(2); got != "3.00 ± 1.08" {
		t.Errorf("Format: %q", got)
	}
	if got := Summarise([]float64{0.25}).Format(2); got != "0.25" {
		t.Errorf("one run: %q", got)
	}
	if got := Summarise([]float64{math.NaN()}).Format(2); got != "—" {
		t.Errorf("no run: %q", got)
	}
	if got := PacGANTable1["grid"]["PacGAN4"].String(); got != "24.8 ± 0.2  93.6 ± 0.6%  0.04 ± 0.01" {
		t.Errorf("PacGAN row: %q", got)
	}
	if got := PacGANTable1["ring"]["forward KL"].String(); got != "" {
		t.Errorf("a method the paper did not run: %q", got)
	}
}
