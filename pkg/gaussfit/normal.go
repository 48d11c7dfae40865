package gaussfit

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/klcourse/klcourse/pkg/mixture"
)

// Normal is the normal distribution N(Mu, Sigma²) on the real line; Sigma is
// the standard deviation.
type Normal struct {
	Mu, Sigma float64
}

// Params returns the parameter vector of n in NormalFamily, θ = (μ, log σ).
// Sigma must be positive for the result to be finite.
func (n Normal) Params() []float64 {
	return []float64{n.Mu, math.Log(n.Sigma)}
}

// NormalFromParams returns the normal distribution with parameters θ = (μ, log σ)
// of NormalFamily. θ must hold two finite numbers.
func NormalFromParams(theta []float64) (Normal, error) {
	if len(theta) != 2 || !allFinite(theta) {
		return Normal{}, fmt.Errorf("gaussfit.NormalFromParams: θ must be 2 finite numbers (μ, log σ), got %v", theta)
	}
	return Normal{Mu: theta[0], Sigma: math.Exp(theta[1])}, nil
}

// Mixture returns n as a one-component mixture, for its density on a grid
// (PDFs) and its exact moments.
func (n Normal) Mixture() mixture.Univariate {
	return mixture.Univariate{Components: []mixture.Component{{Weight: 1, Mean: n.Mu, StdDev: n.Sigma}}}
}

// String formats n as "N(μ, σ²)" with the standard deviation written out,
// as N(2.5000, 7.5664²).
func (n Normal) String() string {
	return fmt.Sprintf("N(%.4f, %.4f²)", n.Mu, n.Sigma)
}

// NormalFamily is N(μ, σ²) with θ = (μ, log σ):
//
//	log q_θ(x) = −(x − μ)²/(2σ²) − log σ − ½ log 2π,   σ = exp(θ₂),
//
// for points x shaped [N]; Sample returns x = μ + σε for noise ε shaped [M].
var NormalFamily = Family{
	Name:      "N(μ, σ²), θ = (μ, log σ)",
	Dim:       1,
	NumParams: 2,
	LogPDF:    normalLogPDF,
	Sample:    normalSample,
}

func normalLogPDF(theta, x *Node) *Node {
	checkParams("NormalFamily.LogPDF", theta, 2)
	checkPoints("NormalFamily.LogPDF", "x", theta, x, 1)
	mu, logSigma := param(theta, 0), param(theta, 1)
	z := Div(Sub(x, mu), Exp(logSigma))
	return Sub(MulScalar(Square(z), -0.5), AddScalar(logSigma, logSqrt2Pi))
}

func normalSample(theta, eps *Node) *Node {
	checkParams("NormalFamily.Sample", theta, 2)
	checkPoints("NormalFamily.Sample", "ε", theta, eps, 1)
	mu, logSigma := param(theta, 0), param(theta, 1)
	return Add(mu, Mul(Exp(logSigma), eps))
}

func allFinite(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
