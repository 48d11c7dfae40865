package klloss

import (
	"fmt"
	"slices"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/support/exceptions"
)

// PairFn is a divergence between a target distribution and a model's output,
// computed per example: it takes the target P shaped [..., K] and the output
// (probabilities or logits, as the function expects) of the same shape and
// dtype, and returns a value per example shaped [...] or, for a function that
// reduces by itself, a scalar. ForwardKL, ForwardKLFromLogits, ReverseKL,
// ReverseKLFromLogits and KerasPerExample are PairFns; so is
//
//	func(p, logQ *Node) *Node { return TorchKLDiv(logQ, p, ReductionBatchMean, false) }
type PairFn func(target, output *Node) *Node

// Labels says how a dataset encodes the target distribution of each example.
type Labels int

const (
	// Dense labels are the target distribution itself, one-hot or soft: a
	// tensor with the dimensions of the predictions, [..., K], of any numeric
	// dtype (it is converted to the predictions' dtype).
	Dense Labels = iota
	// Sparse labels are the index of the true class: an integer tensor shaped
	// [..., 1] (GoMLX's convention, as in SparseCategoricalCrossEntropyLogits)
	// or [...], for predictions shaped [..., K]. They become one-hot targets.
	// An index outside [0, K) becomes an all-zero target, which no graph code
	// can detect: ForwardKL then gives 0 and ReverseKL +Inf for that example.
	Sparse
)

// String returns "Dense" or "Sparse".
func (l Labels) String() string {
	switch l {
	case Dense:
		return "Dense"
	case Sparse:
		return "Sparse"
	}
	return fmt.Sprintf("Labels(%d)", int(l))
}

// MakeLoss adapts fn to the loss type of GoMLX's trainer, loss.LossFn (=
// train.LossFn, func(labels, predictions []*Node) *Node), so that it can be
// passed to train.NewTrainer directly:
//
//	trainer := train.NewTrainer(backend, store, modelFn,
//		klloss.MakeLoss(klloss.ForwardKLFromLogits, klloss.Sparse), optimizer, nil, nil)
//
// The returned loss function expects exactly one prediction, a float tensor
// shaped [..., K] (typically [batch, K], probabilities or logits as fn
// expects), and labels[0] encoded as labels says; it converts them into a
// dense target in the predictions' dtype and calls fn(target, predictions[0]).
// The per-example values are then averaged over all examples into a scalar:
// the mean KL per example, which is PyTorch's "batchmean" and Keras's
// "sum_over_batch_size" for inputs shaped [batch, K]. If fn returns a scalar,
// that scalar is the loss.
//
// As GoMLX's own losses, it accepts two optional extra labels, in any order,
// shaped like the per-example values [...]: float weights in the predictions'
// dtype, which multiply each example's loss before the mean, and a Bool mask,
// which excludes the examples where it is false from the mean.
//
// Shapes are checked while the graph is built, and a mismatch panics with a
// message giving the expected and the actual shapes; so does a PairFn result
// that is neither per-example nor scalar, and weights or a mask given to a fn
// that reduces by itself.
func MakeLoss(fn PairFn, labels Labels) loss.LossFn {
	if fn == nil {
		exceptions.Panicf("klloss.MakeLoss: fn is nil")
	}
	if labels != Dense && labels != Sparse {
		exceptions.Panicf("klloss.MakeLoss: unknown labels encoding %s", labels)
	}
	return func(labelNodes, predictions []*Node) *Node {
		if len(predictions) != 1 {
			exceptions.Panicf("klloss.MakeLoss: the loss expects exactly one prediction tensor, got %d "+
				"(a multi-head model needs its own LossFn that splits them)", len(predictions))
		}
		if len(labelNodes) == 0 {
			exceptions.Panicf("klloss.MakeLoss: the loss expects the labels as labels[0], got no labels")
		}
		output := predictions[0]
		assertFloat("MakeLoss", "predictions[0]", output)
		target := denseTarget(labels, labelNodes[0], output)

		perExample := fn(target, output)
		dims := output.Shape().Dimensions
		exampleShape := loss.MakeShapeLike(output.DType(), output.Shape(), dims[:len(dims)-1]...)
		weights, mask := loss.CheckExtraLabelsForWeightsAndMask(exampleShape, labelNodes[1:])
		if perExample.IsScalar() && !exampleShape.IsScalar() {
			if weights != nil || mask != nil {
				exceptions.Panicf("klloss.MakeLoss: the PairFn returned a scalar, so it cannot take the " +
					"per-example weights or mask given in labels[1:]")
			}
			return perExample
		}
		if !perExample.Shape().Equal(exampleShape) {
			exceptions.Panicf("klloss.MakeLoss: the PairFn must return one value per example, shaped %s, "+
				"or a scalar; it returned %s for predictions shaped %s",
				exampleShape, perExample.Shape(), output.Shape())
		}
		if weights != nil {
			perExample = Mul(perExample, weights)
		}
		if mask != nil {
			return MaskedReduceAllMean(Where(mask, perExample, ZerosLike(perExample)), mask)
		}
		return ReduceAllMean(perExample)
	}
}

// denseTarget returns the labels as a distribution with the dimensions and
// dtype of output, panicking if their shape does not fit.
func denseTarget(labels Labels, target, output *Node) *Node {
	outDims := output.Shape().Dimensions
	k := outDims[len(outDims)-1]
	exampleDims := outDims[:len(outDims)-1]
	switch labels {
	case Dense:
		if !slices.Equal(target.Shape().Dimensions, outDims) {
			exceptions.Panicf("klloss.MakeLoss: dense labels[0] must have the dimensions of predictions[0] %v, got %s",
				outDims, target.Shape())
		}
		return ConvertDType(target, output.DType())
	case Sparse:
		if !target.DType().IsInt() {
			exceptions.Panicf("klloss.MakeLoss: sparse labels[0] must be class indices of an integer dtype, got %s",
				target.Shape())
		}
		dims := target.Shape().Dimensions
		switch {
		case slices.Equal(dims, exampleDims):
		case len(dims) == len(outDims) && dims[len(dims)-1] == 1 && slices.Equal(dims[:len(dims)-1], exampleDims):
			target = Reshape(target, exampleDims...)
		default:
			exceptions.Panicf("klloss.MakeLoss: sparse labels[0] must be shaped %v or %v for predictions[0] shaped %s, got %s",
				append(append([]int{}, exampleDims...), 1), exampleDims, output.Shape(), target.Shape())
		}
		return OneHot(target, k, output.DType())
	}
	exceptions.Panicf("klloss.MakeLoss: unknown labels encoding %s", labels)
	return nil
}
