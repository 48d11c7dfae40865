package rbm

import (
	"fmt"
	"iter"
	"math"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/pkg/datasets"
	"github.com/klcourse/klcourse/pkg/fit"
	"github.com/klcourse/klcourse/pkg/graphx"
)

// Init returns a binary–binary RBM initialised as the lecture notes' program
// does: W from N(0, 0.01²), zero biases. The same seed gives the same
// weights, on every backend: the way to compare training methods fairly.
func Init(visible, hidden int, seed uint64) *Params {
	rnd := rng.MathRand(seed, 0x5eed)
	p := &Params{Visible: visible, Hidden: hidden, W: make([]float64, visible*hidden), B: make([]float64, visible), C: make([]float64, hidden)}
	for i := range p.W {
		p.W[i] = 0.01 * float64(float32(rnd.NormFloat64()))
	}
	return p
}

// Method is how the negative phase is sampled.
type Method int

const (
	// CD is contrastive divergence: a k-step Gibbs chain from the data.
	CD Method = iota
	// PCD is persistent contrastive divergence: Chains fantasy chains that
	// advance k steps per update and carry over from batch to batch.
	PCD
)

func (m Method) String() string {
	if m == PCD {
		return "PCD"
	}
	return "CD"
}

// Config is how a Trainer trains.
type Config struct {
	Method       Method
	K            int     // Gibbs steps per update (the k of CD-k), at least 1
	LearningRate float64 // plain SGD, as the lecture notes' program (0.1 there)
	BatchSize    int     // 64 there
	// Chains is the number of PCD fantasy chains; 0 means BatchSize.
	Chains int
	// Binarize samples each batch v ~ Bernoulli(pixel intensity) afresh, as
	// the lecture notes' program does; for binary RBMs on grey images.
	Binarize bool
	// Seed fixes the order of the batches (Batches), the binarisation, the
	// Gibbs chains and PCD's initial fantasy states.
	Seed uint64
	// Loss, when set, replaces Model.Loss: a function of the data v, the
	// chain's end vk (both [BatchSize, Visible]) and W, b, c whose gradient
	// is the update — an exercise's CD loss. Binary RBMs only.
	Loss func(v, vk, w, b, c *Node) *Node `json:"-"`
}

// Name is "CD-k" or "PCD-k".
func (c Config) Name() string { return fmt.Sprintf("%s-%d", c.Method, c.K) }

// EpochStats are the means over an epoch's updates.
type EpochStats struct {
	// Loss is the surrogate loss mean F(v) − mean F(v_neg) (not a log-likelihood).
	Loss float64 `json:"loss"`
	// ReconError is Σ_i (v_i − E[v_i | h])² per image, h ~ p(h | v) sampled
	// once from the (binarised) data v.
	ReconError float64 `json:"recon_error"`
}

// Trainer trains an RBM by CD-k or PCD with SGD. Each update is a step of
// pkg/fit's Minimizer on the surrogate loss (Model.Loss, or Config.Loss), with
// GoMLX's SGD at the constant Config.LearningRate; the Trainer adds what is
// particular to RBMs: PCD's fantasy chains, the batches binarised by
// sampling, and the reconstruction error. Epochs run in pkg/fit's step loop
// (Minimizer.Loop), an era per epoch, on the batches of pkg/datasets (Batches):
// the training rows in a new order each epoch, chosen by Config.Seed and the
// epoch.
type Trainer struct {
	Model  Model
	Config Config
	Store  *model.Store
	min    *fit.Minimizer
	// batches serves data, the rows of the Epoch calls so far.
	batches *datasets.Batches
	data    []float32
}

// NewTrainer returns a trainer that starts from the parameters init.
func NewTrainer(backend compute.Backend, init *Params, cfg Config) (*Trainer, error) {
	if cfg.K < 1 {
		return nil, fmt.Errorf("rbm: Config.K = %d: contrastive divergence needs at least one Gibbs step", cfg.K)
	}
	if cfg.BatchSize < 1 || !(cfg.LearningRate > 0) {
		return nil, fmt.Errorf("rbm: Config needs a positive BatchSize and LearningRate, got %d and %g", cfg.BatchSize, cfg.LearningRate)
	}
	if cfg.Loss != nil && init.Sigma != nil {
		return nil, fmt.Errorf("rbm: Config.Loss is for binary RBMs; this one's visible units are Gaussian")
	}
	if cfg.Binarize && init.Sigma != nil {
		return nil, fmt.Errorf("rbm: Config.Binarize is for binary visible units; this RBM's are Gaussian")
	}
	store, err := NewStore(init, int64(cfg.Seed))
	if err != nil {
		return nil, err
	}
	t := &Trainer{Model: init.Model(), Config: cfg, Store: store}
	if cfg.Method == PCD {
		chains := cfg.Chains
		if chains == 0 {
			chains = cfg.BatchSize
		}
		// The fantasy chains start from the initial model's visible marginal
		// when W is small: Bernoulli(σ(b_i)) (noise for zero biases), or
		// N(b, σ²).
		rnd := rng.MathRand(cfg.Seed, 0xfa17)
		start := make([]float32, chains*init.Visible)
		for n := range start {
			i := n % init.Visible
			if init.Sigma != nil {
				start[n] = float32(init.B[i] + init.Sigma[i]*rnd.NormFloat64())
			} else if rnd.Float64() < 1/(1+math.Exp(-init.B[i])) {
				start[n] = 1
			}
		}
		store.RootScope().At(ScopeName).VariableWithValue(FantasyName, tensors.FromFlatDataAndDimensions(start, chains, init.Visible)).SetTrainable(false)
	}
	// Plain SGD: GoMLX's default divides the learning rate by √step.
	sgd := optimizer.StochasticGradientDescent().WithDecay(false).WithLearningRate(cfg.LearningRate).Done()
	t.min, err = fit.NewMinimizer(backend, store, t.objective, sgd)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// objective is the loss of one update on a batch [BatchSize, Visible] — the
// surrogate loss, whose gradient the Minimizer's SGD applies — with the mean
// reconstruction error per image as an extra output. For PCD it also
// advances the fantasy chains.
func (t *Trainer) objective(scope *model.Scope, inputs []*Node) (*Node, []*Node) {
	m, cfg := t.Model, t.Config
	batch := inputs[0]
	g := batch.Graph()
	v := batch
	if cfg.Binarize {
		v = graphx.Bernoulli(scope, batch)
	}
	v = StopGradient(v)
	// One Gibbs step from the data: the reconstruction, and CD's first step.
	sample1, mean1 := m.Gibbs(scope, v, 1)
	reconError := ReduceAllMean(ReduceSum(Square(Sub(v, mean1)), -1))
	var negative *Node
	switch cfg.Method {
	case CD:
		negative = sample1
		if cfg.K > 1 {
			negative, _ = m.Gibbs(scope, sample1, cfg.K-1)
		}
	case PCD:
		fantasy := scope.At(ScopeName).GetVariable(FantasyName)
		negative, _ = m.Gibbs(scope, fantasy.NodeValue(g), cfg.K)
		fantasy.SetNodeValue(negative)
	}
	var loss *Node
	if cfg.Loss != nil {
		w, b, c := m.vars(scope, g)
		loss = cfg.Loss(v, negative, w, b, c)
	} else {
		loss = m.Loss(scope, v, negative)
	}
	return loss, []*Node{reconError}
}

// Step runs one update on a batch of BatchSize rows (flat [BatchSize, Visible]).
func (t *Trainer) Step(batch []float32) (loss, reconError float64, err error) {
	if len(batch) != t.Config.BatchSize*t.Model.Visible {
		return 0, 0, fmt.Errorf("rbm: a batch has %d values, want BatchSize·Visible = %d", len(batch), t.Config.BatchSize*t.Model.Visible)
	}
	return t.step(tensors.FromFlatDataAndDimensions(batch, t.Config.BatchSize, t.Model.Visible))
}

// step runs one update on a batch tensor [BatchSize, Visible], which the
// Minimizer takes.
func (t *Trainer) step(batch *tensors.Tensor) (loss, reconError float64, err error) {
	loss, extras, err := t.min.Step(batch)
	if err != nil && len(extras) == 0 {
		return 0, 0, err
	}
	// A non-finite loss is also an error of the Minimizer: reported below, in the RBM's words.
	reconError = float64(tensors.ToScalar[float32](extras[0]))
	if math.IsNaN(loss) || math.IsInf(loss, 0) || math.IsNaN(reconError) || math.IsInf(reconError, 0) {
		return loss, reconError, fmt.Errorf("rbm: %s diverged: the loss is %g and the reconstruction error %g (lower the learning rate)", t.Config.Name(), loss, reconError)
	}
	return loss, reconError, nil
}

// Batches returns the batches that a Trainer with this configuration trains
// on from data (flat [n, visible]): pkg/datasets' Batches over its rows,
// BatchSize rows each, epoch e in the random order that (Seed, e) gives; the
// last n mod BatchSize rows of an epoch's order are left out of it.
func (c Config) Batches(data []float32, visible int) (*datasets.Batches, error) {
	if visible < 1 || len(data)%visible != 0 || len(data)/visible < c.BatchSize {
		return nil, fmt.Errorf("rbm: the training data have %d values: want a multiple of Visible = %d with at least BatchSize = %d rows", len(data), visible, c.BatchSize)
	}
	rows := &datasets.Rows{Name: "training rows", Width: visible, Values: data}
	return datasets.NewRowBatches(rows, datasets.BatchOptions{Size: c.BatchSize, Shuffle: true, Seed: c.Seed, DropRemainder: true, Labels: datasets.NoLabels})
}

// Epoch trains one epoch on the rows of data (flat [n, Visible]), in the
// batches of Config.Batches. Successive calls with the same data train its
// successive epochs (each in its own order); data that are not the previous
// call's start again at their first epoch.
func (t *Trainer) Epoch(data []float32) (EpochStats, error) {
	var stats EpochStats
	err := t.epochs(data, 1, func(s EpochStats, _ fit.Era) error {
		stats = s
		return nil
	})
	return stats, err
}

// epochs runs epochs epochs on data through pkg/fit's step loop, an era per
// epoch, each on the next epoch of data's batches, and calls onEpoch (when
// not nil) after each with the epoch's statistics and its era (Era.Seconds:
// the training time of the epoch).
func (t *Trainer) epochs(data []float32, epochs int, onEpoch func(EpochStats, fit.Era) error) error {
	if t.batches == nil || len(data) != len(t.data) || len(data) == 0 || &data[0] != &t.data[0] {
		b, err := t.Config.Batches(data, t.Model.Visible)
		if err != nil {
			return err
		}
		t.batches, t.data = b, data
	}
	steps := t.batches.Len()
	var next func() (train.Batch, error, bool)
	stop := func() {}
	defer func() { stop() }()
	var stats EpochStats
	_, err := t.min.Loop(fit.Loop{
		Steps: epochs * steps, Era: steps,
		Step: func(i int) (float64, []*tensors.Tensor, error) {
			s := (i - 1) % steps
			if s == 0 {
				stop()
				next, stop = iter.Pull2(t.batches.Iter())
				stats = EpochStats{}
			}
			batch, err, ok := next()
			epoch := t.batches.Epoch() // started: this one's number, from 1
			if err == nil && !ok {
				err = fmt.Errorf("the batches ended after %d of %d", s, steps)
			}
			if err != nil {
				return 0, nil, fmt.Errorf("epoch %d, step %d: %w", epoch, s+1, err)
			}
			loss, recon, err := t.step(batch.Inputs[0])
			if err != nil {
				return loss, nil, fmt.Errorf("epoch %d, step %d: %w", epoch, s+1, err)
			}
			stats.Loss += loss / float64(steps)
			stats.ReconError += recon / float64(steps)
			return loss, nil, nil
		},
		OnEra: func(e fit.Era) (string, error) {
			if onEpoch == nil {
				return "", nil
			}
			return "", onEpoch(stats, e)
		},
	})
	return err
}

// Params returns the current parameters.
func (t *Trainer) Params() (*Params, error) { return t.Model.ParamsFromStore(t.Store) }

// Sample runs chains Gibbs chains of the RBM p for each of the given numbers
// of steps (increasing), all from the same noise start, and returns, for each,
// the mean of p(v | h) at the last step, flat [chains, Visible].
func Sample(backend compute.Backend, p *Params, chains int, steps []int, seed uint64) ([][]float32, error) {
	store, err := NewStore(p, int64(seed))
	if err != nil {
		return nil, err
	}
	m := p.Model()
	rnd := rng.MathRand(seed, 0x5a3b)
	v := make([]float32, chains*p.Visible)
	for n := range v {
		i := n % p.Visible
		if p.Sigma != nil {
			v[n] = float32(p.B[i] + p.Sigma[i]*rnd.NormFloat64())
		} else if rnd.IntN(2) == 1 {
			v[n] = 1
		}
	}
	const chunk = 50
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, v *Node) (sample, mean *Node) {
		return m.Gibbs(scope, v, chunk)
	})
	if err != nil {
		return nil, err
	}
	one, err := model.NewExec(backend, store, func(scope *model.Scope, v *Node) (sample, mean *Node) {
		return m.Gibbs(scope, v, 1)
	})
	if err != nil {
		return nil, err
	}
	state := tensors.FromFlatDataAndDimensions(v, chains, p.Visible)
	var mean *tensors.Tensor
	done := 0
	var out [][]float32
	for _, target := range steps {
		if target < 1 || target < done {
			return nil, fmt.Errorf("rbm: Sample's steps must be positive and increasing, got %v", steps)
		}
		for done < target {
			e := one
			n := 1
			if target-done >= chunk {
				e, n = exec, chunk
			}
			res, err := e.Call(state)
			if err != nil {
				return nil, err
			}
			state, mean = res[0], res[1]
			done += n
		}
		flat, err := tensors.CopyFlatData[float32](mean)
		if err != nil {
			return nil, err
		}
		out = append(out, flat)
	}
	return out, nil
}

// Reconstruct returns, for each row of data (flat [n, Visible]), the mean of
// p(v | h) with h ~ p(h | v) sampled once: the one-step reconstruction.
func Reconstruct(backend compute.Backend, p *Params, data []float32, seed uint64) ([]float32, error) {
	store, err := NewStore(p, int64(seed))
	if err != nil {
		return nil, err
	}
	m := p.Model()
	out, err := model.CallOnce(backend, store, m.Reconstruct, tensors.FromFlatDataAndDimensions(data, len(data)/p.Visible, p.Visible))
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[float32](out)
}

// Fantasy returns PCD's fantasy chains' current states, flat [Chains,
// Visible]; nil for CD.
func (t *Trainer) Fantasy() ([]float32, error) {
	if t.Config.Method != PCD {
		return nil, nil
	}
	v, err := t.Store.RootScope().At(ScopeName).GetVariable(FantasyName).Value()
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[float32](v)
}
