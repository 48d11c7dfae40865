package fit

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/klcourse/klcourse/internal/progress"
)

// Schedule gives the learning rate of the step that follows k steps of a
// run (k from 0).
type Schedule func(k int) float64

// Constant is the schedule that keeps the rate lr.
func Constant(lr float64) Schedule { return func(int) float64 { return lr } }

// Cosine anneals the rate from lr down to final over n steps: step k uses
// final + (lr − final)·(1 + cos(πk/n))/2.
func Cosine(lr, final float64, n int) Schedule {
	return func(k int) float64 {
		return final + (lr-final)*(1+math.Cos(math.Pi*float64(k)/float64(n)))/2
	}
}

// Loop configures Minimizer.Loop, the step loop of every model trained by
// steps rather than by epochs over a labelled set: Steps steps in eras of
// Era steps, the learning rate of each step from a Schedule, a hook after
// every step and one after every era, a progress bar, and a StepRecord.
type Loop struct {
	// Steps is the number of steps; Era the number of steps of an era (0:
	// one era of Steps). The last era is shorter when Era does not divide
	// Steps.
	Steps, Era int
	// Inputs draws the inputs of step i (from 1), which the Minimizer's Step
	// takes: fresh noise for a flow, a random batch for a diffusion model.
	Inputs func(step int) ([]*tensors.Tensor, error)
	// Step, when not nil, replaces the Minimizer's Step on Inputs: a model
	// with its own step around the Minimizer's (an RBM's, whose batches come
	// in a seeded order per epoch and whose divergence it reports in its
	// own words). Its extras reach OnStep.
	Step func(step int) (loss float64, extras []*tensors.Tensor, err error)
	// LearningRate, when not nil, sets the optimizer's rate before the
	// first step (in a store trained before; in a new one GoMLX's optimizer
	// creates the rate at its own value on the first step: let the schedule
	// start there) and before every step whose rate differs from the step
	// before's. Nil leaves the optimizer's rate as it is.
	LearningRate Schedule
	// OnStep, when not nil, sees every step's loss and extras; an error
	// stops the run.
	OnStep func(step int, loss float64, extras []*tensors.Tensor) error
	// OnEra, when not nil, runs after every era (an evaluation, a
	// checkpoint, a line of output) and returns the progress bar's status;
	// an error stops the run. Nil shows the era's mean loss.
	OnEra func(e Era) (status string, err error)
	// Name labels the progress bar (default "training"); Progress receives
	// it, nil shows none.
	Name     string
	Progress io.Writer
}

// Era is what Loop.OnEra is told at the end of an era.
type Era struct {
	// Era counts from 1; Eras is the number of eras of the run.
	Era, Eras int
	// Steps is the number of steps run so far, Loss the mean loss of the
	// era's steps, Seconds the wall time of its steps (the hooks after the
	// era excluded).
	Steps   int
	Loss    float64
	Seconds float64
}

// StepRecord is the history of a step loop (Loop, Run): the mean loss of
// every era (window of Every steps) and the wall time of the whole run.
type StepRecord struct {
	Every   int       `json:"every"`
	Loss    []float64 `json:"loss"`
	Seconds float64   `json:"seconds"`
	Steps   int       `json:"steps"`
	// LearningRate is the rate at the end of each era, with a schedule.
	LearningRate []float64 `json:"learning_rate,omitempty"`
	// TrainSeconds is the time spent in the steps, without the hooks
	// after the eras.
	TrainSeconds float64 `json:"train_seconds,omitempty"`
}

// StepAxis returns the step at the end of each window of Loss.
func (r *StepRecord) StepAxis() []float64 {
	out := make([]float64, len(r.Loss))
	for i := range out {
		out[i] = float64(min((i+1)*r.Every, r.Steps))
	}
	return out
}

// Loop runs the steps of cfg and returns their record. On an error (a NaN
// loss among them: Step reports it) it returns the record so far with the
// error as the step, a hook or Inputs gave it.
func (m *Minimizer) Loop(cfg Loop) (*StepRecord, error) {
	if cfg.Era == 0 {
		cfg.Era = cfg.Steps
	}
	if cfg.Steps < 1 || cfg.Era < 1 {
		return nil, fmt.Errorf("fit.Minimizer.Loop: %d steps in eras of %d; want at least 1 of each", cfg.Steps, cfg.Era)
	}
	if cfg.Step == nil && cfg.Inputs == nil {
		return nil, errors.New("fit.Minimizer.Loop: give Inputs (or Step)")
	}
	if cfg.Name == "" {
		cfg.Name = "training"
	}
	eras := (cfg.Steps + cfg.Era - 1) / cfg.Era
	rec := &StepRecord{Every: cfg.Era}
	bar := progress.New(cfg.Progress, cfg.Name, int64(cfg.Steps))
	fail := func(err error) (*StepRecord, error) {
		bar.Finish(int64(rec.Steps), "failed")
		return rec, err
	}
	start := time.Now()
	status := ""
	prevRate := math.NaN()
	for era := 1; era <= eras; era++ {
		t0 := time.Now()
		sum, count := 0.0, 0
		for i := (era-1)*cfg.Era + 1; i <= min(era*cfg.Era, cfg.Steps); i++ {
			if cfg.LearningRate != nil {
				// Before the first step the rate variable exists only in a
				// store trained before, at the rate that run left: set it.
				// Later, set it where the schedule changes.
				lr := cfg.LearningRate(i - 1)
				if (i == 1 || lr != prevRate) && m.learningRateVar() != nil {
					if err := m.SetLearningRate(lr); err != nil {
						return fail(err)
					}
				}
				prevRate = lr
			}
			loss, extras, err := m.loopStep(cfg, i)
			if err == nil && cfg.OnStep != nil {
				err = cfg.OnStep(i, loss, extras)
			}
			if err != nil {
				return fail(err)
			}
			rec.Steps = i
			sum += loss
			count++
		}
		secs := time.Since(t0).Seconds()
		rec.TrainSeconds += secs
		e := Era{Era: era, Eras: eras, Steps: rec.Steps, Loss: sum / float64(count), Seconds: secs}
		rec.Loss = append(rec.Loss, e.Loss)
		if cfg.LearningRate != nil {
			rec.LearningRate = append(rec.LearningRate, m.LearningRate())
		}
		status = fmt.Sprintf("loss %.4f", e.Loss)
		if cfg.OnEra != nil {
			s, err := cfg.OnEra(e)
			if err != nil {
				return fail(err)
			}
			status = s
		}
		bar.Update(int64(rec.Steps), status)
	}
	rec.Seconds = time.Since(start).Seconds()
	bar.Finish(int64(cfg.Steps), fmt.Sprintf("%s  (%.1f s)", status, rec.Seconds))
	return rec, nil
}

// loopStep runs step i of a Loop: cfg.Step, or Step on cfg.Inputs.
func (m *Minimizer) loopStep(cfg Loop, i int) (float64, []*tensors.Tensor, error) {
	if cfg.Step != nil {
		return cfg.Step(i)
	}
	inputs, err := cfg.Inputs(i)
	if err != nil {
		return 0, nil, err
	}
	args := make([]any, len(inputs))
	for k, t := range inputs {
		args[k] = t
	}
	return m.Step(args...)
}

// Run runs n steps, drawing the inputs of step i (from 1) with batch(i) — the
// loop of models whose loss is an expectation over noise drawn afresh (a
// diffusion model's time steps and noise, a flow's latent samples), for
// which an epoch over a fixed set of batches has no meaning. It records the
// mean loss of every window of every steps; out, when not nil, shows a
// progress bar. On an error (a NaN loss among them) it returns the record so
// far. It is Loop with eras of every steps and no hooks.
func (m *Minimizer) Run(n, every int, batch func(step int) ([]*tensors.Tensor, error), out io.Writer) (*StepRecord, error) {
	if n < 1 || every < 1 {
		return nil, fmt.Errorf("fit.Minimizer.Run: %d steps, windows of %d; want at least 1 of each", n, every)
	}
	return m.Loop(Loop{Steps: n, Era: every, Inputs: batch, Progress: out})
}
