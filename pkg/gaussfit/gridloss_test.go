package gaussfit

import (
	"math"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/pkg/divergence"
	"github.com/klcourse/klcourse/pkg/mixture"
	"gonum.org/v1/gonum/mat"
)

func TestNewGrid(t *testing.T) {
	g := seedGrid(t)
	if g.Len() != 1000 || !close(g.Cell, 30.0/999, 1e-15) || g.Dim != 1 {
		t.Errorf("seed grid: %d points, cell %g, dimension %d", g.Len(), g.Cell, g.Dim)
	}
	// Bimodal's right component lies 5σ inside the grid's end: 1.4e-7 of its mass is outside.
	if m := g.Mass(); math.Abs(m-1) > 2e-7 {
		t.Errorf("mass on the seed grid = %.10f, want 1 − 1.4e-7", m)
	}
	g2, err := NewGrid2D([]float64{0, 1, 2}, []float64{5, 7}, func(x, y float64) float64 { return -x - y })
	if err != nil {
		t.Fatal(err)
	}
	if g2.Len() != 6 || g2.Cell != 2 || g2.Points[2] != 1 || g2.Points[3] != 5 || g2.Points[6] != 0 || g2.Points[7] != 7 || g2.LogP[4] != -8 {
		t.Errorf("2-D grid: %+v", g2)
	}
	errorCases := []struct {
		name string
		err  error
		want string
	}{
		{"one point", second(NewGrid([]float64{1}, math.Sin)), "xs has 1 points, want at least 2"},
		{"uneven", second(NewGrid([]float64{0, 1, 3}, math.Sin)), "xs is not evenly spaced: xs[1] − xs[0] = 1, the average step is 1.5"},
		{"decreasing", second(NewGrid([]float64{1, 0}, math.Sin)), "want increasing values"},
		{"log p = −Inf", second(NewGrid([]float64{0, 1}, math.Log)), "log p(0) = -Inf"},
		{"nil log p", second(NewGrid([]float64{0, 1}, nil)), "logP is nil"},
		{"uneven ys", second(NewGrid2D([]float64{0, 1}, []float64{0, 2, 3}, func(x, y float64) float64 { return 0 })), "ys is not evenly spaced"},
	}
	for _, c := range errorCases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, c.err, c.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// normalPDF is the density of N(mu, s²) at x.
func normalPDF(x, mu, s float64) float64 {
	z := (x - mu) / s
	return math.Exp(-z*z/2) / (s * math.Sqrt(2*math.Pi))
}

func TestGridLossValues(t *testing.T) {
	grid := seedGrid(t)
	m := mixture.Bimodal()
	domain := divergence.Interval{Min: -15, Max: 15}
	for _, q := range []Normal{{0, 1}, {2.5, 7.5}, {-4, 1.3}} {
		qm := q.Mixture()
		theta := q.Params()
		// The divergences against Simpson's rule on the same interval, on
		// a grid three times finer.
		wantForward, err := divergence.KLQuadrature(m.LogPDF, qm.LogPDF, domain, 3000, divergence.Nats)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := evaluate(t, ForwardKL(grid, NormalFamily), theta); math.Abs(got-wantForward) > 1e-5 {
			t.Errorf("ForwardKL(%v) = %.8f, quadrature %.8f", q, got, wantForward)
		}
		// The reverse KL needs Q's mass on the grid: N(2.5, 7.5²) has 6 % outside.
		if q.Sigma < 2 {
			wantReverse, err := divergence.KLQuadrature(qm.LogPDF, m.LogPDF, domain, 3000, divergence.Nats)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := evaluate(t, ReverseKL(grid, NormalFamily), theta); math.Abs(got-wantReverse) > 1e-5 {
				t.Errorf("ReverseKL(%v) = %.8f, quadrature %.8f", q, got, wantReverse)
			}
		}
		// ∫ N(a, s₁²) N(b, s₂²) = N(a; b, s₁² + s₂²) gives the curve losses in closed form.
		var qp, pp float64
		for _, c := range m.Components {
			qp += c.Weight * normalPDF(q.Mu, c.Mean, math.Hypot(q.Sigma, c.StdDev))
			for _, d := range m.Components {
				pp += c.Weight * d.Weight * normalPDF(c.Mean, d.Mean, math.Hypot(c.StdDev, d.StdDev))
			}
		}
		qq := 1 / (2 * q.Sigma * math.Sqrt(math.Pi))
		if q.Sigma < 2 {
			if got, _ := evaluate(t, SquaredL2(grid, NormalFamily), theta); math.Abs(got-(qq-2*qp+pp)) > 1e-7 {
				t.Errorf("SquaredL2(%v) = %.10f, closed form %.10f", q, got, qq-2*qp+pp)
			}
			if got, _ := evaluate(t, NegCosine(grid, NormalFamily), theta); math.Abs(got+qp/math.Sqrt(qq*pp)) > 1e-7 {
				t.Errorf("NegCosine(%v) = %.10f, closed form %.10f", q, got, -qp/math.Sqrt(qq*pp))
			}
		}
	}
	// Q equal to one component: the cosine is 1/√2, the reverse KL ≈ log 2.
	theta := Normal{Mu: -5, Sigma: 1}.Params()
	if got, _ := evaluate(t, NegCosine(grid, NormalFamily), theta); math.Abs(got+1/math.Sqrt2) > 1e-9 {
		t.Errorf("NegCosine at one component = %.12f, want −1/√2", got)
	}
	if got, _ := evaluate(t, ReverseKL(grid, NormalFamily), theta); math.Abs(got-math.Ln2) > 1e-9 {
		t.Errorf("ReverseKL at one component = %.12f, want log 2", got)
	}
}

func TestGridLossValues2D(t *testing.T) {
	p := Normal2D{Mean: [2]float64{1, 0}, Cov: [2][2]float64{{1, 0.8}, {0.8, 1}}}
	q := Normal2D{Mean: [2]float64{0.5, -0.5}, Cov: [2][2]float64{{1.5, 0.2}, {0.2, 0.7}}}
	xs, ys := mixture.Linspace(-9, 11, 201), mixture.Linspace(-10, 10, 201)
	grid, err := NewGrid2D(xs, ys, p.Mixture().LogPDF)
	if err != nil {
		t.Fatal(err)
	}
	theta, _ := q.Params()
	sym := func(n Normal2D) *mat.SymDense {
		return mat.NewSymDense(2, []float64{n.Cov[0][0], n.Cov[0][1], n.Cov[1][0], n.Cov[1][1]})
	}
	forward, _ := divergence.KLMultiNormal(p.Mean[:], sym(p), q.Mean[:], sym(q), divergence.Nats)
	reverse, _ := divergence.KLMultiNormal(q.Mean[:], sym(q), p.Mean[:], sym(p), divergence.Nats)
	if got, _ := evaluate(t, ForwardKL(grid, Normal2DFamily), theta); math.Abs(got-forward) > 1e-8 {
		t.Errorf("2-D ForwardKL = %.10f, closed form %.10f", got, forward)
	}
	if got, _ := evaluate(t, ReverseKL(grid, Normal2DFamily), theta); math.Abs(got-reverse) > 1e-8 {
		t.Errorf("2-D ReverseKL = %.10f, closed form %.10f", got, reverse)
	}
}

func TestGridLossGradients(t *testing.T) {
	grid := seedGrid(t)
	for name, loss := range map[string]Loss{
		"ForwardKL": ForwardKL(grid, NormalFamily), "ReverseKL": ReverseKL(grid, NormalFamily),
		"SquaredL2": SquaredL2(grid, NormalFamily), "NegCosine": NegCosine(grid, NormalFamily),
	} {
		for _, theta := range [][]float64{{0, 0}, {3, 1.2}, {-4.5, -0.3}} {
			checkGradient(t, name, func(th []float64) (float64, []float64) { return evaluate(t, loss, th) }, theta)
		}
	}
	grid2, err := NewGrid2D(mixture.Linspace(-10, 16, 66), mixture.Linspace(-6, 18, 61), mixture.TwoClusters().LogPDF)
	if err != nil {
		t.Fatal(err)
	}
	for name, loss := range map[string]Loss{"ForwardKL 2-D": ForwardKL(grid2, Normal2DFamily), "ReverseKL 2-D": ReverseKL(grid2, Normal2DFamily)} {
		checkGradient(t, name, func(th []float64) (float64, []float64) { return evaluate(t, loss, th) }, []float64{2, 3, 0.5, 0.7, 0.2})
	}
}

// A Q that spreads far beyond the grid must not look like a good fit to the
// reverse KL: Q is normalised on the grid, so the loss grows with σ there.
func TestReverseKLOffTheGrid(t *testing.T) {
	grid := seedGrid(t)
	atMode, _ := evaluate(t, ReverseKL(grid, NormalFamily), Normal{Mu: 10, Sigma: 1}.Params())
	previous := atMode
	for _, sigma := range []float64{30, 300, 3000} {
		wide, _ := evaluate(t, ReverseKL(grid, NormalFamily), Normal{Mu: 7, Sigma: sigma}.Params())
		if wide < previous {
			t.Errorf("ReverseKL of N(7, %g²) = %g, below %g for a narrower Q", sigma, wide, previous)
		}
		previous = wide
	}
}

func TestGridLossMismatch(t *testing.T) {
	grid := seedGrid(t)
	_, err := Minimize(testBackend(), ForwardKL(grid, Normal2DFamily), []float64{0, 0, 0, 0, 0}, NewAdam(0.1), 1)
	if err == nil || !strings.Contains(err.Error(), "dimension 2") {
		t.Errorf("2-D family on a 1-D grid: err = %v", err)
	}
	_, err = Minimize(testBackend(), ForwardKL(grid, NormalFamily), []float64{0, 0, 0}, NewAdam(0.1), 1)
	if err == nil || !strings.Contains(err.Error(), "float vector of 2 parameters") {
		t.Errorf("3 parameters for NormalFamily: err = %v", err)
	}
}
