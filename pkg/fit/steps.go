package fit

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/klcourse/klcourse/internal/progress"
)

// StepLossFn is the graph of a model trained without labels by minimising a
// scalar loss of its inputs: a batch of data and whatever random numbers the
// loss needs (noise, time steps), drawn by the caller.
type StepLossFn func(scope *model.Scope, inputs []*graph.Node) *graph.Node

// Steps trains a model for a given number of optimiser steps, each on a
// batch that the caller draws afresh — the loop of models whose loss is an
// expectation over noise, such as diffusion models, for which an "epoch" over
// a fixed set of batches has no meaning. Its store holds the weights; share it
// with model.NewExec to use the trained model.
type Steps struct {
	Backend compute.Backend
	Store   *model.Store
	trainer *train.Trainer
	step    int
}

// StepRecord is the history of a Steps run: the mean loss over each window of
// Every steps and the wall time of the whole run.
type StepRecord struct {
	Every   int       `json:"every"`
	Loss    []float64 `json:"loss"`
	Seconds float64   `json:"seconds"`
	Steps   int       `json:"steps"`
}

// StepAxis returns the step at the end of each window of Loss.
func (r *StepRecord) StepAxis() []float64 {
	out := make([]float64, len(r.Loss))
	for i := range out {
		out[i] = float64(min((i+1)*r.Every, r.Steps))
	}
	return out
}

// NewSteps returns a trainer for loss on store (a new store, seeded with seed,
// when store is nil). seed must not be 0; nil opt means Adam with learning
// rate 1e-3 and ε = 1e-7.
func NewSteps(backend compute.Backend, store *model.Store, loss StepLossFn, opt optimizer.Interface, seed int64) (*Steps, error) {
	if backend == nil || loss == nil {
		return nil, errors.New("fit.NewSteps: backend and loss are required")
	}
	if seed == 0 {
		return nil, errors.New("fit.NewSteps: seed is 0, which GoMLX takes as non-deterministic: give a non-zero seed")
	}
	if store == nil {
		store = model.NewStore()
	}
	store.SetParam(model.ParamInitialSeed, seed)
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		return nil, err
	}
	if opt == nil {
		opt = optimizer.Adam().LearningRate(1e-3).Epsilon(1e-7).Done()
	}
	modelFn := func(scope *model.Scope, _ any, inputs []*graph.Node) []*graph.Node {
		l := loss(scope, inputs)
		if !l.IsScalar() {
			l = graph.ReduceAllMean(l)
		}
		train.AddMainLoss(l)
		return []*graph.Node{l}
	}
	return &Steps{Backend: backend, Store: store, trainer: train.NewTrainer(backend, store, modelFn, nil, opt, nil, nil)}, nil
}

// Step runs one optimiser step on inputs (which it takes over and frees) and
// returns the loss before the update.
func (s *Steps) Step(inputs ...*tensors.Tensor) (float64, error) {
	s.step++
	metrics, err := s.trainer.TrainStep(train.Batch{Inputs: inputs})
	if err != nil {
		return 0, fmt.Errorf("fit: step %d: %w", s.step, err)
	}
	loss := scalar(metrics[0])
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("fit: step %d: the loss is %v; training stopped (look for log 0, exp overflow or a learning rate too large)", s.step, loss)
	}
	return loss, nil
}

// Run runs n steps, drawing the inputs of step i (from 1) with batch(i), and
// records the mean loss of every window of every steps. progress, when not
// nil, shows a progress bar. On an error it returns the record so far.
func (s *Steps) Run(n, every int, batch func(step int) ([]*tensors.Tensor, error), out io.Writer) (*StepRecord, error) {
	if n < 1 || every < 1 {
		return nil, fmt.Errorf("fit.Steps.Run: %d steps, windows of %d; want at least 1 of each", n, every)
	}
	rec := &StepRecord{Every: every}
	bar := progress.New(out, "training", int64(n))
	start := time.Now()
	sum, count := 0.0, 0
	for i := 1; i <= n; i++ {
		inputs, err := batch(i)
		if err != nil {
			bar.Finish(int64(i-1), "failed")
			return rec, err
		}
		loss, err := s.Step(inputs...)
		if err != nil {
			bar.Finish(int64(i-1), "failed")
			return rec, err
		}
		rec.Steps = i
		sum += loss
		count++
		if count == every || i == n {
			rec.Loss = append(rec.Loss, sum/float64(count))
			bar.Update(int64(i), fmt.Sprintf("loss %.4f", sum/float64(count)))
			sum, count = 0, 0
		}
	}
	rec.Seconds = time.Since(start).Seconds()
	bar.Finish(int64(n), fmt.Sprintf("loss %.4f  (%.1f s)", rec.Loss[len(rec.Loss)-1], rec.Seconds))
	return rec, nil
}
