package fit

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// Minimizer.Run fits y = 3x − 1 by a one-unit dense layer on fresh batches: the loss
// falls to near 0, the record has one mean per window, and bad arguments are
// errors.
func TestMinimizerRunFitsALine(t *testing.T) {
	b := goBackend(t)
	loss := func(scope *model.Scope, in []*graph.Node) (*graph.Node, []*graph.Node) {
		pred := layers.Dense(scope.In("line"), in[0], true, 1)
		return graph.ReduceAllMean(graph.Square(graph.Sub(pred, in[1]))), nil
	}
	store := model.NewStore()
	if err := Seed(store, 3); err != nil {
		t.Fatal(err)
	}
	s, err := NewMinimizer(b, store, loss, optimizer.Adam().LearningRate(0.05).Done())
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	batch := func(int) ([]*tensors.Tensor, error) {
		x := make([][]float32, 16)
		y := make([][]float32, 16)
		for i := range x {
			v := float32(math.Sin(float64(k)))
			k++
			x[i], y[i] = []float32{v}, []float32{3*v - 1}
		}
		return []*tensors.Tensor{tensors.FromValue(x), tensors.FromValue(y)}, nil
	}
	rec, err := s.Run(400, 50, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Loss) != 8 || rec.Steps != 400 || rec.StepAxis()[7] != 400 {
		t.Fatalf("record: %d windows, %d steps, axis %v", len(rec.Loss), rec.Steps, rec.StepAxis())
	}
	if !(rec.Loss[7] < 1e-3*rec.Loss[0]) {
		t.Errorf("loss %g → %g: does not fit the line", rec.Loss[0], rec.Loss[7])
	}
	if err := Seed(model.NewStore(), 0); err == nil || !strings.Contains(err.Error(), "seed") {
		t.Errorf("seed 0: %v", err)
	}
	nan := func(scope *model.Scope, in []*graph.Node) (*graph.Node, []*graph.Node) {
		return graph.ReduceAllMean(graph.Log(graph.Neg(graph.Square(layers.Dense(scope.In("l"), in[0], true, 1))))), nil
	}
	s2, _ := NewMinimizer(b, model.NewStore(), nan, nil)
	if _, err := s2.Run(3, 1, batch, nil); err == nil || !strings.Contains(err.Error(), "step 1") {
		t.Errorf("a NaN loss: %v", err)
	}
}

// SetLearningRate changes the rate of the following steps: with plain SGD
// on L(w) = (w − 5)², from w = 0, a step moves w by lr·2(5 − w), so the
// rates can be read off the moves.
func TestMinimizerSetLearningRate(t *testing.T) {
	m, w := quadratic(t, 0.1)
	if err := m.SetLearningRate(0.2); err == nil {
		t.Error("SetLearningRate before the first step: no error")
	}
	value := func() float64 { v, _ := w.Value(); return scalar(v) }
	in := tensors.FromScalar(float64(0))
	if _, _, err := m.Step(in); err != nil {
		t.Fatal(err)
	}
	if got := value(); math.Abs(got-1) > 1e-12 { // 0 + 0.1·2·5
		t.Fatalf("after a step at rate 0.1: w = %g, want 1", got)
	}
	if got := m.LearningRate(); got != 0.1 {
		t.Errorf("LearningRate() = %g, want 0.1", got)
	}
	if err := m.SetLearningRate(0.25); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Step(tensors.FromScalar(float64(0))); err != nil {
		t.Fatal(err)
	}
	if got := value(); math.Abs(got-3) > 1e-12 { // 1 + 0.25·2·4
		t.Errorf("after a step at rate 0.25: w = %g, want 3", got)
	}
	for _, bad := range []float64{0, -1, math.Inf(1), math.NaN()} {
		if err := m.SetLearningRate(bad); err == nil {
			t.Errorf("SetLearningRate(%g): no error", bad)
		}
	}
}
