package divergence

import (
	"math"
	"strings"
	"testing"
)

// mixtureLogProb returns the log-density of Σ_k w_k N(means_k, sigmas_k²),
// summed in log space so that it stays finite far in the tails.
func mixtureLogProb(w, means, sigmas []float64) func(x float64) float64 {
	return func(x float64) float64 {
		hi := math.Inf(-1)
		terms := make([]float64, len(w))
		for k := range w {
			terms[k] = math.Log(w[k]) + normalLogProb(means[k], sigmas[k])(x)
			hi = max(hi, terms[k])
		}
		var s float64
		for _, t := range terms {
			s += math.Exp(t - hi)
		}
		return hi + math.Log(s)
	}
}

func TestKLQuadratureNormalAgainstSciPy(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.Normal {
		// 12 standard deviations either side of P's mean, h = σ1/10.
		domain := Interval{c.Mu1 - 12*c.Sigma1, c.Mu1 + 12*c.Sigma1}
		for _, u := range units {
			got, err := KLQuadrature(normalLogProb(c.Mu1, c.Sigma1), normalLogProb(c.Mu2, c.Sigma2), domain, 240, u)
			if err != nil {
				t.Fatalf("KLQuadrature for N(%v, %v²) ‖ N(%v, %v²): %v", c.Mu1, c.Sigma1, c.Mu2, c.Sigma2, err)
			}
			if want := u.FromNats(float64(c.QuadNats)); !near(got, want, 1e-12) {
				t.Errorf("KLQuadrature for N(%v, %v²) ‖ N(%v, %v²) = %.17g %v, scipy.integrate.quad gives %.17g",
					c.Mu1, c.Sigma1, c.Mu2, c.Sigma2, got, u, want)
			}
		}
	}
}

// The bimodal target of seed 002, normalised: P = ½N(−5,1) + ½N(10,1), and
// Q = N(0,1), in both directions.
func TestKLQuadratureMixtureAgainstSciPy(t *testing.T) {
	m := loadReference(t).Mixture1D
	logP := mixtureLogProb(m.Weights, m.Means, m.Sigmas)
	logQ := normalLogProb(m.QMean, m.QSigma)
	// h = 0.025: log p switches from one component to the other around
	// x = 2.5 over a width of about σ²/15 ≈ 0.07, which KL(Q‖P) has to resolve.
	domain, n := Interval{-30, 35}, 2600
	for _, c := range []struct {
		name       string
		logA, logB func(float64) float64
		want       float64
	}{
		{"KL(P‖Q)", logP, logQ, float64(m.KLPQNats)},
		{"KL(Q‖P)", logQ, logP, float64(m.KLQPNats)},
	} {
		got, err := KLQuadrature(c.logA, c.logB, domain, n, Nats)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !near(got, c.want, 1e-12) {
			t.Errorf("%s = %.17g nats, scipy.integrate.quad gives %.17g", c.name, got, c.want)
		}
	}
	// The mixture's components are 15σ apart, so H(P) = H(N(0,1)) + log 2 to
	// within e⁻²⁸ and KL(P‖Q) = ½E[x²] − ½ − log 2 = 31.25 − log 2.
	if got, err := KLQuadrature(logP, logQ, domain, n, Nats); err != nil || !near(got, 31.25-math.Ln2, 1e-12) {
		t.Errorf("KL(P‖Q) = %v, %v; want 31.25 − log 2", got, err)
	}
}

func TestKLQuadratureConvergence(t *testing.T) {
	// Simpson's rule on a smooth integrand that vanishes with its
	// derivatives at both ends converges faster than any power of h: going
	// from h = σ/2 to σ/3, an h⁴ error would shrink 5 times; this one
	// falls to rounding.
	exact, err := KLNormal(0.3, 0.7, -0.5, 1.3, Nats)
	if err != nil {
		t.Fatal(err)
	}
	logP, logQ := normalLogProb(0.3, 0.7), normalLogProb(-0.5, 1.3)
	domain := Interval{0.3 - 10*0.7, 0.3 + 10*0.7}
	for _, c := range []struct {
		n      int
		maxErr float64
	}{{40, 1e-7}, {60, 1e-15}, {120, 1e-15}} {
		got, err := KLQuadrature(logP, logQ, domain, c.n, Nats)
		if err != nil {
			t.Fatalf("n = %d: %v", c.n, err)
		}
		e := math.Abs(got - exact)
		t.Logf("n = %3d, h = %.3fσ: error %.3g", c.n, (domain.Max-domain.Min)/float64(c.n)/0.7, e)
		if e > c.maxErr {
			t.Errorf("n = %d: error %.3g, want at most %.0g", c.n, e, c.maxErr)
		}
	}
	// Too coarse a grid fails the mass check instead of returning a poor value.
	if _, err := KLQuadrature(logP, logQ, domain, 20, Nats); err == nil || !strings.Contains(err.Error(), "n = 20 subintervals are too few") {
		t.Errorf("n = 20, h = σ: error %v; want the mass check to fail", err)
	}
}

func TestKLQuadrature2D(t *testing.T) {
	ref := loadReference(t)
	// Normal densities on the plane against the closed form (checked
	// against NumPy in TestKLMultiNormalAgainstNumPy).
	for _, c := range ref.MultiNormal {
		if len(c.Mu1) != 2 {
			continue
		}
		logP := multiNormalLogProb(t, c.Mu1, c.Cov1)
		logQ := multiNormalLogProb(t, c.Mu2, c.Cov2)
		sx, sy := math.Sqrt(c.Cov1[0][0]), math.Sqrt(c.Cov1[1][1])
		x := Interval{c.Mu1[0] - 12*sx, c.Mu1[0] + 12*sx}
		y := Interval{c.Mu1[1] - 12*sy, c.Mu1[1] + 12*sy}
		got, err := KLQuadrature2D(logP, logQ, x, y, 300, Bits)
		if err != nil {
			t.Fatal(err)
		}
		if want := Bits.FromNats(float64(c.KLNats)); !near(got, want, 1e-11) {
			t.Errorf("KLQuadrature2D for N(%v, %v) ‖ N(%v, %v) = %.17g bits, closed form %.17g", c.Mu1, c.Cov1, c.Mu2, c.Cov2, got, want)
		}
	}
	// The 2-D mixture of seed 003 against its moment-matched Gaussian,
	// integrated by scipy.integrate.dblquad on the same rectangle.
	m := ref.Mixture2D
	comps := make([]func([]float64) float64, len(m.Weights))
	for k := range comps {
		comps[k] = multiNormalLogProb(t, m.Means[k], m.Covs[k])
	}
	logP := func(x []float64) float64 {
		var s float64
		for k, f := range comps {
			s += m.Weights[k] * math.Exp(f(x))
		}
		return math.Log(s)
	}
	logQ := multiNormalLogProb(t, m.QMean, m.QCov)
	got, err := KLQuadrature2D(logP, logQ, Interval{m.Box.X[0], m.Box.X[1]}, Interval{m.Box.Y[0], m.Box.Y[1]}, 400, Nats)
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(m.KLPQNats); !near(got, want, 1e-9) {
		t.Errorf("KLQuadrature2D for the seed-003 mixture = %.17g nats, scipy.integrate.dblquad gives %.17g", got, want)
	}
}

// multiNormalLogProb returns the log-density of the bivariate normal
// N(mu, cov), written out so that the test does not share code with the
// Cholesky path of KLMultiNormal.
func multiNormalLogProb(t *testing.T, mu []float64, cov [][]float64) func(x []float64) float64 {
	a, b, d := cov[0][0], cov[0][1], cov[1][1]
	det := a*d - b*b
	if det <= 0 {
		t.Fatalf("covariance %v is not positive definite", cov)
	}
	ia, ib, id := d/det, -b/det, a/det
	c := -math.Log(2*math.Pi) - 0.5*math.Log(det)
	return func(x []float64) float64 {
		dx, dy := x[0]-mu[0], x[1]-mu[1]
		return c - 0.5*(ia*dx*dx+2*ib*dx*dy+id*dy*dy)
	}
}

func TestKLQuadratureEdgeCases(t *testing.T) {
	logP := normalLogProb(0, 1)
	// q = 0 outside [−40, 40], where p has underflowed to 0: those terms are
	// 0·log 0 = 0, not NaN, and the result is the untruncated KL.
	truncated := func(x float64) float64 {
		if math.Abs(x) > 40 {
			return math.Inf(-1)
		}
		return normalLogProb(0, 2)(x)
	}
	want, err := KLNormal(0, 1, 0, 2, Nats)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := KLQuadrature(logP, truncated, Interval{-50, 50}, 1000, Nats); err != nil || !near(got, want, 1e-13) {
		t.Errorf("q = 0 where p underflows: %v, %v; want %v", got, err, want)
	}
	pt := func(f func(float64) float64) func([]float64) float64 {
		return func(x []float64) float64 { return f(x[0]) + normalLogProb(0, 1)(x[1]) }
	}
	if got, err := KLQuadrature2D(pt(logP), pt(truncated), Interval{-45, 45}, Interval{-10, 10}, 600, Nats); err != nil || !near(got, want, 1e-12) {
		t.Errorf("2-D, q = 0 where p underflows: %v, %v; want %v", got, err, want)
	}
	// q = 0 where p > 0: +Inf.
	halfNormal := func(x float64) float64 {
		if x < 0 {
			return math.Inf(-1)
		}
		return logP(x) + math.Ln2
	}
	if got, err := KLQuadrature(logP, halfNormal, Interval{-10, 10}, 100, Bits); err != nil || !math.IsInf(got, 1) {
		t.Errorf("q = 0 on half of p's support: %v, %v; want +Inf", got, err)
	}

	// Seed 002's target without its ½ weights integrates to 2: not a density.
	unnormalised := func(x float64) float64 {
		return math.Log(math.Exp(normalLogProb(-5, 1)(x)) + math.Exp(normalLogProb(10, 1)(x)))
	}
	nanAt := func(x float64) float64 {
		if x > 0 {
			return math.NaN()
		}
		return logP(x)
	}
	for _, c := range []struct {
		name    string
		logP    func(float64) float64
		logQ    func(float64) float64
		domain  Interval
		n       int
		want    string
		errWant string
	}{
		{"unnormalised p", unnormalised, logP, Interval{-20, 25}, 450, "", "divergence: p integrates to 2 over [-20, 25] (want 1 within 1e-06): p is not normalised"},
		{"domain cuts p", logP, logP, Interval{-2, 2}, 100, "", "divergence: p integrates to 0.9544997"},
		{"odd n", logP, logP, Interval{-10, 10}, 101, "", "divergence: n = 101; want an even number of subintervals"},
		{"n = 0", logP, logP, Interval{-10, 10}, 0, "", "divergence: n = 0; want an even number"},
		{"empty domain", logP, logP, Interval{1, 1}, 10, "", "divergence: domain = [1, 1] is empty; want Min < Max"},
		{"infinite domain", logP, logP, Interval{math.Inf(-1), 1}, 10, "", "divergence: domain.Min = -Inf is not finite"},
		{"NaN log q", logP, nanAt, Interval{-10, 10}, 10, "", "divergence: at x = 2, log q = NaN; want a finite value or -Inf"},
		{"+Inf log p", func(float64) float64 { return math.Inf(1) }, logP, Interval{-10, 10}, 10, "", "divergence: at x = -10, log p = +Inf"},
		{"nil logQ", logP, nil, Interval{-10, 10}, 10, "", "divergence: logP or logQ is nil"},
	} {
		got, err := KLQuadrature(c.logP, c.logQ, c.domain, c.n, Nats)
		if err == nil || !strings.HasPrefix(err.Error(), c.errWant) {
			t.Errorf("%s: %v, %v; want error %q", c.name, got, err, c.errWant)
		}
	}
	id := func(x []float64) float64 { return normalLogProb(0, 1)(x[0]) + normalLogProb(0, 1)(x[1]) }
	if _, err := KLQuadrature2D(id, id, Interval{-10, 10}, Interval{3, -3}, 10, Nats); err == nil ||
		!strings.HasPrefix(err.Error(), "divergence: y = [3, -3] is empty") {
		t.Errorf("2-D with an empty y interval: %v", err)
	}
	if _, err := KLQuadrature2D(id, id, Interval{-10, 10}, Interval{-1, 1}, 100, Nats); err == nil ||
		!strings.HasPrefix(err.Error(), "divergence: p integrates to 0.68") {
		t.Errorf("2-D with a rectangle that cuts p: %v", err)
	}
}
