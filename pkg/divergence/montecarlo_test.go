package divergence

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distmv"
)

// normalLogProb returns log N(x; mu, sigma²).
func normalLogProb(mu, sigma float64) func(x float64) float64 {
	return func(x float64) float64 {
		z := (x - mu) / sigma
		return -0.5*z*z - math.Log(sigma) - 0.5*math.Log(2*math.Pi)
	}
}

// normalSampler draws from N(mu, sigma²).
func normalSampler(mu, sigma float64) func(rng *rand.Rand) float64 {
	return func(rng *rand.Rand) float64 { return mu + sigma*rng.NormFloat64() }
}

func TestKLMonteCarloNormal(t *testing.T) {
	const mu1, s1, mu2, s2 = 1.0, 2.0, -1.0, 3.0
	exact, err := KLNormal(mu1, s1, mu2, s2, Nats)
	if err != nil {
		t.Fatal(err)
	}
	var prev Estimate
	for i, n := range []int{1_000, 16_000, 256_000} {
		rng := rand.New(rand.NewPCG(42, uint64(n)))
		est, err := KLMonteCarlo(rng, n, normalSampler(mu1, s1), normalLogProb(mu1, s1), normalLogProb(mu2, s2), Nats)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("n = %6d: %v, exact %.6g, off by %.2f standard errors", n, est, exact, (est.Value-exact)/est.StdErr)
		if est.N != n {
			t.Errorf("N = %d, want %d", est.N, n)
		}
		if math.Abs(est.Value-exact) > 3*est.StdErr {
			t.Errorf("n = %d: estimate %v is more than 3 standard errors from the closed form %v", n, est, exact)
		}
		// 16 times the samples: a quarter of the standard error.
		if i > 0 {
			if r := prev.StdErr / est.StdErr; r < 3.6 || r > 4.4 {
				t.Errorf("standard error went from %v to %v with 16× the samples: ratio %.3f, want about 4", prev.StdErr, est.StdErr, r)
			}
		}
		prev = est
	}
}

func TestKLMonteCarloMultiNormal(t *testing.T) {
	// The samples are []float64: the 2-D case of the lecture.
	mu1, mu2 := []float64{0.5, 2}, []float64{2.625, 3.75}
	cov1 := mat.NewSymDense(2, []float64{4, 1.2, 1.2, 1.5})
	cov2 := mat.NewSymDense(2, []float64{19, 15, 15, 15})
	exact, err := KLMultiNormal(mu1, cov1, mu2, cov2, Bits)
	if err != nil {
		t.Fatal(err)
	}
	var chol1, chol2 mat.Cholesky
	if !chol1.Factorize(cov1) || !chol2.Factorize(cov2) {
		t.Fatal("test covariances are not positive definite")
	}
	sample := func(rng *rand.Rand) []float64 { return distmv.NormalRand(nil, mu1, &chol1, rng) }
	logP := func(x []float64) float64 { return distmv.NormalLogProb(x, mu1, &chol1) }
	logQ := func(x []float64) float64 { return distmv.NormalLogProb(x, mu2, &chol2) }
	est, err := KLMonteCarlo(rand.New(rand.NewPCG(3, 4)), 20_000, sample, logP, logQ, Bits)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v bits, exact %.6g bits", est, exact)
	if math.Abs(est.Value-exact) > 3*est.StdErr {
		t.Errorf("estimate %v bits is more than 3 standard errors from the closed form %v bits", est, exact)
	}
}

func TestKLMonteCarloReproducible(t *testing.T) {
	run := func(seed uint64, u Unit) Estimate {
		est, err := KLMonteCarlo(rand.New(rand.NewPCG(seed, 0)), 500, normalSampler(0, 1), normalLogProb(0, 1), normalLogProb(1, 2), u)
		if err != nil {
			t.Fatal(err)
		}
		return est
	}
	a, b, c := run(7, Nats), run(7, Nats), run(8, Nats)
	if a != b {
		t.Errorf("same seed, different estimates: %v and %v", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same estimate %v", a)
	}
	bits := run(7, Bits)
	if !near(bits.Value, a.Value/math.Ln2, 1e-15) || !near(bits.StdErr, a.StdErr/math.Ln2, 1e-15) {
		t.Errorf("estimate in bits %v; want the estimate in nats %v divided by ln 2", bits, a)
	}
}

func TestKLMonteCarloEdgeCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	// q(x) = 0 at a sample of P: KL is +Inf.
	halfNormal := func(x float64) float64 {
		if x < 0 {
			return math.Inf(-1)
		}
		return normalLogProb(0, 1)(x) + math.Ln2
	}
	est, err := KLMonteCarlo(rng, 100, normalSampler(0, 1), normalLogProb(0, 1), halfNormal, Nats)
	if err != nil || !math.IsInf(est.Value, 1) || !math.IsInf(est.StdErr, 1) {
		t.Errorf("q = 0 on half of P's support: %v, %v; want +Inf ± +Inf", est, err)
	}
	sample, logP, logQ := normalSampler(0, 1), normalLogProb(0, 1), normalLogProb(0, 2)
	for _, c := range []struct {
		name string
		run  func() (Estimate, error)
		want string
	}{
		{"sample outside p", func() (Estimate, error) {
			return KLMonteCarlo(rng, 100, sample, halfNormal, logQ, Nats)
		}, "divergence: sample "},
		{"NaN log q", func() (Estimate, error) {
			return KLMonteCarlo(rng, 10, sample, logP, func(float64) float64 { return math.NaN() }, Nats)
		}, "divergence: sample 0, x = "},
		{"nil rng", func() (Estimate, error) { return KLMonteCarlo(nil, 10, sample, logP, logQ, Nats) }, "divergence: rng is nil"},
		{"nil sampler", func() (Estimate, error) { return KLMonteCarlo(rng, 10, nil, logP, logQ, Nats) }, "divergence: sampleP is nil"},
		{"nil logQ", func() (Estimate, error) { return KLMonteCarlo(rng, 10, sample, logP, nil, Nats) }, "divergence: logP or logQ is nil"},
		{"n = 1", func() (Estimate, error) { return KLMonteCarlo(rng, 1, sample, logP, logQ, Nats) }, "divergence: n = 1; want at least 2"},
		{"bad unit", func() (Estimate, error) { return KLMonteCarlo(rng, 10, sample, logP, logQ, Unit(-1)) }, "divergence: unit is Unit(-1)"},
	} {
		est, err := c.run()
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v, %v; want error %q", c.name, est, err, c.want)
		}
	}
}
