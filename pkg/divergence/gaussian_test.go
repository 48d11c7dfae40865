package divergence

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestKLNormalAgainstReference(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.Normal {
		for _, u := range units {
			got, err := KLNormal(c.Mu1, c.Sigma1, c.Mu2, c.Sigma2, u)
			if err != nil {
				t.Fatalf("KLNormal(%v, %v, %v, %v): %v", c.Mu1, c.Sigma1, c.Mu2, c.Sigma2, err)
			}
			// The closed form evaluated by NumPy, and the same KL integrated
			// by scipy.integrate.quad: an independent check of the formula.
			for _, want := range []float64{float64(c.ClosedNats), float64(c.QuadNats)} {
				if want = u.FromNats(want); !near(got, want, 1e-13) {
					t.Errorf("KLNormal(%v, %v, %v, %v, %v) = %.17g, want %.17g",
						c.Mu1, c.Sigma1, c.Mu2, c.Sigma2, u, got, want)
				}
			}
		}
	}
}

func TestKLNormalErrors(t *testing.T) {
	for _, c := range []struct {
		mu1, s1, mu2, s2 float64
		want             string
	}{
		{0, 0, 0, 1, "divergence: sigma1 = 0 is not positive; want a standard deviation > 0"},
		{0, 1, 0, -2, "divergence: sigma2 = -2 is not positive"},
		{math.NaN(), 1, 0, 1, "divergence: mu1 is NaN"},
		{0, 1, math.Inf(-1), 1, "divergence: mu2 = -Inf is not finite"},
		{0, math.Inf(1), 0, 1, "divergence: sigma1 = +Inf is not finite"},
	} {
		got, err := KLNormal(c.mu1, c.s1, c.mu2, c.s2, Nats)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("KLNormal(%v, %v, %v, %v) = %v, %v; want error %q", c.mu1, c.s1, c.mu2, c.s2, got, err, c.want)
		}
	}
}

// dense returns rows as a general (not mat.Symmetric) matrix.
func dense(rows [][]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

// sym returns rows, which must be symmetric, as a *mat.SymDense.
func sym(rows [][]float64) *mat.SymDense {
	s := mat.NewSymDense(len(rows), nil)
	for i, r := range rows {
		for j := i; j < len(r); j++ {
			s.SetSym(i, j, r[j])
		}
	}
	return s
}

func TestKLMultiNormalAgainstNumPy(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.MultiNormal {
		for _, u := range units {
			want := u.FromNats(float64(c.KLNats))
			// Through both paths: mat.Symmetric, and a general matrix checked
			// for symmetry.
			for _, m := range []struct {
				kind       string
				cov1, cov2 mat.Matrix
			}{{"SymDense", sym(c.Cov1), sym(c.Cov2)}, {"Dense", dense(c.Cov1), dense(c.Cov2)}} {
				got, err := KLMultiNormal(c.Mu1, m.cov1, c.Mu2, m.cov2, u)
				if err != nil {
					t.Fatalf("KLMultiNormal(%v, %v, %v, %v) with %s: %v", c.Mu1, c.Cov1, c.Mu2, c.Cov2, m.kind, err)
				}
				if !near(got, want, 1e-13) {
					t.Errorf("KLMultiNormal(%v, %v, %v, %v, %v) with %s = %.17g, NumPy gives %.17g",
						c.Mu1, c.Cov1, c.Mu2, c.Cov2, u, m.kind, got, want)
				}
			}
		}
	}
}

func TestKLMultiNormalProperties(t *testing.T) {
	// One dimension: the univariate closed form, with variances on the diagonal.
	got, err := KLMultiNormal([]float64{1}, sym([][]float64{{4}}), []float64{-1}, sym([][]float64{{0.25}}), Nats)
	want, err2 := KLNormal(1, 2, -1, 0.5, Nats)
	if err != nil || err2 != nil || !near(got, want, 1e-14) {
		t.Errorf("1-D KLMultiNormal = %v (%v), KLNormal = %v (%v); want equal", got, err, want, err2)
	}
	// Independent coordinates: the sum of the univariate divergences.
	mu1, sd1 := []float64{0, 3, -1}, []float64{1, 0.5, 2}
	mu2, sd2 := []float64{1, 3, 2}, []float64{2, 0.7, 1}
	var sum float64
	for i := range mu1 {
		d, err := KLNormal(mu1[i], sd1[i], mu2[i], sd2[i], Bits)
		if err != nil {
			t.Fatal(err)
		}
		sum += d
	}
	diag := func(sd []float64) *mat.DiagDense {
		v := make([]float64, len(sd))
		for i, s := range sd {
			v[i] = s * s
		}
		return mat.NewDiagDense(len(v), v)
	}
	got, err = KLMultiNormal(mu1, diag(sd1), mu2, diag(sd2), Bits)
	if err != nil || !near(got, sum, 1e-14) {
		t.Errorf("KLMultiNormal with diagonal covariances = %v, %v; want the sum of univariate KLs %v", got, err, sum)
	}
	// KL(P‖P) = 0.
	cov := sym([][]float64{{2, 0.5, 0.1}, {0.5, 1, -0.3}, {0.1, -0.3, 0.8}})
	if got, err := KLMultiNormal(mu1, cov, mu1, cov, Nats); err != nil || got > 1e-15 {
		t.Errorf("KL(P‖P) = %v, %v; want 0", got, err)
	}
}

func TestKLMultiNormalErrors(t *testing.T) {
	id2 := sym([][]float64{{1, 0}, {0, 1}})
	mu2 := []float64{0, 0}
	for _, c := range []struct {
		name string
		mu1  []float64
		cov1 mat.Matrix
		mu2  []float64
		cov2 mat.Matrix
		want string
	}{
		{"empty mean", nil, id2, mu2, id2, "divergence: mu1 is empty"},
		{"mean lengths", []float64{0, 0, 0}, id2, mu2, id2, "divergence: mu1 has 3 entries and mu2 has 2; want the same dimension"},
		{"covariance size", mu2, sym([][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}), mu2, id2, "divergence: mu1 has 2 entries but cov1 is 3×3; want 2×2"},
		{"not square", mu2, id2, mu2, mat.NewDense(2, 3, nil), "divergence: cov2 is 2×3; want a square covariance matrix"},
		{"nil covariance", mu2, nil, mu2, id2, "divergence: cov1 is nil"},
		{"not symmetric", mu2, dense([][]float64{{1, 0.3}, {0.2, 1}}), mu2, id2,
			"divergence: cov1 is not symmetric: cov1[0][1] = 0.3 but cov1[1][0] = 0.2"},
		{"not positive definite", mu2, id2, mu2, sym([][]float64{{1, 2}, {2, 1}}), "divergence: cov2 is not positive definite"},
		{"singular", mu2, sym([][]float64{{1, 1}, {1, 1}}), mu2, id2, "divergence: cov1 is not positive definite"},
		{"ill-conditioned", mu2, id2, mu2, sym([][]float64{{1, 0}, {0, 1e-17}}), "divergence: cov2 is numerically singular"},
		{"NaN mean", []float64{0, math.NaN()}, id2, mu2, id2, "divergence: mu1[1] is NaN"},
		{"Inf covariance", mu2, id2, mu2, sym([][]float64{{1, 0}, {0, math.Inf(1)}}), "divergence: cov2[1][1] = +Inf is not finite"},
	} {
		got, err := KLMultiNormal(c.mu1, c.cov1, c.mu2, c.cov2, Nats)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: KLMultiNormal = %v, %v; want error %q", c.name, got, err, c.want)
		}
	}
	// Asymmetry within SymmetryTolerance is rounding, and accepted.
	almost := dense([][]float64{{2, 0.3}, {0.3 * (1 + 1e-12), 1}})
	if _, err := KLMultiNormal(mu2, almost, mu2, id2, Nats); err != nil {
		t.Errorf("covariance symmetric up to 1e-12: %v", err)
	}
}
