package graphx

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/internal/testbackends"
)

// pairFn is a named function type, as klloss.PairFn.
type pairFn func(p, q *graph.Node) *graph.Node

func TestEvaluate(t *testing.T) {
	b := testbackends.Go(t)
	// f(x, y) = x²·y per element: value [2, 12] for x = [1, 2], y = [2, 3];
	// gradients of the sum: 2xy = [4, 12] and x² = [1, 4].
	ev, err := Evaluate(b, func(x, y *graph.Node) *graph.Node { return graph.Mul(graph.Square(x), y) },
		[]float32{1, 2}, []float32{2, 3})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "value", ev.Value, []float64{2, 12})
	equal(t, "∂/∂x", ev.Gradients[0], []float64{4, 12})
	equal(t, "∂/∂y", ev.Gradients[1], []float64{1, 4})
	if !slices.Equal(ev.Shape, []int{2}) {
		t.Errorf("shape %v, want [2]", ev.Shape)
	}

	// A slice function with an integer input, and a scalar output.
	ev, err = Evaluate(b, func(xs []*graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.Mul(xs[0], graph.ConvertDType(xs[1], dtypes.Float64)))
	}, [][]float64{{1, 2}, {3, 4}}, [][]int32{{1, 0}, {2, 1}})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "value", ev.Value, []float64{1 + 6 + 4})
	equal(t, "∂/∂x", ev.Gradients[0], []float64{1, 0, 2, 1})
	if ev.Gradients[1] != nil || len(ev.Shape) != 0 {
		t.Errorf("int32 input gradient %v and shape %v, want nil and a scalar", ev.Gradients[1], ev.Shape)
	}

	// A named function type of three inputs' kin: Σ p log(p/q).
	var kl pairFn = func(p, q *graph.Node) *graph.Node {
		return graph.ReduceSum(graph.Mul(p, graph.Log(graph.Div(p, q))), -1)
	}
	ev, err = Evaluate(b, kl, []float64{0.5, 0.5}, []float64{0.25, 0.75})
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.5*math.Log(2) + 0.5*math.Log(0.5/0.75); math.Abs(ev.Value[0]-want) > 1e-15 {
		t.Errorf("KL = %.17g, want %.17g", ev.Value[0], want)
	}

	// Three inputs.
	ev, err = Evaluate(b, func(x, y, z *graph.Node) *graph.Node { return graph.Mul(graph.Mul(x, y), z) }, 2.0, 3.0, 5.0)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "xyz", append(ev.Value, slices.Concat(ev.Gradients...)...), []float64{30, 15, 10, 6})
}

func TestEvaluateErrors(t *testing.T) {
	b := testbackends.Go(t)
	sum := func(x, y *graph.Node) *graph.Node { return graph.Add(x, y) }
	_, err := Evaluate(nil, sum, []float64{1}, []float64{1})
	wantError(t, "nil backend", err, "backend is nil")
	_, err = Evaluate(b, sum, []float64{1}, []float64{1}, []float64{1})
	wantError(t, "three inputs to a two-input function", err, "takes 2 inputs, got 3")
	_, err = Evaluate(b, func(x *graph.Node) *graph.Node { return graph.ConvertDType(x, dtypes.Int32) }, []float64{1})
	wantError(t, "integer output", err, "must return a float tensor")
	var nilFn func(*graph.Node) *graph.Node
	_, err = Evaluate(b, nilFn, []float64{1})
	wantError(t, "nil function", err, "fn is nil")
	_, err = Evaluate(b, func(x *graph.Node) *graph.Node { return graph.Add(x, graph.Reshape(x, 1, 2)) }, []float64{1, 2, 3})
	wantError(t, "a panic while building", err, "graphx.Evaluate")
}

func TestEvaluateWRT(t *testing.T) {
	b := testbackends.Go(t)
	f := func(x, y *graph.Node) *graph.Node { return graph.Mul(graph.Square(x), y) }
	x, y := []float64{1, 2}, []float64{3, 4}
	ev, err := EvaluateWRT(b, f, []int{1}, x, y)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := Evaluate(b, f, x, y)
	if ev.Gradients[0] != nil || len(ev.Gradients[1]) != 2 || ev.Gradients[1][0] != all.Gradients[1][0] || ev.Value[0] != all.Value[0] {
		t.Errorf("EvaluateWRT(wrt=[1]) = %+v, Evaluate = %+v", ev, all)
	}
	if _, err := EvaluateWRT(b, f, []int{2}, x, y); err == nil {
		t.Error("gradient with respect to a third input of two: no error")
	}
}

func equal(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func wantError(t *testing.T, what string, err error, substring string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one mentioning %q", what, substring)
	} else if !strings.Contains(err.Error(), substring) {
		t.Errorf("%s: error %q does not mention %q", what, err, substring)
	}
}
