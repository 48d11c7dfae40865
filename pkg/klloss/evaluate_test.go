package klloss

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

func TestEvaluate(t *testing.T) {
	// f(x, y) = x²·y per element: value [2, 12] for x = [1, 2], y = [2, 3];
	// gradients of the sum: 2xy = [4, 12] and x² = [1, 4].
	ev, err := Evaluate(testBackend(), func(x, y *Node) *Node { return Mul(Square(x), y) },
		[]float32{1, 2}, []float32{2, 3})
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "value", ev.Value, []float64{2, 12}, 0)
	compare(t, "∂/∂x", ev.Gradients[0], []float64{4, 12}, 0)
	compare(t, "∂/∂y", ev.Gradients[1], []float64{1, 4}, 0)
	if !slices.Equal(ev.Shape, []int{2}) {
		t.Errorf("shape %v, want [2]", ev.Shape)
	}

	// A slice function with an integer input, and a scalar output.
	ev, err = Evaluate(testBackend(), func(xs []*Node) *Node {
		return ReduceAllSum(Mul(xs[0], ConvertDType(xs[1], dtypes.Float64)))
	}, [][]float64{{1, 2}, {3, 4}}, [][]int32{{1, 0}, {2, 1}})
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "value", ev.Value, []float64{1 + 6 + 4}, 0)
	compare(t, "∂/∂x", ev.Gradients[0], []float64{1, 0, 2, 1}, 0)
	if ev.Gradients[1] != nil || len(ev.Shape) != 0 {
		t.Errorf("int32 input gradient %v and shape %v, want nil and a scalar", ev.Gradients[1], ev.Shape)
	}

	// A PairFn value.
	var fn PairFn = WithClippedTarget(ReverseKL, 1e-7)
	ev, err = Evaluate(testBackend(), fn, []float64{0, 1}, []float64{0.5, 0.5})
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "clipped reverse KL", ev.Value, []float64{0.5*math.Log(0.5/1e-7) + 0.5*math.Log(0.5)}, 1e-15)
}

func TestEvaluateErrors(t *testing.T) {
	_, err := Evaluate(nil, ForwardKL, []float64{1}, []float64{1})
	wantError(t, "nil backend", err, "backend is nil")
	_, err = Evaluate(testBackend(), ForwardKL, []float64{1}, []float64{1}, []float64{1})
	wantError(t, "three inputs to a two-input function", err, "takes 2 inputs, got 3")
	_, err = Evaluate(testBackend(), func(x *Node) *Node { return ConvertDType(x, dtypes.Int32) }, []float64{1})
	wantError(t, "integer output", err, "must return a float tensor")
	var nilFn func(*Node) *Node
	_, err = Evaluate(testBackend(), nilFn, []float64{1})
	wantError(t, "nil function", err, "fn is nil")
}

func TestEvaluateWRT(t *testing.T) {
	b := testBackend()
	p, q := [][]float64{{0.5, 0.5}}, [][]float64{{0.9, 0.1}}
	ev, err := EvaluateWRT(b, ForwardKL, []int{1}, p, q)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := Evaluate(b, ForwardKL, p, q)
	if ev.Gradients[0] != nil || len(ev.Gradients[1]) != 2 || ev.Gradients[1][0] != all.Gradients[1][0] || ev.Value[0] != all.Value[0] {
		t.Errorf("EvaluateWRT(wrt=[1]) = %+v, Evaluate = %+v", ev, all)
	}
	if _, err := EvaluateWRT(b, ForwardKL, []int{2}, p, q); err == nil {
		t.Error("gradient with respect to a third input of two: no error")
	}
}
