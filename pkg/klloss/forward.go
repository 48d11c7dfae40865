package klloss

import (
	. "github.com/gomlx/gomlx/core/graph"
)

// ForwardKL returns the forward Kullback–Leibler divergence of each example,
//
//	KL(P‖Q) = Σ_k p_k (log p_k − log q_k)   (nats),
//
// summed over the last axis: p (the target P) and q (the model's Q) are
// probabilities shaped [..., K] with equal shape and dtype, and the result is
// shaped [...]. No reduction over examples is applied.
//
// Zeros of P follow 0·log(0/q) = 0 for every q, 0 included, through the "double
// Where" (see the package documentation): where p_k = 0 the term, its gradient
// with respect to q_k and its gradient with respect to p_k are all exactly 0, so
// one-hot targets give finite values and gradients. (The true one-sided
// derivative with respect to p_k at 0 diverges to −∞; 0 is reported instead,
// which matters only if P itself is trained.) Where q_k = 0 < p_k the
// divergence is +Inf and its gradient −Inf: Q must cover P. ForwardKLFromLogits
// avoids that for a model, because softmax never returns 0 short of underflow.
//
// Inputs that are not distributions are not repaired: a negative p_k gives NaN
// (log of a negative number), and rows that do not sum to 1 give Σ p log(p/q),
// which can be negative.
//
// With a one-hot P (true class t) the forward KL is the cross-entropy −log q_t,
// since the entropy of P is 0; for soft targets the two differ by H(P), which
// does not depend on Q, so their gradients with respect to Q agree.
func ForwardKL(p, q *Node) *Node {
	assertPair("ForwardKL", "p", p, "q", q)
	zero := isZero(p)
	return ReduceSum(weightedLogRatio(p, safeLog(p, zero), safeLog(q, zero), zero), -1)
}

// ForwardKLFromLogits returns KL(P‖Q) of each example, as ForwardKL, with
// Q = softmax(logits) over the last axis:
//
//	KL(P‖Q) = Σ_k p_k (log p_k − log_softmax(logits)_k).
//
// p and logits are shaped [..., K] with equal shape and dtype; the result is
// shaped [...].
//
// log Q is computed by LogSoftmax, which subtracts the row maximum before
// exponentiating, so log q_k is finite and accurate even when softmax(logits)_k
// underflows to 0: logits of magnitude 1e3 work in float32 and float64 (they
// must be finite; +Inf gives NaN). Zeros of P are treated as in ForwardKL:
// their terms and gradients are exactly 0. The gradient with respect to the
// logits is softmax(logits)·Σ_k p_k − p, bounded by 1 in absolute value for a
// distribution P.
func ForwardKLFromLogits(p, logits *Node) *Node {
	assertPair("ForwardKLFromLogits", "p", p, "logits", logits)
	zero := isZero(p)
	return ReduceSum(weightedLogRatio(p, safeLog(p, zero), LogSoftmax(logits, -1), zero), -1)
}
