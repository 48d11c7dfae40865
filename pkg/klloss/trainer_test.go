package klloss

import (
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/klcourse/klcourse/pkg/graphx"
)

// lossOf evaluates MakeLoss(fn, labels) on one label tensor (plus extras) and
// the predictions, which come last in the inputs.
func lossOf(fn PairFn, labels Labels) func([]*Node) *Node {
	lossFn := MakeLoss(fn, labels)
	return func(xs []*Node) *Node {
		return lossFn(xs[:len(xs)-1], xs[len(xs)-1:])
	}
}

func TestMakeLoss(t *testing.T) {
	logits := [][]float64{{1, 2, 3}, {-1, 0, 4}, {0.5, 0.5, -2}}
	oneHot := [][]float64{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}}
	classes := []int32{2, 0, 1}
	perExample, err := graphx.Evaluate(testBackend(), ForwardKLFromLogits, oneHot, logits)
	if err != nil {
		t.Fatal(err)
	}
	mean := (perExample.Value[0] + perExample.Value[1] + perExample.Value[2]) / 3

	for _, tc := range []struct {
		name   string
		labels Labels
		inputs []any
	}{
		{"dense", Dense, []any{oneHot, logits}},
		{"dense int32", Dense, []any{[][]int32{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}}, logits}},
		{"sparse [3 1]", Sparse, []any{[][]int32{{2}, {0}, {1}}, logits}},
		{"sparse [3]", Sparse, []any{classes, logits}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := graphx.Evaluate(testBackend(), lossOf(ForwardKLFromLogits, tc.labels), tc.inputs...)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "loss", ev.Value, []float64{mean}, 1e-14)
			if len(ev.Shape) != 0 {
				t.Errorf("loss shape %v, want a scalar", ev.Shape)
			}
			// ∂mean/∂logits = (softmax − one-hot)/3.
			grad := ev.Gradients[len(ev.Gradients)-1]
			for i, row := range logits {
				var z float64
				for _, l := range row {
					z += math.Exp(l)
				}
				for k, l := range row {
					want := (math.Exp(l)/z - oneHot[i][k]) / 3
					if !closeTo(grad[3*i+k], want, 1e-14) {
						t.Errorf("∂loss/∂logits[%d][%d] = %g, want %g", i, k, grad[3*i+k], want)
					}
				}
			}
		})
	}

	t.Run("weights and mask", func(t *testing.T) {
		weights := []float64{2, 0.5, 1}
		mask := []bool{true, false, true}
		ev, err := graphx.Evaluate(testBackend(), lossOf(ForwardKLFromLogits, Sparse), classes, mask, weights, logits)
		if err != nil {
			t.Fatal(err)
		}
		want := (2*perExample.Value[0] + 1*perExample.Value[2]) / 2
		compare(t, "weighted, masked loss", ev.Value, []float64{want}, 1e-14)
	})

	t.Run("scalar PairFn", func(t *testing.T) {
		batchMean := func(p, logits *Node) *Node {
			return TorchKLDiv(LogSoftmax(logits, -1), p, ReductionBatchMean, false)
		}
		ev, err := graphx.Evaluate(testBackend(), lossOf(batchMean, Sparse), classes, logits)
		if err != nil {
			t.Fatal(err)
		}
		compare(t, "batchmean loss", ev.Value, []float64{mean}, 1e-14)
	})
}

func TestMakeLossPanics(t *testing.T) {
	logits := [][]float32{{1, 2, 3}, {-1, 0, 4}}
	for _, tc := range []struct {
		name   string
		fn     func([]*Node) *Node
		inputs []any
		want   []string
	}{
		{"dense shape", lossOf(ForwardKLFromLogits, Dense), []any{[][]float32{{0, 1}, {1, 0}}, logits},
			[]string{"klloss.MakeLoss", "dense labels[0]", "[2 3]", "[2, 2]"}},
		{"sparse dtype", lossOf(ForwardKLFromLogits, Sparse), []any{[]float32{1, 2}, logits},
			[]string{"klloss.MakeLoss", "integer"}},
		{"sparse shape", lossOf(ForwardKLFromLogits, Sparse), []any{[][]int32{{1, 2}, {0, 0}}, logits},
			[]string{"klloss.MakeLoss", "[2 1]", "[2]", "(Int32)[2, 2]"}},
		{"no labels", func(xs []*Node) *Node { return MakeLoss(ForwardKLFromLogits, Dense)(nil, xs) }, []any{logits},
			[]string{"klloss.MakeLoss", "no labels"}},
		{"two predictions", func(xs []*Node) *Node { return MakeLoss(ForwardKLFromLogits, Sparse)(xs[:1], xs[1:]) },
			[]any{[]int32{1, 2}, logits, logits}, []string{"klloss.MakeLoss", "exactly one prediction", "got 2"}},
		{"pointwise PairFn", lossOf(func(p, logits *Node) *Node {
			return TorchKLDiv(LogSoftmax(logits, -1), p, ReductionNone, false)
		}, Sparse), []any{[]int32{1, 2}, logits}, []string{"klloss.MakeLoss", "one value per example", "(Float32)[2]"}},
		{"scalar PairFn with weights", lossOf(func(p, logits *Node) *Node {
			return TorchKLDiv(LogSoftmax(logits, -1), p, ReductionSum, false)
		}, Sparse), []any{[]int32{1, 2}, []float32{1, 1}, logits}, []string{"klloss.MakeLoss", "weights or mask"}},
		{"unknown extra label", lossOf(ForwardKLFromLogits, Sparse), []any{[]int32{1, 2}, []float64{1, 1}, logits},
			[]string{"extra labels"}},
	} {
		_, err := graphx.Evaluate(testBackend(), tc.fn, tc.inputs...)
		wantError(t, tc.name, err, tc.want...)
	}
	defer func() {
		if recover() == nil {
			t.Error("MakeLoss(nil, Dense): no panic")
		}
	}()
	MakeLoss(nil, Dense)
}

// TestMakeLossTrains plugs MakeLoss into train.NewTrainer: a model that is a
// single vector of logits Q, trained by gradient descent on labels with class
// frequencies f, must reach the minimum of the mean loss over the labels:
//
//   - forward KL to one-hot targets: Σ_c f_c·(−log q_c) = H(f) + KL(f‖Q), whose
//     minimum is H(f), at Q = f;
//   - reverse KL to smoothed targets P'_c: Σ_c f_c·KL(Q‖P'_c) = Σ_k q_k log q_k −
//     Σ_k q_k Σ_c f_c log p'_ck, whose minimum is −log Σ_k exp(Σ_c f_c log p'_ck),
//     at Q proportional to the geometric mean of the targets.
func TestMakeLossTrains(t *testing.T) {
	classes := []int32{0, 0, 0, 0, 0, 1, 1, 1, 2, 2}
	freq := []float64{0.5, 0.3, 0.2}
	const epsilon = 0.1
	var entropy, partition float64
	for _, f := range freq {
		entropy -= f * math.Log(f)
	}
	for k := range freq {
		var logGeoMean float64
		for c, f := range freq {
			pSmoothed := epsilon / 3
			if c == k {
				pSmoothed += 1 - epsilon
			}
			logGeoMean += f * math.Log(pSmoothed)
		}
		partition += math.Exp(logGeoMean)
	}
	modelFn := func(scope *model.Scope, x *Node) *Node {
		logits := scope.VariableWithValue("logits", []float32{0, 0, 0}).NodeValue(x.Graph())
		return BroadcastToDims(InsertAxes(logits, 0), x.Shape().Dimensions[0], 3)
	}
	for _, tc := range []struct {
		name    string
		loss    PairFn
		labels  Labels
		minimum float64
	}{
		{"forward KL, sparse labels", ForwardKLFromLogits, Sparse, entropy},
		{"smoothed reverse KL, dense labels", WithSmoothedTarget(ReverseKLFromLogits, epsilon), Dense, -math.Log(partition)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := model.NewStore()
			sgd := optimizer.StochasticGradientDescent().WithDecay(false).WithLearningRate(1).Done()
			trainer := train.NewTrainer(testBackend(), store, modelFn, MakeLoss(tc.loss, tc.labels), sgd, nil, nil)
			var first, last float64
			for step := range 300 {
				labels := tensors.FromFlatDataAndDimensions(classes, len(classes), 1)
				if tc.labels == Dense {
					oneHot := make([]float32, 3*len(classes))
					for i, c := range classes {
						oneHot[3*i+int(c)] = 1
					}
					labels = tensors.FromFlatDataAndDimensions(oneHot, len(classes), 3)
				}
				x := tensors.FromShape(shapes.Make(dtypes.Float32, len(classes), 1))
				metrics, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{x}, Labels: []*tensors.Tensor{labels}})
				if err != nil {
					t.Fatal(err)
				}
				last = float64(metrics[0].Value().(float32))
				if step == 0 {
					first = last
				}
			}
			if math.IsNaN(last) || last >= first {
				t.Fatalf("loss went from %g to %g in 300 steps, want a decrease", first, last)
			}
			if math.Abs(last-tc.minimum) > 1e-4 {
				t.Errorf("loss after 300 steps = %.6f, want the minimum %.6f", last, tc.minimum)
			}
		})
	}
}
