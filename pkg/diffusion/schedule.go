package diffusion

import (
	"errors"
	"fmt"
	"math"

	"github.com/klcourse/klcourse/pkg/divergence"
)

// Schedule is a noise schedule β_1 … β_T of the forward process
//
//	q(x_t | x_{t−1}) = N(√(1 − β_t) x_{t−1}, β_t I),
//
// with α_t = 1 − β_t and ᾱ_t = α_1 α_2 ⋯ α_t. The slices are indexed by the
// step t itself and have T+1 entries: entry 0 is the data, β_0 = 0,
// α_0 = ᾱ_0 = 1, so that Beta[t], Alpha[t] and AlphaBar[t] are the lecture's
// β_t, α_t and ᾱ_t without an offset.
type Schedule struct {
	// Name describes the schedule, e.g. "linear β 1e-04 → 0.02, T = 1000".
	Name string
	// Beta, Alpha and AlphaBar are β_t, α_t and ᾱ_t for t = 0 … T.
	Beta, Alpha, AlphaBar []float64
}

// Linear returns the schedule of DDPM (Ho et al. 2020): T steps with β_t
// rising linearly from beta1 at t = 1 to betaT at t = T,
//
//	β_t = β_1 + (β_T − β_1)(t − 1)/(T − 1),
//
// as torch.linspace(beta1, betaT, T) gives them.
func Linear(T int, beta1, betaT float64) (*Schedule, error) {
	if T < 2 {
		return nil, fmt.Errorf("diffusion.Linear: T = %d steps; want at least 2", T)
	}
	if !(beta1 > 0 && beta1 <= betaT && betaT < 1) {
		return nil, fmt.Errorf("diffusion.Linear: β from %g to %g; want 0 < β_1 ≤ β_T < 1", beta1, betaT)
	}
	betas := make([]float64, T+1)
	for t := 1; t <= T; t++ {
		betas[t] = beta1 + (betaT-beta1)*float64(t-1)/float64(T-1)
	}
	return fromBetas(fmt.Sprintf("linear β %g → %g, T = %d", beta1, betaT, T), betas), nil
}

// DDPM returns the schedule of Ho et al. (2020): Linear(1000, 1e-4, 0.02).
func DDPM() *Schedule {
	s, err := Linear(1000, 1e-4, 0.02)
	if err != nil {
		panic(err)
	}
	return s
}

// CosineOffset is the offset s of the cosine schedule, 0.008 as in Nichol
// and Dhariwal (2021).
const CosineOffset = 0.008

// CosineMaxBeta caps the cosine schedule's β_t, as in Nichol and Dhariwal
// (2021): without the cap β_T = 1 and x_T would not depend on x_0 at all,
// but the steps near t = T would be singular.
const CosineMaxBeta = 0.999

// Cosine returns the cosine schedule of Nichol and Dhariwal (2021), "Improved
// denoising diffusion probabilistic models": with
// f(t) = cos²(π/2 · (t/T + s)/(1 + s)) and s = CosineOffset,
//
//	β_t = min(1 − f(t)/f(t − 1), CosineMaxBeta),   ᾱ_t = Π_{s ≤ t} (1 − β_s),
//
// so that ᾱ_t = f(t)/f(0) until the cap bites (at the last steps). ᾱ_t falls
// slowly at both ends and linearly in between, where the linear schedule
// destroys the data in its first few hundred steps.
func Cosine(T int) (*Schedule, error) {
	if T < 2 {
		return nil, fmt.Errorf("diffusion.Cosine: T = %d steps; want at least 2", T)
	}
	f := func(t int) float64 {
		c := math.Cos(math.Pi / 2 * (float64(t)/float64(T) + CosineOffset) / (1 + CosineOffset))
		return c * c
	}
	betas := make([]float64, T+1)
	for t := 1; t <= T; t++ {
		betas[t] = min(1-f(t)/f(t-1), CosineMaxBeta)
	}
	return fromBetas(fmt.Sprintf("cosine, T = %d", T), betas), nil
}

// fromBetas completes a schedule from β_0 = 0, β_1 … β_T.
func fromBetas(name string, betas []float64) *Schedule {
	s := &Schedule{Name: name, Beta: betas, Alpha: make([]float64, len(betas)), AlphaBar: make([]float64, len(betas))}
	s.Alpha[0], s.AlphaBar[0] = 1, 1
	for t := 1; t < len(betas); t++ {
		s.Alpha[t] = 1 - betas[t]
		s.AlphaBar[t] = s.AlphaBar[t-1] * s.Alpha[t]
	}
	return s
}

// T returns the number of steps.
func (s *Schedule) T() int { return len(s.Beta) - 1 }

func (s *Schedule) checkStep(t, from int) error {
	if t < from || t > s.T() {
		return fmt.Errorf("diffusion: step t = %d; want %d ≤ t ≤ T = %d", t, from, s.T())
	}
	return nil
}

// Marginal returns the coefficients of q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I):
// the scale √ᾱ_t of the mean and the standard deviation √(1 − ᾱ_t), so that
// x_t = mean·x_0 + std·ε with ε ~ N(0, I) is a sample of it.
func (s *Schedule) Marginal(t int) (mean, std float64) {
	return math.Sqrt(s.AlphaBar[t]), math.Sqrt(1 - s.AlphaBar[t])
}

// Posterior returns the Gaussian q(x_{t−1} | x_t, x_0) = N(μ̃_t, β̃_t I) for
// 1 ≤ t ≤ T as the coefficients of its mean and its variance:
//
//	μ̃_t = c0·x_0 + ct·x_t,   c0 = √ᾱ_{t−1} β_t/(1 − ᾱ_t),   ct = √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t),
//	β̃_t = (1 − ᾱ_{t−1}) β_t/(1 − ᾱ_t).
//
// At t = 1 it is the point mass at x_0: c0 = 1, ct = 0, β̃_1 = 0.
func (s *Schedule) Posterior(t int) (c0, ct, variance float64) {
	ab, abPrev := s.AlphaBar[t], s.AlphaBar[t-1]
	c0 = math.Sqrt(abPrev) * s.Beta[t] / (1 - ab)
	ct = math.Sqrt(s.Alpha[t]) * (1 - abPrev) / (1 - ab)
	variance = (1 - abPrev) * s.Beta[t] / (1 - ab)
	return c0, ct, variance
}

// Variance chooses the variance σ_t² of the learned reverse step
// p_θ(x_{t−1} | x_t) = N(μ_θ(x_t, t), σ_t² I). DDPM found both choices
// about equally good for sampling; they are the two extremes for data that
// is a point (β̃_t) and data that is N(0, I) (β_t).
type Variance int

const (
	// BetaVariance is σ_t² = β_t (DDPM's "fixedlarge").
	BetaVariance Variance = iota
	// PosteriorVariance is σ_t² = β̃_t (DDPM's "fixedsmall") for t ≥ 2.
	// β̃_1 = 0, so the last step, the decoder p_θ(x_0 | x_1), keeps β_1.
	PosteriorVariance
)

func (v Variance) String() string {
	switch v {
	case BetaVariance:
		return "σ_t² = β_t"
	case PosteriorVariance:
		return "σ_t² = β̃_t"
	}
	return fmt.Sprintf("Variance(%d)", int(v))
}

// ReverseVariance returns σ_t² of the reverse step from x_t, 1 ≤ t ≤ T.
func (s *Schedule) ReverseVariance(t int, v Variance) float64 {
	if v == PosteriorVariance && t > 1 {
		_, _, variance := s.Posterior(t)
		return variance
	}
	return s.Beta[t]
}

// ReverseMean returns μ_θ(x_t, t) of the reverse step for a predicted noise
// eps, the ε-parameterisation of DDPM:
//
//	μ_θ(x_t, t) = (x_t − β_t/√(1 − ᾱ_t) · ε_θ(x_t, t)) / √α_t,
//
// which is μ̃_t(x_t, x_0) with x_0 replaced by its estimate
// (x_t − √(1 − ᾱ_t) ε_θ)/√ᾱ_t.
func (s *Schedule) ReverseMean(t int, xt, eps []float64) []float64 {
	k := s.Beta[t] / math.Sqrt(1-s.AlphaBar[t])
	out := make([]float64, len(xt))
	for i := range xt {
		out[i] = (xt[i] - k*eps[i]) / math.Sqrt(s.Alpha[t])
	}
	return out
}

// PriorKL returns the prior term of the ELBO for one data point x0,
//
//	L_T = KL(q(x_T | x_0) ‖ N(0, I)) = Σ_d KL(N(√ᾱ_T x_0d, 1 − ᾱ_T) ‖ N(0, 1)),
//
// in nats, by divergence.KLNormal.
func (s *Schedule) PriorKL(x0 []float64) (float64, error) {
	mean, std := s.Marginal(s.T())
	total := 0.0
	for _, x := range x0 {
		kl, err := divergence.KLNormal(mean*x, std, 0, 1, divergence.Nats)
		if err != nil {
			return 0, err
		}
		total += kl
	}
	return total, nil
}

// StepKL returns the ELBO term of step t, 2 ≤ t ≤ T, for one data point x0,
// its noised version xt and the predicted noise eps:
//
//	L_{t−1} = KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t))
//	        = Σ_d KL(N(μ̃_td, β̃_t) ‖ N(μ_θd, σ_t²)),
//
// in nats, by divergence.KLNormal, with σ_t² chosen by v.
func (s *Schedule) StepKL(t int, x0, xt, eps []float64, v Variance) (float64, error) {
	if err := s.checkStep(t, 2); err != nil {
		return 0, err
	}
	if len(x0) != len(xt) || len(x0) != len(eps) {
		return 0, fmt.Errorf("diffusion.StepKL: x0, xt and eps have %d, %d and %d entries; want the same", len(x0), len(xt), len(eps))
	}
	c0, ct, variance := s.Posterior(t)
	mu := s.ReverseMean(t, xt, eps)
	sigma := math.Sqrt(s.ReverseVariance(t, v))
	total := 0.0
	for i := range x0 {
		kl, err := divergence.KLNormal(c0*x0[i]+ct*xt[i], math.Sqrt(variance), mu[i], sigma, divergence.Nats)
		if err != nil {
			return 0, err
		}
		total += kl
	}
	return total, nil
}

// Reconstruction returns the reconstruction term of the ELBO for one data
// point x0, its noised version x1 and the noise eps predicted at t = 1:
//
//	L_0 = −log p_θ(x_0 | x_1) = −log N(x_0; μ_θ(x_1, 1), β_1 I),
//
// in nats: a Gaussian decoder of variance β_1, so that the ELBO bounds the
// differential log-density of continuous data.
func (s *Schedule) Reconstruction(x0, x1, eps []float64) (float64, error) {
	if len(x0) != len(x1) || len(x0) != len(eps) {
		return 0, errors.New("diffusion.Reconstruction: x0, x1 and eps differ in length")
	}
	mu := s.ReverseMean(1, x1, eps)
	variance := s.Beta[1]
	total := 0.0
	for i := range x0 {
		d := x0[i] - mu[i]
		total += 0.5*math.Log(2*math.Pi*variance) + d*d/(2*variance)
	}
	return total, nil
}

// EpsWeight returns the weight w_t with which the ELBO counts the squared
// error of the predicted noise at step t:
//
//	L_{t−1} = w_t · E‖ε − ε_θ(x_t, t)‖² + C_t,   w_t = β_t²/(2σ_t² α_t (1 − ᾱ_t)),
//
// where C_t = (d/2)(β̃_t/σ_t² − 1 − log(β̃_t/σ_t²)) does not depend on θ (it
// is 0 for σ_t² = β̃_t), and for t = 1 L_0 = w_1 E‖ε − ε_θ‖² + (d/2) log(2πβ_1).
// The ε-prediction loss of DDPM, E_t E‖ε − ε_θ‖² with t uniform, is this
// ELBO with every w_t replaced by the same constant.
func (s *Schedule) EpsWeight(t int, v Variance) float64 {
	b := s.Beta[t]
	return b * b / (2 * s.ReverseVariance(t, v) * s.Alpha[t] * (1 - s.AlphaBar[t]))
}

// Strided returns the sub-schedule that visits only the steps ts
// (increasing, from 1 to at most T), respaced as in Nichol and Dhariwal
// (2021): the same ᾱ at the visited steps, and
//
//	β'_i = 1 − ᾱ_{τ_i}/ᾱ_{τ_{i−1}},  ᾱ_{τ_0} = 1,
//
// so that sampling with it takes len(ts) network evaluations instead of T.
// Its step i corresponds to the original step ts[i−1]: the network is asked
// about that step.
func (s *Schedule) Strided(ts []int) (*Schedule, error) {
	if len(ts) == 0 {
		return nil, errors.New("diffusion.Strided: no steps")
	}
	betas := make([]float64, len(ts)+1)
	prev, prevBar := 0, 1.0
	for i, t := range ts {
		if t <= prev || t > s.T() {
			return nil, fmt.Errorf("diffusion.Strided: step %d = %d; want increasing steps in 1…%d", i, t, s.T())
		}
		betas[i+1] = 1 - s.AlphaBar[t]/prevBar
		prev, prevBar = t, s.AlphaBar[t]
	}
	return fromBetas(fmt.Sprintf("%s, %d of its steps", s.Name, len(ts)), betas), nil
}

// EvenSteps returns n steps spread evenly over 1 … T, always including T
// (and 1 when n ≥ 2): the steps a strided sampler visits.
func EvenSteps(T, n int) ([]int, error) {
	if n < 1 || n > T {
		return nil, fmt.Errorf("diffusion.EvenSteps: %d steps of %d; want 1 ≤ n ≤ T", n, T)
	}
	if n == 1 {
		return []int{T}, nil
	}
	out := make([]int, 0, n)
	for i := range n {
		t := 1 + int(math.Round(float64(i)*float64(T-1)/float64(n-1)))
		if len(out) > 0 && t <= out[len(out)-1] {
			t = out[len(out)-1] + 1
		}
		out = append(out, t)
	}
	return out, nil
}
