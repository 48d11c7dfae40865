package klloss

import (
	. "github.com/gomlx/gomlx/core/graph"
)

// ClipTarget returns the target p clipped elementwise to [ε, 1], the remedy
// Keras applies to both arguments of its KLDivergence (with ε = 1e-7): after
// it, log p ≥ log ε is finite, so ReverseKL(ClipTarget(p, ε), q) is finite for a
// one-hot p. ε must lie in (0, 1); p is any float tensor.
//
// The clipped target P' is no longer normalised (a one-hot row sums to
// 1 + (K−1)ε), so the "reverse KL" computed with it is not a divergence. For a
// one-hot P with true class t, per example,
//
//	L = Σ_k q_k log(q_k/p'_k) = −H(Q) + (1 − q_t)·log(1/ε),   0 ≤ H(Q) ≤ log K,
//
// which is at most (1 − q_t)·log(1/ε) ≤ log(1/ε) (16.12 nats for ε = 1e-7,
// reached by a model that is one-hot on a wrong class), at least
// −log(1 + (K−1)ε) (slightly negative), and smallest for Q = P'/Σ_k p'_k,
// which is one-hot up to O(ε). So the loss charges the mass 1 − q_t put on
// wrong classes at the constant rate log(1/ε) and rewards low entropy. Its
// gradient with respect to q_k is log(q_k/p'_k) + 1, that is
// log q_k + 1 + log(1/ε) for k ≠ t and log q_t + 1 for t: every wrong class is
// pushed down by log(1/ε) more than the true class, a constant force that is
// larger the smaller ε is, where the forward KL pulls on the true class with
// −1/q_t, which grows without bound as q_t → 0. (Through a softmax the
// gradient is q_j(log q_j − log p'_j − L), which vanishes for a confidently
// wrong model, see ReverseKLFromLogits.)
//
// Used on the forward KL, clipping changes little: each zero of P becomes a
// term ε·log(ε/q_k). Clipping also maps values outside [0, 1] into it, silently:
// see Keras.
//
// The gradient with respect to p passes where ε ≤ p ≤ 1 and is 0 where p was
// clipped, as TensorFlow's clip_by_value.
func ClipTarget(p *Node, epsilon float64) *Node {
	assertFloat("ClipTarget", "p", p)
	assertEpsilon("ClipTarget", epsilon)
	return clip(p, epsilon, 1)
}

// SmoothTarget returns the label-smoothed target
//
//	p'_k = (1 − ε)·p_k + ε/K,
//
// with K the dimension of the last axis of p and ε in (0, 1). If P is a
// distribution, so is P', and p'_k ≥ ε/K > 0: ReverseKL(SmoothTarget(p, ε), q)
// is a true divergence, finite for one-hot targets, ≥ 0, and 0 exactly at
// Q = P'.
//
// For a one-hot P with true class t, per example,
//
//	KL(Q‖P') = −H(Q) − q_t·log(1 − ε + ε/K) − (1 − q_t)·log(ε/K) ≤ log(K/ε),
//
// and the model is trained towards P', never towards the one-hot P: its
// confidence in the true class is capped at 1 − ε + ε/K (the arg max is
// unchanged). The rate at which mass on a wrong class is charged relative to
// the true class is log(p'_t/p'_k) = log(1 + K(1 − ε)/ε) (4.51 nats for K = 10,
// ε = 0.1), a far gentler pull than clipping's log(1/ε) with ε = 1e-7. With the
// forward KL, smoothing gives the usual label-smoothed cross-entropy minus the
// constant H(P').
//
// The result is linear in p, so its gradient is (1 − ε) times the incoming one.
func SmoothTarget(p *Node, epsilon float64) *Node {
	assertFloat("SmoothTarget", "p", p)
	assertEpsilon("SmoothTarget", epsilon)
	k := p.Shape().Dimensions[p.Rank()-1]
	return AddScalar(MulScalar(p, 1-epsilon), epsilon/float64(k))
}

// WithClippedTarget returns fn with its target passed through ClipTarget(·, ε)
// first: for example WithClippedTarget(ReverseKLFromLogits, 1e-7), ready for
// MakeLoss. It panics unless ε lies in (0, 1).
func WithClippedTarget(fn PairFn, epsilon float64) PairFn {
	assertEpsilon("WithClippedTarget", epsilon)
	return func(target, output *Node) *Node {
		return fn(ClipTarget(target, epsilon), output)
	}
}

// WithSmoothedTarget returns fn with its target passed through SmoothTarget(·, ε)
// first: for example WithSmoothedTarget(ReverseKLFromLogits, 0.1), ready for
// MakeLoss. It panics unless ε lies in (0, 1).
func WithSmoothedTarget(fn PairFn, epsilon float64) PairFn {
	assertEpsilon("WithSmoothedTarget", epsilon)
	return func(target, output *Node) *Node {
		return fn(SmoothTarget(target, epsilon), output)
	}
}
