package klloss

import (
	. "github.com/gomlx/gomlx/core/graph"
)

// ReverseKL returns the reverse Kullback–Leibler divergence of each example,
//
//	KL(Q‖P) = Σ_k q_k (log q_k − log p_k)   (nats),
//
// summed over the last axis, with p the target P and q the model's Q: both are
// probabilities shaped [..., K] with equal shape and dtype, and the result is
// shaped [...]. No reduction over examples is applied.
//
// Zeros of Q follow 0·log(0/p) = 0 through the "double Where" (see the package
// documentation): the term and its gradients are 0 there, so a model that puts
// no mass on a class is fine. Zeros of P are not: where p_k = 0 < q_k the
// divergence is +Inf, its gradient with respect to q_k is +Inf, and any
// gradient flowing further back (through a softmax, for instance) is NaN. A
// one-hot target has K−1 such zeros, so the exact reverse KL against class
// labels is +Inf for every model that puts any mass on a wrong class. Remove
// the zeros from P first, with ClipTarget (Keras-style) or SmoothTarget (label
// smoothing); their documentation says what each does to the loss.
//
// Inputs that are not distributions are not repaired: a negative p_k or q_k
// gives NaN.
func ReverseKL(p, q *Node) *Node {
	assertPair("ReverseKL", "p", p, "q", q)
	zero := isZero(q)
	return ReduceSum(weightedLogRatio(q, safeLog(q, zero), safeLog(p, zero), zero), -1)
}

// ReverseKLFromLogits returns KL(Q‖P) of each example, as ReverseKL, with
// Q = softmax(logits) over the last axis:
//
//	KL(Q‖P) = Σ_k q_k (log q_k − log p_k),  log q = log_softmax(logits), q = exp(log q).
//
// p and logits are shaped [..., K] with equal shape and dtype; the result is
// shaped [...].
//
// log Q comes from LogSoftmax, so it is finite even for logits of magnitude 1e3.
// Where q_k underflows to 0 the term is taken as 0 (the double Where of
// ReverseKL): its limit for p_k > 0, and for p_k = 0 a finite stand-in for the
// exact +∞, so that a one-hot target matched by saturated logits gives 0.
// Otherwise zeros of P give +Inf and NaN gradients exactly as in ReverseKL:
// use ClipTarget or SmoothTarget for one-hot targets.
//
// The gradient with respect to the logits is
//
//	∂KL/∂z_j = q_j (log q_j − log p_j − KL(Q‖P)),
//
// which vanishes as q_j → 0: a model that is confidently wrong (q_t ≈ 0 on the
// true class t) receives almost no gradient towards t. That is the
// mode-seeking behaviour of the reverse KL, and the reason training with it
// can stall where the forward KL (cross-entropy) would not.
func ReverseKLFromLogits(p, logits *Node) *Node {
	assertPair("ReverseKLFromLogits", "p", p, "logits", logits)
	logQ := LogSoftmax(logits, -1)
	q := Exp(logQ)
	zero := isZero(q)
	return ReduceSum(weightedLogRatio(q, logQ, safeLog(p, zero), zero), -1)
}
