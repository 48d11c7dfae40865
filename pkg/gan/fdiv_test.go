package gan

import (
	"fmt"
	"math"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/integrate"

	"github.com/klcourse/klcourse/internal/testbackends"
	"github.com/klcourse/klcourse/pkg/divergence"
	"github.com/klcourse/klcourse/pkg/graphx"
)

func goBackend(t testing.TB) compute.Backend { return testbackends.Go(t) }

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// simpson integrates f over [a, b] with n (even) intervals, by gonum's
// integrate.Simpsons on the n + 1 equally spaced points.
func simpson(f func(float64) float64, a, b float64, n int) float64 {
	xs := floats.Span(make([]float64, n+1), a, b)
	fs := make([]float64, len(xs))
	for i, x := range xs {
		fs[i] = f(x)
	}
	return integrate.Simpsons(xs, fs)
}

func normalPDF(x, mu, sigma float64) float64 {
	z := (x - mu) / sigma
	return math.Exp(-z*z/2) / (sigma * math.Sqrt(2*math.Pi))
}

func normalLogPDF(x, mu, sigma float64) float64 {
	z := (x - mu) / sigma
	return -z*z/2 - math.Log(sigma) - 0.5*math.Log(2*math.Pi)
}

// closedForm returns D_f(N(m1, s1²) ‖ N(m2, s2²)) for each divergence, from
// formulas independent of f: the Gaussian KL of pkg/divergence, the Gaussian
// integrals of χ² and of the Bhattacharyya coefficient, and for the GAN
// 2·JS − log 4 with JS from pkg/divergence's quadrature.
func closedForm(t *testing.T, d Divergence, m1, s1, m2, s2 float64) float64 {
	t.Helper()
	switch d.Name {
	case ForwardKL.Name:
		v, err := divergence.KLNormal(m1, s1, m2, s2, divergence.Nats)
		if err != nil {
			t.Fatal(err)
		}
		return v
	case ReverseKL.Name:
		v, err := divergence.KLNormal(m2, s2, m1, s1, divergence.Nats)
		if err != nil {
			t.Fatal(err)
		}
		return v
	case Pearson.Name: // ∫ p²/q − 1, finite for 2σ_q² > σ_p²
		return chi2(m1, s1, m2, s2)
	case Hellinger.Name: // 2 − 2·BC
		v := s1*s1 + s2*s2
		bc := math.Sqrt(2*s1*s2/v) * math.Exp(-(m1-m2)*(m1-m2)/(4*v))
		return 2 - 2*bc
	case GAN.Name:
		logP := func(x float64) float64 { return normalLogPDF(x, m1, s1) }
		logQ := func(x float64) float64 { return normalLogPDF(x, m2, s2) }
		logM := func(x float64) float64 {
			a, b := logP(x), logQ(x)
			hi := math.Max(a, b)
			return hi + math.Log(0.5*(math.Exp(a-hi)+math.Exp(b-hi)))
		}
		dom := divergence.Interval{Min: -40, Max: 40}
		kp, err1 := divergence.KLQuadrature(logP, logM, dom, 8000, divergence.Nats)
		kq, err2 := divergence.KLQuadrature(logQ, logM, dom, 8000, divergence.Nats)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		return kp + kq - math.Log(4) // 2·JS − log 4
	}
	t.Fatalf("no closed form for %s", d.Name)
	return 0
}

// chi2 is ∫ p²/q − 1 for p = N(m1, s1²), q = N(m2, s2²).
func chi2(m1, s1, m2, s2 float64) float64 {
	v := 2*s2*s2 - s1*s1
	return s2*s2/(s1*math.Sqrt(v))*math.Exp((m1-m2)*(m1-m2)/v) - 1
}

var gaussPairs = [][4]float64{{0, 1, 1, 1.5}, {0.5, 0.8, -0.3, 1}, {2, 1.2, 0, 1}}

func TestDivergenceIsF(t *testing.T) {
	for _, d := range Divergences {
		if want := map[bool]float64{true: -math.Log(4), false: 0}[d.Name == GAN.Name]; !near(d.F(1), want, 1e-15) {
			t.Errorf("%s: f(1) = %g, want %g", d.Name, d.F(1), want)
		}
		for _, c := range gaussPairs {
			want := closedForm(t, d, c[0], c[1], c[2], c[3])
			got := simpson(func(x float64) float64 {
				p, q := normalPDF(x, c[0], c[1]), normalPDF(x, c[2], c[3])
				if q == 0 {
					return 0
				}
				return q * d.F(p/q)
			}, -25, 25, 20000)
			if !near(got, want, 1e-7) {
				t.Errorf("%s %v: ∫ q f(p/q) = %.10g, closed form %.10g", d.Name, c, got, want)
			}
		}
	}
}

// TestBoundAtOptimalCritic checks Nowozin et al.'s bound: with T = f′(p/q),
// ∫ p T − ∫ q f*(T) equals D_f(P‖Q); with any other T it is smaller.
func TestBoundAtOptimalCritic(t *testing.T) {
	for _, d := range Divergences {
		for _, c := range gaussPairs {
			want := closedForm(t, d, c[0], c[1], c[2], c[3])
			bound := func(shift float64) float64 {
				return simpson(func(x float64) float64 {
					p, q := normalPDF(x, c[0], c[1]), normalPDF(x, c[2], c[3])
					v := d.OptimalRaw(normalLogPDF(x, c[0], c[1])-normalLogPDF(x, c[2], c[3])) + shift
					return p*d.ActivationAt(v) - q*d.fakeAt(v)
				}, -25, 25, 20000)
			}
			if got := bound(0); !near(got, want, 1e-6) {
				t.Errorf("%s %v: bound at the optimal critic %.10g, divergence %.10g", d.Name, c, got, want)
			}
			for _, s := range []float64{-0.3, 0.2} {
				if got := bound(s); !(got < want-1e-6) {
					t.Errorf("%s %v: bound with v* %+g is %.8g, not below the divergence %.8g", d.Name, c, s, got, want)
				}
			}
		}
	}
}

func TestGraphFormulas(t *testing.T) {
	b := goBackend(t)
	// Raw outputs in the domain of every divergence (g_f(v) < 1 for Hellinger holds everywhere).
	vs := []float64{-2.5, -0.7, 0, 0.3, 1.9}
	for _, d := range Divergences {
		act := eval(t, b, d.Activation, vs)
		fake := eval(t, b, d.fake, vs)
		conj := eval(t, b, func(v *Node) *Node { return d.Conjugate(d.Activation(v)) }, vs)
		for i, v := range vs {
			ta := d.ActivationAt(v)
			if !near(act[i], ta, 1e-12) || !near(d.ActivationInverse(ta), v, 1e-9) {
				t.Errorf("%s: g_f(%g) = %g (graph) vs %g; g_f⁻¹ gives %g", d.Name, v, act[i], ta, d.ActivationInverse(ta))
			}
			if want := d.ConjugateAt(ta); !near(fake[i], want, 1e-9) || !near(conj[i], want, 1e-9) || !near(d.fakeAt(v), want, 1e-9) {
				t.Errorf("%s: f*(g_f(%g)): stable graph %g, composed graph %g, stable float %g, composed float %g", d.Name, v, fake[i], conj[i], d.fakeAt(v), want)
			}
		}
		// Fenchel–Young equality at t = f′(u): f*(f′(u)) = u·f′(u) − f(u); and v* = g_f⁻¹(f′(u)).
		for _, u := range []float64{0.2, 0.9, 1, 2.5, 7} {
			if got, want := d.OptimalRaw(math.Log(u)), d.ActivationInverse(d.OptimalCritic(u, 1)); !near(got, want, 1e-12) {
				t.Errorf("%s: v* at p/q = %g is %g, g_f⁻¹(f′(u)) = %g", d.Name, u, got, want)
			}
			if got, want := d.ConjugateAt(d.FPrime(u)), u*d.FPrime(u)-d.F(u); !near(got, want, 1e-12) {
				t.Errorf("%s: f*(f′(%g)) = %g, u f′(u) − f(u) = %g", d.Name, u, got, want)
			}
		}
		// The critic's loss is the negated bound of BoundTerms.
		real, fake2 := []float64{0.4, -1.2, 2}, []float64{-0.3, 0.8}
		ev, err := graphx.Evaluate(b, func(r, f *Node) *Node { return discriminatorLoss(d, r, f) }, real, fake2)
		if err != nil {
			t.Fatal(err)
		}
		_, _, bound := d.BoundTerms(real, fake2)
		if !near(ev.Value[0], -bound, 1e-12) {
			t.Errorf("%s: critic loss %g, −bound %g", d.Name, ev.Value[0], -bound)
		}
	}
}

func eval(t *testing.T, b compute.Backend, fn func(*Node) *Node, x []float64) []float64 {
	t.Helper()
	ev, err := graphx.Evaluate(b, fn, x)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Value
}

// TestGeneratorGradient checks what the generator descends when the critic
// is optimal: Q_θ = N(μ, σ²), θ = (μ, log σ), samples μ + σε at the N
// quantiles ε of N(0, 1) (a deterministic, accurate expectation), and the
// critic's raw output v*(x) = g_f⁻¹(f′(p/q_θ₀)) frozen at θ₀. The minimax
// loss's gradient is ∇ D_f(P‖Q_θ) (the envelope theorem); the non-saturating
// one's is the gradient of another divergence: the reverse KL for the
// forward-KL game, KL(Q‖P) − 2·JS for the GAN, ½·χ²(Q‖P) for the reverse-KL
// game.
func TestGeneratorGradient(t *testing.T) {
	b := goBackend(t)
	const mP, sP = 0.0, 1.0
	theta0 := []float64{0.4, 0} // σ₀ = σ_P: every density ratio is exp(linear), light-tailed under Q
	const n = 20000
	eps := make([]float64, n)
	for i := range eps {
		eps[i] = math.Sqrt2 * math.Erfinv(2*(float64(i)+0.5)/n-1)
	}
	// r(x) = log p(x) − log q₀(x); v* is r for GAN, forward KL (plus 1) and reverse KL, r/2 for Hellinger, 2(eʳ − 1) for Pearson.
	raw := func(d Divergence, r *Node) *Node {
		switch d.Name {
		case ForwardKL.Name:
			return AddScalar(r, 1)
		case Hellinger.Name:
			return MulScalar(r, 0.5)
		case Pearson.Name:
			return MulScalar(AddScalar(Exp(r), -1), 2)
		}
		return r
	}
	grad := func(d Divergence, kind GeneratorLoss) []float64 {
		ev, err := graphx.Evaluate(b, func(theta, e *Node) *Node {
			mu := Reshape(Slice(theta, AxisElem(0)))
			sigma := Exp(Reshape(Slice(theta, AxisElem(1))))
			x := Add(mu, Mul(sigma, e))
			z0 := DivScalar(AddScalar(x, -theta0[0]), math.Exp(theta0[1]))
			r := Sub(MulScalar(Square(x), -0.5), AddScalar(MulScalar(Square(z0), -0.5), -theta0[1])) // log p − log q₀
			return generatorLoss(d, kind, raw(d, r))
		}, theta0, eps)
		if err != nil {
			t.Fatal(err)
		}
		return ev.Gradients[0]
	}
	numeric := func(div func(m, s float64) float64) []float64 {
		const h = 1e-5
		m, ls := theta0[0], theta0[1]
		return []float64{
			(div(m+h, math.Exp(ls)) - div(m-h, math.Exp(ls))) / (2 * h),
			(div(m, math.Exp(ls+h)) - div(m, math.Exp(ls-h))) / (2 * h),
		}
	}
	js := func(m, s float64) float64 { return (closedForm(t, GAN, mP, sP, m, s) + math.Log(4)) / 2 }
	klQP := func(m, s float64) float64 { return closedForm(t, ReverseKL, mP, sP, m, s) }
	for _, c := range []struct {
		name string
		d    Divergence
		kind GeneratorLoss
		div  func(m, s float64) float64
	}{
		{"GAN minimax → 2·JS", GAN, Minimax, func(m, s float64) float64 { return closedForm(t, GAN, mP, sP, m, s) }},
		{"forward KL minimax → KL(P‖Q)", ForwardKL, Minimax, func(m, s float64) float64 { return closedForm(t, ForwardKL, mP, sP, m, s) }},
		{"reverse KL minimax → KL(Q‖P)", ReverseKL, Minimax, klQP},
		{"Pearson minimax → χ²(P‖Q)", Pearson, Minimax, func(m, s float64) float64 { return closedForm(t, Pearson, mP, sP, m, s) }},
		{"Hellinger minimax → H²", Hellinger, Minimax, func(m, s float64) float64 { return closedForm(t, Hellinger, mP, sP, m, s) }},
		{"forward KL non-saturating → KL(Q‖P)", ForwardKL, NonSaturating, klQP},
		{"GAN non-saturating → KL(Q‖P) − 2·JS", GAN, NonSaturating, func(m, s float64) float64 { return klQP(m, s) - 2*js(m, s) }},
		{"reverse KL non-saturating → ½·χ²(Q‖P)", ReverseKL, NonSaturating, func(m, s float64) float64 { return chi2(m, s, mP, sP) / 2 }},
	} {
		got, want := grad(c.d, c.kind), numeric(c.div)
		for i := range got {
			if math.Abs(got[i]-want[i]) > 2e-3*math.Max(1, math.Abs(want[i])) {
				t.Errorf("%s: gradient %v, ∇ of the divergence %v", c.name, fmt.Sprintf("%.5f", got), fmt.Sprintf("%.5f", want))
				break
			}
		}
	}
}
