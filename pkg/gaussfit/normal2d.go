package gaussfit

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/klcourse/klcourse/pkg/mixture"
)

// Normal2D is the bivariate normal distribution N(Mean, Cov).
type Normal2D struct {
	Mean [2]float64
	Cov  [2][2]float64
}

// Params returns the parameter vector of n in Normal2DFamily,
//
//	θ = (μ₁, μ₂, log L₁₁, L₂₁, log L₂₂),
//
// where L = [[L₁₁, 0], [L₂₁, L₂₂]] is the Cholesky factor of Cov = LLᵀ with a
// positive diagonal. Cov must be finite, symmetric and positive definite.
func (n Normal2D) Params() ([]float64, error) {
	c := n.Cov
	if !allFinite([]float64{n.Mean[0], n.Mean[1], c[0][0], c[0][1], c[1][0], c[1][1]}) || c[0][1] != c[1][0] {
		return nil, fmt.Errorf("gaussfit.Normal2D.Params: the mean and covariance must be finite and the covariance symmetric, got %v and %v", n.Mean, c)
	}
	if c[0][0] <= 0 || c[0][0]*c[1][1]-c[0][1]*c[1][0] <= 0 {
		return nil, fmt.Errorf("gaussfit.Normal2D.Params: the covariance %v is not positive definite", c)
	}
	l11 := math.Sqrt(c[0][0])
	l21 := c[1][0] / l11
	l22 := math.Sqrt(c[1][1] - l21*l21)
	return []float64{n.Mean[0], n.Mean[1], math.Log(l11), l21, math.Log(l22)}, nil
}

// Normal2DFromParams returns the bivariate normal distribution with the
// parameters θ = (μ₁, μ₂, log L₁₁, L₂₁, log L₂₂) of Normal2DFamily:
//
//	Mean = (μ₁, μ₂),  Cov = LLᵀ = [[L₁₁², L₁₁L₂₁], [L₁₁L₂₁, L₂₁² + L₂₂²]].
//
// θ must hold five finite numbers.
func Normal2DFromParams(theta []float64) (Normal2D, error) {
	if len(theta) != 5 || !allFinite(theta) {
		return Normal2D{}, fmt.Errorf("gaussfit.Normal2DFromParams: θ must be 5 finite numbers (μ₁, μ₂, log L₁₁, L₂₁, log L₂₂), got %v", theta)
	}
	l11, l21, l22 := math.Exp(theta[2]), theta[3], math.Exp(theta[4])
	offDiagonal := l11 * l21
	return Normal2D{
		Mean: [2]float64{theta[0], theta[1]},
		Cov:  [2][2]float64{{l11 * l11, offDiagonal}, {offDiagonal, l21*l21 + l22*l22}},
	}, nil
}

// Mixture returns n as a one-component mixture, for its density on a grid
// (Grid, for contour plots) and its log-density.
func (n Normal2D) Mixture() mixture.Bivariate {
	return mixture.Bivariate{Components: []mixture.Component2{{Weight: 1, Mean: n.Mean, Cov: n.Cov}}}
}

// String formats n as "N((μ₁, μ₂), [[Σ₁₁, Σ₁₂], [Σ₂₁, Σ₂₂]])".
func (n Normal2D) String() string {
	c := n.Cov
	return fmt.Sprintf("N((%.4f, %.4f), [[%.4f, %.4f], [%.4f, %.4f]])", n.Mean[0], n.Mean[1], c[0][0], c[0][1], c[1][0], c[1][1])
}

// Normal2DFamily is the bivariate normal N(μ, LLᵀ) with θ = (μ₁, μ₂, log L₁₁,
// L₂₁, log L₂₂), for points shaped [N, 2]:
//
//	log q_θ(x) = −½|z|² − log L₁₁ − log L₂₂ − log 2π,   z = L⁻¹(x − μ),
//
// where z₁ = (x₁ − μ₁)/L₁₁ and z₂ = (x₂ − μ₂ − L₂₁z₁)/L₂₂ (forward
// substitution: L is never inverted, and log det Σ = 2 log L₁₁ + 2 log L₂₂ is
// read off the parameters). Sample returns x = μ + Lε for noise ε shaped [M, 2].
// Every θ is a valid model: the diagonal of L is positive, so LLᵀ is positive
// definite.
var Normal2DFamily = Family{
	Name:      "N(μ, LLᵀ), θ = (μ₁, μ₂, log L₁₁, L₂₁, log L₂₂)",
	Dim:       2,
	NumParams: 5,
	LogPDF:    normal2DLogPDF,
	Sample:    normal2DSample,
}

func normal2DLogPDF(theta, x *Node) *Node {
	checkParams("Normal2DFamily.LogPDF", theta, 5)
	checkPoints("Normal2DFamily.LogPDF", "x", theta, x, 2)
	mu1, mu2 := param(theta, 0), param(theta, 1)
	logL11, l21, logL22 := param(theta, 2), param(theta, 3), param(theta, 4)
	z1 := Div(Sub(coord(x, 0), mu1), Exp(logL11))
	z2 := Div(Sub(Sub(coord(x, 1), mu2), Mul(l21, z1)), Exp(logL22))
	halfNorm := MulScalar(Add(Square(z1), Square(z2)), 0.5)
	logDet := AddScalar(Add(logL11, logL22), 2*logSqrt2Pi) // log L₁₁ + log L₂₂ + log 2π
	return Neg(Add(halfNorm, logDet))
}

func normal2DSample(theta, eps *Node) *Node {
	checkParams("Normal2DFamily.Sample", theta, 5)
	checkPoints("Normal2DFamily.Sample", "ε", theta, eps, 2)
	mu1, mu2 := param(theta, 0), param(theta, 1)
	logL11, l21, logL22 := param(theta, 2), param(theta, 3), param(theta, 4)
	e1, e2 := coord(eps, 0), coord(eps, 1)
	x1 := Add(mu1, Mul(Exp(logL11), e1))
	x2 := Add(Add(mu2, Mul(l21, e1)), Mul(Exp(logL22), e2))
	return Stack([]*Node{x1, x2}, 1)
}
