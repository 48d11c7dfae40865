package gaussfit

import (
	"math"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/pkg/divergence"
	"github.com/klcourse/klcourse/pkg/mixture"
)

// normals returns n standard normal numbers from a fixed stream.
func normals(n int, seed uint64) []float64 {
	src := rng.New(seed, 0)
	out := make([]float64, n)
	for i := range out {
		out[i] = src.Normal()
	}
	return out
}

func TestNegLogLikelihood(t *testing.T) {
	xs := []float64{-1, 0.5, 2, 3.5}
	loss, err := NegLogLikelihood(xs, NormalFamily)
	if err != nil {
		t.Fatal(err)
	}
	q := Normal{Mu: 1, Sigma: 2}
	want := 0.0
	for _, x := range xs {
		want -= q.Mixture().LogPDF(x) / float64(len(xs))
	}
	if got, _ := evaluate(t, loss, q.Params()); !close(got, want, 1e-13) {
		t.Errorf("NegLogLikelihood = %.15g, want %.15g", got, want)
	}
	checkGradient(t, "NegLogLikelihood", func(th []float64) (float64, []float64) { return evaluate(t, loss, th) }, q.Params())

	xy, _ := mixture.TwoClusters().Sample(200, 5)
	loss2, err := NegLogLikelihood(xy, Normal2DFamily)
	if err != nil {
		t.Fatal(err)
	}
	checkGradient(t, "NegLogLikelihood 2-D", func(th []float64) (float64, []float64) { return evaluate(t, loss2, th) }, []float64{2, 3, 1, 0.5, 0.8})

	if _, err := NegLogLikelihood(xs, Normal2DFamily); err == nil || !strings.Contains(err.Error(), "samples of dimension 1") {
		t.Errorf("1-D samples, 2-D family: err = %v", err)
	}
	if _, err := NegLogLikelihood([]float64{}, NormalFamily); err == nil {
		t.Error("no samples: no error")
	}
	if _, err := NegLogLikelihood([]float64{1, math.Inf(1)}, NormalFamily); err == nil {
		t.Error("an infinite sample: no error")
	}
}

func TestReverseKLSampled(t *testing.T) {
	// P = N(1, 2²), Q = N(0, 1.5²): the estimate against the closed form.
	target, err := MixtureTarget(mixture.Univariate{Components: []mixture.Component{{Weight: 1, Mean: 1, StdDev: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	loss := ReverseKLSampled(target, NormalFamily)
	theta := Normal{Mu: 0, Sigma: 1.5}.Params()
	exact, _ := divergence.KLNormal(0, 1.5, 1, 2, divergence.Nats)
	// The terms log q(x) − log p(x) have a standard deviation below 0.5 here, so
	// with 200 000 samples the standard error is about 0.001.
	got, grad := evaluateSampled(t, loss, theta, normals(200_000, 1))
	if math.Abs(got-exact) > 0.006 {
		t.Errorf("reverse KL estimate = %.5f, closed form %.5f", got, exact)
	}
	// ∂KL/∂μ = μ_q−μ_p over σ_p², ∂KL/∂log σ = σ_q²/σ_p² − 1.
	if math.Abs(grad[0]-(0-1)/4.0) > 0.01 || math.Abs(grad[1]-(2.25/4-1)) > 0.01 {
		t.Errorf("gradient estimate = %v, exact [-0.25 -0.4375]", grad)
	}
	eps := normals(50, 2)
	checkGradient(t, "ReverseKLSampled", func(th []float64) (float64, []float64) { return evaluateSampled(t, loss, th, eps) }, theta)

	target2, err := Mixture2DTarget(mixture.TwoClusters())
	if err != nil {
		t.Fatal(err)
	}
	eps2 := make([][]float64, 40)
	flat := normals(80, 3)
	for i := range eps2 {
		eps2[i] = flat[2*i : 2*i+2]
	}
	loss2 := ReverseKLSampled(target2, Normal2DFamily)
	checkGradient(t, "ReverseKLSampled 2-D", func(th []float64) (float64, []float64) { return evaluateSampled(t, loss2, th, eps2) }, []float64{1, 2, 0.3, 0.4, 0.1})
}
