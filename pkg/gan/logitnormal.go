package gan

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/pkg/gaussfit"
	"github.com/klcourse/klcourse/pkg/graphx"
	"github.com/klcourse/klcourse/pkg/mixture"
)

// LogitNormal is the distribution of σ(u) = 1/(1 + e⁻ᵘ) (coordinatewise) for
// u ~ N(U.Mean, U.Cov): a density on the open unit square,
//
//	q(y) = N(logit y; μ, Σ) / Πᵢ yᵢ(1 − yᵢ).
//
// It is the tractable stand-in for the blog post's generator σ(Az + b) with
// z uniform on [0, 1)¹⁰: Az + b is a sum of ten independent uniform terms,
// close to normal, whose exact density (a piecewise polynomial on a
// zonotope) has no usable closed form.
type LogitNormal struct {
	U gaussfit.Normal2D
}

func logit(y float64) float64 { return math.Log(y / (1 - y)) }

// LogPDF returns log q(x, y); −Inf outside the open unit square.
func (l LogitNormal) LogPDF(x, y float64) float64 {
	if !(x > 0 && x < 1 && y > 0 && y < 1) {
		return math.Inf(-1)
	}
	return l.U.Mixture().LogPDF(logit(x), logit(y)) - math.Log(x*(1-x)*y*(1-y))
}

// Sample draws n points with the seed.
func (l LogitNormal) Sample(n int, seed uint64) [][2]float64 {
	u, _ := l.U.Mixture().Sample(n, seed)
	for i, p := range u {
		u[i] = [2]float64{1 / (1 + math.Exp(-p[0])), 1 / (1 + math.Exp(-p[1]))}
	}
	return u
}

// BestForwardKL returns the member of the family that minimises the forward
// KL divergence from the distribution of the data points, KL(P‖Q): the
// maximum-likelihood fit, which is the normal distribution with the sample
// mean and covariance of logit(data) (KL is unchanged by the bijection
// logit). Points on the boundary of the square (the minimum and maximum that
// min–max scaling sends to exactly 0 and 1) have no logit and are left out.
func BestForwardKL(data [][2]float64) (LogitNormal, error) {
	var u [][2]float64
	for _, p := range data {
		if p[0] > 0 && p[0] < 1 && p[1] > 0 && p[1] < 1 {
			u = append(u, [2]float64{logit(p[0]), logit(p[1])})
		}
	}
	n, err := gaussfit.MaxLikelihood2D(u)
	if err != nil {
		return LogitNormal{}, fmt.Errorf("gan.BestForwardKL: %w", err)
	}
	return LogitNormal{U: n}, nil
}

// BestReverseKL returns the member of the family that minimises the reverse
// KL divergence KL(Q‖P) to the mixture p (defined on the whole plane; Q lives
// on the unit square, so this is KL to p restricted to it, up to the
// constant log P(square)), with its estimated divergence. In logit
// coordinates it is KL(N(μ, Σ) ‖ P_u) with
// log p_u(u) = log p(σ(u)) + Σᵢ log σ(uᵢ)σ(−uᵢ), minimised by Adam on the
// reparameterised Monte Carlo estimate (gaussfit.ReverseKLSampled), from one
// start at each component of p; the best end wins. The estimate is the mean
// over the last 200 steps.
func BestReverseKL(backend compute.Backend, p mixture.Bivariate, steps int, seed uint64) (LogitNormal, float64, error) {
	target, err := gaussfit.Mixture2DTarget(p)
	if err != nil {
		return LogitNormal{}, 0, err
	}
	logPu := func(u *Node) *Node {
		y := Sigmoid(u)
		logJac := ReduceSum(Neg(Add(graphx.StableSoftplus(Neg(u)), graphx.StableSoftplus(u))), -1) // Σ log σ(u)σ(−u)
		return Add(target(y), logJac)
	}
	loss := gaussfit.ReverseKLSampled(logPu, gaussfit.Normal2DFamily)
	best, bestKL := LogitNormal{}, math.Inf(1)
	r := rng.New(seed, 16)
	for i, c := range p.Components {
		m := [2]float64{logit(clamp(c.Mean[0])), logit(clamp(c.Mean[1]))}
		start, err := gaussfit.Normal2D{Mean: m, Cov: [2][2]float64{{0.1, 0}, {0, 0.1}}}.Params()
		if err != nil {
			return LogitNormal{}, 0, err
		}
		tr, err := gaussfit.MinimizeSampled(backend, loss, gaussfit.Noise{Shape: []int{256, 2}, Seed: r.Uint64()}, start, gaussfit.NewAdam(0.01), steps)
		if err != nil {
			return LogitNormal{}, 0, fmt.Errorf("gan.BestReverseKL: start %d: %w", i, err)
		}
		last := tr.Loss[max(0, len(tr.Loss)-200):]
		var kl float64
		for _, v := range last {
			kl += v / float64(len(last))
		}
		if kl < bestKL {
			n, err := gaussfit.Normal2DFromParams(tr.Final())
			if err != nil {
				return LogitNormal{}, 0, err
			}
			best, bestKL = LogitNormal{U: n}, kl
		}
	}
	return best, bestKL, nil
}

func clamp(x float64) float64 { return math.Min(math.Max(x, 0.02), 0.98) }
