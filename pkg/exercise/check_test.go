package exercise

import (
	"io"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/internal/testbackends"
	"github.com/klcourse/klcourse/pkg/klloss"
)

func goBackend(t *testing.T) compute.Backend { return testbackends.Go(t) }

type pairFn = func(p, q *graph.Node) *graph.Node

// cases are a one-hot and a soft target against softmax-like outputs.
var cases = []Case{
	{"one-hot targets", []any{[][]float32{{0, 1, 0}, {1, 0, 0}}, [][]float32{{0.2, 0.7, 0.1}, {0.5, 0.25, 0.25}}}},
	{"soft targets", []any{[][]float64{{0.1, 0.4, 0.5}}, [][]float64{{0.8, 0.15, 0.05}}}},
}

func TestCheck(t *testing.T) {
	Output = io.Discard
	backend := goBackend(t)
	reference := pairFn(klloss.ForwardKL)
	mistakes := []Mistake[pairFn]{{Fn: klloss.ReverseKL, Hint: "P and Q are swapped"}}
	for _, tc := range []struct {
		name    string
		student pairFn
		passed  bool
		notDone bool
		want    string
	}{
		{"reference", klloss.ForwardKL, true, false, "PASS — value and gradient match the reference on 2 test case(s)"},
		{"swapped", klloss.ReverseKL, false, false, "FAIL on one-hot targets: value [+Inf"},
		{"stub", func(p, q *graph.Node) *graph.Node { return Todo(q) }, false, true, "not done yet"},
		{"cross-entropy", func(p, q *graph.Node) *graph.Node {
			return graph.Neg(graph.ReduceSum(graph.Mul(p, graph.Log(q)), -1))
		}, false, false, "FAIL on one-hot targets: the value matches, but the gradient with respect to input 1 differs"},
		{"naive log ratio", func(p, q *graph.Node) *graph.Node {
			return graph.ReduceSum(graph.Mul(p, graph.Log(graph.Div(p, q))), -1)
		}, false, false, "Hint: NaN comes from log 0"},
		{"scalar instead of per example", func(p, q *graph.Node) *graph.Node {
			return graph.ReduceAllMean(klloss.ForwardKL(p, q))
		}, false, false, "your result has shape [] , the reference [2]"},
	} {
		r := check(backend, "KL", tc.student, reference, mistakes, cases)
		if r.Passed != tc.passed || r.NotDone != tc.notDone {
			t.Errorf("%s: Passed=%v NotDone=%v, want %v %v; report:\n%s", tc.name, r.Passed, r.NotDone, tc.passed, tc.notDone, r.Report)
		}
		if !strings.Contains(r.Report, strings.ReplaceAll(tc.want, "[] ,", "[],")) {
			t.Errorf("%s: report lacks %q:\n%s", tc.name, tc.want, r.Report)
		}
	}
	// A known mistake is named when it is recognised.
	r := check(backend, "KL", klloss.ReverseKL, reference, mistakes, cases[1:])
	if !strings.Contains(r.Report, "Hint: P and Q are swapped") {
		t.Errorf("swapped on soft targets: no hint:\n%s", r.Report)
	}
}

func TestTodoTrainsNothing(t *testing.T) {
	ev, err := klloss.Evaluate(goBackend(t), func(x *graph.Node) *graph.Node { return Todo(x) }, []float32{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Value[0] != 0 || ev.Gradients[0][0] != 0 || ev.Gradients[0][2] != 0 {
		t.Errorf("Todo: value %v, gradient %v; want zeros", ev.Value, ev.Gradients[0])
	}
}
