package exercise

import (
	"io"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/internal/testbackends"
	"github.com/klcourse/klcourse/pkg/graphx"
)

func goBackend(t *testing.T) compute.Backend { return testbackends.Go(t) }

type pairFn = func(p, q *graph.Node) *graph.Node

// forwardKL is KL(P‖Q) = Σ p (log p − log q) over the last axis, with the
// terms where p = 0 left out (klloss.ForwardKL, which this package's tests
// cannot import: klloss's checks import this package).
func forwardKL(p, q *graph.Node) *graph.Node {
	zero := graph.Equal(p, graph.ZerosLike(p))
	logP := graph.Log(graph.Where(zero, graph.OnesLike(p), p))
	return graph.ReduceSum(graph.Where(zero, graph.ZerosLike(p), graph.Mul(p, graph.Sub(logP, graph.Log(q)))), -1)
}

// reverseKL is KL(Q‖P).
func reverseKL(p, q *graph.Node) *graph.Node { return forwardKL(q, p) }

// cases are a one-hot and a soft target against softmax-like outputs.
var cases = []Case{
	{Name: "one-hot targets", Inputs: []any{[][]float32{{0, 1, 0}, {1, 0, 0}}, [][]float32{{0.2, 0.7, 0.1}, {0.5, 0.25, 0.25}}}},
	{Name: "soft targets", Inputs: []any{[][]float64{{0.1, 0.4, 0.5}}, [][]float64{{0.8, 0.15, 0.05}}}},
}

func TestCheck(t *testing.T) {
	Output = io.Discard
	backend := goBackend(t)
	reference := pairFn(forwardKL)
	mistakes := []Mistake[pairFn]{{Fn: reverseKL, Hint: "P and Q are swapped"}}
	for _, tc := range []struct {
		name    string
		student pairFn
		passed  bool
		notDone bool
		want    string
	}{
		{"reference", forwardKL, true, false, "PASS — value and gradient match the reference on 2 test case(s)"},
		{"swapped", reverseKL, false, false, "FAIL on one-hot targets: value [+Inf"},
		{"stub", func(p, q *graph.Node) *graph.Node { return Todo(q) }, false, true, "not done yet"},
		{"cross-entropy", func(p, q *graph.Node) *graph.Node {
			return graph.Neg(graph.ReduceSum(graph.Mul(p, graph.Log(q)), -1))
		}, false, false, "FAIL on one-hot targets: the value matches, but the gradient with respect to input 1 differs"},
		{"naive log ratio", func(p, q *graph.Node) *graph.Node {
			return graph.ReduceSum(graph.Mul(p, graph.Log(graph.Div(p, q))), -1)
		}, false, false, "Hint: NaN comes from log 0"},
		{"scalar instead of per example", func(p, q *graph.Node) *graph.Node {
			return graph.ReduceAllMean(forwardKL(p, q))
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
	// Compared on the gradient with respect to q only, cross-entropy and KL
	// agree on one-hot targets, where H(P) = 0.
	onlyQ := []Case{cases[0]}
	onlyQ[0].WRT = []int{1}
	crossEntropy := func(p, q *graph.Node) *graph.Node { return graph.Neg(graph.ReduceSum(graph.Mul(p, graph.Log(q)), -1)) }
	if r := check(backend, "KL", crossEntropy, reference, nil, onlyQ); !r.Passed {
		t.Errorf("cross-entropy on one-hot targets, gradient with respect to q only: %s", r.Report)
	}
	// A known mistake is named when it is recognised.
	r := check(backend, "KL", reverseKL, reference, mistakes, cases[1:])
	if !strings.Contains(r.Report, "Hint: P and Q are swapped") {
		t.Errorf("swapped on soft targets: no hint:\n%s", r.Report)
	}
}

func TestTodoTrainsNothing(t *testing.T) {
	ev, err := graphx.Evaluate(goBackend(t), func(x *graph.Node) *graph.Node { return Todo(x) }, []float32{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Value[0] != 0 || ev.Gradients[0][0] != 0 || ev.Gradients[0][2] != 0 {
		t.Errorf("Todo: value %v, gradient %v; want zeros", ev.Value, ev.Gradients[0])
	}
}

func TestRelationHints(t *testing.T) {
	Output = io.Discard
	backend := goBackend(t)
	reference := pairFn(forwardKL)
	meanOverClasses := func(p, q *graph.Node) *graph.Node {
		return graph.ReduceMean(graph.Mul(p, graph.Sub(graph.Log(p), graph.Log(q))), -1)
	}
	plusLn2 := func(p, q *graph.Node) *graph.Node { return graph.AddScalar(forwardKL(p, q), math.Ln2) }
	soft := cases[1:]
	for _, tc := range []struct {
		name    string
		student pairFn
		want    string
	}{
		{"mean over classes", meanOverClasses, "exactly 1/3 times the reference: a mean where a sum is meant"},
		{"off by ln 2", plusLn2, "exactly +ln 2"},
	} {
		r := check(backend, "KL", tc.student, reference, nil, soft)
		if r.Passed || !strings.Contains(r.Report, tc.want) {
			t.Errorf("%s: report lacks %q:\n%s", tc.name, tc.want, r.Report)
		}
	}
	// A case's own hint, when nothing else explains the failure.
	c := soft[0]
	c.Hint = "what this case tests"
	odd := func(p, q *graph.Node) *graph.Node { return graph.Square(forwardKL(p, q)) }
	if r := check(backend, "KL", odd, reference, nil, []Case{c}); !strings.Contains(r.Report, "Hint: what this case tests") {
		t.Errorf("the case's hint is missing:\n%s", r.Report)
	}
}

func TestCheckNaN(t *testing.T) {
	Output = io.Discard
	backend := goBackend(t)
	logNeg := func(x *graph.Node) *graph.Node { return graph.ReduceAllMean(graph.Log(graph.Neg(x))) } // NaN for x > 0
	logPos := func(x *graph.Node) *graph.Node { return graph.ReduceAllMean(graph.Log(x)) }
	in := []Case{{Name: "positive", Inputs: []any{[]float64{0.5, 2}}}}
	// A student whose answer gives NaN where a known mistake does gets that mistake's hint.
	r := check(backend, "f", logNeg, logPos, []Mistake[func(*graph.Node) *graph.Node]{{Fn: logNeg, Hint: "sign inside the log"}}, in)
	if r.Passed || !strings.Contains(r.Report, "Hint: sign inside the log") {
		t.Errorf("NaN answer matching a NaN mistake: %s", r.Report)
	}
	// A reference that gives NaN is reported as a bug, and never passes a NaN answer.
	r = check(backend, "f", logNeg, logNeg, nil, in)
	if r.Passed || !strings.Contains(r.Report, "reference gives NaN") {
		t.Errorf("NaN reference: %s", r.Report)
	}
}
