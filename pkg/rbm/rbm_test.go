package rbm

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/integrate"

	"github.com/klcourse/klcourse/internal/testbackends"
	"github.com/klcourse/klcourse/pkg/graphx"
	"github.com/klcourse/klcourse/pkg/mixture"
)

// randomParams returns an RBM with weights and biases from N(0, scale²);
// sigma nil for a binary RBM.
func randomParams(rng *rand.Rand, visible, hidden int, scale float64, sigma []float64) *Params {
	p := &Params{Visible: visible, Hidden: hidden, W: make([]float64, visible*hidden), B: make([]float64, visible), C: make([]float64, hidden), Sigma: sigma}
	for _, s := range [][]float64{p.W, p.B, p.C} {
		for i := range s {
			s[i] = scale * float64(float32(rng.NormFloat64())) // float32-exact, for the graph tests
		}
	}
	return p
}

// states returns all 2^n binary vectors.
func states(n int) [][]float64 {
	out := make([][]float64, 1<<n)
	for k := range out {
		out[k] = make([]float64, n)
		for i := range n {
			out[k][i] = float64(k >> i & 1)
		}
	}
	return out
}

// TestFreeEnergyDirectSum: F(v) = −log Σ_h exp(−E(v, h)), the sum taken over
// all hidden states, for binary and Gaussian visible units.
func TestFreeEnergyDirectSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sigma := range [][]float64{nil, {0.5, 1, 2, 0.8}} {
		p := randomParams(rng, 4, 5, 1.5, sigma)
		for _, v := range [][]float64{{0, 0, 0, 0}, {1, 0, 1, 1}, {1, 1, 1, 1}, {0.3, -1.2, 2.5, 0.1}} {
			var terms []float64
			for _, h := range states(p.Hidden) {
				terms = append(terms, -p.Energy(v, h))
			}
			want := -floats.LogSumExp(terms)
			if got := p.FreeEnergy(v); math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("σ = %v: F(%v) = %.15g, direct sum %.15g", sigma, v, got, want)
			}
		}
	}
}

// TestLogZExactBruteForce: the enumeration over hidden states agrees with the
// sum over visible and hidden states (binary), and with quadrature over v
// (Gaussian), for hidden layers below and above the 6 bits LogZExact splits
// between its workers.
func TestLogZExactBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, shape := range [][2]int{{5, 4}, {3, 9}} {
		p := randomParams(rng, shape[0], shape[1], 1, nil)
		var terms []float64
		for _, v := range states(p.Visible) {
			for _, h := range states(p.Hidden) {
				terms = append(terms, -p.Energy(v, h))
			}
		}
		want := floats.LogSumExp(terms)
		got, err := p.LogZExact()
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-10 {
			t.Errorf("binary %d×%d: LogZExact = %.12g, brute force over v and h %.12g", p.Visible, p.Hidden, got, want)
		}
	}
	// Gaussian, one visible unit: Simpson's rule over v for each h.
	p := randomParams(rng, 1, 7, 0.8, []float64{0.7})
	var terms []float64
	const lo, hi, n = -30.0, 30.0, 60000
	vs := floats.Span(make([]float64, n+1), lo, hi)
	fs := make([]float64, len(vs))
	for _, h := range states(p.Hidden) {
		for k, v := range vs {
			fs[k] = math.Exp(-p.Energy([]float64{v}, h))
		}
		terms = append(terms, math.Log(integrate.Simpsons(vs, fs)))
	}
	want := floats.LogSumExp(terms)
	got, err := p.LogZExact()
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-8 {
		t.Errorf("Gaussian: LogZExact = %.12g, quadrature %.12g", got, want)
	}
	if _, err := randomParams(rng, 2, MaxExactHidden+1, 1, nil).LogZExact(); err == nil {
		t.Errorf("LogZExact with %d hidden units: no error", MaxExactHidden+1)
	}
}

// TestGraph: the graph's free energy matches Params.FreeEnergy, and the
// gradient of the CD loss is the closed form
// ∂/∂W = −mean v p(h|v)ᵀ + mean v' p(h|v')ᵀ (and likewise b, c).
func TestGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, be := range testbackends.List(t) {
		for _, sigma := range [][]float64{nil, {0.5, 1, 2}} {
			p := randomParams(rng, 3, 4, 1, sigma)
			v := [][]float32{{0, 1, 1}, {1, 0, 1}}
			neg := [][]float32{{1, 1, 0}, {0, 0, 1}}
			if sigma != nil {
				v = [][]float32{{0.5, -1, 2}, {1.5, 0, -0.25}}
			}
			store, err := NewStore(p, 1)
			if err != nil {
				t.Fatal(err)
			}
			m := p.Model()
			out, err := model.CallOnceN(be.Backend, store, func(scope *model.Scope, v, neg *Node) []*Node {
				loss := m.Loss(scope, v, neg)
				w, b, c := m.vars(scope, v.Graph())
				return append([]*Node{m.FreeEnergy(scope, v), loss}, Gradient(loss, w, b, c)...)
			}, v, neg)
			if err != nil {
				t.Fatal(err)
			}
			free := tensors.MustCopyFlatData[float32](out[0])
			wantGrad := [3][]float64{make([]float64, 12), make([]float64, 3), make([]float64, 4)}
			wantLoss := 0.0
			for n := range v {
				for sign, x32 := range map[float64][]float32{-0.5: v[n], 0.5: neg[n]} {
					x := make([]float64, 3)
					for i := range x {
						x[i] = float64(x32[i])
					}
					wantLoss -= sign * p.FreeEnergy(x)
					in := p.HiddenInput(x)
					for i := range 3 {
						xi := x[i]
						if sigma != nil {
							xi /= sigma[i] * sigma[i]
							wantGrad[1][i] += sign * (x[i] - p.B[i]) / (sigma[i] * sigma[i])
						} else {
							wantGrad[1][i] += sign * x[i]
						}
						for j := range 4 {
							wantGrad[0][i*4+j] += sign * xi / (1 + math.Exp(-in[j]))
						}
					}
					for j := range 4 {
						wantGrad[2][j] += sign / (1 + math.Exp(-in[j]))
					}
				}
				x := make([]float64, 3)
				for i := range x {
					x[i] = float64(v[n][i])
				}
				if want := p.FreeEnergy(x); math.Abs(float64(free[n])-want) > 1e-5*math.Max(1, math.Abs(want)) {
					t.Errorf("%s σ=%v: graph F = %g, Params.FreeEnergy %g", be.Name, sigma, free[n], want)
				}
			}
			if got := float64(tensors.ToScalar[float32](out[1])); math.Abs(got-wantLoss) > 1e-5 {
				t.Errorf("%s σ=%v: loss %g, want %g", be.Name, sigma, got, wantLoss)
			}
			for k, name := range []string{"W", "b", "c"} {
				got := tensors.MustCopyFlatData[float32](out[2+k])
				for i := range got {
					if math.Abs(float64(got[i])-wantGrad[k][i]) > 1e-5 {
						t.Errorf("%s σ=%v: ∂loss/∂%s[%d] = %g, want %g", be.Name, sigma, name, i, got[i], wantGrad[k][i])
					}
				}
			}
		}
	}
}

// checkAIS compares AIS with the exact log Z: the exact value must lie within
// the stated ±3σ interval (widened by 0.01 nats for the float32 chains).
func checkAIS(t *testing.T, name string, p *Params, base []float64, betas []float64, chains int) AISResult {
	t.Helper()
	exact, err := p.LogZExact()
	if err != nil {
		t.Fatal(err)
	}
	b := testbackends.Go(t)
	r, err := AIS(b, p, AISConfig{Betas: betas, Chains: chains, Base: base, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: exact log Z = %.4f, AIS %s, stderr %.4f", name, exact, r, r.StdErr)
	if exact < r.Lower-0.01 || exact > r.Upper+0.01 {
		t.Errorf("%s: exact log Z = %.4f is outside the AIS interval [%.4f, %.4f] (estimate %.4f)", name, exact, r.Lower, r.Upper, r.LogZ)
	}
	if r.StdErr > 0.2 {
		t.Errorf("%s: AIS standard error %.3f is too large to test anything", name, r.StdErr)
	}
	return r
}

// TestAISRandom: AIS agrees with the exact log Z of random RBMs.
func TestAISRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	p := randomParams(rng, 24, 10, 0.6, nil)
	checkAIS(t, "random 24×10, zero base", p, nil, Schedule(100, 400, 500), 100)
	// A wrong log Z must be caught: shift the biases so that the true log Z
	// changes by Σ log terms, and compare with the old estimate.
	if testing.Short() {
		return
	}
	q := randomParams(rng, 30, 12, 1.0, nil)
	base := make([]float64, 30)
	for i := range base {
		base[i] = q.B[i]
	}
	checkAIS(t, "random 30×12 (weights N(0,1)), base from b", q, base, Schedule(200, 800, 1000), 100)
}

// TestAISTrained: AIS on an RBM trained by CD-1 and by PCD on a toy data set
// (noisy copies of 4 patterns of 25 pixels), with the base rates of the data.
func TestAISTrained(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	const V, H, N = 25, 12, 640
	patterns := make([][]float32, 4)
	for k := range patterns {
		patterns[k] = make([]float32, V)
		for i := range V {
			if rng.Float64() < 0.5 {
				patterns[k][i] = 1
			}
		}
	}
	data := make([]float32, 0, N*V)
	for n := range N {
		for _, x := range patterns[n%4] {
			if rng.Float64() < 0.05 {
				x = 1 - x
			}
			data = append(data, x)
		}
	}
	base, err := BaseRates(data, V)
	if err != nil {
		t.Fatal(err)
	}
	b := testbackends.Go(t)
	for _, cfg := range []Config{
		{Method: CD, K: 1, LearningRate: 0.1, BatchSize: 32, Seed: 1},
		{Method: PCD, K: 1, LearningRate: 0.1, BatchSize: 32, Seed: 1},
	} {
		tr, err := NewTrainer(b, Init(V, H, 3), cfg)
		if err != nil {
			t.Fatal(err)
		}
		var first, last EpochStats
		for e := range 30 {
			s, err := tr.Epoch(data)
			if err != nil {
				t.Fatal(err)
			}
			if e == 0 {
				first = s
			}
			last = s
		}
		if cfg.Method == CD && !(last.ReconError < 0.5*first.ReconError) {
			t.Errorf("%s: the reconstruction error went from %.3f to %.3f, want at least halved", cfg.Name(), first.ReconError, last.ReconError)
		}
		p, err := tr.Params()
		if err != nil {
			t.Fatal(err)
		}
		r := checkAIS(t, "trained "+cfg.Name(), p, base, Schedule(100, 400, 1000), 100)
		// The trained model must beat the base-rate model on its data.
		ll, err := p.MeanLogLikelihood(toFloat64(data), r.LogZ)
		if err != nil {
			t.Fatal(err)
		}
		baseP := &Params{Visible: V, Hidden: 1, W: make([]float64, V), B: base, C: []float64{0}}
		baseZ, _ := baseP.LogZExact()
		baseLL, _ := baseP.MeanLogLikelihood(toFloat64(data), baseZ)
		t.Logf("%s: mean log-likelihood %.3f nats, base-rate model %.3f", cfg.Name(), ll, baseLL)
		if !(ll > baseLL+3) {
			t.Errorf("%s: log-likelihood %.3f is not clearly above the base-rate model's %.3f", cfg.Name(), ll, baseLL)
		}
	}
}

// TestScanLearningRate: on the two-cluster data (coordinates up to about 12)
// a Gaussian–binary RBM with σ = 1 diverges within two epochs at a learning rate of 4
// and trains at 0.01; the scan reports both, and an error when all diverge.
func TestScanLearningRate(t *testing.T) {
	be := testbackends.List(t)[0]
	xy, _ := mixture.TwoClusters().Sample(640, 1)
	var data []float32
	for _, p := range xy {
		data = append(data, float32(p[0]), float32(p[1]))
	}
	init := Init(2, 10, 1)
	init.Sigma = []float64{1, 1}
	cfg := Config{Method: CD, K: 1, BatchSize: 64, Seed: 1}
	scan, err := ScanLearningRate(be.Backend, init, cfg, data, 3, []float64{0.01, 4})
	if err != nil {
		t.Fatal(err)
	}
	if scan.Stable != 0.01 || scan.Diverged != 4 || scan.DivergedEpoch < 1 || scan.DivergedEpoch > 3 {
		t.Errorf("scan %+v; want stable 0.01, diverged 4 within the 3 epochs", scan)
	}
	if _, err := ScanLearningRate(be.Backend, init, cfg, data, 3, []float64{4, 8}); err == nil {
		t.Error("no error when every rate diverged")
	}
}

// TestAISWeightStep: one annealing step adds exactly log p*_β(v) −
// log p*_β'(v) to each chain's log-weight, with p*_β(v) =
// e^{(1−β) b_A·v + β b·v} Π_j (1 + e^{β x_j}), here computed from its
// definition in float64 (two softplus per hidden unit), on every backend.
// The weights are multiples of 1/16, so that the graph's float32 x = c + vW
// is exact. Small steps, as in the paper's schedule, must then be exact to
// float32's relative precision of each unit's change (a float32 difference of
// the two softplus values, or e^{−δ} − 1 or log(1 + y) formed directly, would
// not be); coarse steps, with hidden inputs x of tens (weights N(0, 3²)) and
// of hundreds (N(0, 30²), where e^{|Δβ x|} overflows float32), to float32's
// precision of the softplus values; and a step from β to β changes nothing.
func TestAISWeightStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	const V, H, chains = 40, 16, 6
	base := make([]float64, V)
	for i := range base {
		base[i] = float64(float32(rng.NormFloat64()))
	}
	v := make([]float32, chains*V)
	for i := range v {
		if rng.Float64() < 0.5 {
			v[i] = 1
		}
	}
	small := [][2]float64{{0, 0.001}, {0.5, 0.5001}, {0.95, 0.95001}, {0.99999, 1}, {1, 1}}
	coarse := [][2]float64{{0, 0.2}, {0.3, 0.5}, {0.2, 0.9}, {0, 1}}
	for _, b := range testbackends.List(t) {
		for _, scale := range []float64{3, 30} {
			p := randomParams(rng, V, H, scale, nil)
			for _, xs := range [][]float64{p.W, p.B, p.C} {
				for i := range xs {
					xs[i] = math.Round(xs[i]*16) / 16
				}
			}
			for _, step := range append(small, coarse...) {
				run, err := newAISRun(b.Backend, p, base, chains, 1, 5)
				if err != nil {
					t.Fatal(err)
				}
				run.v = tensors.FromFlatDataAndDimensions(v, chains, V)
				if err := run.advance(step[:]); err != nil {
					t.Fatal(err)
				}
				got := tensors.MustCopyFlatData[float64](run.logw)
				for n := range chains {
					vn := v[n*V : (n+1)*V]
					// size sums the softplus values, change the units' changes.
					want, size, change := 0.0, 0.0, 0.0
					for j := range H {
						x := p.C[j]
						for i := range V {
							x += float64(vn[i]) * p.W[i*H+j]
						}
						hi, lo := graphx.Softplus64(step[1]*x), graphx.Softplus64(step[0]*x)
						want += hi - lo
						size += hi + lo
						change += math.Abs(hi - lo)
					}
					visible := 0.0
					for i := range V {
						visible += (step[1] - step[0]) * (p.B[i] - base[i]) * float64(vn[i])
					}
					want += visible
					tol := 2e-6*change + 1e-12 // each unit's change, to float32's precision
					if step[1]-step[0] > 0.01 {
						tol = 1e-6*size + 1e-12 // the softplus values, to float32's precision
					}
					if d := math.Abs(got[n] - want); !(d <= tol) {
						t.Errorf("%s: weights N(0, %g²), β %g → %g, chain %d: log w gains %.12g, want %.12g (off by %.3g, tolerance %.3g)",
							b.Name, scale, step[0], step[1], n, got[n], want, d, tol)
					}
				}
			}
		}
	}
}
