package mixture

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"gonum.org/v1/gonum/integrate"
)

// reference holds testdata/scipy_reference.json, computed by
// testdata/scipy_reference.py with SciPy 1.10.
type reference struct {
	Bimodal struct {
		XS             []float64 `json:"x"`
		LogPDFs        []float64 `json:"logpdf"`
		Mean, Variance float64
	} `json:"bimodal"`
	TwoClusters mixture2 `json:"two_clusters"`
	Skewed      mixture2 `json:"skewed"`
}

type mixture2 struct {
	Components []struct {
		Weight float64
		Mean   [2]float64
		Cov    [2][2]float64
	}
	Points [][2]float64
	LogPDF []float64 `json:"logpdf"`
	Mean   [2]float64
	Cov    [2][2]float64
}

func (m mixture2) bivariate() Bivariate {
	var b Bivariate
	for _, c := range m.Components {
		b.Components = append(b.Components, Component2{Weight: c.Weight, Mean: c.Mean, Cov: c.Cov})
	}
	return b
}

func loadReference(t *testing.T) reference {
	t.Helper()
	b, err := os.ReadFile("testdata/scipy_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// near reports whether got agrees with want to a relative 1e-12 (absolute
// 1e-12 near zero).
func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-12*math.Max(1, math.Abs(want))
}

func TestLogPDFAgainstSciPy(t *testing.T) {
	ref := loadReference(t)
	bimodal := Bimodal()
	for i, x := range ref.Bimodal.XS {
		if got, want := bimodal.LogPDF(x), ref.Bimodal.LogPDFs[i]; !near(got, want) {
			t.Errorf("Bimodal.LogPDF(%v) = %.17g, SciPy %.17g", x, got, want)
		}
	}
	if !near(bimodal.Mean(), ref.Bimodal.Mean) || !near(bimodal.Variance(), ref.Bimodal.Variance) {
		t.Errorf("Bimodal mean %v variance %v, want %v %v", bimodal.Mean(), bimodal.Variance(), ref.Bimodal.Mean, ref.Bimodal.Variance)
	}
	for name, tc := range map[string]struct {
		m   Bivariate
		ref mixture2
	}{
		"TwoClusters": {TwoClusters(), ref.TwoClusters},
		"skewed":      {ref.Skewed.bivariate(), ref.Skewed},
	} {
		if err := tc.m.Validate(); err != nil {
			t.Fatal(err)
		}
		for i, p := range tc.ref.Points {
			if got, want := tc.m.LogPDF(p[0], p[1]), tc.ref.LogPDF[i]; !near(got, want) {
				t.Errorf("%s.LogPDF(%v) = %.17g, SciPy %.17g", name, p, got, want)
			}
		}
		mean, cov := tc.m.Mean(), tc.m.Cov()
		for j := range 2 {
			if !near(mean[j], tc.ref.Mean[j]) {
				t.Errorf("%s mean %v, want %v", name, mean, tc.ref.Mean)
			}
			for k := range 2 {
				if !near(cov[j][k], tc.ref.Cov[j][k]) {
					t.Errorf("%s covariance %v, want %v", name, cov, tc.ref.Cov)
				}
			}
		}
	}
	// The TwoClusters preset is the mixture the reference was computed for.
	for i, c := range ref.TwoClusters.Components {
		if p := TwoClusters().Components[i]; p.Weight != c.Weight || p.Mean != c.Mean || p.Cov != c.Cov {
			t.Errorf("TwoClusters component %d is %+v, the reference's %+v", i, p, c)
		}
	}
}

// TestTailsStayFinite: far from both modes the density underflows, its
// logarithm must not.
func TestTailsStayFinite(t *testing.T) {
	m := Bimodal()
	if m.PDF(300) != 0 {
		t.Fatalf("PDF(300) = %v; the test needs a point where the density underflows", m.PDF(300))
	}
	if got := m.LogPDF(300); math.IsInf(got, 0) || math.IsNaN(got) {
		t.Errorf("LogPDF(300) = %v", got)
	}
	if got := TwoClusters().LogPDF(-100, 250); math.IsInf(got, 0) || math.IsNaN(got) {
		t.Errorf("LogPDF(-100, 250) = %v", got)
	}
}

func TestDensitiesIntegrateToOne(t *testing.T) {
	xs := Linspace(-40, 50, 18001)
	if got := integrate.Simpsons(xs, Bimodal().PDFs(xs)); math.Abs(got-1) > 1e-10 {
		t.Errorf("∫ Bimodal = %.15f", got)
	}
	// The seed's unnormalised sum of the two densities integrates to 2.
	seed := make([]float64, len(xs))
	n1, n2 := Univariate{Components: []Component{{1, -5, 1}}}, Univariate{Components: []Component{{1, 10, 1}}}
	for i, x := range xs {
		seed[i] = n1.PDF(x) + n2.PDF(x)
	}
	if got := integrate.Simpsons(xs, seed); math.Abs(got-2) > 1e-10 {
		t.Errorf("∫ (N(−5,1) + N(10,1)) = %.15f, want 2", got)
	}

	for name, m := range map[string]Bivariate{"TwoClusters": TwoClusters(), "skewed": loadReference(t).Skewed.bivariate()} {
		gx, gy := Linspace(-20, 30, 1001), Linspace(-20, 30, 1001)
		g := m.Grid(gx, gy)
		rows := make([]float64, len(gy))
		for r := range gy {
			rows[r] = integrate.Simpsons(gx, g.Values[r*len(gx):(r+1)*len(gx)])
		}
		if got := integrate.Simpsons(gy, rows); math.Abs(got-1) > 1e-8 {
			t.Errorf("∫∫ %s = %.12f", name, got)
		}
	}
}

// TestSampleMoments compares sample means and covariances with the exact ones:
// each must lie within 4 standard errors (estimated from the sample).
func TestSampleMoments(t *testing.T) {
	const n = 200000
	x, comp := Bimodal().Sample(n, 1)
	var mean, second float64
	ones := 0
	for i, v := range x {
		mean += v
		second += v * v
		ones += comp[i]
	}
	mean /= n
	variance := second/n - mean*mean
	m := Bimodal()
	if se := math.Sqrt(m.Variance() / n); math.Abs(mean-m.Mean()) > 4*se {
		t.Errorf("sample mean %v, exact %v (standard error %v)", mean, m.Mean(), se)
	}
	// Var of (X−μ)² is E(X−μ)⁴ − σ⁴; estimate it from the sample.
	var m4 float64
	for _, v := range x {
		d := v - mean
		m4 += d * d * d * d
	}
	if se := math.Sqrt((m4/n - variance*variance) / n); math.Abs(variance-m.Variance()) > 4*se {
		t.Errorf("sample variance %v, exact %v (standard error %v)", variance, m.Variance(), se)
	}
	if se := math.Sqrt(0.25 / n); math.Abs(float64(ones)/n-0.5) > 4*se {
		t.Errorf("fraction from component 1: %v, want 0.5", float64(ones)/n)
	}

	for name, mix := range map[string]Bivariate{"TwoClusters": TwoClusters(), "skewed": loadReference(t).Skewed.bivariate()} {
		xy, _ := mix.Sample(n, 2)
		var mu [2]float64
		for _, p := range xy {
			mu[0] += p[0] / n
			mu[1] += p[1] / n
		}
		var cov, sq [2][2]float64
		for _, p := range xy {
			d := [2]float64{p[0] - mu[0], p[1] - mu[1]}
			for j := range 2 {
				for k := range 2 {
					cov[j][k] += d[j] * d[k] / n
					sq[j][k] += d[j] * d[k] * d[j] * d[k] / n
				}
			}
		}
		exactMean, exactCov := mix.Mean(), mix.Cov()
		for j := range 2 {
			if se := math.Sqrt(exactCov[j][j] / n); math.Abs(mu[j]-exactMean[j]) > 4*se {
				t.Errorf("%s: sample mean %v, exact %v", name, mu, exactMean)
			}
			for k := range 2 {
				if se := math.Sqrt((sq[j][k] - cov[j][k]*cov[j][k]) / n); math.Abs(cov[j][k]-exactCov[j][k]) > 4*se {
					t.Errorf("%s: sample covariance[%d][%d] %v, exact %v (standard error %v)", name, j, k, cov[j][k], exactCov[j][k], se)
				}
			}
		}
	}
}

func TestSampleReproducible(t *testing.T) {
	a, _ := TwoClusters().Sample(10, 5)
	b, _ := TwoClusters().Sample(10, 5)
	c, _ := TwoClusters().Sample(10, 6)
	if a[9] != b[9] || a[9] == c[9] {
		t.Error("samples are not determined by the seed")
	}
}

func TestMomentMatchedAndAffine(t *testing.T) {
	m := TwoClusters()
	q := m.MomentMatched()
	if q.Mean() != m.Mean() || q.Cov() != m.Cov() || len(q.Components) != 1 {
		t.Errorf("MomentMatched %+v", q)
	}
	// Density of a·X + b is p((y − b)/a)/|a|² in two dimensions.
	a, b := 0.05, [2]float64{0.3, -0.1}
	s := m.Affine(a, b)
	for _, p := range [][2]float64{{0, 0}, {3, 4}, {9, 9}} {
		y := [2]float64{a*p[0] + b[0], a*p[1] + b[1]}
		if got, want := s.LogPDF(y[0], y[1]), m.LogPDF(p[0], p[1])-2*math.Log(a); !near(got, want) {
			t.Errorf("Affine LogPDF at %v: %v, want %v", y, got, want)
		}
	}
	u := Bimodal().Affine(-2, 1)
	if got, want := u.LogPDF(1-2*3), Bimodal().LogPDF(3)-math.Log(2); !near(got, want) {
		t.Errorf("univariate Affine LogPDF %v, want %v", got, want)
	}
	if !near(Bimodal().MomentMatched().Variance(), Bimodal().Variance()) {
		t.Error("univariate MomentMatched variance")
	}
}

func TestValidate(t *testing.T) {
	if _, err := NewUnivariate(Component{0.5, 0, 1}, Component{0.4, 1, 1}); err == nil {
		t.Error("weights summing to 0.9 accepted")
	}
	if _, err := NewUnivariate(Component{1, 0, 0}); err == nil {
		t.Error("zero standard deviation accepted")
	}
	if _, err := NewBivariate(Component2{Weight: 1, Cov: [2][2]float64{{1, 2}, {2, 1}}}); err == nil {
		t.Error("an indefinite covariance accepted")
	}
	if _, err := NewBivariate(Component2{Weight: 1, Cov: [2][2]float64{{1, 0.5}, {0.4, 1}}}); err == nil {
		t.Error("an asymmetric covariance accepted")
	}
	if err := Bimodal().Validate(); err != nil {
		t.Error(err)
	}
	if err := TwoClusters().Validate(); err != nil {
		t.Error(err)
	}
}

func TestLinspaceAndGrid(t *testing.T) {
	xs := Linspace(-15, 15, 1000)
	if len(xs) != 1000 || xs[0] != -15 || xs[999] != 15 {
		t.Errorf("Linspace ends %v %v", xs[0], xs[len(xs)-1])
	}
	g := TwoClusters().Grid([]float64{0, 1, 2}, []float64{5, 6})
	if c, r := g.Dims(); c != 3 || r != 2 {
		t.Errorf("Dims %d %d", c, r)
	}
	if g.Z(2, 1) != TwoClusters().PDF(2, 6) || g.X(2) != 2 || g.Y(1) != 6 {
		t.Error("Grid value or coordinates wrong")
	}
	if lg := TwoClusters().LogGrid([]float64{2}, []float64{6}); lg.Z(0, 0) != TwoClusters().LogPDF(2, 6) {
		t.Error("LogGrid value wrong")
	}
}

func TestResponsibility(t *testing.T) {
	m, err := NewBivariate(
		Component2{Weight: 0.25, Mean: [2]float64{-3, 0}, Cov: [2][2]float64{{1, 0}, {0, 1}}},
		Component2{Weight: 0.75, Mean: [2]float64{3, 0}, Cov: [2][2]float64{{1, 0}, {0, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	// At x = 0 the ratio of the two terms is the ratio of the weights.
	if k, p := m.Responsibility(0, 5); k != 1 || math.Abs(p-0.75) > 1e-12 {
		t.Errorf("at (0, 5): component %d with %v; want 1 with 0.75", k, p)
	}
	// At x = −3: 0.25 N(0) against 0.75 N(6), by hand.
	want := 0.25 / (0.25 + 0.75*math.Exp(-18))
	if k, p := m.Responsibility(-3, 0); k != 0 || math.Abs(p-want) > 1e-12 {
		t.Errorf("at (−3, 0): component %d with %v; want 0 with %v", k, p, want)
	}
}
