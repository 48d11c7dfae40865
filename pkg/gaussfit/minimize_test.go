package gaussfit

import (
	"math"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/klcourse/klcourse/pkg/klloss"
	"github.com/klcourse/klcourse/pkg/mixture"
)

// testObjective is f(θ) = (θ₀ − 1)² + 3(θ₁ + 2)⁴ + θ₀θ₁, the function of
// testdata/gen_reference.py.
func testObjective(theta *Node) *Node {
	t0, t1 := param(theta, 0), param(theta, 1)
	return Add(Add(Square(AddScalar(t0, -1)), MulScalar(Square(Square(AddScalar(t1, 2))), 3)), Mul(t0, t1))
}

func TestOptimizersMatchPyTorch(t *testing.T) {
	ref := mustReference(t)
	for name, opt := range map[string]Optimizer{"adam": NewAdam(0.1), "sgd": GradientDescent{LR: 0.01}} {
		want := ref.Optimizers[name]
		trace, err := Minimize(testBackend(), testObjective, []float64{0.5, 0.3}, opt, len(want.Loss)-1)
		if err != nil {
			t.Fatal(err)
		}
		if trace.Steps() != len(want.Loss)-1 || len(trace.Params) != len(want.Params) {
			t.Fatalf("%s: %d steps, want %d", name, trace.Steps(), len(want.Loss)-1)
		}
		for k := range want.Params {
			for i := range want.Params[k] {
				if !close(trace.Params[k][i], want.Params[k][i], 1e-12) || !close(trace.Loss[k], want.Loss[k], 1e-12) {
					t.Fatalf("%s, step %d: θ = %v, loss %.15g; PyTorch θ = %v, loss %.15g",
						name, k, trace.Params[k], trace.Loss[k], want.Params[k], want.Loss[k])
				}
			}
		}
	}
}

// Seed 002 optimises μ and σ themselves with torch.optim.Adam's defaults on
// F.kl_div(log q, px) with px the unnormalised mixture: the same run here
// gives PyTorch's numbers, σ ≈ 5.23 after 10 000 steps and not √57.25.
func TestSeed002Reproduced(t *testing.T) {
	if testing.Short() {
		t.Skip("10 000 steps")
	}
	ref := mustReference(t)
	xs := mixture.Linspace(-15, 15, 1000)
	px := mixture.Bimodal().PDFs(xs)
	for i := range px {
		px[i] *= 2
	}
	seedLoss := func(theta *Node) *Node {
		mu, sigma := param(theta, 0), param(theta, 1)
		x := ConstAs(theta, xs)
		z := Div(Sub(x, mu), sigma)
		logQ := Neg(Add(MulScalar(Square(z), 0.5), AddScalar(Log(sigma), logSqrt2Pi)))
		return klloss.TorchKLDiv(logQ, ConstAs(theta, px), klloss.ReductionMean, false)
	}
	last := ref.Seed002[len(ref.Seed002)-1]
	trace, err := Minimize(testBackend(), seedLoss, []float64{0, 1}, NewAdam(1e-3), last.Steps)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range ref.Seed002 {
		theta, loss := trace.Params[want.Steps], trace.Loss[want.Steps]
		if !close(theta[0], want.Mu, 1e-9) || !close(theta[1], want.Sigma, 1e-9) || !close(loss, want.Loss, 1e-9) {
			t.Errorf("after %d steps: μ = %.12g, σ = %.12g, loss %.12g; PyTorch %.12g, %.12g, %.12g",
				want.Steps, theta[0], theta[1], loss, want.Mu, want.Sigma, want.Loss)
		}
	}
}

// finalNormal returns the normal distribution at the end of a
// NormalFamily trace.
func finalNormal(t *testing.T, trace *Trace) Normal {
	t.Helper()
	n, err := NormalFromParams(trace.Final())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestKnownOptima(t *testing.T) {
	grid := seedGrid(t)
	adam := NewAdam(0.05)
	// Forward KL to a normalised mixture: moment matching, from any start.
	for _, start := range []Normal{{0, 1}, {5, 1}} {
		trace, err := Minimize(testBackend(), ForwardKL(grid, NormalFamily), start.Params(), adam, 1500)
		if err != nil {
			t.Fatal(err)
		}
		if n := finalNormal(t, trace); math.Abs(n.Mu-2.5) > 1e-3 || math.Abs(n.Sigma-math.Sqrt(57.25)) > 1e-3 {
			t.Errorf("forward KL from %v: %v, want N(2.5, 57.25)", start, n)
		}
	}
	// Reverse KL from a narrow start: the mode on the start's side of 2.5,
	// where log p switches from one component to the other, with σ = 1 and
	// KL = log 2. The grid is symmetric about 2.5 and wide enough for Q's
	// excursions (from these starts Q first widens to σ ≈ 7 with Adam): on the
	// seed's grid, which ends 5 past the right mode, the truncated tails bias
	// the middle starts towards 10.
	wide, err := NewGrid(mixture.Linspace(-50, 55, 2101), mixture.Bimodal().LogPDF)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		start Normal
		mode  float64
	}{{Normal{0, 1}, -5}, {Normal{2.3, 1}, -5}, {Normal{2.7, 1}, 10}, {Normal{5, 1}, 10}} {
		trace, err := Minimize(testBackend(), ReverseKL(wide, NormalFamily), c.start.Params(), adam, 800)
		if err != nil {
			t.Fatal(err)
		}
		if n := finalNormal(t, trace); math.Abs(n.Mu-c.mode) > 1e-4 || math.Abs(n.Sigma-1) > 1e-4 || math.Abs(trace.FinalLoss()-math.Ln2) > 1e-6 {
			t.Errorf("reverse KL from %v: %v, KL %.6f; want N(%g, 1), log 2", c.start, n, trace.FinalLoss(), c.mode)
		}
	}
	// Reverse KL to a single normal distribution recovers it.
	single := mixture.Univariate{Components: []mixture.Component{{Weight: 1, Mean: 1.5, StdDev: 0.6}}}
	singleGrid, err := NewGrid(mixture.Linspace(-10, 10, 801), single.LogPDF)
	if err != nil {
		t.Fatal(err)
	}
	trace, err := Minimize(testBackend(), ReverseKL(singleGrid, NormalFamily), Normal{-2, 3}.Params(), adam, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if n := finalNormal(t, trace); math.Abs(n.Mu-1.5) > 1e-4 || math.Abs(n.Sigma-0.6) > 1e-4 || trace.FinalLoss() > 1e-8 {
		t.Errorf("reverse KL to N(1.5, 0.6²): %v, KL %g", n, trace.FinalLoss())
	}
	// The curve losses at a mode: σ = (2^⅓ − 1)^(−½) for the squared L²
	// distance (a normalised Q cannot be as low as a half-height bump), σ = 1
	// and cosine 1/√2 for the cosine.
	trace, err = Minimize(testBackend(), SquaredL2(grid, NormalFamily), Normal{-4, 1}.Params(), adam, 1500)
	if err != nil {
		t.Fatal(err)
	}
	if n := finalNormal(t, trace); math.Abs(n.Mu+5) > 1e-3 || math.Abs(n.Sigma-1/math.Sqrt(math.Cbrt(2)-1)) > 1e-3 {
		t.Errorf("squared L2 from N(-4, 1): %v, want N(-5, 1.9615²)", n)
	}
	trace, err = Minimize(testBackend(), NegCosine(grid, NormalFamily), Normal{9, 1}.Params(), adam, 1500)
	if err != nil {
		t.Fatal(err)
	}
	if n := finalNormal(t, trace); math.Abs(n.Mu-10) > 1e-3 || math.Abs(n.Sigma-1) > 1e-3 || math.Abs(trace.FinalLoss()+1/math.Sqrt2) > 1e-8 {
		t.Errorf("cosine from N(9, 1): %v, %.8f; want N(10, 1), −1/√2", n, trace.FinalLoss())
	}
}

func TestKnownOptima2D(t *testing.T) {
	m := mixture.TwoClusters()
	grid, err := NewGrid2D(mixture.Linspace(-10, 16, 79), mixture.Linspace(-6, 19, 76), m.LogPDF)
	if err != nil {
		t.Fatal(err)
	}
	adam := NewAdam(0.05)
	start, _ := Normal2D{Mean: [2]float64{0, 0}, Cov: [2][2]float64{{1, 0}, {0, 1}}}.Params()
	trace, err := Minimize(testBackend(), ForwardKL(grid, Normal2DFamily), start, adam, 1500)
	if err != nil {
		t.Fatal(err)
	}
	fit, _ := Normal2DFromParams(trace.Final())
	mean, cov := m.Mean(), m.Cov()
	for i := range 2 {
		for j := range 2 {
			if math.Abs(fit.Mean[i]-mean[i]) > 1e-3 || math.Abs(fit.Cov[i][j]-cov[i][j]) > 1e-3 {
				t.Fatalf("forward KL 2-D: %v, want the moments %v, %v", fit, mean, cov)
			}
		}
	}
	// Reverse KL from either side: one component each, with KL ≈ −log wᵢ
	// (the other component's tails pull the optimum off the component by
	// about 0.02).
	for i, from := range [][2]float64{{0, 0}, {10, 10}} {
		start, _ := Normal2D{Mean: from, Cov: [2][2]float64{{1, 0}, {0, 1}}}.Params()
		trace, err := Minimize(testBackend(), ReverseKL(grid, Normal2DFamily), start, adam, 800)
		if err != nil {
			t.Fatal(err)
		}
		fit, _ := Normal2DFromParams(trace.Final())
		c := m.Components[i]
		for a := range 2 {
			for b := range 2 {
				if math.Abs(fit.Mean[a]-c.Mean[a]) > 0.05 || math.Abs(fit.Cov[a][b]-c.Cov[a][b]) > 0.05 {
					t.Fatalf("reverse KL 2-D from %v: %v, want component %v", from, fit, c)
				}
			}
		}
		if math.Abs(trace.FinalLoss()+math.Log(c.Weight)) > 0.01 {
			t.Errorf("reverse KL 2-D from %v ends at %.4f, want about −log %g", from, trace.FinalLoss(), c.Weight)
		}
	}
}

func TestMaxLikelihoodByGradientDescent(t *testing.T) {
	xy, _ := mixture.TwoClusters().Sample(500, 11)
	loss, err := NegLogLikelihood(xy, Normal2DFamily)
	if err != nil {
		t.Fatal(err)
	}
	start, _ := Normal2D{Cov: [2][2]float64{{1, 0}, {0, 1}}}.Params()
	trace, err := Minimize(testBackend(), loss, start, NewAdam(0.05), 1500)
	if err != nil {
		t.Fatal(err)
	}
	fit, _ := Normal2DFromParams(trace.Final())
	ml, _ := MaxLikelihood2D(xy)
	for i := range 2 {
		for j := range 2 {
			if math.Abs(fit.Mean[i]-ml.Mean[i]) > 1e-3 || math.Abs(fit.Cov[i][j]-ml.Cov[i][j]) > 1e-3 {
				t.Fatalf("minimised NLL: %v; closed form %v", fit, ml)
			}
		}
	}
}

func TestMinimizeSampled(t *testing.T) {
	target, err := MixtureTarget(mixture.Bimodal())
	if err != nil {
		t.Fatal(err)
	}
	loss := ReverseKLSampled(target, NormalFamily)
	run := func(seed uint64, start Normal) *Trace {
		trace, err := MinimizeSampled(testBackend(), loss, Noise{Shape: []int{256}, Seed: seed}, start.Params(), NewAdam(0.05), 600)
		if err != nil {
			t.Fatal(err)
		}
		return trace
	}
	a, b := run(1, Normal{5, 1}), run(1, Normal{5, 1})
	if !slices.Equal(a.Loss, b.Loss) || !slices.EqualFunc(a.Params, b.Params, slices.Equal[[]float64]) {
		t.Error("two runs with the same seed differ")
	}
	if c := run(2, Normal{5, 1}); slices.Equal(a.Loss, c.Loss) {
		t.Error("runs with different seeds are equal")
	}
	// Stochastic steps jitter around the mode: within a few hundredths.
	for _, c := range []struct {
		start Normal
		mode  float64
	}{{Normal{5, 1}, 10}, {Normal{0, 1}, -5}} {
		if n := finalNormal(t, run(3, c.start)); math.Abs(n.Mu-c.mode) > 0.1 || math.Abs(n.Sigma-1) > 0.1 {
			t.Errorf("sampled reverse KL from %v: %v, want about N(%g, 1)", c.start, n, c.mode)
		}
	}
}

func TestMinimizeIsDeterministic(t *testing.T) {
	grid := seedGrid(t)
	run := func() *Trace {
		trace, err := Minimize(testBackend(), NegCosine(grid, NormalFamily), []float64{5, 0}, NewAdam(0.05), 200)
		if err != nil {
			t.Fatal(err)
		}
		return trace
	}
	a, b := run(), run()
	if !slices.Equal(a.Loss, b.Loss) || !slices.EqualFunc(a.Params, b.Params, slices.Equal[[]float64]) {
		t.Error("two identical runs differ")
	}
	if a.Steps() != 200 || len(a.Params) != 201 || !slices.Equal(a.Params[0], []float64{5, 0}) {
		t.Errorf("trace of 200 steps: %d steps, %d parameter sets, starting at %v", a.Steps(), len(a.Params), a.Params[0])
	}
	sigma := a.Map(func(theta []float64) float64 { return math.Exp(theta[1]) })
	if len(sigma) != 201 || sigma[0] != 1 || a.StepAxis()[200] != 200 {
		t.Errorf("Map and StepAxis: %d values from %g, last step %g", len(sigma), sigma[0], a.StepAxis()[200])
	}
}

func TestMinimizeErrors(t *testing.T) {
	b := testBackend()
	quadratic := Loss(func(theta *Node) *Node { return ReduceAllSum(Square(theta)) })
	// log θ from θ = 1: gradient 1, and a step of 10 takes θ to −9.
	logLoss := Loss(func(theta *Node) *Node { return ReduceAllSum(Log(theta)) })
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"nil loss", second(Minimize(b, nil, []float64{1}, NewAdam(0.1), 1)), "loss is nil"},
		{"no parameters", second(Minimize(b, quadratic, nil, NewAdam(0.1), 1)), "initial parameters must be finite"},
		{"negative steps", second(Minimize(b, quadratic, []float64{1}, NewAdam(0.1), -1)), "steps must not be negative"},
		{"zero learning rate", second(Minimize(b, quadratic, []float64{1}, GradientDescent{}, 1)), "learning rate must be positive"},
		{"β₁ = 1", second(Minimize(b, quadratic, []float64{1}, Adam{LR: 0.1, Beta1: 1}, 1)), "β₁ and β₂ must lie in [0, 1)"},
		{"not a scalar", second(Minimize(b, func(theta *Node) *Node { return theta }, []float64{1, 2}, NewAdam(0.1), 1)), "must return a float scalar"},
		{"log of a negative number", second(Minimize(b, logLoss, []float64{1}, GradientDescent{LR: 10}, 5)), "step 1: the loss is NaN"},
		{"bad noise", second(MinimizeSampled(b, func(theta, eps *Node) *Node { return ReduceAllSum(eps) }, Noise{Shape: []int{0}}, []float64{1}, NewAdam(0.1), 1)), "positive dimensions"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, c.err, c.want)
		}
	}
	// A run that stops keeps its trace up to the step that failed.
	trace, err := Minimize(b, logLoss, []float64{1}, GradientDescent{LR: 10}, 5)
	if err == nil || trace == nil || len(trace.Loss) != 2 {
		t.Errorf("diverging run: trace %v, err %v", trace, err)
	}
}
