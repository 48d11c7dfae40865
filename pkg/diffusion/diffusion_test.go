package diffusion

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/internal/testbackends"
	"github.com/klcourse/klcourse/pkg/mixture"
)

type reference struct {
	Linear, Cosine struct {
		T        []int     `json:"t"`
		Beta     []float64 `json:"beta"`
		AlphaBar []float64 `json:"alpha_bar"`
	}
	Posterior []struct {
		T    int       `json:"t"`
		Mean []float64 `json:"mean"`
		Var  float64   `json:"var"`
	} `json:"posterior"`
	PriorKL []struct {
		X0 []float64 `json:"x0"`
		KL float64   `json:"kl"`
	} `json:"prior_kl"`
	StepKL []struct {
		T  int     `json:"t"`
		KL float64 `json:"kl"`
	} `json:"step_kl"`
	Reconstruction struct {
		NLL float64 `json:"nll"`
	} `json:"reconstruction"`
	Embedding struct {
		Frequencies int         `json:"frequencies"`
		T           []float64   `json:"t"`
		E           [][]float64 `json:"e"`
	} `json:"embedding"`
}

func loadReference(t *testing.T) reference {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if !(math.Abs(got-want) <= tol*max(1, math.Abs(want))) {
		t.Errorf("%s = %.12g, want %.12g (tolerance %g)", what, got, want, tol)
	}
}

func TestSchedulesAgainstNumPy(t *testing.T) {
	ref := loadReference(t)
	cos, err := Cosine(1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		s    *Schedule
		want struct {
			T        []int     `json:"t"`
			Beta     []float64 `json:"beta"`
			AlphaBar []float64 `json:"alpha_bar"`
		}
	}{{"linear", DDPM(), ref.Linear}, {"cosine", cos, ref.Cosine}} {
		if c.s.T() != 1000 || c.s.AlphaBar[0] != 1 || c.s.Beta[0] != 0 {
			t.Errorf("%s: T = %d, ᾱ_0 = %v, β_0 = %v", c.name, c.s.T(), c.s.AlphaBar[0], c.s.Beta[0])
		}
		for i, step := range c.want.T {
			near(t, c.name+" β", c.s.Beta[step], c.want.Beta[i], 1e-12)
			near(t, c.name+" ᾱ", c.s.AlphaBar[step], c.want.AlphaBar[i], 1e-10)
		}
	}
}

func TestPosteriorAgainstBayes(t *testing.T) {
	ref := loadReference(t)
	s := DDPM()
	for _, p := range ref.Posterior {
		c0, ct, v := s.Posterior(p.T)
		near(t, "β̃", v, p.Var, 1e-10)
		x0, xt := []float64{0.8, -1.1}, []float64{0.3, 0.5}
		for d := range 2 {
			near(t, "μ̃", c0*x0[d]+ct*xt[d], p.Mean[d], 1e-9)
		}
	}
	if c0, ct, v := s.Posterior(1); math.Abs(c0-1) > 1e-12 || ct != 0 || v != 0 {
		t.Errorf("q(x_0 | x_1, x_0): c0 = %v, ct = %v, β̃ = %v; want the point mass at x_0 (1, 0, 0)", c0, ct, v)
	}
}

func TestELBOTermsAgainstQuadrature(t *testing.T) {
	ref := loadReference(t)
	s := DDPM()
	for _, p := range ref.PriorKL {
		kl, err := s.PriorKL(p.X0)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "prior KL", kl, p.KL, 1e-7)
	}
	x0, xt, eps := []float64{0.8, -1.1}, []float64{0.3, 0.5}, []float64{0.4, -1.2}
	for _, p := range ref.StepKL {
		kl, err := s.StepKL(p.T, x0, xt, eps, BetaVariance)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "step KL", kl, p.KL, 1e-6)
	}
	nll, err := s.Reconstruction(x0, []float64{0.81, -1.09}, eps)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "reconstruction", nll, ref.Reconstruction.NLL, 1e-9)
	if _, err := s.StepKL(1, x0, xt, eps, BetaVariance); err == nil {
		t.Error("StepKL(1, …) gave no error; t = 1 is the reconstruction term")
	}
}

// The step KL is the weighted squared error of the noise plus a constant:
// L_{t−1} = w_t‖ε − ε_θ‖² + C_t when x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε.
func TestStepKLIsWeightedEpsError(t *testing.T) {
	s := DDPM()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, v := range []Variance{BetaVariance, PosteriorVariance} {
		for _, step := range []int{2, 3, 50, 400, 1000} {
			x0 := []float64{rng.NormFloat64(), rng.NormFloat64()}
			eps := []float64{rng.NormFloat64(), rng.NormFloat64()}
			pred := []float64{eps[0] + 0.3*rng.NormFloat64(), eps[1] + 0.3*rng.NormFloat64()}
			a, b := s.Marginal(step)
			xt := []float64{a*x0[0] + b*eps[0], a*x0[1] + b*eps[1]}
			kl, err := s.StepKL(step, x0, xt, pred, v)
			if err != nil {
				t.Fatal(err)
			}
			_, _, post := s.Posterior(step)
			r := post / s.ReverseVariance(step, v)
			constant := r - 1 - math.Log(r) // (d/2)(r − 1 − log r) with d = 2
			se := (eps[0]-pred[0])*(eps[0]-pred[0]) + (eps[1]-pred[1])*(eps[1]-pred[1])
			near(t, "KL vs weighted ε error", kl, s.EpsWeight(step, v)*se+constant, 1e-8)
		}
	}
	// At t = 1: L_0 = w_1‖ε − ε_θ‖² + log(2πβ_1) for d = 2.
	x0, eps, pred := []float64{0.2, -0.4}, []float64{1.1, 0.3}, []float64{0.9, 0.5}
	a, b := s.Marginal(1)
	x1 := []float64{a*x0[0] + b*eps[0], a*x0[1] + b*eps[1]}
	nll, _ := s.Reconstruction(x0, x1, pred)
	se := 0.04 + 0.04
	near(t, "L_0 vs weighted ε error", nll, s.EpsWeight(1, BetaVariance)*se+math.Log(2*math.Pi*s.Beta[1]), 1e-8)
}

func TestStrided(t *testing.T) {
	s := DDPM()
	all, err := EvenSteps(1000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	same, err := s.Strided(all)
	if err != nil {
		t.Fatal(err)
	}
	for step := range s.Beta {
		near(t, "β of the full stride", same.Beta[step], s.Beta[step], 1e-12)
	}
	ts, _ := EvenSteps(1000, 10)
	if ts[0] != 1 || ts[9] != 1000 || len(ts) != 10 {
		t.Fatalf("EvenSteps(1000, 10) = %v", ts)
	}
	sub, err := s.Strided(ts)
	if err != nil {
		t.Fatal(err)
	}
	for i, step := range ts {
		near(t, "ᾱ of the strided schedule", sub.AlphaBar[i+1], s.AlphaBar[step], 1e-12)
	}
	if _, err := s.Strided([]int{5, 3}); err == nil {
		t.Error("Strided accepted decreasing steps")
	}
	if _, err := Linear(1, 1e-4, 0.02); err == nil {
		t.Error("Linear accepted T = 1")
	}
}

func TestTimeEmbeddingAgainstNumPy(t *testing.T) {
	ref := loadReference(t)
	d := Denoiser{Dim: 2, Hidden: 4, Layers: 1, Frequencies: ref.Embedding.Frequencies}
	b := testbackends.Go(t)
	out := graph.MustExecOnce(b, func(ts *graph.Node) *graph.Node {
		return d.TimeEmbedding(ts, graph.ConvertDType(ts, ts.DType()))
	}, ref.Embedding.T)
	got := out.Value().([][]float64)
	for i := range got {
		for k := range got[i] {
			near(t, "embedding", got[i][k], ref.Embedding.E[i][k], 1e-12)
		}
	}
}

// gaussianOracle returns the exact E[ε | y_t] for standard normal data:
// y_t ~ N(0, I), so E[ε | y_t] = √(1 − ᾱ_t) y_t.
func gaussianOracle(s *Schedule) func(ys [][2]float64, ts []int) ([][2]float64, error) {
	return func(ys [][2]float64, ts []int) ([][2]float64, error) {
		out := make([][2]float64, len(ys))
		for i, y := range ys {
			_, b := s.Marginal(ts[i])
			out[i] = [2]float64{b * y[0], b * y[1]}
		}
		return out, nil
	}
}

// With the best possible denoiser for N(0, I) data and σ_t² = β_t, the model
// is the exact reverse process (q(x_{t−1} | x_t) = N(√α_t x_t, β_t I) for
// such data), so −ELBO equals the entropy log(2πe) of N(0, I) up to the Monte
// Carlo error. With σ_t² = β̃_t (exact only for a single data point) it is
// above it, and a denoiser that predicts 0 is far worse.
func TestELBOOfGaussianData(t *testing.T) {
	s := DDPM()
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([][2]float64, 400)
	for i := range data {
		data[i] = [2]float64{rng.NormFloat64(), rng.NormFloat64()}
	}
	entropy := math.Log(2 * math.Pi * math.E)
	for _, v := range []Variance{BetaVariance, PosteriorVariance} {
		e, err := elbo(s, [2]float64{}, 1, gaussianOracle(s), data, 5, v)
		if err != nil {
			t.Fatal(err)
		}
		sum := e.Prior + e.SumSteps() + e.Reconstruction + e.LogJacobian
		near(t, "NegELBO = sum of terms", e.NegELBO, sum, 1e-9)
		gap := e.NegELBO - entropy
		t.Logf("%v: −ELBO = %.4f ± %.4f, entropy %.4f, gap %.4f (prior %.2g, reconstruction %.4f)", v, e.NegELBO, e.StdErr, entropy, gap, e.Prior, e.Reconstruction)
		if v == BetaVariance && math.Abs(gap) > 3*e.StdErr {
			t.Errorf("%v: −ELBO − H = %.4f ± %.4f; want 0", v, gap, e.StdErr)
		}
		if v == PosteriorVariance && gap < 3*e.StdErr {
			t.Errorf("%v: −ELBO − H = %.4f ± %.4f; want a clearly positive gap", v, gap, e.StdErr)
		}
	}
	zero := func(ys [][2]float64, ts []int) ([][2]float64, error) { return make([][2]float64, len(ys)), nil }
	e, err := elbo(s, [2]float64{}, 1, zero, data, 5, BetaVariance)
	if err != nil {
		t.Fatal(err)
	}
	if e.NegELBO < entropy+1 {
		t.Errorf("a denoiser that predicts 0 has −ELBO %.3f, within 1 nat of the entropy %.3f", e.NegELBO, entropy)
	}
}

func TestTrainSampleSaveLoad(t *testing.T) {
	for _, b := range testbackends.List(t) {
		t.Run(b.Name, func(t *testing.T) { testTrain(t, b.Backend) })
	}
}

func testTrain(t *testing.T, b compute.Backend) {
	s, err := Linear(100, 1e-3, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	data := make([][2]float64, 500)
	for i := range data { // N((3, −1), 0.5² I)
		data[i] = [2]float64{3 + 0.5*rng.NormFloat64(), -1 + 0.5*rng.NormFloat64()}
	}
	cfg := Config{Schedule: s, Net: Denoiser{Dim: 2, Hidden: 32, Layers: 2, Frequencies: 4}, Steps: 300, BatchSize: 64, LearningRate: 3e-3, Seed: 1}
	m, err := Train(b, data, cfg)
	if err != nil {
		t.Fatal(err)
	}
	first, last := m.Record.Loss[0], m.Record.Loss[len(m.Record.Loss)-1]
	if !(last < 0.8*first) {
		t.Errorf("loss %.3f → %.3f: training does not learn", first, last)
	}
	again, err := Train(b, data, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if again.Record.Loss[len(again.Record.Loss)-1] != last {
		t.Errorf("two runs with the same seed end at losses %v and %v", last, again.Record.Loss[len(again.Record.Loss)-1])
	}
	out, err := m.Sample(400, 9, SampleOptions{Keep: []int{0, 100}})
	if err != nil {
		t.Fatal(err)
	}
	var mean [2]float64
	for _, p := range out.Points {
		mean[0] += p[0] / 400
		mean[1] += p[1] / 400
	}
	if math.Abs(mean[0]-3) > 0.3 || math.Abs(mean[1]+1) > 0.3 {
		t.Errorf("the samples' mean is %v; want near (3, −1)", mean)
	}
	if len(out.Snapshots) != 2 || out.SnapshotSteps[0] != 100 || out.SnapshotSteps[1] != 0 {
		t.Errorf("snapshots at %v; want t = 100 and 0", out.SnapshotSteps)
	}
	dir := filepath.Join(t.TempDir(), "run")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(b, dir)
	if err != nil {
		t.Fatal(err)
	}
	ys, ts := [][2]float64{{0.1, 0.2}, {-1, 2}}, []int{1, 77}
	p1, err := m.PredictEps(ys, ts)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := loaded.PredictEps(ys, ts)
	if err != nil {
		t.Fatal(err)
	}
	if p1[0] != p2[0] || p1[1] != p2[1] || loaded.Scale != m.Scale || loaded.Schedule.AlphaBar[100] != s.AlphaBar[100] {
		t.Errorf("the loaded model differs: %v vs %v", p1, p2)
	}
	e, err := m.ELBO(data[:100], 1, BetaVariance)
	if err != nil {
		t.Fatal(err)
	}
	entropy := math.Log(2*math.Pi*math.E) + 2*math.Log(0.5)
	if e.NegELBO < entropy-3*e.StdErr || e.NegELBO > entropy+2 {
		t.Errorf("−ELBO %.3f ± %.3f; the data's entropy is %.3f", e.NegELBO, e.StdErr, entropy)
	}
}

// The exact marginal of x_t for mixture data matches samples of the forward
// process: compare means and variances.
func TestMarginalMixture(t *testing.T) {
	m := mixture.TwoClusters()
	s := DDPM()
	x0, _ := m.Sample(20000, 1)
	center, scale, err := Standardize(x0)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []int{0, 50, 300, 1000} {
		xt := ForwardProcess(s, center, scale, x0, step, 2)
		exact := MarginalMixture(m, s, center, scale, step)
		var mean [2]float64
		for _, p := range xt {
			mean[0] += p[0] / float64(len(xt))
			mean[1] += p[1] / float64(len(xt))
		}
		var v float64
		for _, p := range xt {
			v += (p[0] - mean[0]) * (p[0] - mean[0]) / float64(len(xt))
		}
		want := exact.Mean()
		cov := exact.Cov()
		near(t, "mean x", mean[0], want[0], 0.05)
		near(t, "mean y", mean[1], want[1], 0.05)
		near(t, "var x", v, cov[0][0], 0.03)
	}
}

// TestTraceModes runs the exact forward process instead of a sampler: every
// point of the 8-ring is its own trajectory, so at t = 0 all are committed and
// sharp, and at t = T the noise leaves a guess (about 1/8) and overlapping modes.
func TestTraceModes(t *testing.T) {
	ring, err := mixture.NewBivariate(ringComponents()...)
	if err != nil {
		t.Fatal(err)
	}
	x0, _ := ring.Sample(2000, 3)
	s := DDPM()
	c, sc, err := Standardize(x0)
	if err != nil {
		t.Fatal(err)
	}
	run := &Sampled{Points: x0}
	for _, step := range []int{1000, 300, 0} {
		run.Snapshots = append(run.Snapshots, ForwardProcess(s, c, sc, x0, step, 5))
		run.SnapshotSteps = append(run.SnapshotSteps, step)
	}
	tr := TraceModes(ring, s, c, sc, run)
	if tr.Committed[2] != 1 || tr.Sharp[2] < 0.999 {
		t.Errorf("t = 0: committed %v, sharp %v; want 1 and 1", tr.Committed[2], tr.Sharp[2])
	}
	if math.Abs(tr.Committed[0]-0.125) > 0.05 || tr.Sharp[0] > 0.2 {
		t.Errorf("t = T: committed %v (want about 1/8), sharp %v (want below 0.2)", tr.Committed[0], tr.Sharp[0])
	}
	if !(tr.Committed[1] > tr.Committed[0] && tr.Committed[1] < 1) {
		t.Errorf("t = 300: committed %v; want between t = T's and 1", tr.Committed[1])
	}
}

func ringComponents() []mixture.Component2 {
	var cs []mixture.Component2
	for k := range 8 {
		a := 2 * math.Pi * float64(k) / 8
		cs = append(cs, mixture.Component2{Weight: 1.0 / 8, Mean: [2]float64{math.Cos(a), math.Sin(a)}, Cov: [2][2]float64{{1e-4, 0}, {0, 1e-4}}})
	}
	return cs
}
