package graphx

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"
)

// GraphFn lists the function types Evaluate accepts: graph functions of one to
// three nodes or of a slice of nodes, and the named types defined as one of
// them (such as klloss.PairFn).
type GraphFn interface {
	~func(*graph.Node) *graph.Node |
		~func(*graph.Node, *graph.Node) *graph.Node |
		~func(*graph.Node, *graph.Node, *graph.Node) *graph.Node |
		~func([]*graph.Node) *graph.Node
}

// Evaluation is the value of a graph function on fixed inputs and its gradient,
// as Go slices in float64 (float32 results are converted exactly).
type Evaluation struct {
	// Value holds the output, flattened in row-major order (one element for a
	// scalar).
	Value []float64
	// Shape holds the dimensions of the output; it is empty for a scalar.
	Shape []int
	// Gradients[i] is the gradient of the sum of all output elements (of the
	// output itself, if it is a scalar) with respect to input i, flattened
	// in row-major order like that input; it is nil for an input that is not
	// float (integer class labels, for instance).
	Gradients [][]float64
}

// Evaluate builds fn on backend, runs it once on inputs and returns its value
// and gradient. Each input is a Go value that tensors.FromAnyValue accepts (a
// scalar, a slice or a slice of slices ... of a numeric type; its Go type gives
// its dtype) or a *tensors.Tensor. The output of fn must be float. For example,
//
//	ev, err := graphx.Evaluate(backend, klloss.Keras,
//		[][]float32{{-0.4, 1}, {3, 0.2}}, [][]float32{{0.16, 0.4}, {0.14, 2.1}})
//
// gives ev.Value = [1.2802572] and ev.Gradients with respect to y_true and
// y_pred. Every call compiles a new graph, which takes milliseconds on the Go
// backend: fine for printing numbers and checking answers, not for loops.
//
// Errors, including the panics fn raises while the graph is built (bad shapes),
// are returned, not panicked.
func Evaluate[F GraphFn](backend compute.Backend, fn F, inputs ...any) (*Evaluation, error) {
	return EvaluateWRT(backend, fn, nil, inputs...)
}

// EvaluateWRT is Evaluate with the gradient taken with respect to the inputs
// whose indices wrt lists only (Gradients holds nil for the others); nil wrt
// means every float input. Differentiating a loss with respect to its
// predictions only, not its constant targets, spares building gradients of
// operations (clipping a target) that need none.
func EvaluateWRT[F GraphFn](backend compute.Backend, fn F, wrt []int, inputs ...any) (*Evaluation, error) {
	for _, i := range wrt {
		if i < 0 || i >= len(inputs) {
			return nil, fmt.Errorf("graphx.Evaluate: gradient with respect to input %d requested, but there are %d inputs", i, len(inputs))
		}
	}
	if backend == nil {
		return nil, errors.New("graphx.Evaluate: backend is nil")
	}
	call := sliceFn(fn)
	if call == nil {
		return nil, errors.New("graphx.Evaluate: fn is nil")
	}
	var (
		outDims    []int
		isGradient []bool // isGradient[i]: input i is float and has a gradient among the outputs
	)
	exec, err := graph.NewExec(backend, func(xs []*graph.Node) []*graph.Node {
		out := call(xs)
		if out == nil {
			exceptions.Panicf("graphx.Evaluate: fn returned nil")
		}
		if !out.DType().IsFloat() {
			exceptions.Panicf("graphx.Evaluate: fn must return a float tensor to be differentiated, got %s", out.Shape())
		}
		outDims = out.Shape().Dimensions
		total := out
		if !out.IsScalar() {
			total = graph.ReduceAllSum(out)
		}
		var floatInputs []*graph.Node
		isGradient = make([]bool, len(xs))
		for i, x := range xs {
			if x.DType().IsFloat() && (wrt == nil || slices.Contains(wrt, i)) {
				isGradient[i] = true
				floatInputs = append(floatInputs, x)
			}
		}
		results := []*graph.Node{graph.ConvertDType(out, dtypes.Float64)}
		if len(floatInputs) > 0 {
			for _, grad := range graph.Gradient(total, floatInputs...) {
				results = append(results, graph.ConvertDType(grad, dtypes.Float64))
			}
		}
		return results
	})
	if err != nil {
		return nil, fmt.Errorf("graphx.Evaluate: %w", err)
	}
	// A panic while fn builds its graph (a shape mismatch, say, or a
	// student's panic) becomes an error. The Exec is then not finalised:
	// its Finalize waits forever after a panicked Call (GoMLX v0.28.8).
	results, panicked, err := callRecovering(exec, inputs)
	if !panicked {
		defer exec.Finalize()
	}
	if err != nil {
		return nil, fmt.Errorf("graphx.Evaluate: %w", err)
	}
	flat := make([][]float64, len(results))
	for i, t := range results {
		flat[i], err = tensors.CopyFlatData[float64](t)
		t.FinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("graphx.Evaluate: reading a result: %w", err)
		}
	}
	ev := &Evaluation{
		Value:     flat[0],
		Shape:     append([]int{}, outDims...),
		Gradients: make([][]float64, len(isGradient)),
	}
	next := 1
	for i, ok := range isGradient {
		if ok {
			ev.Gradients[i] = flat[next]
			next++
		}
	}
	return ev, nil
}

// sliceFn returns fn as a function of a slice of nodes, or nil if fn is nil.
// Calling the result with the wrong number of nodes panics with a message.
func sliceFn[F GraphFn](fn F) func([]*graph.Node) *graph.Node {
	v := reflect.ValueOf(fn)
	if v.IsNil() {
		return nil
	}
	arity := func(xs []*graph.Node, n int) {
		if len(xs) != n {
			exceptions.Panicf("graphx.Evaluate: fn takes %d inputs, got %d", n, len(xs))
		}
	}
	var (
		one   func(*graph.Node) *graph.Node
		two   func(*graph.Node, *graph.Node) *graph.Node
		three func(*graph.Node, *graph.Node, *graph.Node) *graph.Node
		slice func([]*graph.Node) *graph.Node
	)
	// A named function type (klloss.PairFn) converts to its underlying type.
	for _, target := range []any{&one, &two, &three, &slice} {
		t := reflect.TypeOf(target).Elem()
		if v.Type().ConvertibleTo(t) {
			reflect.ValueOf(target).Elem().Set(v.Convert(t))
			break
		}
	}
	switch {
	case one != nil:
		return func(xs []*graph.Node) *graph.Node { arity(xs, 1); return one(xs[0]) }
	case two != nil:
		return func(xs []*graph.Node) *graph.Node { arity(xs, 2); return two(xs[0], xs[1]) }
	case three != nil:
		return func(xs []*graph.Node) *graph.Node { arity(xs, 3); return three(xs[0], xs[1], xs[2]) }
	}
	return slice
}

// callRecovering calls exec, turning a panic into an error.
func callRecovering(exec *graph.Exec, inputs []any) (results []*tensors.Tensor, panicked bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			panicked, err = true, fmt.Errorf("%v", r)
		}
	}()
	results, err = exec.Call(inputs...)
	return results, false, err
}
