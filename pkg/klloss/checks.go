package klloss

import (
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/support/exceptions"
)

// assertFloat panics unless x is a float tensor of rank ≥ 1, the shape every
// distribution argument of this package needs.
func assertFloat(fn, name string, x *Node) {
	if x == nil {
		exceptions.Panicf("klloss.%s: %s is nil", fn, name)
	}
	if !x.DType().IsFloat() {
		exceptions.Panicf("klloss.%s: %s must be float, got %s", fn, name, x.Shape())
	}
	if x.Rank() < 1 {
		exceptions.Panicf("klloss.%s: %s must have rank ≥ 1 (distributions lie along the last axis), got the scalar %s",
			fn, name, x.Shape())
	}
}

// assertPair panics unless a and b are float tensors of rank ≥ 1 with the same
// shape and dtype.
func assertPair(fn, aName string, a *Node, bName string, b *Node) {
	assertFloat(fn, aName, a)
	assertFloat(fn, bName, b)
	if !a.Shape().Equal(b.Shape()) {
		exceptions.Panicf("klloss.%s: %s and %s must have the same shape and dtype, got %s and %s",
			fn, aName, bName, a.Shape(), b.Shape())
	}
}

// assertEpsilon panics unless 0 < epsilon < 1.
func assertEpsilon(fn string, epsilon float64) {
	if !(epsilon > 0 && epsilon < 1) {
		exceptions.Panicf("klloss.%s: epsilon must lie in (0, 1), got %g", fn, epsilon)
	}
}

// safeLog returns log x where masked is false and 0 (= log 1) where it is true.
// The masked entries never reach Log, so neither the value nor the gradient of
// this node is ever log 0 or 1/0 there: this is the inner Where of the "double
// Where" (see the package documentation).
func safeLog(x, masked *Node) *Node {
	return Log(Where(masked, OnesLike(x), x))
}

// weightedLogRatio returns w·(logW − logV) elementwise, with 0 where masked is
// true: the outer Where of the "double Where". logW and logV must themselves be
// finite on the masked entries (see safeLog) for the gradient to be 0 there.
func weightedLogRatio(w, logW, logV, masked *Node) *Node {
	return Where(masked, ZerosLike(w), Mul(w, Sub(logW, logV)))
}

// isZero returns the boolean mask x == 0.
func isZero(x *Node) *Node {
	return Equal(x, ScalarZero(x.Graph(), x.DType()))
}

// clip returns x clipped to [lo, hi], with the gradient of TensorFlow's
// clip_by_value: it passes unchanged where lo ≤ x ≤ hi (bounds included) and is
// 0 where x was replaced by a bound. (In GoMLX v0.28 graph.Clip has no
// gradient, and ClipScalar's Min sends the gradient at x = hi to the bound.)
func clip(x *Node, lo, hi float64) *Node {
	g := x.Graph()
	loNode := Scalar(g, x.DType(), lo)
	hiNode := Scalar(g, x.DType(), hi)
	return Where(LessThan(x, loNode), loNode, Where(GreaterThan(x, hiNode), hiNode, x))
}
