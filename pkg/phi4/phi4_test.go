package phi4

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/internal/testbackends"
	"github.com/klcourse/klcourse/pkg/graphx"
)

func randomField(L int, seed uint64, scale float64) []float64 {
	src := rng.New(seed, 1)
	phi := make([]float64, L*L)
	for i := range phi {
		phi[i] = scale * src.Normal()
	}
	return phi
}

// actionByDefinition is the action written term by term as in the package
// doc: Σ_x [Σ_μ φ_x(2φ_x − φ_{x+μ} − φ_{x−μ}) + m²φ_x² + λφ_x⁴].
func actionByDefinition(t Theory, phi []float64) float64 {
	L := t.L
	at := func(i, j int) float64 { return phi[((i+L)%L)*L+(j+L)%L] }
	s := 0.0
	for i := 0; i < L; i++ {
		for j := 0; j < L; j++ {
			p := at(i, j)
			s += p * (2*p - at(i+1, j) - at(i-1, j))
			s += p * (2*p - at(i, j+1) - at(i, j-1))
			s += t.M2*p*p + t.Lambda*p*p*p*p
		}
	}
	return s
}

func TestActionByDefinition(t *testing.T) {
	for _, th := range []Theory{{L: 8, M2: -4, Lambda: 8}, {L: 3, M2: 1.5, Lambda: 0.3}, {L: 5, M2: -1, Lambda: 2}} {
		phi := randomField(th.L, 3, 1.2)
		if got, want := th.Action(phi), actionByDefinition(th, phi); math.Abs(got-want) > 1e-10*math.Abs(want) {
			t.Errorf("%+v: Action = %.12g, by definition %.12g", th, got, want)
		}
	}
	// A constant field: no kinetic term, V(m²φ² + λφ⁴).
	th := Theory{L: 4, M2: -4, Lambda: 8}
	phi := make([]float64, 16)
	for i := range phi {
		phi[i] = 0.5
	}
	if got, want := th.Action(phi), 16*(-4*0.25+8*0.0625); math.Abs(got-want) > 1e-12 {
		t.Errorf("constant field: S = %g, want %g", got, want)
	}
	// One site set to 1: kinetic 4 (two links each way), so S = 4 + m² + λ.
	phi = make([]float64, 16)
	phi[5] = 1
	if got, want := th.Action(phi), 4.0-4+8; math.Abs(got-want) > 1e-12 {
		t.Errorf("single site: S = %g, want %g", got, want)
	}
}

func TestGradientFiniteDifferences(t *testing.T) {
	th := Theory{L: 5, M2: -4, Lambda: 8}
	phi := randomField(th.L, 7, 0.8)
	grad := make([]float64, len(phi))
	s := th.Gradient(phi, grad)
	if math.Abs(s-th.Action(phi)) > 1e-10 {
		t.Fatalf("Gradient returned S = %g, Action = %g", s, th.Action(phi))
	}
	const h = 1e-5
	for i := range phi {
		p := append([]float64(nil), phi...)
		p[i] += h
		up := th.Action(p)
		p[i] -= 2 * h
		down := th.Action(p)
		fd := (up - down) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-5*(1+math.Abs(fd)) {
			t.Errorf("site %d: ∂S/∂φ = %.8g, central difference %.8g", i, grad[i], fd)
		}
	}
}

func TestRoll(t *testing.T) {
	b := testbackends.Go(t)
	ev, err := graphx.Evaluate(b, func(x *graph.Node) *graph.Node { return Roll(x, 1, 1) }, [][]float64{{1, 2, 3}, {4, 5, 6}})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{2, 3, 1, 5, 6, 4} // out[i] = x[i+1]: φ_{x+μ}
	for i := range want {
		if ev.Value[i] != want[i] {
			t.Fatalf("Roll(x, 1, 1) = %v, want %v", ev.Value, want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, bad := range []Theory{{L: 1, M2: 1, Lambda: 1}, {L: 4, M2: -1, Lambda: 0}, {L: 4, M2: 1, Lambda: -1}, {L: 4, M2: math.NaN(), Lambda: 1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v: Validate accepted it", bad)
		}
	}
	if _, err := NewHMC(Theory{L: 4, M2: 1, Lambda: 1}, 0, 5, 1); err == nil {
		t.Error("NewHMC accepted step size 0")
	}
}

// The free field (λ = 0, m² > 0) is Gaussian: S = φᵀ(K + m²)φ with K the
// lattice Laplacian, eigenvalues K_p = Σ_μ 4 sin²(p_μ/2), p_μ = 2πn/L. So
// ⟨φ_x²⟩ = (1/V) Σ_p 1/(2(K_p + m²)) and ⟨M²⟩ = 1/(2m²V).
func TestHMCFreeField(t *testing.T) {
	th := Theory{L: 6, M2: 0.5, Lambda: 0}
	v := float64(th.Volume())
	wantPhi2 := 0.0
	for a := 0; a < th.L; a++ {
		for c := 0; c < th.L; c++ {
			k := 4*math.Pow(math.Sin(math.Pi*float64(a)/float64(th.L)), 2) + 4*math.Pow(math.Sin(math.Pi*float64(c)/float64(th.L)), 2)
			wantPhi2 += 1 / (2 * (k + th.M2))
		}
	}
	wantPhi2 /= v
	wantM2 := 1 / (2 * th.M2 * v)
	h, err := NewHMC(th, 0.2, 5, 11)
	if err != nil {
		t.Fatal(err)
	}
	n := 20000
	if testing.Short() {
		n = 8000
	}
	c, err := h.Run(200, n, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Acceptance < 0.8 {
		t.Errorf("acceptance %.3f at ε = 0.2, want > 0.8", c.Acceptance)
	}
	phi2 := make([]float64, len(c.Configs))
	for i, cfg := range c.Configs {
		for _, p := range cfg {
			phi2[i] += p * p / v
		}
	}
	o, err := Measure(th, c.Configs, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := MeanTau(phi2)
	if math.Abs(e.Mean-wantPhi2) > 4*e.Err {
		t.Errorf("⟨φ²⟩ = %v, exact %.5f", e, wantPhi2)
	}
	if math.Abs(o.M2.Mean-wantM2) > 4*o.M2.Err {
		t.Errorf("⟨M²⟩ = %v, exact %.5f", o.M2, wantM2)
	}
	// G(0) is ⟨φ_x²⟩ − ⟨M⟩², χ₂ = V⟨M²⟩ − V⟨M⟩² = 1/(2m²) − V⟨M⟩².
	if math.Abs(o.G[0]+o.M.Mean*o.M.Mean-e.Mean) > 1e-9 {
		t.Errorf("G(0) + ⟨M⟩² = %g, ⟨φ²⟩ = %g", o.G[0]+o.M.Mean*o.M.Mean, e.Mean)
	}
	if math.Abs(o.Chi2.Mean-1/(2*th.M2)) > 4*o.Chi2.Err+0.01 {
		t.Errorf("χ₂ = %v, exact %.4f", o.Chi2, 1/(2*th.M2))
	}
	sumG := 0.0
	for _, g := range o.G {
		sumG += g
	}
	if math.Abs(sumG-o.Chi2.Mean) > 1e-9*math.Abs(sumG) {
		t.Errorf("Σ_x G(x) = %g, χ₂ = %g", sumG, o.Chi2.Mean)
	}
}

// An AR(1) series x_t = ρ x_{t−1} + ε_t has Γ(t)/Γ(0) = ρ^t and
// τ_int = ½ (1+ρ)/(1−ρ).
func TestTauIntAndBinningOnAR1(t *testing.T) {
	const rho = 0.8
	src := rng.New(5, 2)
	xs := make([]float64, 200000)
	x := 0.0
	for i := range xs {
		x = rho*x + math.Sqrt(1-rho*rho)*src.Normal()
		xs[i] = x + 3
	}
	tau, _ := TauInt(xs)
	want := 0.5 * (1 + rho) / (1 - rho)
	if math.Abs(tau-want) > 0.1*want {
		t.Errorf("τ_int = %.3f, want %.3f", tau, want)
	}
	// The true error of the mean: sqrt(2τ/N) for unit variance.
	trueErr := math.Sqrt(2 * want / float64(len(xs)))
	e, err := MeanTau(xs)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(e.Err-trueErr) > 0.1*trueErr || math.Abs(e.Mean-3) > 5*trueErr {
		t.Errorf("MeanTau = %v (τ %.2f), want 3 ± %.5f", e, e.TauInt, trueErr)
	}
	b, err := MeanBinned(xs, 200)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(b.Err-trueErr) > 0.15*trueErr {
		t.Errorf("binned error %.5f, want %.5f", b.Err, trueErr)
	}
	naive, _ := MeanBinned(xs, 1)
	if naive.Err > 0.5*trueErr {
		t.Errorf("the unbinned error %.5f should underestimate %.5f by sqrt(2τ) = 3", naive.Err, trueErr)
	}
	bs, err := Bootstrap([][]float64{xs}, 200, 300, 1, func(m []float64) float64 { return m[0] })
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(bs.Err-trueErr) > 0.2*trueErr || bs.Mean != Mean(Bins(xs, 200)) {
		t.Errorf("bootstrap %v, want error %.5f", bs, trueErr)
	}
	if _, err := MeanBinned(xs[:3], 2); err == nil {
		t.Error("MeanBinned accepted 1 bin")
	}
}

func TestCorrelatorSum(t *testing.T) {
	phi := randomField(5, 9, 1)
	g := Correlator(5, phi)
	s := 0.0
	for _, v := range g {
		s += v
	}
	m := Magnetisation(phi)
	if math.Abs(s-25*m*m) > 1e-10 {
		t.Errorf("Σ_x g(x) = %g, V·M² = %g", s, 25*m*m)
	}
	if math.Abs(g[0]-actionLessMean(phi)) > 1e-12 {
		t.Errorf("g(0) = %g, mean φ² = %g", g[0], actionLessMean(phi))
	}
}

func actionLessMean(phi []float64) float64 {
	s := 0.0
	for _, p := range phi {
		s += p * p
	}
	return s / float64(len(phi))
}

func TestHistogramAndImage(t *testing.T) {
	c, d := Histogram([]float64{0.1, 0.2, 0.7, 5}, 0, 1, 2)
	if c[0] != 0.25 || c[1] != 0.75 || d[0] != 1 || d[1] != 0.5 {
		t.Errorf("Histogram: centres %v, density %v; want [0.25 0.75], [1 0.5]", c, d)
	}
	img := FieldImage(2, []float64{-1, 0, 0.5, 2}, 1, 3)
	if img.Bounds().Dx() != 6 {
		t.Fatalf("image width %d, want 6", img.Bounds().Dx())
	}
	r, g, b, _ := img.At(0, 0).RGBA() // φ = −1: blue
	if r != 0 || g != 0 || b != 0xffff {
		t.Errorf("φ = −vmax drawn as %d %d %d, want blue", r, g, b)
	}
	r, g, b, _ = img.At(5, 5).RGBA() // φ = 2: saturated red
	if r != 0xffff || g != 0 || b != 0 {
		t.Errorf("φ = 2·vmax drawn as %d %d %d, want red", r, g, b)
	}
}

// localMetropolis is a sampler independent of HMC's code: single-site
// Metropolis updates φ_x → φ_x + δ, δ uniform in ±width, accepted with
// probability min(1, e^{−ΔS}), where ΔS comes from the terms of S that hold
// φ_x, written out by hand: (4 + m²)φ_x² − 2φ_x Σ_{y~x} φ_y + λφ_x⁴ (the
// kinetic sum counts each link from both ends). It returns M after each
// sweep over the lattice, after therm sweeps.
func localMetropolis(th Theory, width float64, therm, sweeps int, seed uint64) []float64 {
	L, V := th.L, th.Volume()
	phi := make([]float64, V)
	src := rng.New(seed, 0x10ca1)
	local := func(x int, v float64) float64 {
		a, b := x/L, x%L
		nb := phi[((a+1)%L)*L+b] + phi[((a+L-1)%L)*L+b] + phi[a*L+(b+1)%L] + phi[a*L+(b+L-1)%L]
		return (4+th.M2)*v*v - 2*v*nb + th.Lambda*v*v*v*v
	}
	var ms []float64
	for sweep := range therm + sweeps {
		for x := range V {
			old, nw := phi[x], phi[x]+width*(2*src.Float64()-1)
			d := local(x, nw) - local(x, old)
			if d <= 0 || src.Float64() < math.Exp(-d) {
				phi[x] = nw
			}
		}
		if sweep >= therm {
			ms = append(ms, Magnetisation(phi))
		}
	}
	return ms
}

// At the lecture's interacting point (L = 8, m² = −4, λ = 8) there is no
// closed form: HMC must agree with an independent sampler.
func TestHMCMatchesLocalMetropolis(t *testing.T) {
	th := Theory{L: 8, M2: -4, Lambda: 8}
	n, sweeps := 60000, 150000
	if testing.Short() {
		n, sweeps = 20000, 50000
	}
	h, err := NewHMC(th, 0.1, 10, 5)
	if err != nil {
		t.Fatal(err)
	}
	c, err := h.Run(500, n, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := Measure(th, c.Configs, 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	ms := localMetropolis(th, 0.8, 2000, sweeps, 9)
	abs, sq := make([]float64, len(ms)), make([]float64, len(ms))
	for i, m := range ms {
		abs[i], sq[i] = math.Abs(m), float64(th.Volume())*m*m
	}
	// Bins of 500 sweeps: well beyond the local sampler's τ_int (tens of sweeps).
	lAbs, _ := MeanBinned(abs, 500)
	lChi, _ := MeanBinned(sq, 500)
	for _, p := range []struct {
		name     string
		hmc, loc Estimate
	}{{"⟨|M|⟩", o.AbsM, lAbs}, {"χ₂", o.Chi2, lChi}} {
		if d := math.Abs(p.hmc.Mean - p.loc.Mean); d > 4*math.Hypot(p.hmc.Err, p.loc.Err) {
			t.Errorf("%s: HMC %v, local Metropolis %v: %.1f standard errors apart", p.name, p.hmc, p.loc, d/math.Hypot(p.hmc.Err, p.loc.Err))
		}
	}
	t.Logf("⟨|M|⟩: HMC %v, local Metropolis %v;  χ₂: HMC %v, local Metropolis %v", o.AbsM, lAbs, o.Chi2, lChi)
}
