package diffusion

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/pkg/fit"
	"github.com/klcourse/klcourse/pkg/mixture"
)

// QSampleFn computes x_t from data x0 [batch, 2], steps t [batch] (int32)
// and noise eps [batch, 2]: the closed form of q(x_t | x_0), or a student's
// version of it.
type QSampleFn func(x0, t, eps *graph.Node) *graph.Node

// Config configures training.
type Config struct {
	// Schedule is the noise schedule; nil means DDPM().
	Schedule *Schedule
	// Net is the denoiser; the zero value means SmallDenoiser().
	Net Denoiser
	// Steps is the number of optimiser steps, BatchSize the points per step.
	Steps, BatchSize int
	// LearningRate of Adam (ε = 1e-8, PyTorch's); 0 means 1e-3.
	LearningRate float64
	// Seed fixes the initial weights and every batch (points, steps, noise);
	// it must not be 0.
	Seed int64
	// QSample replaces the closed form of q(x_t | x_0) in the loss; nil
	// means the closed form. (The exercise trains with the student's.)
	QSample QSampleFn
	// Progress receives a progress bar; nil shows none.
	Progress io.Writer
	// LogEvery is the window of the recorded mean loss; 0 means Steps/100.
	LogEvery int
}

// Model is a trained diffusion model: the schedule, the denoiser and its
// weights, and the affine map that standardises the data. The model works on
// y = (x − Center)/Scale; samples and ELBOs are returned for x.
type Model struct {
	Backend  compute.Backend
	Store    *model.Store
	Schedule *Schedule
	Net      Denoiser
	// Center and Scale standardise the data: the mean of the training data,
	// and the square root of its variance averaged over the two axes.
	Center [2]float64
	Scale  float64
	// Record is the training history.
	Record *fit.StepRecord

	sqrtAB, sqrt1mAB  []float64
	epsExec, stepExec *model.Exec
}

func newModel(backend compute.Backend, s *Schedule, net Denoiser) *Model {
	m := &Model{Backend: backend, Store: model.NewStore(), Schedule: s, Net: net}
	m.sqrtAB = make([]float64, len(s.AlphaBar))
	m.sqrt1mAB = make([]float64, len(s.AlphaBar))
	for t, ab := range s.AlphaBar {
		m.sqrtAB[t], m.sqrt1mAB[t] = math.Sqrt(ab), math.Sqrt(1-ab)
	}
	return m
}

// Standardize returns the affine map (center, scale) that gives points of
// zero mean and unit variance averaged over the axes.
func Standardize(points [][2]float64) (center [2]float64, scale float64, err error) {
	if len(points) < 2 {
		return center, 0, fmt.Errorf("diffusion: %d data points; want at least 2", len(points))
	}
	n := float64(len(points))
	for _, p := range points {
		center[0] += p[0] / n
		center[1] += p[1] / n
	}
	v := 0.0
	for _, p := range points {
		dx, dy := p[0]-center[0], p[1]-center[1]
		v += (dx*dx + dy*dy) / (2 * n)
	}
	if !(v > 0) || math.IsInf(v, 0) {
		return center, 0, fmt.Errorf("diffusion: the data has variance %v; want a finite positive spread", v)
	}
	return center, math.Sqrt(v), nil
}

func (m *Model) toY(p [2]float64) [2]float64 {
	return [2]float64{(p[0] - m.Center[0]) / m.Scale, (p[1] - m.Center[1]) / m.Scale}
}

func (m *Model) toX(y [2]float64) [2]float64 {
	return [2]float64{m.Center[0] + m.Scale*y[0], m.Center[1] + m.Scale*y[1]}
}

// Train trains a denoiser on data with the ε-prediction loss: at every step
// BatchSize points drawn at random (with replacement), a step t uniform in
// 1 … T for each, and fresh noise ε ~ N(0, I),
//
//	loss = mean ‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, t)‖²,
//
// minimised with Adam through pkg/fit's Steps.
func Train(backend compute.Backend, data [][2]float64, cfg Config) (*Model, error) {
	if backend == nil {
		return nil, errors.New("diffusion.Train: backend is nil")
	}
	if cfg.Schedule == nil {
		cfg.Schedule = DDPM()
	}
	if cfg.Net == (Denoiser{}) {
		cfg.Net = SmallDenoiser()
	}
	if err := cfg.Net.validate(); err != nil {
		return nil, err
	}
	if cfg.Net.Dim != 2 {
		return nil, fmt.Errorf("diffusion.Train: the denoiser is for %d-D points; the data is 2-D", cfg.Net.Dim)
	}
	if cfg.Steps < 1 || cfg.BatchSize < 1 {
		return nil, fmt.Errorf("diffusion.Train: Steps = %d, BatchSize = %d; want both ≥ 1", cfg.Steps, cfg.BatchSize)
	}
	lr := cfg.LearningRate
	if lr == 0 {
		lr = 1e-3
	}
	every := cfg.LogEvery
	if every == 0 {
		every = max(1, cfg.Steps/100)
	}
	m := newModel(backend, cfg.Schedule, cfg.Net)
	var err error
	if m.Center, m.Scale, err = Standardize(data); err != nil {
		return nil, err
	}
	steps, err := m.newSteps(cfg.QSample, lr, cfg.Seed)
	if err != nil {
		return nil, err
	}
	ys := make([][2]float64, len(data))
	for i, p := range data {
		ys[i] = m.toY(p)
	}
	rnd := rng.MathRand(uint64(cfg.Seed), 0x5eed0d1f)
	T := cfg.Schedule.T()
	B := cfg.BatchSize
	batch := func(int) ([]*tensors.Tensor, error) {
		x0 := make([]float32, 2*B)
		ts := make([]int32, B)
		eps := make([]float32, 2*B)
		for i := range B {
			y := ys[rnd.IntN(len(ys))]
			x0[2*i], x0[2*i+1] = float32(y[0]), float32(y[1])
			ts[i] = int32(1 + rnd.IntN(T))
			eps[2*i], eps[2*i+1] = float32(rnd.NormFloat64()), float32(rnd.NormFloat64())
		}
		return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x0, B, 2), tensors.FromValue(ts), tensors.FromFlatDataAndDimensions(eps, B, 2)}, nil
	}
	m.Record, err = steps.Run(cfg.Steps, every, batch, cfg.Progress)
	if err != nil {
		return m, fmt.Errorf("diffusion.Train: %w", err)
	}
	return m, nil
}

// newSteps returns the trainer of the ε-prediction loss on the model's store,
// with q(x_t | x_0) computed by qs (nil: the closed form).
func (m *Model) newSteps(qs QSampleFn, lr float64, seed int64) (*fit.Minimizer, error) {
	if qs == nil {
		qs = func(x0, t, eps *graph.Node) *graph.Node { return qSample(m.sqrtAB, m.sqrt1mAB, x0, t, eps) }
	}
	loss := func(scope *model.Scope, in []*graph.Node) (*graph.Node, []*graph.Node) {
		x0, t, eps := in[0], in[1], in[2]
		pred := m.Net.Eps(scope, qs(x0, t, eps), t)
		return graph.ReduceAllMean(graph.ReduceSum(graph.Square(graph.Sub(eps, pred)), -1)), nil
	}
	if err := fit.Seed(m.Store, seed); err != nil {
		return nil, err
	}
	opt := fit.Adam(lr)
	return fit.NewMinimizer(m.Backend, m.Store, loss, opt)
}

// evalChunk is the number of rows per call of the denoiser outside training:
// every call has this shape, so the graph is compiled once.
const evalChunk = 4096

// PredictEps returns ε_θ(y_i, t_i) for standardised points ys and steps ts.
func (m *Model) PredictEps(ys [][2]float64, ts []int) ([][2]float64, error) {
	if len(ys) != len(ts) {
		return nil, fmt.Errorf("diffusion.PredictEps: %d points and %d steps", len(ys), len(ts))
	}
	if m.epsExec == nil {
		var err error
		m.epsExec, err = model.NewExec(m.Backend, m.Store, func(scope *model.Scope, x, t *graph.Node) *graph.Node {
			return m.Net.Eps(scope, x, t)
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([][2]float64, len(ys))
	x := make([]float32, 2*evalChunk)
	t := make([]int32, evalChunk)
	for start := 0; start < len(ys); start += evalChunk {
		n := min(evalChunk, len(ys)-start)
		for i := range evalChunk {
			j := start + min(i, n-1) // pad with the last row
			x[2*i], x[2*i+1] = float32(ys[j][0]), float32(ys[j][1])
			t[i] = int32(ts[j])
		}
		res, err := m.epsExec.Call(tensors.FromFlatDataAndDimensions(x, evalChunk, 2), tensors.FromValue(t))
		if err != nil {
			return nil, err
		}
		flat := tensors.MustCopyFlatData[float32](res[0])
		for i := range n {
			out[start+i] = [2]float64{float64(flat[2*i]), float64(flat[2*i+1])}
		}
		res[0].FinalizeAll()
	}
	return out, nil
}

// ELBO holds the terms of the negative evidence lower bound of held-out data,
// each a mean over the points, in nats:
//
//	−ELBO(x_0) = L_T + Σ_{t=2}^{T} L_{t−1} + L_0 + 2 log Scale,
//
// L_T = KL(q(x_T|x_0) ‖ N(0, I)) (Prior), L_{t−1} = KL(q(x_{t−1}|x_t, x_0) ‖
// p_θ(x_{t−1}|x_t)) (Steps[t]), L_0 = −log p_θ(x_0|x_1) (Reconstruction),
// each L_{t−1} and L_0 estimated with one draw of x_t per point; 2 log Scale
// converts the density of the standardised data to that of the data. The
// expectation of −ELBO over the data bounds the cross-entropy from above:
// E[−ELBO] ≥ E[−log p_θ(x)] = H(p_data) + KL(p_data ‖ p_θ).
type ELBO struct {
	Points         int
	Variance       Variance
	Prior          float64
	Reconstruction float64
	// Steps[t] is the mean of L_{t−1} for t = 2 … T (Steps[0] = Steps[1] = 0).
	Steps []float64
	// EpsMSE[t] is the mean of ‖ε − ε_θ(x_t, t)‖² for t = 1 … T.
	EpsMSE []float64
	// LogJacobian is 2 log Scale.
	LogJacobian float64
	// NegELBO is the mean −ELBO per point and StdErr its standard error.
	NegELBO, StdErr float64
}

// SumSteps returns Σ_{t=2}^{T} of the mean L_{t−1}.
func (e *ELBO) SumSteps() float64 {
	s := 0.0
	for _, v := range e.Steps {
		s += v
	}
	return s
}

// ELBO evaluates every term of the ELBO on the points data (in data units),
// drawing x_t ~ q(x_t | x_0) once per point and step from seed, with the
// reverse variances v.
func (m *Model) ELBO(data [][2]float64, seed uint64, v Variance) (*ELBO, error) {
	return elbo(m.Schedule, m.Center, m.Scale, m.PredictEps, data, seed, v)
}

// elbo is Model.ELBO for any predictor of the noise (of standardised points).
func elbo(s *Schedule, center [2]float64, scale float64, predict func(ys [][2]float64, ts []int) ([][2]float64, error), data [][2]float64, seed uint64, v Variance) (*ELBO, error) {
	if len(data) < 2 {
		return nil, fmt.Errorf("diffusion.ELBO: %d points; want at least 2", len(data))
	}
	T := s.T()
	n := len(data)
	e := &ELBO{Points: n, Variance: v, Steps: make([]float64, T+1), EpsMSE: make([]float64, T+1), LogJacobian: 2 * math.Log(scale)}
	perPoint := make([]float64, n)
	y0 := make([][2]float64, n)
	for i, p := range data {
		y0[i] = [2]float64{(p[0] - center[0]) / scale, (p[1] - center[1]) / scale}
		kl, err := s.PriorKL(y0[i][:])
		if err != nil {
			return nil, err
		}
		perPoint[i] = kl + e.LogJacobian
		e.Prior += kl / float64(n)
	}
	rnd := rng.MathRand(seed, 0xe1b0)
	// Steps in blocks, so that each call of the denoiser is a full chunk.
	per := max(1, evalChunk/n)
	for t0 := 1; t0 <= T; t0 += per {
		t1 := min(T, t0+per-1)
		var ys [][2]float64
		var ts []int
		var noise [][2]float64
		for t := t0; t <= t1; t++ {
			a, b := s.Marginal(t)
			for i := range n {
				z := [2]float64{rnd.NormFloat64(), rnd.NormFloat64()}
				ys = append(ys, [2]float64{a*y0[i][0] + b*z[0], a*y0[i][1] + b*z[1]})
				ts = append(ts, t)
				noise = append(noise, z)
			}
		}
		pred, err := predict(ys, ts)
		if err != nil {
			return nil, err
		}
		for k := range ys {
			t, i := ts[k], k%n
			d0, d1 := noise[k][0]-pred[k][0], noise[k][1]-pred[k][1]
			e.EpsMSE[t] += (d0*d0 + d1*d1) / float64(n)
			var term float64
			if t == 1 {
				term, err = s.Reconstruction(y0[i][:], ys[k][:], pred[k][:])
			} else {
				term, err = s.StepKL(t, y0[i][:], ys[k][:], pred[k][:], v)
			}
			if err != nil {
				return nil, err
			}
			if t == 1 {
				e.Reconstruction += term / float64(n)
			} else {
				e.Steps[t] += term / float64(n)
			}
			perPoint[i] += term
		}
	}
	mean, sq := 0.0, 0.0
	for _, x := range perPoint {
		mean += x / float64(n)
	}
	for _, x := range perPoint {
		sq += (x - mean) * (x - mean)
	}
	e.NegELBO = mean
	e.StdErr = math.Sqrt(sq / float64(n-1) / float64(n))
	return e, nil
}

// SampleOptions configures ancestral sampling.
type SampleOptions struct {
	// Steps is the number of denoising steps, spread evenly over 1 … T
	// (EvenSteps) with the schedule respaced to them (Strided); 0 means T.
	Steps int
	// Variance chooses σ_t² of the reverse steps.
	Variance Variance
	// Keep lists the number of denoising steps done (0 … Steps) after which
	// Sample records a snapshot of the points, for animations.
	Keep []int
}

// Sampled is the result of Sample.
type Sampled struct {
	Points [][2]float64 // in data units
	// Snapshots[k] are the points after Keep[k] denoising steps, in data
	// units, and SnapshotSteps[k] the step t of the chain they are at.
	Snapshots     [][][2]float64
	SnapshotSteps []int
	Seconds       float64
}

// Sample draws n points by ancestral sampling: y_T ~ N(0, I), then for
// t = T … 1
//
//	y_{t−1} = (y_t − β_t/√(1 − ᾱ_t) ε_θ(y_t, t))/√α_t + σ_t z,  z ~ N(0, I),
//
// with no noise added at the last step (the output is the decoder's mean, as
// in DDPM), and x = Center + Scale·y_0. With opts.Steps < T it visits only
// those steps, with the respaced schedule.
func (m *Model) Sample(n int, seed uint64, opts SampleOptions) (*Sampled, error) {
	if n < 1 {
		return nil, fmt.Errorf("diffusion.Sample: %d points; want at least 1", n)
	}
	T := m.Schedule.T()
	steps := opts.Steps
	if steps == 0 {
		steps = T
	}
	ts, err := EvenSteps(T, steps)
	if err != nil {
		return nil, err
	}
	sub, err := m.Schedule.Strided(ts)
	if err != nil {
		return nil, err
	}
	if m.stepExec == nil {
		m.stepExec, err = model.NewExec(m.Backend, m.Store, func(scope *model.Scope, inputs []*graph.Node) *graph.Node {
			x, t, coef, z := inputs[0], inputs[1], inputs[2], inputs[3]
			eps := m.Net.Eps(scope, x, t)
			a := graph.Reshape(graph.Slice(coef, graph.AxisElem(0)))
			b := graph.Reshape(graph.Slice(coef, graph.AxisElem(1)))
			sigma := graph.Reshape(graph.Slice(coef, graph.AxisElem(2)))
			return graph.Add(graph.Mul(a, graph.Sub(x, graph.Mul(b, eps))), graph.Mul(sigma, z))
		})
		if err != nil {
			return nil, err
		}
	}
	start := time.Now()
	rnd := rng.MathRand(seed, 0x5a3b1e)
	normals := func() []float32 {
		z := make([]float32, 2*n)
		for i := range z {
			z[i] = float32(rnd.NormFloat64())
		}
		return z
	}
	x := tensors.FromFlatDataAndDimensions(normals(), n, 2)
	keep := map[int]bool{}
	for _, k := range opts.Keep {
		keep[k] = true
	}
	out := &Sampled{}
	snapshot := func(done, t int) {
		if !keep[done] {
			return
		}
		out.Snapshots = append(out.Snapshots, m.points(tensors.MustCopyFlatData[float32](x)))
		out.SnapshotSteps = append(out.SnapshotSteps, t)
	}
	snapshot(0, T)
	tIn := make([]int32, n)
	for i := len(ts); i >= 1; i-- {
		for k := range tIn {
			tIn[k] = int32(ts[i-1])
		}
		sigma := 0.0
		if i > 1 {
			sigma = math.Sqrt(sub.ReverseVariance(i, opts.Variance))
		}
		coef := []float32{float32(1 / math.Sqrt(sub.Alpha[i])), float32(sub.Beta[i] / math.Sqrt(1-sub.AlphaBar[i])), float32(sigma)}
		var z []float32
		if sigma > 0 {
			z = normals()
		} else {
			z = make([]float32, 2*n)
		}
		res, err := m.stepExec.Call(x, tensors.FromValue(tIn), coef, tensors.FromFlatDataAndDimensions(z, n, 2))
		if err != nil {
			return nil, err
		}
		x.FinalizeAll()
		x = res[0]
		prevT := 0
		if i > 1 {
			prevT = ts[i-2]
		}
		snapshot(len(ts)-i+1, prevT)
	}
	out.Points = m.points(tensors.MustCopyFlatData[float32](x))
	x.FinalizeAll()
	out.Seconds = time.Since(start).Seconds()
	return out, nil
}

// points converts a flat [n, 2] array of standardised points to data units.
func (m *Model) points(flat []float32) [][2]float64 {
	out := make([][2]float64, len(flat)/2)
	for i := range out {
		out[i] = m.toX([2]float64{float64(flat[2*i]), float64(flat[2*i+1])})
	}
	return out
}

// Forward returns the points x_t ~ q(x_t | x_0) of the forward process for
// data points x0, in data units (the process runs on the standardised data),
// one draw from seed.
func (m *Model) Forward(x0 [][2]float64, t int, seed uint64) [][2]float64 {
	return ForwardProcess(m.Schedule, m.Center, m.Scale, x0, t, seed)
}

// ForwardProcess returns x_t ~ q(x_t | x_0) for the points x0 after
// standardising them with (center, scale), mapped back to data units: what
// the forward process does to the data. The noise ε of each point comes from
// seed and is the same for every t, so that a sequence of calls with growing
// t moves every point smoothly from x_0 towards its noise.
func ForwardProcess(s *Schedule, center [2]float64, scale float64, x0 [][2]float64, t int, seed uint64) [][2]float64 {
	a, b := s.Marginal(t)
	rnd := rng.MathRand(seed, 0xf0)
	out := make([][2]float64, len(x0))
	for i, p := range x0 {
		for d := range 2 {
			y := (p[d] - center[d]) / scale
			out[i][d] = center[d] + scale*(a*y+b*rnd.NormFloat64())
		}
	}
	return out
}

// MarginalMixture returns the exact density of x_t when the data has the
// mixture density m: with the standardisation (center, scale), each
// component N(μ_k, Σ_k) becomes
//
//	N(c + √ᾱ_t (μ_k − c), ᾱ_t Σ_k + (1 − ᾱ_t) s² I),
//
// since x_t = c + s(√ᾱ_t (x_0 − c)/s + √(1 − ᾱ_t) ε). At t = T it is close to
// N(c, s² I), the standard normal of the standardised data.
func MarginalMixture(m mixture.Bivariate, s *Schedule, center [2]float64, scale float64, t int) mixture.Bivariate {
	ab := s.AlphaBar[t]
	a := math.Sqrt(ab)
	out := mixture.Bivariate{Components: make([]mixture.Component2, len(m.Components))}
	for k, c := range m.Components {
		var d mixture.Component2
		d.Weight = c.Weight
		for i := range 2 {
			d.Mean[i] = center[i] + a*(c.Mean[i]-center[i])
			for j := range 2 {
				d.Cov[i][j] = ab * c.Cov[i][j]
			}
			d.Cov[i][i] += (1 - ab) * scale * scale
		}
		out.Components[k] = d
	}
	return out
}

// meta is the model's description on its checkpoint's card: what the
// weights alone do not say.
type meta struct {
	ScheduleName string     `json:"schedule_name"`
	Betas        []float64  `json:"betas"`
	Net          Denoiser   `json:"net"`
	Center       [2]float64 `json:"center"`
	Scale        float64    `json:"scale"`
}

// CheckpointKind is the kind of model on the card of a diffusion model's checkpoint.
const CheckpointKind = "diffusion"

// Save writes the model to dir in pkg/fit's checkpoint format, replacing
// what was there: the weights, and on the card the schedule, the
// denoiser's shape, the standardisation and the training record.
func (m *Model) Save(dir string) error {
	card := fit.Card{Kind: CheckpointKind, Model: meta{m.Schedule.Name, m.Schedule.Beta, m.Net, m.Center, m.Scale}}
	if m.Record != nil {
		card.History = m.Record
	}
	return fit.SaveCheckpoint(dir, m.Store, card)
}

// Load returns the model saved in dir by Save.
func Load(backend compute.Backend, dir string) (*Model, error) {
	var mt meta
	rec := &fit.StepRecord{}
	// The weights load into a store made once the card is read.
	store := model.NewStore()
	hasRecord, err := fit.LoadCheckpoint(dir, store, CheckpointKind, &mt, rec)
	if err != nil {
		return nil, fmt.Errorf("diffusion.Load: %w", err)
	}
	if len(mt.Betas) < 3 || mt.Betas[0] != 0 || !(mt.Scale > 0) {
		return nil, fmt.Errorf("diffusion.Load: %s: want β_0 = 0, at least 2 steps and a positive scale", filepath.Join(dir, fit.CardFile))
	}
	if err := mt.Net.validate(); err != nil {
		return nil, err
	}
	m := newModel(backend, fromBetas(mt.ScheduleName, mt.Betas), mt.Net)
	m.Store = store
	m.Center, m.Scale = mt.Center, mt.Scale
	if hasRecord {
		m.Record = rec
	}
	return m, nil
}

// ModeTrace says when, along one sampling run, the modes of a mixture
// separate: for each snapshot (step T[k] of the chain),
//
//   - Committed[k] is the share of points whose most likely component under
//     the exact density of x_t (MarginalMixture at T[k]) is the component
//     the same point ends in at t = 0 (most likely under the data's
//     mixture): the share of trajectories whose mode is already decided.
//     Near t = T it is the chance of a guess; at t = 0 it is 1.
//   - Sharp[k] is the mean posterior probability of that most likely
//     component: how far apart the modes of x_t are, around these points
//     (the largest weight, 1/K for K equal components, when they overlap
//     completely; 1 when they are separated).
type ModeTrace struct {
	T                []int
	Committed, Sharp []float64
}

// TraceModes computes the ModeTrace of run, a Sample with snapshots, for data
// of the mixture density target standardised with (center, scale) on s.
func TraceModes(target mixture.Bivariate, s *Schedule, center [2]float64, scale float64, run *Sampled) ModeTrace {
	final := make([]int, len(run.Points))
	for i, p := range run.Points {
		final[i], _ = target.Responsibility(p[0], p[1])
	}
	tr := ModeTrace{T: run.SnapshotSteps}
	for k, pts := range run.Snapshots {
		mt := MarginalMixture(target, s, center, scale, run.SnapshotSteps[k])
		var same, sharp float64
		for i, p := range pts {
			c, r := mt.Responsibility(p[0], p[1])
			if c == final[i] {
				same++
			}
			sharp += r
		}
		tr.Committed = append(tr.Committed, same/float64(len(pts)))
		tr.Sharp = append(tr.Sharp, sharp/float64(len(pts)))
	}
	return tr
}
