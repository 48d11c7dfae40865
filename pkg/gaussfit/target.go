package gaussfit

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/klcourse/klcourse/pkg/graphx"
	"github.com/klcourse/klcourse/pkg/mixture"
)

// A Target is the log-density log p of a target distribution P as graph code:
// it maps points shaped [N] (on the line) or [N, 2] (on the plane) to log p
// at each point, shaped [N]. The Monte Carlo reverse KL evaluates it at
// Q's samples, which move with θ, so it must be differentiable in x.
type Target func(x *Node) *Node

// MixtureTarget returns the log-density of the univariate mixture m,
//
//	log p(x) = log Σᵢ wᵢ N(x; μᵢ, σᵢ²),
//
// computed as a log-sum-exp over the components (the largest term is taken
// out before exponentiating), so that it stays finite and its gradient exact
// far in the tails, where p itself underflows: the reverse KL of a Q that
// strays from P needs exactly those values. Points are shaped [N].
// m must be a valid mixture.
func MixtureTarget(m mixture.Univariate) (Target, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("gaussfit.MixtureTarget: %w", err)
	}
	components := append([]mixture.Component(nil), m.Components...)
	return func(x *Node) *Node {
		if x == nil || !x.DType().IsFloat() || x.Rank() != 1 {
			exceptions.Panicf("gaussfit.MixtureTarget: the points must be a float vector shaped [N], got %v", shapeOf(x))
		}
		terms := make([]*Node, len(components))
		for i, c := range components {
			z := MulScalar(AddScalar(x, -c.Mean), 1/c.StdDev)
			terms[i] = AddScalar(MulScalar(Square(z), -0.5), math.Log(c.Weight)-math.Log(c.StdDev)-logSqrt2Pi)
		}
		return logSumExp(terms)
	}, nil
}

// Mixture2DTarget returns the log-density of the bivariate mixture m,
// log p(x) = log Σᵢ wᵢ N(x; μᵢ, Σᵢ), as a log-sum-exp over the components like
// MixtureTarget, each component evaluated through the Cholesky factor of its
// covariance. Points are shaped [N, 2]. m must be a valid mixture.
func Mixture2DTarget(m mixture.Bivariate) (Target, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("gaussfit.Mixture2DTarget: %w", err)
	}
	type component struct {
		mean          [2]float64
		l11, l21, l22 float64 // Cholesky factor of the covariance
		logConst      float64 // log w − log L₁₁ − log L₂₂ − log 2π
	}
	components := make([]component, len(m.Components))
	for i, c := range m.Components {
		theta, err := Normal2D{Mean: c.Mean, Cov: c.Cov}.Params()
		if err != nil {
			return nil, fmt.Errorf("gaussfit.Mixture2DTarget: component %d: %w", i, err)
		}
		components[i] = component{
			mean: c.Mean, l11: math.Exp(theta[2]), l21: theta[3], l22: math.Exp(theta[4]),
			logConst: math.Log(c.Weight) - theta[2] - theta[4] - 2*logSqrt2Pi,
		}
	}
	return func(x *Node) *Node {
		if x == nil || !x.DType().IsFloat() || x.Rank() != 2 || x.Shape().Dimensions[1] != 2 {
			exceptions.Panicf("gaussfit.Mixture2DTarget: the points must be float, shaped [N, 2], got %v", shapeOf(x))
		}
		x1, x2 := coord(x, 0), coord(x, 1)
		terms := make([]*Node, len(components))
		for i, c := range components {
			z1 := MulScalar(AddScalar(x1, -c.mean[0]), 1/c.l11)
			z2 := MulScalar(Sub(AddScalar(x2, -c.mean[1]), MulScalar(z1, c.l21)), 1/c.l22)
			terms[i] = AddScalar(MulScalar(Add(Square(z1), Square(z2)), -0.5), c.logConst)
		}
		return logSumExp(terms)
	}, nil
}

// logSumExp returns log Σᵢ exp(tᵢ) elementwise over the terms, all shaped [N]
// (graphx.LogSumExp over the stacked terms).
func logSumExp(terms []*Node) *Node {
	if len(terms) == 1 {
		return terms[0]
	}
	return graphx.LogSumExp(Stack(terms, 1), 1)
}

// shapeOf describes a node's shape for an error message, nil included.
func shapeOf(x *Node) any {
	if x == nil {
		return "nil"
	}
	return x.Shape()
}
