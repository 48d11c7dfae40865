package fit

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// quadratic returns a Minimizer of L(w) = (w − 5)² by plain SGD at rate lr
// from w = 0, whose extra output is w before the update, and the variable w.
func quadratic(t *testing.T, lr float64) (*Minimizer, *model.Variable) {
	t.Helper()
	store := model.NewStore()
	w, err := store.RootScope().CreateVariable("w", tensors.FromScalar(float64(0)))
	if err != nil {
		t.Fatal(err)
	}
	loss := func(scope *model.Scope, in []*graph.Node) (*graph.Node, []*graph.Node) {
		v := w.NodeValue(in[0].Graph())
		return graph.Square(graph.AddScalar(v, -5)), []*graph.Node{v}
	}
	m, err := NewMinimizer(goBackend(t), store, loss, optimizer.StochasticGradientDescent().WithLearningRate(lr).WithDecay(false).Done())
	if err != nil {
		t.Fatal(err)
	}
	return m, w
}

// Loop with plain SGD on L(w) = (w − 5)² from w = 0: a step at rate lr maps
// w to w + 2·lr·(5 − w), so the trajectory of w, computed here in Go with
// the schedule, checks that every step ran at the schedule's rate; the eras
// (the last one short), their mean losses, the hooks and the record agree.
func TestLoopScheduleErasAndHooks(t *testing.T) {
	const lr0, lr1, steps = 0.2, 0.01, 7
	m, w := quadratic(t, lr0)
	schedule := Cosine(lr0, lr1, steps)
	if schedule(0) != lr0 || math.Abs(schedule(steps)-lr1) > 1e-15 {
		t.Fatalf("Cosine: starts at %g, ends at %g", schedule(0), schedule(steps))
	}
	// The expected losses and weights, step by step.
	var wantLoss, wantW []float64
	x := 0.0
	for k := range steps {
		wantLoss = append(wantLoss, (x-5)*(x-5))
		wantW = append(wantW, x) // the extra is w before the update
		x += 2 * schedule(k) * (5 - x)
	}
	var stepsSeen []int
	var eras []Era
	rec, err := m.Loop(Loop{
		Steps: steps, Era: 3, LearningRate: schedule,
		Inputs: func(int) ([]*tensors.Tensor, error) { return []*tensors.Tensor{tensors.FromScalar(float64(0))}, nil },
		OnStep: func(i int, l float64, extras []*tensors.Tensor) error {
			if math.Abs(l-wantLoss[i-1]) > 1e-9 || math.Abs(scalar(extras[0])-wantW[i-1]) > 1e-9 {
				t.Errorf("step %d: loss %g, w %g; want %g, %g", i, l, scalar(extras[0]), wantLoss[i-1], wantW[i-1])
			}
			stepsSeen = append(stepsSeen, i)
			return nil
		},
		OnEra: func(e Era) (string, error) { eras = append(eras, e); return "", nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(stepsSeen) != steps || len(eras) != 3 || rec.Steps != steps || len(rec.Loss) != 3 || len(rec.LearningRate) != 3 {
		t.Fatalf("steps %v, eras %+v, record %+v", stepsSeen, eras, rec)
	}
	if e := eras[2]; e.Era != 3 || e.Eras != 3 || e.Steps != 7 || math.Abs(e.Loss-wantLoss[6]) > 1e-9 {
		t.Errorf("last era (one step): %+v, want loss %g", e, wantLoss[6])
	}
	if want := (wantLoss[0] + wantLoss[1] + wantLoss[2]) / 3; math.Abs(rec.Loss[0]-want) > 1e-9 {
		t.Errorf("first era's mean loss %g, want %g", rec.Loss[0], want)
	}
	if got := rec.LearningRate[1]; math.Abs(got-schedule(5)) > 1e-12 {
		t.Errorf("rate at the end of era 2: %g, want the schedule's %g", got, schedule(5))
	}
	// A second run on the same store starts at its own schedule's rate, not
	// at the rate the first one left; Step replaces Minimizer.Step on Inputs.
	calls := 0
	if _, err := m.Loop(Loop{Steps: 1, LearningRate: Constant(0.05),
		Step: func(int) (float64, []*tensors.Tensor, error) {
			calls++
			return m.Step(tensors.FromScalar(float64(0)))
		}}); err != nil || calls != 1 {
		t.Fatalf("second run: %v, %d calls of Step", err, calls)
	}
	if v, _ := w.Value(); math.Abs(scalar(v)-(x+2*0.05*(5-x))) > 1e-9 {
		t.Errorf("second run's step: w = %g, want %g (rate 0.05)", scalar(v), x+2*0.05*(5-x))
	}
	// A hook's error stops the run and comes back as it was.
	stop := errors.New("stop here")
	rec, err = m.Loop(Loop{Steps: 5, Inputs: func(int) ([]*tensors.Tensor, error) { return []*tensors.Tensor{tensors.FromScalar(float64(0))}, nil },
		OnStep: func(i int, _ float64, _ []*tensors.Tensor) error {
			if i == 2 {
				return stop
			}
			return nil
		}})
	if !errors.Is(err, stop) || rec.Steps != 1 {
		t.Errorf("a hook's error: %v after %d steps", err, rec.Steps)
	}
	if _, err := m.Loop(Loop{Steps: 0, Inputs: func(int) ([]*tensors.Tensor, error) { return nil, nil }}); err == nil || !strings.Contains(err.Error(), "0 steps") {
		t.Errorf("no steps: %v", err)
	}
}
