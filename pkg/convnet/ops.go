package convnet

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
)

// relu is max(x, 0) with GoMLX's subgradient 1 at 0, computed as x·[x ≥ 0]:
// exact, with a gradient that is one product, where Max's gradient costs
// ONNX Runtime two single-threaded Sign operations.
func relu(x *Node) *Node {
	return Mul(x, StopGradient(ConvertDType(GreaterOrEqual(x, ZerosLike(x)), x.DType())))
}

// dropout is layers.DropoutStatic with the same random draws, active in
// training graphs only: it zeroes the values whose uniform draw u is ≤ rate
// and scales the others by 1/(1 − rate). It multiplies by the mask
// [u > rate]/(1 − rate) where layers.Dropout selects with Where, which ONNX
// Runtime runs single-threaded, and divides.
func dropout(scope *model.Scope, x *Node, rate float64) *Node {
	g := x.Graph()
	if rate <= 0 || !layers.IsDropoutActive(scope, g) {
		return x
	}
	u := scope.RandomUniform(g, shapes.Make(x.DType(), x.Shape().Dimensions...))
	keep := ConvertDType(GreaterThan(u, Scalar(g, x.DType(), rate)), x.DType())
	return Mul(x, StopGradient(MulScalar(keep, 1/(1-rate))))
}
