package fit

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// ObjectiveFn is a training objective without a data set: the variational
// losses (the reverse KL of a flow or of a Gaussian fitted by samples) draw
// fresh inputs each step — noise, not data — and compute the scalar loss
// from them and the model's weights. Extras are further outputs of the same
// step (per-sample diagnostics, say), returned by Minimizer.Step without
// entering the gradient.
type ObjectiveFn func(scope *model.Scope, inputs []*graph.Node) (loss *graph.Node, extras []*graph.Node)

// Minimizer trains the weights in a store by minimising an ObjectiveFn, one
// step per call of Step, with an optimizer (Adam by default).
type Minimizer struct {
	Backend compute.Backend
	Store   *model.Store
	exec    *model.Exec
	steps   int
}

// NewMinimizer returns a Minimizer of objective over the trainable weights
// of store. A nil opt means Adam with learning rate 1e-3 and ε = 1e-8
// (PyTorch's default).
func NewMinimizer(backend compute.Backend, store *model.Store, objective ObjectiveFn, opt optimizer.Interface) (*Minimizer, error) {
	if backend == nil || store == nil || objective == nil {
		return nil, errors.New("fit.NewMinimizer: backend, store and objective are required")
	}
	if opt == nil {
		opt = Adam(1e-3)
	}
	m := &Minimizer{Backend: backend, Store: store}
	var err error
	m.exec, err = model.NewExec(backend, store, func(scope *model.Scope, g *graph.Graph, inputs []*graph.Node) []*graph.Node {
		// Training mode: the optimizer's state (Adam's step and moments) is
		// updated in place rather than embedded as constants.
		scope.Store().SetTraining(g, true)
		loss, extras := objective(scope, inputs)
		if !loss.IsScalar() {
			panic(fmt.Sprintf("fit.Minimizer: the objective returned a loss of shape %s, want a scalar", loss.Shape()))
		}
		opt.UpdateGraph(scope, loss.Graph(), loss)
		return append([]*graph.Node{loss}, extras...)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Step runs one optimisation step on the given inputs (the Minimizer takes
// ownership of them) and returns the loss before the update and the extras.
// A NaN or infinite loss is an error.
func (m *Minimizer) Step(inputs ...any) (loss float64, extras []*tensors.Tensor, err error) {
	m.steps++
	out, err := m.exec.Call(inputs...)
	if err != nil {
		return 0, nil, fmt.Errorf("fit.Minimizer: step %d: %w", m.steps, err)
	}
	loss = scalar(out[0])
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, out[1:], fmt.Errorf("fit.Minimizer: step %d: the loss is %v; training stopped (look for log 0, exp overflow or a learning rate too large)", m.steps, loss)
	}
	return loss, out[1:], nil
}

// SetLearningRate sets the optimizer's learning rate for the steps that
// follow: a schedule driven from Go, step by step or era by era. GoMLX's
// optimizers keep the rate in the store's variable
// "/optimizers/learning_rate", created when the first Step builds the
// graph; before that, or for an optimizer without it, this is an error.
func (m *Minimizer) SetLearningRate(lr float64) error {
	if !(lr > 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("fit.Minimizer.SetLearningRate: %g, want a positive finite rate", lr)
	}
	v := m.learningRateVar()
	if v == nil {
		return errors.New("fit.Minimizer.SetLearningRate: no learning-rate variable in the store: run a Step first, with an optimizer of GoMLX's")
	}
	t, err := tensors.FromAnyValue(shapes.CastAsDType(lr, v.DType()))
	if err != nil {
		return fmt.Errorf("fit.Minimizer.SetLearningRate: %w", err)
	}
	return v.SetValue(t)
}

// LearningRate is the optimizer's current learning rate (0 before the
// first Step).
func (m *Minimizer) LearningRate() float64 {
	v := m.learningRateVar()
	if v == nil {
		return 0
	}
	t, err := v.Value()
	if err != nil {
		return 0
	}
	return scalar(t)
}

// learningRateVar is the store's learning-rate variable of GoMLX's
// optimizers, nil before the first Step has built the graph.
func (m *Minimizer) learningRateVar() *model.Variable {
	return m.Store.GetVariable(optimizer.Scope + "/" + optimizer.ParamLearningRate)
}

// Steps is the number of steps run so far.
func (m *Minimizer) Steps() int { return m.steps }

// Seed makes the store's initial weights and its random numbers reproducible:
// the weights a Minimizer creates on its first step are drawn from seed. seed
// must not be 0, which GoMLX takes as non-deterministic.
func Seed(store *model.Store, seed int64) error {
	if seed == 0 {
		return errors.New("fit.Seed: seed is 0, which GoMLX takes as non-deterministic: give a non-zero seed")
	}
	store.SetParam(model.ParamInitialSeed, seed)
	return store.SetRNGStateFromSeed(seed)
}

// Adam is the course's Adam for the models trained by steps: GoMLX's, at
// learning rate lr with PyTorch's ε = 1e-8 (Keras's 1e-7 is a Classifier's
// default).
func Adam(lr float64) optimizer.Interface {
	return optimizer.Adam().LearningRate(lr).Epsilon(1e-8).Done()
}
