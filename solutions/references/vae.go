package references

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
	"github.com/klcourse/klcourse/pkg/vae"
)

// Exercise 5 (solutions/05_vae_elbo.ipynb): the reparameterised sample and
// the KL term of the ELBO.

// sampleReference is z = mean + exp(logVar)^{1/2}·eps, written as a
// square root of the variance (the student writes exp(½ logVar)).
func sampleReference(mean, logVar, eps *Node) *Node {
	return Add(mean, Mul(Sqrt(Exp(logVar)), eps))
}

// klReference is the general KL of two Gaussians with diagonal covariances
// Σ₁ = diag(exp(logVar)) and Σ₀ = I: ½(tr Σ₁ + μᵀμ − d − log det Σ₁), summed
// per row with the trace and the log-determinant as separate terms.
func klReference(mean, logVar *Node) *Node {
	d := float64(mean.Shape().Dimensions[mean.Rank()-1])
	trace := ReduceSum(Exp(logVar), -1)
	quad := ReduceSum(Mul(mean, mean), -1)
	logDet := ReduceSum(logVar, -1)
	return MulScalar(AddScalar(Sub(Add(trace, quad), logDet), -d), 0.5)
}

func sampleMistakes() []exercise.Mistake[vae.SampleFn] {
	return []exercise.Mistake[vae.SampleFn]{
		{Fn: func(m, lv, e *Node) *Node { return Add(m, Mul(lv, e)) },
			Hint: "you used the log-variance as the standard deviation: σ = exp(½·logVar)."},
		{Fn: func(m, lv, e *Node) *Node { return Add(m, Mul(Exp(lv), e)) },
			Hint: "exp(logVar) is the variance σ², not the standard deviation: σ = exp(½·logVar) (the ½ is missing)."},
		{Fn: func(m, lv, e *Node) *Node { return Sub(m, Mul(Exp(MulScalar(lv, 0.5)), e)) },
			Hint: "the sign: z = μ + σ·ε."},
		{Fn: func(m, lv, e *Node) *Node { return StopGradient(sampleReference(m, lv, e)) },
			Hint: "the value is right but no gradient reaches the mean and the log-variance: the whole point of the trick is that z is computed from them (no StopGradient)."},
	}
}

func klMistakes() []exercise.Mistake[vae.KLFn] {
	dims := func(m *Node) float64 { return float64(m.Shape().Dimensions[m.Rank()-1]) }
	return []exercise.Mistake[vae.KLFn]{
		{Fn: func(m, lv *Node) *Node {
			// σ = logVar: σ² = logVar², log σ² = log logVar².
			return MulScalar(ReduceSum(Sub(Add(Square(m), Square(lv)), OnePlus(Log(Square(lv)))), -1), 0.5)
		}, Hint: "you used the log-variance as a standard deviation: σ² = exp(logVar) and log σ² = logVar."},
		{Fn: func(m, lv *Node) *Node { return MulScalar(klReference(m, lv), 2) },
			Hint: "twice the reference: the ½ in front of the sum is missing."},
		{Fn: func(m, lv *Node) *Node { return MulScalar(klReference(m, lv), -1) },
			Hint: "the sign is flipped: KL ≥ 0, so the sum is ½ Σ (μ² + σ² − 1 − log σ²), or −½ Σ (1 + log σ² − μ² − σ²)."},
		{Fn: func(m, lv *Node) *Node { return MulScalar(klReference(m, lv), 1/dims(m)) },
			Hint: "you averaged over the latent dimensions: the KL of independent dimensions is their sum (graph.ReduceSum over the last axis)."},
		{Fn: func(m, lv *Node) *Node {
			// KL(N(0, I) ‖ q): ½ Σ (1/σ² + μ²/σ² − 1 + log σ²).
			inv := Exp(Neg(lv))
			return MulScalar(ReduceSum(Add(Sub(Add(inv, Mul(Square(m), inv)), OnesLike(lv)), lv), -1), 0.5)
		}, Hint: "this is KL(p ‖ q), the divergence of the prior from q: the ELBO's term is KL(q(z|x) ‖ p(z)), averaged over q."},
		{Fn: func(m, lv *Node) *Node {
			return MulScalar(ReduceSum(Sub(Add(Square(m), Exp(lv)), lv), -1), 0.5)
		}, Hint: "the constant is missing: each dimension contributes ½(μ² + σ² − 1 − log σ²), which is 0 for q = p."},
		{Fn: func(m, lv *Node) *Node { return MulScalar(ReduceAllSum(klReference(m, lv)), 1) },
			Hint: "return one KL per row, shaped [batch]: sum over the last axis only (graph.ReduceSum(x, -1))."},
	}
}

// VAE returns the expected values of exercise 5's checks, sampleLatent and
// klToPrior.
func VAE(backend compute.Backend) ([]exercise.Expected, error) {
	return all(
		func() (exercise.Expected, error) {
			return exercise.Expect(backend, "sampleLatent", vae.SampleFn(sampleReference), sampleMistakes(), vae.SampleCases()...)
		},
		func() (exercise.Expected, error) {
			return exercise.Expect(backend, "klToPrior", vae.KLFn(klReference), klMistakes(), vae.KLCases()...)
		})
}
