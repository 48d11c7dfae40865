package graphx

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Softplus returns log(1 + eˣ), computed as max(x, 0) + log1p(e^−|x|) so that
// it neither overflows nor loses precision, with its exact derivative σ(x).
// (GoMLX's Softplus needs IsFinite, which ONNX Runtime lacks, and the
// derivative of the stable expression would be 1 instead of ½ at x = 0.)
func Softplus(x *graph.Node) *graph.Node {
	fixed := graph.StopGradient(x)
	value := StableSoftplus(fixed)
	// Identity on x whose gradient is scaled by σ(x), plus the constant
	// softplus(x) − x: the value is softplus(x), the derivative σ(x).
	slope := graph.IdentityWithCustomGradient(x, func(x, v *graph.Node) *graph.Node { return graph.Mul(v, graph.Sigmoid(x)) })
	return graph.Add(slope, graph.StopGradient(graph.Sub(value, fixed)))
}

// StableSoftplus is max(x, 0) + log1p(e^−|x|), the value of Softplus, for
// graphs that are not differentiated through it (its derivative at x = 0 is
// 1, not σ(0) = ½). max(x, 0) is computed as x·[x ≥ 0], whose gradient is
// one product where Max's costs ONNX Runtime two single-threaded Sign
// operations.
func StableSoftplus(x *graph.Node) *graph.Node {
	relu := graph.Mul(x, graph.ConvertDType(graph.GreaterOrEqual(x, graph.ZerosLike(x)), x.DType()))
	return graph.Add(relu, graph.Log1p(graph.Exp(graph.Neg(graph.Abs(x)))))
}

// Softplus64 is log(1 + eˣ) in float64, computed as max(x, 0) + log1p(e^−|x|),
// which neither overflows for large x nor loses precision for very negative x.
func Softplus64(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// Bernoulli returns 0/1 samples, shaped and typed like p, with the
// probabilities p: 1 where a uniform draw from the scope's random number
// generator is below p_i. No gradient flows through it.
func Bernoulli(scope *model.Scope, p *graph.Node) *graph.Node {
	u := scope.RandomUniform(p.Graph(), p.Shape())
	return graph.ConvertDType(graph.LessThan(u, p), p.DType())
}

// LogSumExp returns log Σ_j exp(x_j) over axis of x, computed as
// m + log Σ_j exp(x_j − m) with m the maximum over the axis, so that it
// neither overflows nor underflows. m is kept out of the gradient: the
// result does not depend on it, and its own derivative would only add terms
// that cancel.
func LogSumExp(x *graph.Node, axis int) *graph.Node {
	m := graph.StopGradient(graph.ReduceAndKeep(x, graph.ReduceMax, axis))
	lse := graph.Log(graph.ReduceSum(graph.Exp(graph.Sub(x, graph.BroadcastToDims(m, x.Shape().Dimensions...))), axis))
	return graph.Add(lse, graph.Squeeze(m, axis))
}

// LogMeanExp returns log((1/n) Σ_j exp(x_j)) over axis (of size n) of x,
// computed as m + log((1/n) Σ_j exp(x_j − m)) with m the maximum over the
// axis, as LogSumExp: for x = (−1000, −1000) it is −1000, where the naive
// formula gives log 0 = −∞.
func LogMeanExp(x *graph.Node, axis int) *graph.Node {
	m := graph.StopGradient(graph.ReduceAndKeep(x, graph.ReduceMax, axis))
	lme := graph.Log(graph.ReduceMean(graph.Exp(graph.Sub(x, graph.BroadcastToDims(m, x.Shape().Dimensions...))), axis))
	return graph.Add(lme, graph.Squeeze(m, axis))
}

var halfLog2Pi = 0.5 * math.Log(2*math.Pi)

// LogStandardNormal returns log graph.N(z; 0, I) summed over the last axis of z:
// −½ Σ_k z_k² − (d/2) log 2π.
func LogStandardNormal(z *graph.Node) *graph.Node {
	d := z.Shape().Dimensions[z.Rank()-1]
	return graph.AddScalar(graph.MulScalar(graph.ReduceSum(graph.Square(z), -1), -0.5), -float64(d)*halfLog2Pi)
}

// LogDiagonalNormal returns log graph.N(z; mean, diag(exp(logVar))) summed over the
// last axis, given eps = (z − mean)/exp(logVar/2), the standardised z:
// −½ Σ_k (eps_k² + logVar_k) − (d/2) log 2π. logVar [batch, d] is broadcast
// over eps's leading axes (eps [k, batch, d] for k samples per row).
func LogDiagonalNormal(eps, logVar *graph.Node) *graph.Node {
	if eps.Rank() < logVar.Rank() {
		panic(fmt.Errorf("graphx.LogDiagonalNormal: eps %s has fewer axes than logVar %s", eps.Shape(), logVar.Shape()))
	}
	d := eps.Shape().Dimensions[eps.Rank()-1]
	sumLogVar := graph.ReduceSum(logVar, -1)
	for sumLogVar.Rank() < eps.Rank()-1 {
		sumLogVar = graph.InsertAxes(sumLogVar, 0)
	}
	sumLogVar = graph.BroadcastToDims(sumLogVar, eps.Shape().Dimensions[:eps.Rank()-1]...)
	return graph.AddScalar(graph.MulScalar(graph.Add(graph.ReduceSum(graph.Square(eps), -1), sumLogVar), -0.5), -float64(d)*halfLog2Pi)
}
