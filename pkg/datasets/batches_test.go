package datasets

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// epochIndices runs one Iter of b over indexedImages and returns the image
// indices of each batch, checking the labels against them.
func epochIndices(t *testing.T, b *Batches) [][]int {
	t.Helper()
	var epoch [][]int
	for batch, err := range b.Iter() {
		if err != nil {
			t.Fatal(err)
		}
		pixels := tensors.MustCopyFlatData[float32](batch.Inputs[0])
		labels := tensors.MustCopyFlatData[int32](batch.Labels[0])
		var indices []int
		for k := 0; k < len(pixels); k += 4 {
			idx := int(math.Round(float64(pixels[k]*255))) | int(math.Round(float64(pixels[k+1]*255)))<<8
			indices = append(indices, idx)
			if labels[k/4] != int32(idx%10) {
				t.Fatalf("image %d has label %d, want %d", idx, labels[k/4], idx%10)
			}
		}
		if err := batch.Finalize(); err != nil {
			t.Fatal(err)
		}
		epoch = append(epoch, indices)
	}
	return epoch
}

func TestBatchesEpochs(t *testing.T) {
	s := indexedImages(23)
	b, err := NewBatches(s, BatchOptions{Size: 5, Shuffle: true, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 5 {
		t.Errorf("Len() = %d, want ⌈23/5⌉ = 5", b.Len())
	}
	first, second := epochIndices(t, b), epochIndices(t, b)
	if b.Epoch() != 2 {
		t.Errorf("Epoch() = %d after two epochs", b.Epoch())
	}
	for _, epoch := range [][][]int{first, second} {
		var sizes, all []int
		for _, batch := range epoch {
			sizes = append(sizes, len(batch))
			all = append(all, batch...)
		}
		if !slices.Equal(sizes, []int{5, 5, 5, 5, 3}) {
			t.Errorf("batch sizes %v, want [5 5 5 5 3] (a partial last batch)", sizes)
		}
		slices.Sort(all)
		if !slices.Equal(all, rangeFrom(0, 23)) {
			t.Errorf("an epoch did not visit every image once: %v", all)
		}
	}
	if slices.EqualFunc(first, second, slices.Equal) {
		t.Error("two epochs had the same order")
	}
	again, _ := NewBatches(s, BatchOptions{Size: 5, Shuffle: true, Seed: 3})
	if !slices.EqualFunc(epochIndices(t, again), first, slices.Equal) {
		t.Error("the same seed gave a different first epoch")
	}
}

func TestBatchesDropRemainderAndOrder(t *testing.T) {
	s := indexedImages(23)
	b, err := NewBatches(s, BatchOptions{Size: 5, DropRemainder: true})
	if err != nil {
		t.Fatal(err)
	}
	epoch := epochIndices(t, b)
	if len(epoch) != 4 || b.Len() != 4 {
		t.Fatalf("%d batches (Len %d), want 4 with the remainder dropped", len(epoch), b.Len())
	}
	for k, batch := range epoch {
		if !slices.Equal(batch, rangeFrom(5*k, 5*k+5)) {
			t.Errorf("batch %d is %v, want images %d..%d in order", k, batch, 5*k, 5*k+4)
		}
	}
	if _, err := NewBatches(s, BatchOptions{Size: 24, DropRemainder: true}); err == nil {
		t.Error("a batch size above the image count with DropRemainder was accepted")
	}
	if _, err := NewBatches(s, BatchOptions{Size: 0}); err == nil {
		t.Error("batch size 0 was accepted")
	}
}

func TestBatchesLabelKindsAndRepeat(t *testing.T) {
	s := indexedImages(10)
	for _, tc := range []struct {
		opts        BatchOptions
		inputDims   []int
		labelDims   []int // nil: no labels
		sameAsInput bool
	}{
		{BatchOptions{Size: 4, Flatten: true, Labels: OneHotLabels}, []int{4, 4}, []int{4, 10}, false},
		{BatchOptions{Size: 4, Labels: InputLabels}, []int{4, 2, 1, 2}, []int{4, 2, 1, 2}, true},
		{BatchOptions{Size: 4, Labels: NoLabels}, []int{4, 2, 1, 2}, nil, false},
	} {
		b, err := NewBatches(s, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		for batch := range b.Iter() {
			x := batch.Inputs[0]
			if !slices.Equal(x.Shape().Dimensions, tc.inputDims) {
				t.Errorf("%+v: inputs %s, want %v", tc.opts, x.Shape(), tc.inputDims)
			}
			if tc.labelDims == nil {
				if len(batch.Labels) != 0 {
					t.Errorf("%+v: got labels", tc.opts)
				}
			} else {
				y := batch.Labels[0]
				if !slices.Equal(y.Shape().Dimensions, tc.labelDims) {
					t.Errorf("%+v: labels %s, want %v", tc.opts, y.Shape(), tc.labelDims)
				}
				if tc.sameAsInput {
					if x == y {
						t.Fatal("InputLabels yielded the input tensor itself as the label")
					}
					if !slices.Equal(tensors.MustCopyFlatData[float32](x), tensors.MustCopyFlatData[float32](y)) {
						t.Error("InputLabels differ from the inputs")
					}
				}
			}
			batch.Finalize()
			break
		}
	}
	// Repeat: one Iter runs on past the end of the epoch.
	b, _ := NewBatches(s, BatchOptions{Size: 4, Repeat: true, Shuffle: true})
	n := 0
	for batch := range b.Iter() {
		batch.Finalize()
		if n++; n == 10 {
			break
		}
	}
	if n != 10 || b.Epoch() < 3 {
		t.Errorf("Repeat yielded %d batches over %d epochs, want 10 over at least 3", n, b.Epoch())
	}
}

// TestBatchesTrainLoop runs GoMLX's training loop (whole epochs, then steps)
// on Batches: the trainer frees each batch, so this fails if a batch's
// tensors were ever reused.
func TestBatchesTrainLoop(t *testing.T) {
	backend, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	s := indexedImages(50)
	store := model.NewStore()
	modelFn := func(scope *model.Scope, _ any, inputs []*graph.Node) []*graph.Node {
		return []*graph.Node{layers.Dense(scope.In("logits"), inputs[0], true, 10)}
	}
	trainer := train.NewTrainer(backend, store, modelFn, loss.SparseCategoricalCrossEntropyLogits,
		optimizer.StochasticGradientDescent().WithDecay(false).WithLearningRate(0.1).Done(), nil, nil)
	loop := train.NewLoop(trainer)

	epochs, err := NewBatches(s, BatchOptions{Size: 16, Shuffle: true, Seed: 1, Flatten: true, DropRemainder: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loop.RunEpochs(epochs, 3); err != nil {
		t.Fatal(err)
	}
	if loop.LoopStep != 3*epochs.Len() {
		t.Errorf("3 epochs took %d steps, want %d", loop.LoopStep, 3*epochs.Len())
	}
	steps, err := NewBatches(s, BatchOptions{Size: 16, Shuffle: true, Seed: 1, Flatten: true, DropRemainder: true, Repeat: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loop.RunSteps(steps, 7); err != nil {
		t.Fatal(err)
	}
	eval, err := NewBatches(s, BatchOptions{Size: 16, Flatten: true})
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := trainer.Eval(eval)
	if err != nil {
		t.Fatal(err)
	}
	if l := tensors.ToScalar[float32](metrics[0]); math.IsNaN(float64(l)) || l <= 0 {
		t.Errorf("evaluation loss %v", l)
	}
}
