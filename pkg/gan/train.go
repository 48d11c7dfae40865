package gan

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/klcourse/klcourse/internal/rng"
)

// NoiseKind is the distribution of the generator's input noise.
type NoiseKind int

const (
	// Uniform noise: independent U[0, 1) coordinates (the blog post's).
	Uniform NoiseKind = iota
	// Normal noise: independent standard normal coordinates.
	Normal
)

// Affine is a fixed linear generator G(z) = z·A + B for normal noise z of
// dimension len(A): its samples are N(B, AᵀA), a density known exactly.
type Affine struct {
	A [][2]float64
	B [2]float64
}

// Config configures a GAN on two-dimensional data.
type Config struct {
	// Divergence is the f-divergence of the game; GeneratorLoss the
	// generator's side of it.
	Divergence    Divergence
	GeneratorLoss GeneratorLoss
	// Generator maps NoiseDim noise coordinates to 2; Discriminator maps
	// 2·Pack coordinates to the critic's raw output v (no output
	// activation: g_f is part of the loss).
	Generator, Discriminator Net
	NoiseDim                 int
	Noise                    NoiseKind
	// FixedGenerator, when set, replaces Generator by this affine map with
	// normal noise (NoiseDim = len(A)) and keeps it fixed: only the critic
	// trains, against a generator of known density.
	FixedGenerator *Affine
	// Pack is PacGAN's packing degree m: the critic judges m samples at once,
	// concatenated (0 means 1, no packing).
	Pack int
	// Batch is the number of (packed) examples per step of each player: each
	// step draws Batch·Pack data points and as many noise vectors.
	Batch int
	// LRDiscriminator and LRGenerator are Adam's learning rates; Beta1,
	// Beta2 and Epsilon its other settings (0 gives 0.9, 0.999 and 10⁻⁸, the
	// defaults of JAX's and PyTorch's Adam).
	LRDiscriminator, LRGenerator float64
	Beta1, Beta2, Epsilon        float64
	// InitStd > 0 draws the initial weights from N(0, InitStd²) with zero
	// biases; 0 uses Glorot-normal weights and N(0, 0.01²) biases (JAX
	// stax's Dense).
	InitStd float64
	// Seed fixes the initial weights, the batches and the noise.
	Seed uint64
	// Data is the training set; each step draws its batch uniformly with
	// replacement, as the blog post does.
	Data [][2]float64
	// SnapshotEvery > 0 records SnapshotSize generated points (from one
	// fixed noise sample) every SnapshotEvery steps, and after the last.
	SnapshotEvery, SnapshotSize int
}

func (c *Config) defaults() {
	if c.Pack == 0 {
		c.Pack = 1
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Epsilon == 0 {
		c.Epsilon = 1e-8
	}
	if c.FixedGenerator != nil {
		c.Generator = Net{}
		c.Noise = Normal
		c.NoiseDim = len(c.FixedGenerator.A)
	}
}

func (c *Config) validate() error {
	switch {
	case c.Divergence.Activation == nil:
		return errors.New("gan: Config.Divergence is not set: use gan.GAN, gan.ForwardKL, gan.ReverseKL, gan.Pearson or gan.Hellinger")
	case c.NoiseDim < 1:
		return fmt.Errorf("gan: Config.NoiseDim is %d, want ≥ 1", c.NoiseDim)
	case c.Batch < 1:
		return fmt.Errorf("gan: Config.Batch is %d, want ≥ 1", c.Batch)
	case c.Pack < 1:
		return fmt.Errorf("gan: Config.Pack is %d, want ≥ 1", c.Pack)
	case !(c.LRDiscriminator >= 0) || !(c.LRGenerator >= 0):
		return fmt.Errorf("gan: learning rates must be ≥ 0, got %g (discriminator) and %g (generator)", c.LRDiscriminator, c.LRGenerator)
	case len(c.Data) == 0:
		return errors.New("gan: Config.Data is empty: give the training points")
	case c.Discriminator.Output != "":
		return fmt.Errorf("gan: the discriminator's output activation must be empty (g_f is part of the loss), got %q", c.Discriminator.Output)
	case c.SnapshotEvery > 0 && c.SnapshotSize < 1:
		return fmt.Errorf("gan: Config.SnapshotSize is %d with SnapshotEvery %d, want ≥ 1", c.SnapshotSize, c.SnapshotEvery)
	}
	if err := c.Generator.validate("generator"); err != nil {
		return err
	}
	return c.Discriminator.validate("discriminator")
}

// History records a run: the losses of both players at every step (the
// critic's before its update, the generator's after it) and the snapshots.
type History struct {
	DLoss, GLoss  []float64
	SnapshotSteps []int
	Snapshots     [][][2]float64
	// Seconds is the time spent in Train.
	Seconds float64
}

// Trainer trains a generator and a critic against each other. Each step is
// one compiled graph: the critic's Adam step on the loss
// −(E_P[g_f(v)] − E_Q[f*(g_f(v))]) for a batch of data and of generated
// points, then the generator's Adam step on GeneratorLoss against the
// updated critic, with the same noise.
type Trainer struct {
	cfg       Config
	backend   compute.Backend
	gen, disc params
	// state holds, as tensors: generator weights, critic weights, then
	// Adam's first and second moments of each (see stateLayout).
	state      []*tensors.Tensor
	stepExec   *graph.Exec
	genExec    *graph.Exec
	criticExec *graph.Exec
	r          *rng.Source
	steps      int
	History    History
	snapshotZ  [][]float32
	realBuf    []float32
	noiseBuf   []float32
}

// New builds a trainer; nothing is compiled until the first step.
func New(backend compute.Backend, cfg Config) (*Trainer, error) {
	cfg.defaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if backend == nil {
		return nil, errors.New("gan: backend is nil")
	}
	init := rng.New(cfg.Seed, 11)
	t := &Trainer{cfg: cfg, backend: backend, r: rng.New(cfg.Seed, 12)}
	t.gen = initParams(cfg.Generator.shapes(cfg.NoiseDim, 2), cfg.InitStd, init)
	t.disc = initParams(cfg.Discriminator.shapes(2*cfg.Pack, 1), cfg.InitStd, init)
	if a := cfg.FixedGenerator; a != nil {
		for i, row := range a.A {
			t.gen.W[0][2*i], t.gen.W[0][2*i+1] = float32(row[0]), float32(row[1])
		}
		t.gen.B[0][0], t.gen.B[0][1] = float32(a.B[0]), float32(a.B[1])
	}
	if cfg.SnapshotEvery > 0 {
		t.snapshotZ = t.noise(rng.New(cfg.Seed, 13), cfg.SnapshotSize)
	}
	var err error
	if t.state, err = t.initialState(); err != nil {
		return nil, err
	}
	if t.stepExec, err = graph.NewExec(backend, t.stepGraph); err != nil {
		return nil, err
	}
	if t.genExec, err = graph.NewExec(backend, func(z, theta *Node) *Node {
		return t.cfg.Generator.forward(z, t.gen.unflatten(theta))
	}); err != nil {
		return nil, err
	}
	if t.criticExec, err = graph.NewExec(backend, func(x, theta *Node) *Node {
		return Reshape(t.cfg.Discriminator.forward(x, t.disc.unflatten(theta)), -1)
	}); err != nil {
		return nil, err
	}
	return t, nil
}

// Config returns the trainer's configuration, with defaults filled in.
func (t *Trainer) Config() Config { return t.cfg }

// Steps returns the number of steps trained so far.
func (t *Trainer) Steps() int { return t.steps }

// The state tensors: the generator's and the critic's weight vectors, then
// Adam's moments of each.
const (
	stGen = iota
	stDisc
	stGenM
	stGenV
	stDiscM
	stDiscV
)

func (t *Trainer) initialState() ([]*tensors.Tensor, error) {
	ng, nd := t.gen.size(), t.disc.size()
	return []*tensors.Tensor{
		tensors.FromFlatDataAndDimensions(t.gen.flat(), ng),
		tensors.FromFlatDataAndDimensions(t.disc.flat(), nd),
		tensors.FromFlatDataAndDimensions(make([]float32, ng), ng),
		tensors.FromFlatDataAndDimensions(make([]float32, ng), ng),
		tensors.FromFlatDataAndDimensions(make([]float32, nd), nd),
		tensors.FromFlatDataAndDimensions(make([]float32, nd), nd),
	}, nil
}

// noise draws n noise vectors.
func (t *Trainer) noise(r *rng.Source, n int) [][]float32 {
	z := make([][]float32, n)
	for i := range z {
		z[i] = make([]float32, t.cfg.NoiseDim)
		for j := range z[i] {
			if t.cfg.Noise == Normal {
				z[i][j] = float32(r.Normal())
			} else {
				z[i][j] = float32(r.Float64())
			}
		}
	}
	return z
}

// stepGraph builds one training step; see Trainer.
func (t *Trainer) stepGraph(ins []*Node) []*Node {
	cfg := t.cfg
	real, z, hyper, st := ins[0], ins[1], ins[2], ins[3:]
	pack := func(x *Node) *Node { return Reshape(x, cfg.Batch, 2*cfg.Pack) }
	at := func(i int) *Node { return Reshape(Slice(hyper, AxisElem(i))) }
	generator := func(theta *Node) *Node { return cfg.Generator.forward(z, t.gen.unflatten(theta)) }
	critic := func(theta, x *Node) *Node { return cfg.Discriminator.forward(pack(x), t.disc.unflatten(theta)) }

	fake := generator(st[stGen])
	dLoss := discriminatorLoss(cfg.Divergence, critic(st[stDisc], real), critic(st[stDisc], StopGradient(fake)))
	dTheta, dM, dV := adamStep(st[stDisc], Gradient(dLoss, st[stDisc])[0], st[stDiscM], st[stDiscV],
		cfg.LRDiscriminator, cfg.Beta1, cfg.Beta2, cfg.Epsilon, at(0), at(1))

	gLoss := generatorLoss(cfg.Divergence, cfg.GeneratorLoss, critic(dTheta, fake))
	gTheta, gM, gV := st[stGen], st[stGenM], st[stGenV]
	if cfg.FixedGenerator == nil {
		gTheta, gM, gV = adamStep(gTheta, Gradient(gLoss, gTheta)[0], gM, gV,
			cfg.LRGenerator, cfg.Beta1, cfg.Beta2, cfg.Epsilon, at(2), at(3))
	}
	return []*Node{dLoss, gLoss, gTheta, dTheta, gM, gV, dM, dV}
}

// adamStep is PyTorch's Adam on a weight vector: m ← β₁m + (1−β₁)g,
// v ← β₂v + (1−β₂)g², θ ← θ − lr·(m·c₁)/(√(v·c₂) + ε), with the bias
// corrections c₁ = 1/(1 − β₁ᵗ) and c₂ = 1/(1 − β₂ᵗ) given as scalar nodes.
func adamStep(theta, g, m, v *Node, lr, b1, b2, eps float64, c1, c2 *Node) (newTheta, newM, newV *Node) {
	newM = Add(MulScalar(m, b1), MulScalar(g, 1-b1))
	newV = Add(MulScalar(v, b2), MulScalar(Square(g), 1-b2))
	step := Div(Mul(newM, c1), AddScalar(Sqrt(Mul(newV, c2)), eps))
	return Sub(theta, MulScalar(step, lr)), newM, newV
}

// Step trains one step of both players and returns the critic's loss (before
// its update) and the generator's (after it).
func (t *Trainer) Step() (dLoss, gLoss float64, err error) {
	cfg := t.cfg
	n := cfg.Batch * cfg.Pack
	if t.realBuf == nil {
		t.realBuf, t.noiseBuf = make([]float32, 2*n), make([]float32, n*cfg.NoiseDim)
	}
	for i := range n {
		p := cfg.Data[t.r.IntN(len(cfg.Data))]
		t.realBuf[2*i], t.realBuf[2*i+1] = float32(p[0]), float32(p[1])
	}
	for i := range t.noiseBuf {
		if cfg.Noise == Normal {
			t.noiseBuf[i] = float32(t.r.Normal())
		} else {
			t.noiseBuf[i] = float32(t.r.Float64())
		}
	}
	s := float64(t.steps + 1)
	hyper := []float32{
		float32(1 / (1 - math.Pow(cfg.Beta1, s))), float32(1 / (1 - math.Pow(cfg.Beta2, s))),
		float32(1 / (1 - math.Pow(cfg.Beta1, s))), float32(1 / (1 - math.Pow(cfg.Beta2, s))),
	}
	args := make([]any, 0, 3+len(t.state))
	args = append(args, tensors.FromFlatDataAndDimensions(t.realBuf, n, 2),
		tensors.FromFlatDataAndDimensions(t.noiseBuf, n, cfg.NoiseDim), hyper)
	for _, x := range t.state {
		args = append(args, x)
	}
	out, err := t.stepExec.Call(args...)
	if err != nil {
		return 0, 0, fmt.Errorf("gan: step %d: %w", t.steps+1, err)
	}
	for _, x := range t.state {
		x.FinalizeAll()
	}
	t.state = out[2:]
	dLoss = float64(tensors.ToScalar[float32](out[0]))
	gLoss = float64(tensors.ToScalar[float32](out[1]))
	out[0].FinalizeAll()
	out[1].FinalizeAll()
	t.steps++
	if math.IsNaN(dLoss) || math.IsInf(dLoss, 0) || math.IsNaN(gLoss) || math.IsInf(gLoss, 0) {
		return dLoss, gLoss, fmt.Errorf("gan: step %d: the losses are not finite (critic %g, generator %g)", t.steps, dLoss, gLoss)
	}
	return dLoss, gLoss, nil
}

// Train runs steps training steps, recording the losses and snapshots in
// History. It stops at the first error (a loss that is not finite).
func (t *Trainer) Train(steps int) error {
	start := time.Now()
	defer func() { t.History.Seconds += time.Since(start).Seconds() }()
	if t.cfg.SnapshotEvery > 0 && t.steps == 0 {
		if err := t.snapshot(); err != nil {
			return err
		}
	}
	for i := range steps {
		d, g, err := t.Step()
		t.History.DLoss = append(t.History.DLoss, d)
		t.History.GLoss = append(t.History.GLoss, g)
		if err != nil {
			return err
		}
		if e := t.cfg.SnapshotEvery; e > 0 && (t.steps%e == 0 || i == steps-1) {
			if err := t.snapshot(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *Trainer) snapshot() error {
	xy, err := t.generate(t.snapshotZ)
	if err != nil {
		return err
	}
	t.History.SnapshotSteps = append(t.History.SnapshotSteps, t.steps)
	t.History.Snapshots = append(t.History.Snapshots, xy)
	return nil
}

func (t *Trainer) generate(z [][]float32) ([][2]float64, error) {
	flat := make([]float32, 0, len(z)*t.cfg.NoiseDim)
	for _, row := range z {
		flat = append(flat, row...)
	}
	out, err := t.genExec.Call(tensors.FromFlatDataAndDimensions(flat, len(z), t.cfg.NoiseDim), t.state[stGen])
	if err != nil {
		return nil, fmt.Errorf("gan: generating: %w", err)
	}
	v := tensors.MustCopyFlatData[float32](out[0])
	out[0].FinalizeAll()
	xy := make([][2]float64, len(z))
	for i := range xy {
		xy[i] = [2]float64{float64(v[2*i]), float64(v[2*i+1])}
	}
	return xy, nil
}

// Sample returns n points of the generator, from noise drawn with the seed.
func (t *Trainer) Sample(n int, seed uint64) ([][2]float64, error) {
	return t.generate(t.noise(rng.New(seed, 14), n))
}

// Critic returns the critic's raw output v at each point (T = g_f(v); for
// the GAN, D = σ(v)). With packing, each point is repeated Pack times to
// form one example.
func (t *Trainer) Critic(xy [][2]float64) ([]float64, error) {
	if len(xy) == 0 {
		return nil, nil
	}
	m := t.cfg.Pack
	flat := make([]float32, 0, 2*m*len(xy))
	for _, p := range xy {
		for range m {
			flat = append(flat, float32(p[0]), float32(p[1]))
		}
	}
	out, err := t.criticExec.Call(tensors.FromFlatDataAndDimensions(flat, len(xy), 2*m), t.state[stDisc])
	if err != nil {
		return nil, fmt.Errorf("gan: evaluating the critic: %w", err)
	}
	v := tensors.MustCopyFlatData[float32](out[0])
	out[0].FinalizeAll()
	res := make([]float64, len(v))
	for i, x := range v {
		res[i] = float64(x)
	}
	return res, nil
}

// Bound estimates the variational bound F = E_P[g_f(v)] − E_Q[f*(g_f(v))]
// that the critic attains, on n data points drawn from Data and n fresh
// generated points (no packing: Pack must be 1).
func (t *Trainer) Bound(n int, seed uint64) (float64, error) {
	if t.cfg.Pack != 1 {
		return 0, fmt.Errorf("gan: Bound needs an unpacked critic, Pack is %d", t.cfg.Pack)
	}
	r := rng.New(seed, 15)
	real := make([][2]float64, n)
	for i := range real {
		real[i] = t.cfg.Data[r.IntN(len(t.cfg.Data))]
	}
	fake, err := t.Sample(n, seed)
	if err != nil {
		return 0, err
	}
	vr, err := t.Critic(real)
	if err != nil {
		return 0, err
	}
	vf, err := t.Critic(fake)
	if err != nil {
		return 0, err
	}
	_, _, f := t.cfg.Divergence.BoundTerms(vr, vf)
	return f, nil
}
