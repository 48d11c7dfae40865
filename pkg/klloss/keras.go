package klloss

import (
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/support/exceptions"
)

// KerasEpsilon is keras.backend.epsilon(), the lower clipping bound of Keras's
// KLDivergence.
const KerasEpsilon = 1e-7

// KerasPerExample returns keras.losses.kl_divergence(y_true, y_pred), the
// per-example loss of tf.keras.losses.KLDivergence. Its source (Keras 3,
// keras/src/losses/losses.py; tf.keras 2.x reads the same with backend.clip
// and tf.reduce_sum) is
//
//	y_true = ops.clip(y_true, backend.epsilon(), 1)
//	y_pred = ops.clip(y_pred, backend.epsilon(), 1)
//	return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)
//
// that is, with ε = KerasEpsilon = 1e-7 and clip(x) = min(max(x, ε), 1),
//
//	L = Σ_k clip(y_true_k)·log(clip(y_true_k) / clip(y_pred_k))   over the last axis.
//
// yPred must be float, shaped [..., K]; yTrue must have the same dimensions
// and is converted to yPred's dtype, as Keras does. The result is shaped [...].
//
// For distributions the clipping only replaces zeros by ε, which keeps the value
// and gradient finite: a zero of y_true contributes ε·log(ε/y_pred_k) instead
// of 0, and a zero of y_pred where y_true_k > 0 contributes
// y_true_k·log(y_true_k/ε) (at most log(1/ε) = 16.1 nats) instead of +∞. For
// anything else it changes the inputs silently: entries above 1 become 1 and
// negative entries become ε, with no warning, so the number returned is the
// "KL" of two other arrays, which need not be distributions either. Seed 000's
// y_true = [[-0.4, 1], [3, 0.2]] and y_pred = [[0.16, 0.4], [0.14, 2.1]]
// become [[1e-7, 1], [1, 0.2]] and [[0.16, 0.4], [0.14, 1]] before the sum, and
// Keras's 1.2803 is computed from those. The gradient with respect to yPred is
// −clip(y_true)/clip(y_pred) where ε ≤ y_pred ≤ 1 and 0 where y_pred was
// clipped (TensorFlow's clip_by_value gradient), so a prediction outside
// [ε, 1] receives no gradient at all.
func KerasPerExample(yTrue, yPred *Node) *Node {
	assertFloat("KerasPerExample", "yPred", yPred)
	if yTrue == nil {
		exceptions.Panicf("klloss.KerasPerExample: yTrue is nil")
	}
	yTrue = ConvertDType(yTrue, yPred.DType())
	assertPair("KerasPerExample", "yTrue", yTrue, "yPred", yPred)
	yTrue = clip(yTrue, KerasEpsilon, 1)
	yPred = clip(yPred, KerasEpsilon, 1)
	return ReduceSum(Mul(yTrue, Log(Div(yTrue, yPred))), -1)
}

// Keras returns tf.keras.losses.KLDivergence()(y_true, y_pred): KerasPerExample
// followed by Keras's default reduction "sum_over_batch_size", the sum of the
// per-example losses divided by their number (for inputs shaped [batch, K], the
// mean over the batch). The result is a scalar. See KerasPerExample for the
// formula, the clipping and its consequences.
func Keras(yTrue, yPred *Node) *Node {
	return ReduceAllMean(KerasPerExample(yTrue, yPred))
}
