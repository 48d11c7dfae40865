package gaussfit

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/klcourse/klcourse/internal/rng"
)

// A Trace records a run of Minimize or MinimizeSampled: Params[k] are the
// parameters after k steps (Params[0] the start) and Loss[k] the loss there,
// for k = 0 … Steps().
type Trace struct {
	// Optimizer describes the optimiser and its settings.
	Optimizer string
	Loss      []float64
	Params    [][]float64
}

// Steps returns the number of steps the run took.
func (t *Trace) Steps() int { return len(t.Loss) - 1 }

// Final returns the parameters after the last step.
func (t *Trace) Final() []float64 { return t.Params[len(t.Params)-1] }

// FinalLoss returns the loss after the last step.
func (t *Trace) FinalLoss() float64 { return t.Loss[len(t.Loss)-1] }

// StepAxis returns 0, 1, …, Steps() as numbers, the x values of a plot
// against the step.
func (t *Trace) StepAxis() []float64 {
	xs := make([]float64, len(t.Loss))
	for i := range xs {
		xs[i] = float64(i)
	}
	return xs
}

// Map returns f(θ) at every step, for instance σ = exp(θ₂) of a NormalFamily
// fit, for plotting.
func (t *Trace) Map(f func(theta []float64) float64) []float64 {
	out := make([]float64, len(t.Params))
	for i, theta := range t.Params {
		out[i] = f(theta)
	}
	return out
}

// Minimize minimises loss from the parameters init by steps steps of opt, and
// returns the trace of the run. The loss and its gradient (by graph.Gradient)
// are one graph, compiled once for backend and run at every step in float64;
// the update is done in Go. The run is deterministic.
//
// It returns an error, with the trace up to that point, if the graph cannot
// be built (a loss whose shapes do not fit, or that is not a float scalar) or
// if the loss or its gradient stops being finite, which names the step and
// the parameters there. init must hold finite numbers, steps must not be
// negative, and opt must have valid settings.
func Minimize(backend compute.Backend, loss Loss, init []float64, opt Optimizer, steps int) (*Trace, error) {
	if loss == nil {
		return nil, errors.New("gaussfit.Minimize: loss is nil")
	}
	build := func(inputs []*graph.Node) *graph.Node { return loss(inputs[0]) }
	return minimize("Minimize", backend, build, nil, init, opt, steps)
}

// Noise says what noise MinimizeSampled draws: a tensor of independent
// standard normal numbers shaped Shape ([M] or [M, 2] for M samples of Q) at
// every step, from the course's generator seeded with Seed.
type Noise struct {
	Shape []int
	Seed  uint64
}

// MinimizeSampled minimises the Monte Carlo objective loss as Minimize does,
// drawing fresh noise ε shaped noise.Shape before every step: stochastic
// gradient descent. Loss[k] is the estimate at Params[k] with the noise of
// step k. The same noise.Seed gives the same trace.
func MinimizeSampled(backend compute.Backend, loss SampledLoss, noise Noise, init []float64, opt Optimizer, steps int) (*Trace, error) {
	if loss == nil {
		return nil, errors.New("gaussfit.MinimizeSampled: loss is nil")
	}
	size := 1
	for _, d := range noise.Shape {
		size *= d
	}
	if len(noise.Shape) == 0 || size <= 0 || slices.ContainsFunc(noise.Shape, func(d int) bool { return d <= 0 }) {
		return nil, fmt.Errorf("gaussfit.MinimizeSampled: the noise shape must have positive dimensions, got %v", noise.Shape)
	}
	src := rng.New(noise.Seed, noiseStream)
	draw := func() any {
		eps := make([]float64, size)
		for i := range eps {
			eps[i] = src.Normal()
		}
		return tensors.FromFlatDataAndDimensions(eps, noise.Shape...)
	}
	build := func(inputs []*graph.Node) *graph.Node { return loss(inputs[0], inputs[1]) }
	return minimize("MinimizeSampled", backend, build, draw, init, opt, steps)
}

// noiseStream is the stream of the course's generator that MinimizeSampled
// draws from, apart from the streams that sample the data.
const noiseStream = 0x6e6f697365 // "noise"

// minimize runs the optimisation for Minimize and MinimizeSampled; extra, if
// not nil, supplies a second input to the graph at every step.
func minimize(fn string, backend compute.Backend, build func([]*graph.Node) *graph.Node, extra func() any,
	init []float64, opt Optimizer, steps int) (*Trace, error) {
	switch {
	case backend == nil:
		return nil, fmt.Errorf("gaussfit.%s: backend is nil", fn)
	case opt == nil:
		return nil, fmt.Errorf("gaussfit.%s: optimizer is nil", fn)
	case len(init) == 0 || !allFinite(init):
		return nil, fmt.Errorf("gaussfit.%s: the initial parameters must be finite numbers, got %v", fn, init)
	case steps < 0:
		return nil, fmt.Errorf("gaussfit.%s: steps must not be negative, got %d", fn, steps)
	}
	if err := opt.validate(); err != nil {
		return nil, fmt.Errorf("gaussfit.%s: %w", fn, err)
	}
	exec, err := graph.NewExec(backend, func(inputs []*graph.Node) []*graph.Node {
		value := build(inputs)
		if value == nil || !value.DType().IsFloat() || !value.IsScalar() {
			exceptions.Panicf("the loss must return a float scalar, got %v", shapeOf(value))
		}
		return []*graph.Node{value, graph.Gradient(value, inputs[0])[0]}
	})
	if err != nil {
		return nil, fmt.Errorf("gaussfit.%s: %w", fn, err)
	}
	defer exec.Finalize()

	theta := slices.Clone(init)
	update := opt.start(len(theta))
	trace := &Trace{Optimizer: opt.String()}
	args := make([]any, 1, 2)
	for step := 0; step <= steps; step++ {
		args[0] = tensors.FromFlatDataAndDimensions(slices.Clone(theta), len(theta))
		if extra != nil {
			args = append(args[:1], extra())
		}
		value, grad, err := call(exec, args)
		if err != nil {
			return trace, fmt.Errorf("gaussfit.%s: step %d: %w", fn, step, err)
		}
		trace.Loss = append(trace.Loss, value)
		trace.Params = append(trace.Params, slices.Clone(theta))
		if !allFinite([]float64{value}) || !allFinite(grad) {
			return trace, fmt.Errorf("gaussfit.%s: step %d: the loss is %v and its gradient %v at θ = %v", fn, step, value, grad, theta)
		}
		if step < steps {
			update(theta, grad)
		}
	}
	return trace, nil
}

// call runs exec once and returns the loss and its gradient as float64.
func call(exec *graph.Exec, args []any) (float64, []float64, error) {
	results, err := exec.Call(args...)
	if err != nil {
		return 0, nil, err
	}
	defer func() {
		for _, r := range results {
			r.FinalizeAll()
		}
	}()
	values := make([][]float64, len(results))
	for i, r := range results {
		converted, err := convert(r)
		if err != nil {
			return 0, nil, err
		}
		values[i] = converted
	}
	return values[0][0], values[1], nil
}

// convert returns a float tensor's values as float64.
func convert(t *tensors.Tensor) ([]float64, error) {
	switch t.DType() {
	case dtypes.Float64:
		return tensors.CopyFlatData[float64](t)
	case dtypes.Float32:
		v, err := tensors.CopyFlatData[float32](t)
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out, err
	}
	return nil, fmt.Errorf("the loss has dtype %s, want float32 or float64", t.DType())
}
