package flow

import (
	"fmt"
	"io"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/internal/safefile"
	"github.com/klcourse/klcourse/pkg/fit"
	"github.com/klcourse/klcourse/pkg/phi4"
)

// reverseKLLoss is the reverse-KL training loss mean(log q − log p̃) =
// mean(log q + S) of a batch, from log q and the action S of flow samples
// (both [batch]). It differs from KL(q‖p) by the constant log Z. Unexported
// on purpose: the exercise of lecture 8 asks students to write it.
func reverseKLLoss(logQ, action *Node) *Node {
	return ReduceAllMean(Add(logQ, action))
}

// TrainConfig configures reverse-KL training, in eras of steps.
type TrainConfig struct {
	Eras, StepsPerEra, Batch int
	// LearningRate of Adam (the tutorial: 1e-3).
	LearningRate float64
	// FinalLearningRate, when positive, anneals the rate: step k of n
	// (from 0) uses final + (lr − final)·(1 + cos(πk/n))/2, a cosine from
	// LearningRate down to FinalLearningRate. Zero keeps the rate constant.
	FinalLearningRate float64
	// EvalBatch is the number of fresh samples that measure the ESS and the
	// Metropolis acceptance after each era (default 1024).
	EvalBatch int
	// Seed draws the noise of every step and evaluation.
	Seed uint64
	// Progress receives the progress bar; nil shows none.
	Progress io.Writer
}

// History records a training run, one entry per era.
type History struct {
	// Loss is the mean loss mean(log q + S) of the era's steps.
	Loss []float64
	// ESS is the effective sample size per sample, (Σw)²/(NΣw²), and
	// Acceptance the independence Metropolis acceptance, both measured on
	// EvalBatch fresh samples after the era.
	ESS, Acceptance []float64
	// BatchESS is the mean over the era's steps of the ESS of each
	// training batch (Batch samples): the ESS that the tutorial of
	// Albergo et al. prints, averaged over the last 100 steps. ESS is a
	// ratio of sums dominated by the largest weights, which a small batch
	// rarely contains: BatchESS is larger than the ESS of many samples.
	BatchESS []float64
	// LearningRate is Adam's rate at the end of each era.
	LearningRate []float64
	// StepLoss and StepESS are the loss and the batch ESS of every step.
	StepLoss, StepESS []float64
	Seconds           float64
	// StepsPerSecond is the training speed (the evaluations excluded).
	StepsPerSecond float64
}

// Save writes the history as JSON to path (through a temporary file, so a
// failed write loses nothing).
func (h *History) Save(path string) error {
	return safefile.WriteJSON(path, h)
}

// LoadHistory reads a history written by History.Save.
func LoadHistory(path string) (*History, error) {
	h := &History{}
	if err := safefile.ReadJSON(path, h); err != nil {
		return nil, fmt.Errorf("flow: not a training history: %w", err)
	}
	if len(h.Loss) == 0 || len(h.ESS) != len(h.Loss) || len(h.Acceptance) != len(h.Loss) || len(h.BatchESS) != len(h.Loss) {
		return nil, fmt.Errorf("flow: %s: a training history needs equally long, non-empty Loss, ESS, Acceptance and BatchESS (got %d, %d, %d, %d)", path, len(h.Loss), len(h.ESS), len(h.Acceptance), len(h.BatchESS))
	}
	return h, nil
}

// Trainer trains a flow by the reverse KL, one step at a time.
type Trainer struct {
	Flow   *Flow
	Theory phi4.Theory
	min    *fit.Minimizer
}

// NewTrainer builds the training step: noise z → samples φ, log q → S(φ) →
// reverseKLLoss, minimised by Adam with learning rate lr (through
// pkg/fit's Minimizer).
func NewTrainer(f *Flow, theory phi4.Theory, lr float64) (*Trainer, error) {
	if theory.L != f.Config.L {
		return nil, fmt.Errorf("flow: theory on L = %d, flow on L = %d", theory.L, f.Config.L)
	}
	if err := theory.Validate(); err != nil {
		return nil, err
	}
	if !(lr > 0) {
		return nil, fmt.Errorf("flow: learning rate %g, want > 0", lr)
	}
	opt := fit.Adam(lr)
	m, err := fit.NewMinimizer(f.Backend, f.Store, func(_ *model.Scope, in []*Node) (*Node, []*Node) {
		phi, logQ := f.SampleGraph(in[0])
		action := actionGraph(theory, phi)
		// The batch's log weights log p̃ − log q = −S − log q, for the
		// per-batch ESS (outside the gradient).
		logW := StopGradient(Neg(Add(action, logQ)))
		return reverseKLLoss(logQ, action), []*Node{ConvertDType(logW, dtypes.Float64)}
	}, opt)
	if err != nil {
		return nil, err
	}
	return &Trainer{Flow: f, Theory: theory, min: m}, nil
}

// Step trains on one batch of fresh noise from src and returns the loss.
func (t *Trainer) Step(src *rng.Source, batch int) (float64, error) {
	loss, _, err := t.StepESS(src, batch)
	return loss, err
}

// StepESS is Step that also returns the ESS of the training batch itself,
// (Σw)²/(NΣw²) over its N samples — the ESS the tutorial prints while it
// trains.
func (t *Trainer) StepESS(src *rng.Source, batch int) (loss, batchESS float64, err error) {
	loss, extras, err := t.min.Step(t.Flow.Noise(src, batch))
	if err != nil {
		return loss, 0, err
	}
	return loss, ESS(tensors.MustCopyFlatData[float64](extras[0])), nil
}

// Train runs cfg.Eras eras of cfg.StepsPerEra steps, measuring the ESS and
// the acceptance after each.
func Train(f *Flow, theory phi4.Theory, cfg TrainConfig) (*History, error) {
	if cfg.Eras < 1 || cfg.StepsPerEra < 1 || cfg.Batch < 1 {
		return nil, fmt.Errorf("flow: Train: %d eras of %d steps, batch %d: want positive numbers", cfg.Eras, cfg.StepsPerEra, cfg.Batch)
	}
	if cfg.EvalBatch == 0 {
		cfg.EvalBatch = 1024
	}
	if cfg.FinalLearningRate < 0 || cfg.FinalLearningRate > cfg.LearningRate {
		return nil, fmt.Errorf("flow: Train: final learning rate %g, want 0 (constant) or in (0, LearningRate = %g]", cfg.FinalLearningRate, cfg.LearningRate)
	}
	tr, err := NewTrainer(f, theory, cfg.LearningRate)
	if err != nil {
		return nil, err
	}
	src := rng.New(cfg.Seed, 0x7a1)
	evalSrc := rng.New(cfg.Seed, 0xe7a1)
	h := &History{}
	n := cfg.Eras * cfg.StepsPerEra
	schedule := fit.Constant(cfg.LearningRate)
	if cfg.FinalLearningRate > 0 {
		schedule = fit.Cosine(cfg.LearningRate, cfg.FinalLearningRate, n)
	}
	sum, sumESS := 0.0, 0.0
	rec, err := tr.min.Loop(fit.Loop{
		Steps: n, Era: cfg.StepsPerEra,
		Name: "reverse KL", Progress: cfg.Progress,
		Inputs: func(int) ([]*tensors.Tensor, error) {
			return []*tensors.Tensor{f.Noise(src, cfg.Batch)}, nil
		},
		// In a store trained before, GoMLX's optimizer reuses the rate
		// variable at whatever rate that run left: the schedule resets it
		// at the first step, and an annealed run sets it at every step.
		LearningRate: schedule,
		OnStep: func(_ int, loss float64, extras []*tensors.Tensor) error {
			ess := ESS(tensors.MustCopyFlatData[float64](extras[0]))
			h.StepLoss = append(h.StepLoss, loss)
			h.StepESS = append(h.StepESS, ess)
			sum += loss
			sumESS += ess
			return nil
		},
		OnEra: func(e fit.Era) (string, error) {
			s, err := f.Sample(theory, evalSrc, cfg.EvalBatch)
			if err != nil {
				return "", err
			}
			logW := s.LogW()
			_, acc := IndependenceMetropolis(logW, evalSrc)
			h.Loss = append(h.Loss, sum/float64(cfg.StepsPerEra))
			h.BatchESS = append(h.BatchESS, sumESS/float64(cfg.StepsPerEra))
			h.ESS = append(h.ESS, ESS(logW))
			h.Acceptance = append(h.Acceptance, acc)
			h.LearningRate = append(h.LearningRate, tr.min.LearningRate())
			sum, sumESS = 0, 0
			k := e.Era - 1
			return fmt.Sprintf("era %d/%d  loss %.3f  batch ESS %.3f  ESS %.3f  acceptance %.3f", e.Era, e.Eras, h.Loss[k], h.BatchESS[k], h.ESS[k], acc), nil
		},
	})
	if err != nil {
		return h, fmt.Errorf("flow: era %d: %w", len(h.StepLoss)/cfg.StepsPerEra+1, err)
	}
	h.Seconds = rec.Seconds
	h.StepsPerSecond = float64(len(h.StepLoss)) / rec.TrainSeconds
	return h, nil
}

// ESS is the effective sample size per sample of importance weights given by
// their logarithms: (Σw)² / (N Σw²), in (0, 1]. The weights need only be
// known up to a common factor (Z cancels).
func ESS(logW []float64) float64 {
	mx := math.Inf(-1)
	for _, l := range logW {
		mx = math.Max(mx, l)
	}
	var s1, s2 float64
	for _, l := range logW {
		w := math.Exp(l - mx)
		s1 += w
		s2 += w * w
	}
	return s1 * s1 / (float64(len(logW)) * s2)
}

// IndependenceMetropolis runs the Metropolis–Hastings chain whose proposals
// are independent flow samples, in order, with log weights logW = log p̃ −
// log q: it accepts proposal k with probability min(1, w_k/w_current), so
// its stationary distribution is p whatever q (where q > 0). It returns, for
// every step, the index of the sample the chain is at (the first proposal is
// taken as the start), and the fraction of the later proposals accepted.
func IndependenceMetropolis(logW []float64, src *rng.Source) (index []int, acceptance float64) {
	if len(logW) == 0 {
		return nil, 0
	}
	index = make([]int, len(logW))
	cur, accepted := 0, 0
	for k := 1; k < len(logW); k++ {
		d := logW[k] - logW[cur]
		if d >= 0 || src.Float64() < math.Exp(d) {
			cur = k
			accepted++
		}
		index[k] = cur
	}
	if len(logW) == 1 {
		return index, 0
	}
	return index, float64(accepted) / float64(len(logW)-1)
}

// Reweighted estimates ⟨O⟩_p from flow samples by importance weights:
// Σ w O / Σ w with w = e^{logW}; the error is a bootstrap over the
// (independent) samples with nBoot resamples.
func Reweighted(obs, logW []float64, nBoot int, seed uint64) (phi4.Estimate, error) {
	if len(obs) != len(logW) || len(obs) < 2 || nBoot < 2 {
		return phi4.Estimate{}, fmt.Errorf("flow: Reweighted: %d observations, %d weights, %d resamples: want equal lengths ≥ 2 and ≥ 2 resamples", len(obs), len(logW), nBoot)
	}
	mx := math.Inf(-1)
	for _, l := range logW {
		mx = math.Max(mx, l)
	}
	w := make([]float64, len(logW))
	for i, l := range logW {
		w[i] = math.Exp(l - mx)
	}
	mean := func(idx func(int) int) float64 {
		var num, den float64
		for i := range obs {
			j := idx(i)
			num += w[j] * obs[j]
			den += w[j]
		}
		return num / den
	}
	central := mean(func(i int) int { return i })
	src := rng.New(seed, 0x3e3)
	vals := make([]float64, nBoot)
	for r := range vals {
		vals[r] = mean(func(int) int { return src.IntN(len(obs)) })
	}
	m := phi4.Mean(vals)
	v := 0.0
	for _, x := range vals {
		v += (x - m) * (x - m)
	}
	return phi4.Estimate{Mean: central, Err: math.Sqrt(v / float64(nBoot-1))}, nil
}

// SymmetricSample draws n fields from the Z₂-symmetrised flow
// q_sym(φ) = ½ (q(φ) + q(−φ)): Symmetrise applied to n flow samples.
func (f *Flow) SymmetricSample(theory phi4.Theory, src *rng.Source, n int) (*Samples, error) {
	s, err := f.Sample(theory, src, n)
	if err != nil {
		return nil, err
	}
	return f.Symmetrise(s, src)
}

// Symmetrise turns samples of the flow into samples of the Z₂-symmetrised
// flow q_sym(φ) = ½ (q(φ) + q(−φ)): each field's sign is flipped with
// probability ½, and log q_sym = log ½(e^{log q(φ)} + e^{log q(−φ)}), the
// second term through the inverse flow. A flow that has collapsed onto one
// vacuum of an even action covers both once symmetrised, and q_sym is still
// an exact density, so reweighting and Metropolis stay exact. The action is
// even, so S is unchanged. s is not modified.
func (f *Flow) Symmetrise(s *Samples, src *rng.Source) (*Samples, error) {
	n := len(s.Phi)
	out := &Samples{Phi: make([][]float64, n), LogQ: make([]float64, n), S: append([]float64(nil), s.S...)}
	flipped := make([][]float64, n)
	for k, phi := range s.Phi {
		neg := make([]float64, len(phi))
		for i, p := range phi {
			neg[i] = -p
		}
		flipped[k] = neg
	}
	logQNeg, err := f.LogQ(flipped)
	if err != nil {
		return nil, err
	}
	for k := range s.Phi {
		a, b := s.LogQ[k], logQNeg[k]
		mx := math.Max(a, b)
		out.LogQ[k] = mx + math.Log(0.5*(math.Exp(a-mx)+math.Exp(b-mx)))
		out.Phi[k] = s.Phi[k]
		if src.Float64() < 0.5 {
			out.Phi[k] = flipped[k]
		}
	}
	return out, nil
}
