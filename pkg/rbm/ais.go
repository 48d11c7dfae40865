package rbm

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/pkg/graphx"
)

// Schedule returns the inverse temperatures 0 = β_0 < … < β_K = 1 of
// Salakhutdinov & Murray (2008): n1 steps uniformly spaced in [0, 0.5], n2 in
// [0.5, 0.9] and n3 in [0.9, 1] — 500, 4000 and 10 000 there, K = 14 500.
func Schedule(n1, n2, n3 int) []float64 {
	betas := []float64{0}
	for _, seg := range []struct {
		lo, hi float64
		n      int
	}{{0, 0.5, n1}, {0.5, 0.9, n2}, {0.9, 1, n3}} {
		for k := 1; k <= seg.n; k++ {
			betas = append(betas, seg.lo+(seg.hi-seg.lo)*float64(k)/float64(seg.n))
		}
	}
	return betas
}

// PaperSchedule is Schedule(500, 4000, 10000), the 14 500 steps of the paper.
func PaperSchedule() []float64 { return Schedule(500, 4000, 10000) }

// BaseRates returns the visible biases of the AIS base-rate model for the
// binary data (flat [n, visible]): b_A,i = log(p̂_i / (1 − p̂_i)) with the
// smoothed pixel means p̂_i = (Σ_n v_ni + 1)/(n + 2) — the maximum-likelihood
// model with W = 0 and c = 0, up to the smoothing that keeps b_A finite.
func BaseRates(data []float32, visible int) ([]float64, error) {
	if visible < 1 || len(data) == 0 || len(data)%visible != 0 {
		return nil, fmt.Errorf("rbm: BaseRates needs data of n·%d values, got %d", visible, len(data))
	}
	n := len(data) / visible
	sum := make([]float64, visible)
	for k, x := range data {
		sum[k%visible] += float64(x)
	}
	for i := range sum {
		p := (sum[i] + 1) / (float64(n) + 2)
		sum[i] = math.Log(p / (1 - p))
	}
	return sum, nil
}

// AISConfig configures AIS.
type AISConfig struct {
	Betas  []float64 // the schedule, from 0 to 1 (PaperSchedule, or fewer)
	Chains int       // independent annealing runs (100 in the paper)
	Base   []float64 // the base-rate model's visible biases (BaseRates); nil means zeros
	Seed   uint64
	// StepsPerCall is how many temperatures one graph execution covers (the
	// loop is unrolled); 0 means 25 (a longer unrolled loop compiles slowly).
	StepsPerCall int
}

// AISResult is an AIS estimate of log Z.
type AISResult struct {
	LogZ float64 // log Z_0 + log mean(w)
	// StdErr is the standard error of log Z from the spread of the
	// weights, by the delta method: sd(w)/(√Chains · mean(w)).
	StdErr float64
	// Lower and Upper are log(mean(w) ∓ 3 standard errors of the mean) + log
	// Z_0, the ±3σ interval Salakhutdinov & Murray report; Lower is −Inf when
	// the weights are too spread for the lower bound to exist.
	Lower, Upper         float64
	LogZ0                float64   // the base-rate model's log Z
	LogWeights           []float64 // log w of each chain
	Chains, Temperatures int
}

// String prints the estimate as log Z ± 3σ.
func (r AISResult) String() string {
	return fmt.Sprintf("log Z ≈ %.3f (−%.3f/+%.3f at ±3σ; %d chains × %d temperatures)", r.LogZ, r.LogZ-r.Lower, r.Upper-r.LogZ, r.Chains, r.Temperatures)
}

// AIS estimates log Z of the binary–binary RBM p by annealed importance
// sampling from the base-rate model (see the package doc). The Gibbs chains
// run in float32 on backend; the log-weights accumulate in float64.
func AIS(backend compute.Backend, p *Params, cfg AISConfig) (AISResult, error) {
	if err := p.Validate(); err != nil {
		return AISResult{}, err
	}
	if p.Sigma != nil {
		return AISResult{}, fmt.Errorf("rbm: AIS is implemented for binary visible units; a Gaussian RBM's log Z is LogZExact's (few hidden units)")
	}
	betas := cfg.Betas
	if len(betas) < 2 || betas[0] != 0 || betas[len(betas)-1] != 1 {
		return AISResult{}, fmt.Errorf("rbm: AIS needs inverse temperatures from 0 to 1, got %d of them", len(betas))
	}
	for k := 1; k < len(betas); k++ {
		if !(betas[k] >= betas[k-1]) {
			return AISResult{}, fmt.Errorf("rbm: AIS needs increasing inverse temperatures; β_%d = %g after %g", k, betas[k], betas[k-1])
		}
	}
	if cfg.Chains < 2 {
		return AISResult{}, fmt.Errorf("rbm: AIS needs at least 2 chains to give an error, got %d", cfg.Chains)
	}
	base := cfg.Base
	if base == nil {
		base = make([]float64, p.Visible)
	}
	if len(base) != p.Visible {
		return AISResult{}, fmt.Errorf("rbm: the base-rate biases have %d entries, want Visible = %d", len(base), p.Visible)
	}
	per := cfg.StepsPerCall
	if per <= 0 {
		per = 25
	}
	K := len(betas) - 1
	per = min(per, K)

	run, err := newAISRun(backend, p, base, cfg.Chains, per, cfg.Seed)
	if err != nil {
		return AISResult{}, err
	}
	chunk := make([]float64, per+1)
	for start := 0; start < K; start += per {
		// β_start … β_start+per, padded with 1 (no weight change) at the end.
		for t := range chunk {
			chunk[t] = 1
			if start+t <= K {
				chunk[t] = betas[start+t]
			}
		}
		if err := run.advance(chunk); err != nil {
			return AISResult{}, err
		}
	}
	lw, err := tensors.CopyFlatData[float64](run.logw)
	if err != nil {
		return AISResult{}, err
	}
	logZ0 := float64(p.Hidden) * math.Ln2
	for _, x := range base {
		logZ0 += graphx.Softplus64(x)
	}
	return summarise(lw, logZ0, K), nil
}

// aisRun is the state of AIS's chains between calls of the stepper.
type aisRun struct {
	exec         *Exec
	w, b, c, bA  *tensors.Tensor
	v, logw, rng *tensors.Tensor
}

// newAISRun draws the chains' first states from the base-rate model p_0
// (independent pixels, p(v_i = 1) = σ(b_A,i)), with zero log-weights, and
// compiles the stepper for per temperatures per call.
func newAISRun(backend compute.Backend, p *Params, base []float64, chains, per int, seed uint64) (*aisRun, error) {
	rnd := rng.MathRand(seed, 0xa15)
	v := make([]float32, chains*p.Visible)
	for n := range v {
		if rnd.Float64() < 1/(1+math.Exp(-base[n%p.Visible])) {
			v[n] = 1
		}
	}
	exec, err := NewExec(backend, aisStepper(per))
	if err != nil {
		return nil, err
	}
	return &aisRun{
		exec: exec,
		w:    tensors.FromFlatDataAndDimensions(toFloat32(p.W), p.Visible, p.Hidden),
		b:    tensors.FromValue(toFloat32(p.B)),
		c:    tensors.FromValue(toFloat32(p.C)),
		bA:   tensors.FromValue(toFloat32(base)),
		v:    tensors.FromFlatDataAndDimensions(v, chains, p.Visible),
		logw: tensors.FromValue(make([]float64, chains)),
		rng:  uniformState(seed, 0xa15),
	}, nil
}

// advance runs the chains through the temperatures betas[1:], betas[0] being
// the last one of the previous call.
func (r *aisRun) advance(betas []float64) error {
	out, err := r.exec.Call(r.w, r.b, r.c, r.bA, tensors.FromValue(betas), r.v, r.logw, r.rng)
	if err != nil {
		return err
	}
	r.v, r.logw, r.rng = out[0], out[1], out[2]
	return nil
}

// summarise turns log-weights into the estimate and its error.
func summarise(lw []float64, logZ0 float64, temperatures int) AISResult {
	m := math.Inf(-1)
	for _, x := range lw {
		m = math.Max(m, x)
	}
	n := float64(len(lw))
	mean, sq := 0.0, 0.0
	for _, x := range lw {
		r := math.Exp(x - m)
		mean += r / n
		sq += r * r / n
	}
	sd := math.Sqrt(math.Max(sq-mean*mean, 0) * n / (n - 1))
	se := sd / math.Sqrt(n)
	r := AISResult{
		LogZ:         logZ0 + m + math.Log(mean),
		StdErr:       se / mean,
		Upper:        logZ0 + m + math.Log(mean+3*se),
		Lower:        math.Inf(-1),
		LogZ0:        logZ0,
		LogWeights:   lw,
		Chains:       len(lw),
		Temperatures: temperatures,
	}
	if mean > 3*se {
		r.Lower = logZ0 + m + math.Log(mean-3*se)
	}
	return r
}

// aisStepper builds the graph of per annealing steps: inputs W [V, H],
// b [V], c [H], b_A [V], betas [per+1] (β_{s}, …, β_{s+per}), v [chains, V]
// float32, log w [chains] float64 and the state of uniforms; outputs
// v, log w and the state. Step t adds log p*_{β_t}(v) − log p*_{β_{t−1}}(v)
// to log w and then moves v by one Gibbs sweep that leaves p_{β_t} invariant.
//
// With x = vW + c, a = β_t x and δ = (β_t − β_{t−1}) x, the hidden units'
// part of that log-ratio is −Σ_j r_j with
//
//	r = softplus(a − δ) − softplus(a) = log(1 + y),  y = σ(a)(e^{−δ} − 1),
//
// since (1 + e^{a−δ})/(1 + e^a) = 1 + σ(a)(e^{−δ} − 1). Where |δ| < ½ (every
// step of the paper's schedule: Δβ ≤ 10⁻³), r is computed from y, which
// never forms the difference of two nearly equal softplus values: σ(a) is
// the one the Gibbs sweep samples h with, e^{−δ} − 1 is 2τ/(1 − τ) with
// τ = tanh(−δ/2), and log(1 + y) is log(u)·y/(u − 1) with u = 1 + y (y where
// u rounds to 1; Goldberg's form, exact to a few units in the last place,
// where log(1 + y) formed directly would keep only ε/|y| of them). Elsewhere
// (coarse schedules, where the two softplus values are not close) r is the
// difference itself. All of it is float32; the sum over the hidden units and
// log w are float64. Each r then carries a relative error of about 10⁻⁷,
// part of it a bias of the float32 functions' approximations, so that over a
// whole schedule log w can drift by at most about 10⁻⁷ Σ_j |x_j| (10⁻³ nats
// for the lecture's RBMs), against AIS's spread of tenths of a nat.
// All the uniform numbers a call needs come from one uniforms call.
func aisStepper(per int) func(in []*Node) []*Node {
	return func(in []*Node) []*Node {
		w, b, c, bA, betas, v, logw, state := in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]
		chains, V, H := v.Shape().Dimensions[0], w.Shape().Dimensions[0], w.Shape().Dimensions[1]
		wT := Transpose(w, 0, 1)
		bRow, bARow := InsertAxes(b, 0), InsertAxes(bA, 0)
		dBias := Reshape(ConvertDType(Sub(b, bA), dtypes.Float64), V, 1) // the visible term: (β − β') (b − b_A)·v
		beta := func(t int) *Node { return Reshape(Slice(betas, AxisElem(t))) }
		state, u := uniforms(state, per, chains, H+V)
		for t := 1; t <= per; t++ {
			bt64, bPrev64 := beta(t), beta(t-1) // the schedule is float64
			dBeta := Sub(bt64, bPrev64)
			bt := ConvertDType(bt64, dtypes.Float32)
			x := Add(MatMul(v, w), InsertAxes(c, 0)) // [chains, H]
			a := Mul(x, bt)                          // β_t x
			s := Sigmoid(a)
			z := Mul(x, ConvertDType(Neg(dBeta), dtypes.Float32)) // −δ
			hiddenTerm := Neg(ReduceSum(ConvertDType(logRatio(a, z, s), dtypes.Float64), -1))
			visTerm := Mul(Reshape(MatMul(ConvertDType(v, dtypes.Float64), dBias), chains), dBeta)
			logw = Add(logw, Add(hiddenTerm, visTerm))
			// Gibbs sweep at β_t: h ~ σ(β x), v ~ σ((1 − β) b_A + β (b + W h)).
			ut := Reshape(Slice(u, AxisElem(t-1)), chains, H+V)
			uh, uv := Slice(ut, AxisRange(), AxisRange(0, H)), Slice(ut, AxisRange(), AxisRange(H, H+V))
			h := ConvertDType(LessThan(uh, s), dtypes.Float32)
			vIn := Add(Mul(OneMinus(bt), bARow), Mul(bt, Add(MatMul(h, wT), bRow)))
			v = ConvertDType(LessThan(uv, Sigmoid(vIn)), dtypes.Float32)
		}
		return []*Node{v, logw, state}
	}
}

// logRatio is r = softplus(a + z) − softplus(a) = log(1 + σ(a)(eᶻ − 1)),
// element-wise in float32, given s = σ(a): from y = σ(a)(eᶻ − 1) where
// |z| < ½, as the difference of the two softplus values elsewhere (see
// aisStepper).
func logRatio(a, z, s *Node) *Node {
	g := z.Graph()
	half := Scalar(g, z.DType(), 0.5)
	tau := Tanh(MulScalar(z, 0.5))
	y := Mul(s, Div(MulScalar(tau, 2), OneMinus(tau))) // σ(a)(eᶻ − 1)
	u := OnePlus(y)
	d := AddScalar(u, -1)
	log1p := Where(Equal(d, ZerosLike(d)), y, Mul(Log(u), Div(y, d)))
	direct := Sub(graphx.StableSoftplus(Add(a, z)), graphx.StableSoftplus(a))
	return Where(LessThan(Abs(z), half), log1p, direct)
}
