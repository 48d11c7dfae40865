package gaussfit

import (
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/klcourse/klcourse/pkg/graphx"
	"github.com/klcourse/klcourse/pkg/mixture"
)

func TestNormalFamilyMatchesMixture(t *testing.T) {
	n := Normal{Mu: 1.5, Sigma: 0.7}
	xs := []float64{-3, 0, 1.5, 2.2, 9}
	ev, err := graphx.Evaluate(testBackend(), NormalFamily.LogPDF, n.Params(), xs)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range xs {
		if want := n.Mixture().LogPDF(x); !close(ev.Value[i], want, 1e-13) {
			t.Errorf("log q(%g) = %.15g, mixture gives %.15g", x, ev.Value[i], want)
		}
	}
	sample, err := graphx.Evaluate(testBackend(), func(theta, eps *Node) *Node { return NormalFamily.Sample(theta, eps) },
		n.Params(), []float64{-1, 0, 2})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{1.5 - 0.7, 1.5, 1.5 + 1.4} {
		if !close(sample.Value[i], want, 1e-14) {
			t.Errorf("sample %d = %g, want μ + σε = %g", i, sample.Value[i], want)
		}
	}
	back, err := NormalFromParams(n.Params())
	if err != nil || !close(back.Mu, n.Mu, 1e-15) || !close(back.Sigma, n.Sigma, 1e-15) {
		t.Errorf("NormalFromParams(Params()) = %v, %v, want %v", back, err, n)
	}
	if got := n.String(); got != "N(1.5000, 0.7000²)" {
		t.Errorf("String() = %q", got)
	}
	if _, err := NormalFromParams([]float64{1}); err == nil {
		t.Error("NormalFromParams of 1 number: no error")
	}
}

func TestNormal2DFamilyMatchesMixture(t *testing.T) {
	n := Normal2D{Mean: [2]float64{1, -2}, Cov: [2][2]float64{{2, 0.9}, {0.9, 1.5}}}
	theta, err := n.Params()
	if err != nil {
		t.Fatal(err)
	}
	points := [][]float64{{1, -2}, {0, 0}, {3.5, -1}, {-2, -5}}
	ev, err := graphx.Evaluate(testBackend(), Normal2DFamily.LogPDF, theta, points)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range points {
		if want := n.Mixture().LogPDF(x[0], x[1]); !close(ev.Value[i], want, 1e-13) {
			t.Errorf("log q(%v) = %.15g, mixture gives %.15g", x, ev.Value[i], want)
		}
	}
	// x = μ + Lε: the Cholesky factor of Σ maps (1, 0) to its first column.
	sample, err := graphx.Evaluate(testBackend(), func(th, eps *Node) *Node { return Normal2DFamily.Sample(th, eps) },
		theta, [][]float64{{1, 0}, {0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	l11 := math.Sqrt(2)
	l21 := 0.9 / l11
	l22 := math.Sqrt(1.5 - l21*l21)
	want := []float64{1 + l11, -2 + l21, 1, -2 + l22}
	for i := range want {
		if !close(sample.Value[i], want[i], 1e-14) {
			t.Errorf("samples = %v, want %v", sample.Value, want)
			break
		}
	}
	back, err := Normal2DFromParams(theta)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		for j := range 2 {
			if !close(back.Cov[i][j], n.Cov[i][j], 1e-14) || !close(back.Mean[i], n.Mean[i], 1e-15) {
				t.Fatalf("Normal2DFromParams(Params()) = %v, want %v", back, n)
			}
		}
	}
	if _, err := (Normal2D{Cov: [2][2]float64{{1, 2}, {2, 1}}}).Params(); err == nil || !strings.Contains(err.Error(), "not positive definite") {
		t.Errorf("indefinite covariance: err = %v", err)
	}
	if _, err := (Normal2D{Cov: [2][2]float64{{1, 0.5}, {0.2, 1}}}).Params(); err == nil || !strings.Contains(err.Error(), "symmetric") {
		t.Errorf("asymmetric covariance: err = %v", err)
	}
	if _, err := Normal2DFromParams([]float64{0, 0, 0, math.NaN(), 0}); err == nil {
		t.Error("Normal2DFromParams with NaN: no error")
	}
}

func TestFamilyShapeErrors(t *testing.T) {
	tests := []struct {
		name, want string
		fn         func(theta, x *Node) *Node
		theta, x   any
	}{
		{"1-D family, 2-D points", "must be shaped [N]", NormalFamily.LogPDF, []float64{0, 0}, [][]float64{{1, 2}}},
		{"1-D family, 3 parameters", "float vector of 2 parameters", NormalFamily.LogPDF, []float64{0, 0, 0}, []float64{1}},
		{"2-D family, 1-D points", "must be shaped [N, 2]", Normal2DFamily.LogPDF, []float64{0, 0, 0, 0, 0}, []float64{1, 2}},
		{"dtypes differ", "must have θ's dtype", NormalFamily.Sample, []float64{0, 0}, []float32{1}},
	}
	for _, tt := range tests {
		_, err := graphx.Evaluate(testBackend(), tt.fn, tt.theta, tt.x)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestMixtureTargets(t *testing.T) {
	m := mixture.Bimodal()
	p, err := MixtureTarget(m)
	if err != nil {
		t.Fatal(err)
	}
	xs := []float64{-40, -5, 2.5, 10, 60} // Far in the tails p underflows; log p must not.
	ev, err := graphx.Evaluate(testBackend(), func(x *Node) *Node { return p(x) }, xs)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range xs {
		if want := m.LogPDF(x); !close(ev.Value[i], want, 1e-13) || math.IsNaN(ev.Gradients[0][i]) {
			t.Errorf("log p(%g) = %.15g (gradient %g), mixture gives %.15g", x, ev.Value[i], ev.Gradients[0][i], want)
		}
	}
	m2 := mixture.TwoClusters()
	p2, err := Mixture2DTarget(m2)
	if err != nil {
		t.Fatal(err)
	}
	points := [][]float64{{0.5, 2}, {9, 9}, {5, 5}, {-30, 40}}
	ev, err = graphx.Evaluate(testBackend(), func(x *Node) *Node { return p2(x) }, points)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range points {
		if want := m2.LogPDF(x[0], x[1]); !close(ev.Value[i], want, 1e-12) {
			t.Errorf("log p(%v) = %.15g, mixture gives %.15g", x, ev.Value[i], want)
		}
	}
	if _, err := MixtureTarget(mixture.Univariate{}); err == nil {
		t.Error("MixtureTarget of an empty mixture: no error")
	}
}
