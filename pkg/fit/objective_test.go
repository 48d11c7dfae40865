package fit

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/klcourse/klcourse/internal/testbackends"
)

// Minimising mean((w − x)²) over fresh inputs x each step drives w to the
// inputs' mean; the extras come back unchanged by the update.
func TestMinimizer(t *testing.T) {
	for _, b := range testbackends.List(t) {
		t.Run(b.Name, func(t *testing.T) {
			store := model.NewStore()
			w, err := store.RootScope().CreateVariable("w", tensors.FromValue([]float64{0}))
			if err != nil {
				t.Fatal(err)
			}
			m, err := NewMinimizer(b.Backend, store, func(scope *model.Scope, in []*graph.Node) (*graph.Node, []*graph.Node) {
				d := graph.Sub(in[0], w.NodeValue(in[0].Graph()))
				return graph.ReduceAllMean(graph.Square(d)), []*graph.Node{graph.ReduceAllSum(in[0])}
			}, optimizer.StochasticGradientDescent().WithLearningRate(0.1).WithDecay(false).Done())
			if err != nil {
				t.Fatal(err)
			}
			var loss float64
			for step := range 100 {
				x := []float64{1, 2 + float64(step%2), 3}
				var extras []*tensors.Tensor
				loss, extras, err = m.Step(tensors.FromValue(x))
				if err != nil {
					t.Fatal(err)
				}
				if got := extras[0].Value().(float64); got != x[0]+x[1]+x[2] {
					t.Fatalf("extra = %g, want %g", got, x[0]+x[1]+x[2])
				}
			}
			got := tensors.MustCopyFlatData[float64](w.MustValue())[0]
			if math.Abs(got-2.17) > 0.1 || loss > 1 || m.Steps() != 100 {
				t.Errorf("w = %g, loss %g after %d steps: want w ≈ 2.17 (the mean of the inputs)", got, loss, m.Steps())
			}
		})
	}
	if _, err := NewMinimizer(nil, nil, nil, nil); err == nil {
		t.Error("NewMinimizer accepted nil arguments")
	}
}
