package references

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"

	. "github.com/klcourse/klcourse/pkg/diffusion"
	"github.com/klcourse/klcourse/pkg/exercise"
	"github.com/klcourse/klcourse/pkg/graphx"
)

func TestCheckQSample(t *testing.T) {
	b := useExpected(t, Exercise)
	s := DDPM()
	right := func(x0, ts, eps *graph.Node) *graph.Node {
		ab := Lookup(s.AlphaBar, ts, x0)
		return graph.Add(graph.Mul(graph.Sqrt(ab), x0), graph.Mul(graph.Sqrt(graph.OneMinus(ab)), eps))
	}
	if r := CheckQSample(b, right); !r.Passed {
		t.Errorf("a correct qSample fails: %s", r.Report)
	}
	stub := func(x0, ts, eps *graph.Node) *graph.Node { return graph.Add(eps, exercise.Todo(x0)) }
	if r := CheckQSample(b, stub); !r.NotDone {
		t.Errorf("the stub is not recognised: %s", r.Report)
	}
	if QSampleDone(b, stub) || !QSampleDone(b, right) {
		t.Error("QSampleDone does not tell the stub from an answer")
	}
	// The reference is the lecture's marginal: x_t = mean·x0 + std·eps.
	ref, _ := qSampleReference()
	c := QSampleCases()[0]
	ev, err := graphx.Evaluate(b, ref, c.Inputs...)
	if err != nil {
		t.Fatal(err)
	}
	x0, ts, eps := c.Inputs[0].([][]float64), c.Inputs[1].([]int32), c.Inputs[2].([][]float64)
	for i := range ts {
		mean, std := s.Marginal(int(ts[i]))
		for k := range 2 {
			if want := mean*x0[i][k] + std*eps[i][k]; !near(ev.Value[2*i+k], want) {
				t.Errorf("t = %d: reference x_t = %g, Schedule.Marginal gives %g", ts[i], ev.Value[2*i+k], want)
			}
		}
	}
	wrong := map[string]func(x0, ts, eps *graph.Node) *graph.Node{
		"where ᾱ_t is meant": func(x0, ts, eps *graph.Node) *graph.Node {
			ab := Lookup(s.Beta, ts, x0)
			return graph.Add(graph.Mul(graph.Sqrt(ab), x0), graph.Mul(graph.Sqrt(graph.OneMinus(ab)), eps))
		},
		"√ forgotten": func(x0, ts, eps *graph.Node) *graph.Node {
			ab := Lookup(s.AlphaBar, ts, x0)
			return graph.Add(graph.Mul(ab, x0), graph.Mul(graph.OneMinus(ab), eps))
		},
		"t off by one": func(x0, ts, eps *graph.Node) *graph.Node {
			ab := Lookup(s.AlphaBar, graph.AddScalar(ts, -1), x0)
			return graph.Add(graph.Mul(graph.Sqrt(ab), x0), graph.Mul(graph.Sqrt(graph.OneMinus(ab)), eps))
		},
	}
	for hint, fn := range wrong {
		r := CheckQSample(b, fn)
		if r.Passed || !strings.Contains(r.Report, hint) {
			t.Errorf("mistake %q: report %q", hint, r.Report)
		}
	}
}

// The graph reference of the exercise agrees with Schedule.StepKL, which uses
// divergence.KLNormal.
func TestStepKLReferenceMatchesSchedule(t *testing.T) {
	b := useExpected(t, Exercise)
	s := DDPM()
	ref, _ := stepKLReference()
	x0 := [][]float64{{0.5, -1.2}, {2.0, 0.3}}
	xt := [][]float64{{0.52, -1.15}, {0.8, 0.1}}
	ts := []int32{2, 700}
	eps := [][]float64{{0.3, 1.0}, {-0.5, 0.2}}
	ev, err := graphx.Evaluate(b, ref, x0, xt, ts, eps)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ts {
		want, err := s.StepKL(int(ts[i]), x0[i], xt[i], eps[i], BetaVariance)
		if err != nil {
			t.Fatal(err)
		}
		if !near(ev.Value[i], want) {
			t.Errorf("t = %d: graph step KL %g, Schedule.StepKL %g", ts[i], ev.Value[i], want)
		}
	}
	if r := CheckStepKL(b, ref); !r.Passed {
		t.Errorf("the reference fails its own check: %s", r.Report)
	}
	if r := CheckStepKL(b, klVariant{noConstant: true}.fn(s)); r.Passed || !strings.Contains(r.Report, "½(β̃_t/σ_t²") {
		t.Errorf("the forgotten constant is not recognised: %s", r.Report)
	}
	if r := CheckStepKL(b, func(in []*graph.Node) *graph.Node { return exercise.Todo(in[0]) }); !r.NotDone {
		t.Errorf("the stub is not recognised: %s", r.Report)
	}
}
