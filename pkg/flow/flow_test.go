package flow

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/internal/testbackends"
	"github.com/klcourse/klcourse/pkg/graphx"
	"github.com/klcourse/klcourse/pkg/phi4"
)

// small is a flow small enough for exact checks: 4 layers on a 4×4 lattice,
// in float64.
func small(t *testing.T, b compute.Backend) *Flow {
	t.Helper()
	f, err := New(b, Config{L: 4, Layers: 4, Hidden: []int{4, 4}, Kernel: 3, Seed: 3, DType: dtypes.Float64})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func noise(src *rng.Source, n, L int, scale float64) []float64 {
	z := make([]float64, n*L*L)
	for i := range z {
		z[i] = scale * src.Normal()
	}
	return z
}

// run executes a graph function of the flow's weights on one input.
func run(t *testing.T, f *Flow, fn func(*model.Scope, *Node) []*Node, x []float64, dims ...int) [][]float64 {
	t.Helper()
	e, err := model.NewExec(f.Backend, f.Store, fn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Call(tensors.FromFlatDataAndDimensions(x, dims...))
	if err != nil {
		t.Fatal(err)
	}
	res := make([][]float64, len(out))
	for i, o := range out {
		res[i] = tensors.MustCopyFlatData[float64](o)
	}
	return res
}

func TestInverse(t *testing.T) {
	f := small(t, testbackends.Go(t))
	z := noise(rng.New(1, 1), 3, 4, 1.5)
	out := run(t, f, func(_ *model.Scope, z *Node) []*Node {
		phi, ld := f.Forward(z)
		back, ldInv := f.Inverse(phi)
		return []*Node{phi, back, ld, ldInv}
	}, z, 3, 4, 4)
	moved := 0.0
	for i := range z {
		if d := math.Abs(out[1][i] - z[i]); d > 1e-12 {
			t.Fatalf("Inverse(Forward(z)) differs from z at %d by %g", i, d)
		}
		moved = math.Max(moved, math.Abs(out[0][i]-z[i]))
	}
	if moved < 1e-3 {
		t.Errorf("the flow is the identity (largest move %g): the test would not see a wrong inverse", moved)
	}
	for k := range 3 {
		if math.Abs(out[2][k]+out[3][k]) > 1e-12 || out[2][k] == 0 {
			t.Errorf("sample %d: log det forward %g, inverse %g: want opposite and non-zero", k, out[2][k], out[3][k])
		}
	}
}

// logAbsDet returns log|det A| by Gaussian elimination with partial pivoting.
func logAbsDet(a [][]float64) float64 {
	n := len(a)
	s := 0.0
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		s += math.Log(math.Abs(a[c][c]))
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < n; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	return s
}

// The change of variables: log q(φ) = log r(z) − log|det ∂φ/∂z|, with the
// Jacobian computed numerically by central differences on the 16 sites.
func TestChangeOfVariablesNumericalJacobian(t *testing.T) {
	f := small(t, testbackends.Go(t))
	const V, h = 16, 1e-5
	for trial := range 2 {
		z0 := noise(rng.New(7, uint64(trial)), 1, 4, 1)
		batch := append([]float64(nil), z0...)
		for i := range V {
			for _, sgn := range []float64{1, -1} {
				z := append([]float64(nil), z0...)
				z[i] += sgn * h
				batch = append(batch, z...)
			}
		}
		n := 1 + 2*V
		out := run(t, f, func(_ *model.Scope, z *Node) []*Node {
			phi, logQ := f.SampleGraph(z)
			return []*Node{phi, logQ}
		}, batch, n, 4, 4)
		jac := make([][]float64, V) // jac[j][i] = ∂φ_j/∂z_i
		for j := range V {
			jac[j] = make([]float64, V)
			for i := range V {
				plus, minus := out[0][(1+2*i)*V+j], out[0][(2+2*i)*V+j]
				jac[j][i] = (plus - minus) / (2 * h)
			}
		}
		logR := -0.5*V*math.Log(2*math.Pi) - 0.5*dot(z0, z0)
		want := logR - logAbsDet(jac)
		if got := out[1][0]; math.Abs(got-want) > 1e-6 {
			t.Errorf("trial %d: log q = %.9f, by the numerical Jacobian %.9f", trial, got, want)
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// log q of a sample, from the forward pass, equals log q of the field
// evaluated through the inverse; and q is a normalised density: the
// importance estimate E_q[r(φ)/q(φ)] of ∫ r = 1 is 1.
func TestLogQSampleAndInverseAgree(t *testing.T) {
	f := small(t, testbackends.Go(t))
	th := phi4.Theory{L: 4, M2: -4, Lambda: 8}
	s, err := f.Sample(th, rng.New(2, 2), 4000)
	if err != nil {
		t.Fatal(err)
	}
	lq, err := f.LogQ(s.Phi)
	if err != nil {
		t.Fatal(err)
	}
	ratio := make([]float64, len(lq))
	for k := range lq {
		if math.Abs(lq[k]-s.LogQ[k]) > 1e-9 {
			t.Fatalf("sample %d: log q %g from the sample, %g from the inverse", k, s.LogQ[k], lq[k])
		}
		logR := -8*math.Log(2*math.Pi) - 0.5*dot(s.Phi[k], s.Phi[k])
		ratio[k] = math.Exp(logR - s.LogQ[k])
		if th.Action(s.Phi[k]) != s.S[k] {
			t.Fatalf("sample %d: S = %g, Action %g", k, s.S[k], th.Action(s.Phi[k]))
		}
	}
	e, _ := phi4.MeanTau(ratio)
	if math.Abs(e.Mean-1) > 4*e.Err || e.Err > 0.1 {
		t.Errorf("E_q[r/q] = %v, want 1", e)
	}
}

// fullConv applies gatherConv — the code path of the flow's nets — to
// fields in the usual layout x [batch, L, L, in] at every site: →
// [batch, L, L, out].
func fullConv(f *Flow, x *Node, c conv) *Node {
	dims := x.Shape().Dimensions
	batch, L, in := dims[0], dims[1], dims[3]
	V := L * L
	all := make([]int, V)
	for s := range all {
		all[s] = s
	}
	rows := Reshape(Transpose(Reshape(x, batch, V, in), 0, 2), in*V, batch) // [in·V, batch], channel-major
	idx := f.lat.patchIndex(in, V, func(s int) int { return s }, all)
	y := gatherConv(rows, c, idx, V) // [out·V, batch]
	out := c.b.Shape().Dimensions[0]
	return Reshape(TransposeAllDims(Reshape(y, out, V, batch), 2, 1, 0), batch, L, L, out)
}

func TestCircularConvMatchesDefinition(t *testing.T) {
	b := testbackends.Go(t)
	f, err := New(b, Config{L: 4, Layers: 1, Hidden: []int{3}, Kernel: 3, Seed: 5, DType: dtypes.Float64})
	if err != nil {
		t.Fatal(err)
	}
	x := noise(rng.New(3, 3), 2, 4, 1) // [2, 4, 4, 1]
	cv := f.convs[0][0]
	out := run(t, f, func(_ *model.Scope, x *Node) []*Node { return []*Node{fullConv(f, x, cv)} }, x, 2, 4, 4, 1)[0]
	w := tensors.MustCopyFlatData[float64](cv.w.MustValue()) // [(a, b, c), out]
	bias := tensors.MustCopyFlatData[float64](cv.b.MustValue())
	for n := range 2 {
		for i := range 4 {
			for j := range 4 {
				for o := range 3 {
					want := bias[o]
					for a := range 3 {
						for bb := range 3 {
							want += w[(a*3+bb)*3+o] * x[n*16+((i+a-1+4)%4)*4+(j+bb-1+4)%4]
						}
					}
					if got := out[((n*4+i)*4+j)*3+o]; math.Abs(got-want) > 1e-12 {
						t.Fatalf("conv at (%d,%d,%d,%d) = %g, want %g", n, i, j, o, got, want)
					}
				}
			}
		}
	}
}

// circularPad pads x [batch, L, L, C] periodically by p sites on each side
// of both lattice axes: [batch, L+2p, L+2p, C].
func circularPad(x *Node, p int) *Node {
	for _, axis := range []int{1, 2} {
		n := x.Shape().Dimensions[axis]
		x = Concatenate([]*Node{SliceAxis(x, axis, AxisRange(n-p, n)), x, SliceAxis(x, axis, AxisRange(0, p))}, axis)
	}
	return x
}

// circularConvReference is the flow's convolution by GoMLX's convolution
// operation on the periodically padded field [batch, L, L, in], for the
// tests.
func circularConvReference(x *Node, c conv, k int) *Node {
	g := x.Graph()
	w := c.w.NodeValue(g)
	in, out := x.Shape().Dimensions[3], w.Shape().Dimensions[1]
	bias := c.b.NodeValue(g)
	padded := x
	if k > 1 {
		padded = circularPad(x, k/2)
	}
	y := Convolve(padded, Reshape(w, k, k, in, out)).NoPadding().Done()
	return Add(y, Reshape(bias, 1, 1, 1, out))
}

// The convolution by a gather and a matrix product (gatherConv) equals
// GoMLX's convolution operation on circularly padded input, in value and in
// the gradients with respect to the input, the weights and the bias, on the
// shapes of the tutorial's nets (1 → 8 → 2 channels here).
func TestCircularConvMatchesConvolve(t *testing.T) {
	b := testbackends.Go(t)
	f, err := New(b, Config{L: 6, Layers: 1, Hidden: []int{8}, Kernel: 3, Seed: 7, DType: dtypes.Float64})
	if err != nil {
		t.Fatal(err)
	}
	x := noise(rng.New(4, 4), 3, 6, 1) // [3, 6, 6, 1]
	both := func(conv func(*Node, conv) *Node) [][]float64 {
		return run(t, f, func(_ *model.Scope, x *Node) []*Node {
			h := conv(x, f.convs[0][0])
			h = Tanh(h)
			y := conv(h, f.convs[0][1])
			loss := ReduceAllSum(Mul(y, y))
			g := Gradient(loss, x, f.convs[0][0].w.NodeValue(x.Graph()), f.convs[0][0].b.NodeValue(x.Graph()), f.convs[0][1].w.NodeValue(x.Graph()))
			return append([]*Node{y}, g...)
		}, x, 3, 6, 6, 1)
	}
	got := both(func(x *Node, c conv) *Node { return fullConv(f, x, c) })
	want := both(func(x *Node, c conv) *Node { return circularConvReference(x, c, 3) })
	for i := range want {
		for j := range want[i] {
			if math.Abs(got[i][j]-want[i][j]) > 1e-10*(1+math.Abs(want[i][j])) {
				t.Fatalf("output %d, element %d: %g by gather, %g by Convolve", i, j, got[i][j], want[i][j])
			}
		}
	}
}

// referenceForward is the flow by its definition, on whole fields with the
// masks multiplied in: φ ← m·φ + (1 − m)·(φ·e^s + t), s and t from the conv
// net (GoMLX's convolution, LeakyReLU as a Where, tanh) of m·φ, log det +=
// Σ (1 − m)·s.
func referenceForward(f *Flow, z *Node) (phi, logDet *Node) {
	g := z.Graph()
	L := f.Config.L
	phi = z
	logDet = ZerosLike(ReduceSum(z, 1, 2))
	for i := range f.Config.Layers {
		m := ConvertDType(Const(g, tensorOf(dtypes.Float64, f.Mask(i), 1, L, L).Value()), f.Config.DType)
		frozen := Mul(m, phi)
		x := InsertAxes(frozen, -1)
		for c, cv := range f.convs[i] {
			x = circularConvReference(x, cv, f.Config.Kernel)
			if c < len(f.convs[i])-1 {
				x = Where(GreaterOrEqual(x, ScalarZero(g, x.DType())), x, MulScalar(x, 0.01))
			} else {
				x = Tanh(x)
			}
		}
		s := Squeeze(SliceAxis(x, 3, AxisElem(0)), 3)
		t := Squeeze(SliceAxis(x, 3, AxisElem(1)), 3)
		active := OneMinus(m)
		phi = Add(frozen, Mul(active, Add(Mul(phi, Exp(s)), t)))
		logDet = Add(logDet, ReduceSum(Mul(active, s), 1, 2))
	}
	return phi, logDet
}

// Forward, computed on the two sublattices with gathers, equals the flow's
// definition on whole fields with masks (referenceForward), in the samples,
// the log det and the gradient of a loss with respect to the noise and the
// weights — on a lattice with one hidden layer, two, and none, and kernels
// 3 and 5.
func TestForwardMatchesMaskedDefinition(t *testing.T) {
	b := testbackends.Go(t)
	for _, cfg := range []Config{
		{L: 4, Layers: 4, Hidden: []int{4, 4}, Kernel: 3, Seed: 3, DType: dtypes.Float64},
		{L: 6, Layers: 3, Hidden: []int{3}, Kernel: 5, Seed: 4, DType: dtypes.Float64},
		{L: 4, Layers: 2, Hidden: nil, Kernel: 1, Seed: 5, DType: dtypes.Float64},
	} {
		f, err := New(b, cfg)
		if err != nil {
			t.Fatal(err)
		}
		z := noise(rng.New(6, 6), 3, cfg.L, 1.5)
		both := func(fwd func(*Node) (*Node, *Node)) [][]float64 {
			return run(t, f, func(_ *model.Scope, z *Node) []*Node {
				phi, ld := fwd(z)
				loss := ReduceAllSum(Add(ReduceSum(Mul(phi, Mul(phi, phi)), 1, 2), ld))
				w := f.convs[cfg.Layers-1][len(f.convs[0])-1].w.NodeValue(z.Graph())
				w0 := f.convs[0][0].w.NodeValue(z.Graph())
				return append([]*Node{phi, ld}, Gradient(loss, z, w, w0)...)
			}, z, 3, cfg.L, cfg.L)
		}
		got := both(f.Forward)
		want := both(func(z *Node) (*Node, *Node) { return referenceForward(f, z) })
		for i := range want {
			for j := range want[i] {
				if math.Abs(got[i][j]-want[i][j]) > 1e-10*(1+math.Abs(want[i][j])) {
					t.Fatalf("%+v: output %d, element %d: %g on sublattices, %g by the definition", cfg, i, j, got[i][j], want[i][j])
				}
			}
		}
	}
}

func TestESS(t *testing.T) {
	if e := ESS([]float64{3, 3, 3, 3}); math.Abs(e-1) > 1e-15 {
		t.Errorf("equal weights: ESS %g, want 1", e)
	}
	if e := ESS([]float64{0, -800, -800, -800}); math.Abs(e-0.25) > 1e-15 {
		t.Errorf("one weight: ESS %g, want 1/N", e)
	}
	// w = (1, 2): (3)²/(2·5) = 0.9.
	if e := ESS([]float64{1000, 1000 + math.Ln2}); math.Abs(e-0.9) > 1e-12 {
		t.Errorf("weights 1, 2: ESS %g, want 0.9", e)
	}
}

// Proposals from N(0, 1) for the target N(1, 1): log w = x − ½ up to a
// constant. The chain must have mean 1 and variance 1.
func TestIndependenceMetropolisIsExact(t *testing.T) {
	src := rng.New(4, 4)
	n := 200000
	xs, logW := make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i] = src.Normal()
		logW[i] = xs[i] - 0.5 + 17 // the constant (log Z) does not matter
	}
	idx, acc := IndependenceMetropolis(logW, src)
	chain := make([]float64, n)
	sq := make([]float64, n)
	for i, k := range idx {
		chain[i] = xs[k]
		sq[i] = (xs[k] - 1) * (xs[k] - 1)
	}
	m, _ := phi4.MeanTau(chain)
	v, _ := phi4.MeanTau(sq)
	if math.Abs(m.Mean-1) > 4*m.Err || math.Abs(v.Mean-1) > 4*v.Err {
		t.Errorf("chain mean %v, variance %v: want 1 and 1", m, v)
	}
	if acc < 0.3 || acc > 0.8 {
		t.Errorf("acceptance %g", acc)
	}
	r, err := Reweighted(xs, logW, 100, 1)
	if err != nil || math.Abs(r.Mean-1) > 4*r.Err {
		t.Errorf("reweighted mean %v (%v), want 1", r, err)
	}
}

// A saved flow loads with the same log q, and without the optimiser's
// state of the run that trained it.
func TestSaveLoad(t *testing.T) {
	f := small(t, testbackends.Go(t))
	tr, err := NewTrainer(f, phi4.Theory{L: f.Config.L, M2: -4, Lambda: 8}, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Step(rng.New(1, 2), 4); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "flow")
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	g, err := Load(f.Backend, path)
	if err != nil {
		t.Fatal(err)
	}
	phis := [][]float64{noise(rng.New(1, 9), 1, 4, 1)}
	a, _ := f.LogQ(phis)
	b, err := g.LogQ(phis)
	if err != nil || a[0] != b[0] {
		t.Errorf("log q %v before saving, %v after (%v)", a, b, err)
	}
	nf, ng := 0, 0
	for range f.Store.IterVariables() {
		nf++
	}
	for v := range g.Store.IterVariables() {
		ng++
		if strings.Contains(v.Path(), "optimizer") {
			t.Errorf("the loaded flow has the optimiser's variable %s", v.Path())
		}
	}
	if want := 2 * f.Config.Layers * (len(f.Config.Hidden) + 1); ng != want || nf <= ng {
		t.Errorf("the trained flow has %d variables, the loaded one %d; want its %d weights and biases", nf, ng, want)
	}
	if _, err := Load(f.Backend, filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

// A trained flow with independence Metropolis reproduces HMC's observables
// (|M| and χ₂) on a 4×4 lattice, and training raised the ESS.
func TestFlowMetropolisMatchesHMC(t *testing.T) {
	bs := testbackends.List(t)
	b := bs[len(bs)-1].Backend
	th := phi4.Theory{L: 4, M2: -4, Lambda: 8}
	f, err := New(b, Config{L: 4, Layers: 4, Hidden: []int{8}, Kernel: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	h, err := Train(f, th, TrainConfig{Eras: 2, StepsPerEra: 250, Batch: 64, LearningRate: 2e-3, EvalBatch: 2048, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	// The ESS of a few hundred samples is too noisy to test; the
	// acceptance is not (an untrained flow accepts about 5 %).
	if h.Acceptance[1] < 0.1 || h.Loss[1] >= h.Loss[0] {
		t.Errorf("training: loss %v, acceptance %v: want a falling loss and acceptance ≥ 0.1", h.Loss, h.Acceptance)
	}
	src := rng.New(3, 3)
	var phis [][]float64
	var logW []float64
	for range 8 {
		s, err := f.Sample(th, src, 1000)
		if err != nil {
			t.Fatal(err)
		}
		phis = append(phis, s.Phi...)
		logW = append(logW, s.LogW()...)
	}
	idx, _ := IndependenceMetropolis(logW, src)
	chain := make([][]float64, len(idx))
	for i, k := range idx {
		chain[i] = phis[k]
	}
	flowObs, err := phi4.Measure(th, chain, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	hmc, err := phi4.NewHMC(th, 0.1, 10, 5)
	if err != nil {
		t.Fatal(err)
	}
	c, err := hmc.Run(500, 8000, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	hmcObs, err := phi4.Measure(th, c.Configs, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		name string
		a, b phi4.Estimate
	}{{"|M|", flowObs.AbsM, hmcObs.AbsM}, {"χ₂", flowObs.Chi2, hmcObs.Chi2}} {
		if d, e := math.Abs(p.a.Mean-p.b.Mean), math.Hypot(p.a.Err, p.b.Err); d > 4*e {
			t.Errorf("%s: flow + Metropolis %v, HMC %v", p.name, p.a, p.b)
		}
	}
	// Reweighting agrees too.
	abs := make([]float64, len(phis))
	for i, p := range phis {
		abs[i] = math.Abs(phi4.Magnetisation(p))
	}
	r, err := Reweighted(abs, logW, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d, e := math.Abs(r.Mean-hmcObs.AbsM.Mean), math.Hypot(r.Err, hmcObs.AbsM.Err); d > 4*e {
		t.Errorf("|M|: reweighted %v, HMC %v", r, hmcObs.AbsM)
	}
	t.Logf("acceptance %.3f, ESS %.3f; |M| flow %v, reweighted %v, HMC %v; χ₂ flow %v, HMC %v", h.Acceptance[1], h.ESS[1], flowObs.AbsM, r, hmcObs.AbsM, flowObs.Chi2, hmcObs.Chi2)
}

// The symmetrised density is even, and is ½(q(φ) + q(−φ)) evaluated
// directly.
func TestSymmetrise(t *testing.T) {
	f := small(t, testbackends.Go(t))
	th := phi4.Theory{L: 4, M2: -4, Lambda: 3}
	src := rng.New(8, 8)
	s, err := f.Sample(th, src, 50)
	if err != nil {
		t.Fatal(err)
	}
	sym, err := f.Symmetrise(s, src)
	if err != nil {
		t.Fatal(err)
	}
	flips := 0
	for k := range sym.Phi {
		neg := make([]float64, 16)
		for i, p := range sym.Phi[k] {
			neg[i] = -p
		}
		lq, _ := f.LogQ([][]float64{sym.Phi[k], neg})
		want := math.Log(0.5 * (math.Exp(lq[0]) + math.Exp(lq[1])))
		if math.Abs(sym.LogQ[k]-want) > 1e-9 || sym.S[k] != th.Action(sym.Phi[k]) {
			t.Fatalf("sample %d: log q_sym %g, want %g", k, sym.LogQ[k], want)
		}
		if sym.Phi[k][0] != s.Phi[k][0] {
			flips++
		}
	}
	if flips < 10 || flips > 40 {
		t.Errorf("%d of 50 signs flipped", flips)
	}
}

// The graph action equals phi4.Theory.Action, and its autodiff gradient
// equals phi4.Theory.Gradient.
func TestActionGraphAndAutodiff(t *testing.T) {
	b := testbackends.Go(t)
	th := phi4.Theory{L: 4, M2: -4, Lambda: 8}
	phis := [][]float64{noise(rng.New(1, 1), 1, 4, 1), noise(rng.New(2, 1), 1, 4, 0.5)}
	batch := make([][][]float64, len(phis))
	for k, phi := range phis {
		batch[k] = make([][]float64, 4)
		for i := range 4 {
			batch[k][i] = phi[i*4 : i*4+4]
		}
	}
	ev, err := graphx.Evaluate(b, func(x *Node) *Node { return actionGraph(th, x) }, batch)
	if err != nil {
		t.Fatal(err)
	}
	grad := make([]float64, 16)
	for k, phi := range phis {
		if want := th.Action(phi); math.Abs(ev.Value[k]-want) > 1e-9*math.Abs(want) {
			t.Errorf("config %d: actionGraph = %g, Action = %g", k, ev.Value[k], want)
		}
		th.Gradient(phi, grad)
		for i, g := range grad {
			if got := ev.Gradients[0][k*16+i]; math.Abs(got-g) > 1e-9*(1+math.Abs(g)) {
				t.Errorf("config %d site %d: autodiff %g, Gradient %g", k, i, got, g)
			}
		}
	}
}
