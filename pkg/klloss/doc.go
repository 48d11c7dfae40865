// Package klloss builds the Kullback–Leibler divergence as GoMLX graph code, for
// use as a training loss and for printing values and gradients in the course.
//
// For discrete distributions P and Q over K classes,
//
//	KL(P‖Q) = Σ_k p_k (log p_k − log q_k)   (in nats)
//
// is never negative, is 0 exactly when P = Q, and is not symmetric. With P the
// data (the target) and Q the model, KL(P‖Q) is the forward KL (mass covering:
// Q is punished wherever P has mass and Q has none) and KL(Q‖P) the reverse KL
// (mode seeking: Q is punished wherever Q has mass and P has none).
//
// # Conventions
//
// Every function takes the target P first and the model's output second, as a
// train.LossFn takes labels before predictions. Distributions lie along the last
// axis: inputs are shaped [..., K] (typically [batch, K]) and the per-example
// functions return one value per leading index, shaped [...] ([batch]). Inputs
// must be float (float32 or float64) and of equal shape and dtype unless a
// function says otherwise; anything else panics while the graph is built, with a
// message naming the function, the argument and the shapes, which is GoMLX's
// convention for graph code. Nothing checks at run time that the values are
// distributions (non-negative, summing to 1): each function documents what it
// does when they are not.
//
// # Zeros: the "double Where"
//
// The convention 0·log 0 = 0 (and 0·log(0/q) = 0) cannot be implemented as
// Where(p == 0, 0, p·log p): the value is right, but the backward pass still
// visits the masked branch, where it computes 0 · d(log p)/dp = 0 · (1/0) = NaN,
// and the NaN reaches the gradient. This package therefore applies Where twice:
// once to the inputs of every logarithm (masked entries are replaced by 1, whose
// logarithm and its derivative are finite) and once to the result. Value and
// gradient are then exactly 0 on the masked entries, and finite elsewhere.
//
// # The functions
//
//   - ForwardKL, ForwardKLFromLogits: KL(P‖Q) per example, Q given as probabilities
//     or as logits (Q = softmax(logits), through LogSoftmax).
//   - ReverseKL, ReverseKLFromLogits: KL(Q‖P) per example. A one-hot P has zeros,
//     where the reverse KL is +∞: ClipTarget (Keras-style clipping to [ε, 1])
//     and SmoothTarget (label smoothing) are the two standard remedies, applied
//     to P before the call (or to a whole loss with WithClippedTarget and
//     WithSmoothedTarget).
//   - KerasPerExample, Keras: tf.keras.losses.KLDivergence, clipping included.
//   - TorchKLDiv: torch.nn.functional.kl_div with its four reductions.
//   - MakeLoss: adapts any of the per-example functions to train.NewTrainer's
//     loss type, with dense (one-hot or soft) or sparse (class index) labels.
//   - CheckForwardKL, CheckReverseKL: the self-checks of the CIFAR-10
//     exercise's two losses (solutions/02_cifar10_kl_losses.ipynb).
//
// graphx.Evaluate runs any of them on fixed Go values and returns the value
// and the gradient as Go slices.
//
// The numbers in the tests come from torch 1.13, scipy and a numpy transcription
// of the Keras source; testdata/gen_reference.py documents how.
package klloss
