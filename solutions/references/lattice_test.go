package references

import (
	"testing"

	"github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
	"github.com/klcourse/klcourse/pkg/flow"
	"github.com/klcourse/klcourse/pkg/graphx"
	"github.com/klcourse/klcourse/pkg/phi4"
)

// TestLatticeReferencesMatchTheLecture: the reference action is
// phi4.Theory.Action and the reference ESS flow.ESS, the lecture's, in
// float64; the reverse-KL loss is mean(log q + S).
func TestLatticeReferencesMatchTheLecture(t *testing.T) {
	b := useExpected(t, flow.Exercise)
	c := flow.ActionCases()[0]
	ev, err := graphx.Evaluate(b, actionReference, c.Inputs...)
	if err != nil {
		t.Fatal(err)
	}
	configs := c.Inputs[0].([][][]float64)
	th := phi4.Theory{L: len(configs[0]), M2: flow.ExerciseM2, Lambda: flow.ExerciseLambda}
	for k, cfg := range configs {
		var flat []float64
		for _, row := range cfg {
			flat = append(flat, row...)
		}
		if want := th.Action(flat); !near(ev.Value[k], want) {
			t.Errorf("configuration %d: reference S = %g, phi4.Theory.Action %g", k, ev.Value[k], want)
		}
	}
	for _, c := range flow.ESSCases() {
		ev, err := graphx.Evaluate(b, essReference, c.Inputs...)
		if err != nil {
			t.Fatal(err)
		}
		if want := flow.ESS(c.Inputs[0].([]float64)); !near(ev.Value[0], want) {
			t.Errorf("%s: reference ESS %g, flow.ESS %g", c.Name, ev.Value[0], want)
		}
	}
	for _, c := range flow.ReverseKLCases() {
		ev, err := graphx.Evaluate(b, reverseKLReference, c.Inputs...)
		if err != nil {
			t.Fatal(err)
		}
		q, s := c.Inputs[0].([]float64), c.Inputs[1].([]float64)
		want := 0.0
		for i := range q {
			want += (q[i] + s[i]) / float64(len(q))
		}
		if !near(ev.Value[0], want) {
			t.Errorf("%s: reference loss %g, mean(log q + S) %g", c.Name, ev.Value[0], want)
		}
	}
}

// TestLatticeChecks: answers a student writes pass, stubs are not done, and
// the known mistakes get their hints.
func TestLatticeChecks(t *testing.T) {
	b := useExpected(t, flow.Exercise)
	m2, lambda := flow.ExerciseM2, flow.ExerciseLambda
	action := func(phi *graph.Node) *graph.Node {
		// Σ_μ (φ_{x+μ} − φ_x)² + m²φ² + λφ⁴: the same action, written with links.
		links := graph.ZerosLike(phi)
		for _, axis := range []int{1, 2} {
			links = graph.Add(links, graph.Square(graph.Sub(phi4.Roll(phi, axis, 1), phi)))
		}
		phi2 := graph.Square(phi)
		return graph.ReduceSum(graph.Add(links, graph.Add(graph.MulScalar(phi2, m2), graph.MulScalar(graph.Square(phi2), lambda))), 1, 2)
	}
	wants(t, "action", flow.CheckAction(b, action), "PASS")
	wants(t, "action, no kinetic term", flow.CheckAction(b, func(phi *graph.Node) *graph.Node {
		phi2 := graph.Square(phi)
		return graph.ReduceSum(graph.Add(graph.MulScalar(phi2, m2), graph.MulScalar(graph.Square(phi2), lambda)), 1, 2)
	}), "kinetic (neighbour) term is missing")
	wants(t, "action stub", flow.CheckAction(b, func(phi *graph.Node) *graph.Node { return exercise.Todo(phi) }), "not done yet")
	loss := func(q, s *graph.Node) *graph.Node { return graph.ReduceAllMean(graph.Add(q, s)) }
	wants(t, "reverseKL", flow.CheckReverseKL(b, loss), "PASS")
	wants(t, "reverseKL minus S", flow.CheckReverseKL(b, func(q, s *graph.Node) *graph.Node { return graph.ReduceAllMean(graph.Sub(q, s)) }), "a sign")
	// log Z is added: KL(Q‖P) = E_q[log q + S] + log Z.
	wants(t, "reverseKL plus a log Z estimate", flow.CheckReverseKL(b, func(q, s *graph.Node) *graph.Node {
		logW := graph.Neg(graph.Add(q, s))
		return graph.Add(loss(q, s), graph.Log(graph.ReduceAllMean(graph.Exp(logW))))
	}), "estimate of log Z")
	ess := func(l *graph.Node) *graph.Node {
		w := graph.Exp(graph.Sub(l, graph.ReduceAllMax(l)))
		return graph.Div(graph.Square(graph.ReduceAllSum(w)), graph.MulScalar(graph.ReduceAllSum(graph.Square(w)), float64(l.Shape().Dimensions[0])))
	}
	wants(t, "ess", flow.CheckESS(b, ess), "PASS")
	wants(t, "ess, not per sample", flow.CheckESS(b, func(l *graph.Node) *graph.Node {
		w := graph.Exp(graph.Sub(l, graph.ReduceAllMax(l)))
		return graph.Div(graph.Square(graph.ReduceAllSum(w)), graph.ReduceAllSum(graph.Square(w)))
	}), "number of samples")
	if flow.ExerciseDone(b, action, func(q, s *graph.Node) *graph.Node { return exercise.Todo(q) }) || !flow.ExerciseDone(b, action, loss) {
		t.Error("ExerciseDone does not tell the stubs from answers")
	}
}
