package gaussfit

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/support/exceptions"
)

// A Family is a parametric family of densities q_θ on ℝ^Dim, written as graph
// code: the model Q that the lectures fit.
type Family struct {
	// Name describes the family and its parameters, for printing.
	Name string
	// Dim is the dimension of the points: 1 or 2.
	Dim int
	// NumParams is the length of the parameter vector θ.
	NumParams int
	// LogPDF returns log q_θ(x) for θ shaped [NumParams] and points x shaped
	// [N] (Dim 1) or [N, Dim], of the same float dtype; the result is shaped
	// [N].
	LogPDF func(theta, x *Node) *Node
	// Sample returns points of Q as a differentiable function of θ: x = T_θ(ε)
	// for standard normal noise ε shaped like the points, so that x ~ Q when
	// ε ~ N(0, I) (the reparameterisation trick).
	Sample func(theta, eps *Node) *Node
}

// logSqrt2Pi is log √(2π), the normalising constant of N(0, 1) in logarithms.
var logSqrt2Pi = 0.5 * math.Log(2*math.Pi)

// param returns θ_i as a scalar node.
func param(theta *Node, i int) *Node {
	return Reshape(Slice(theta, AxisElem(i)))
}

// coord returns coordinate j of points shaped [N, d], shaped [N].
func coord(x *Node, j int) *Node {
	return Reshape(Slice(x, AxisRange(), AxisElem(j)), x.Shape().Dimensions[0])
}

// checkParams panics, naming fn, unless theta is a float vector of n
// parameters.
func checkParams(fn string, theta *Node, n int) {
	if theta == nil {
		exceptions.Panicf("gaussfit.%s: θ is nil", fn)
	}
	if !theta.DType().IsFloat() || theta.Rank() != 1 || theta.Shape().Dimensions[0] != n {
		exceptions.Panicf("gaussfit.%s: θ must be a float vector of %d parameters, got %s", fn, n, theta.Shape())
	}
}

// checkPoints panics, naming fn and the argument, unless x holds points of
// dimension dim in theta's dtype: shaped [N] for dim 1, [N, dim] otherwise.
func checkPoints(fn, arg string, theta, x *Node, dim int) {
	if x == nil {
		exceptions.Panicf("gaussfit.%s: %s is nil", fn, arg)
	}
	if x.DType() != theta.DType() {
		exceptions.Panicf("gaussfit.%s: %s must have θ's dtype %s, got %s", fn, arg, theta.DType(), x.Shape())
	}
	dims := x.Shape().Dimensions
	switch {
	case dim == 1 && len(dims) == 1:
	case dim > 1 && len(dims) == 2 && dims[1] == dim:
	case dim == 1:
		exceptions.Panicf("gaussfit.%s: %s must be shaped [N] for a one-dimensional family, got %s", fn, arg, x.Shape())
	default:
		exceptions.Panicf("gaussfit.%s: %s must be shaped [N, %d], got %s", fn, arg, dim, x.Shape())
	}
}
