package gan

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/graphx"
)

// Divergence is an f-divergence D_f(P‖Q) = ∫ q f(p/q) with what an f-GAN
// needs of it (Nowozin et al. 2016, Tables 1 and 2): the generator function f,
// its derivative (the optimal critic is T*(x) = f′(p(x)/q(x))), the output
// activation g_f, which maps the critic's unconstrained output v into the
// domain of the convex conjugate f*, and f* itself. P is the data, Q the
// generator.
//
// The graph functions act elementwise on a node of any shape; the float64
// functions are the same formulas, for quadrature and plots.
type Divergence struct {
	// Name is the short name used in tables and figure legends.
	Name string
	// F is f, convex with f(1) = 0 (except for GAN, whose f(1) = −log 4).
	F func(u float64) float64
	// FPrime is f′.
	FPrime func(u float64) float64
	// Activation is the output activation g_f: T = g_f(v).
	Activation func(v *Node) *Node
	// Conjugate is the convex conjugate f*(t) = sup_u (u·t − f(u)).
	Conjugate func(t *Node) *Node
	// ActivationAt and ConjugateAt are g_f and f* in float64.
	ActivationAt, ConjugateAt func(float64) float64
	// ActivationInverse is g_f⁻¹: the raw output v whose activation is t.
	ActivationInverse func(t float64) float64

	// fake is f*(g_f(v)) in a form that neither overflows nor cancels; fakeAt
	// is the same in float64.
	fake   func(v *Node) *Node
	fakeAt func(v float64) float64
	// rawOfLogRatio is g_f⁻¹(f′(eʳ)) as a function of r = log(p/q).
	rawOfLogRatio func(r float64) float64
}

// GAN is the divergence of the original GAN (Goodfellow et al. 2014):
// f(u) = u log u − (u + 1) log(u + 1), D_f(P‖Q) = 2·JS(P, Q) − log 4.
// g_f(v) = −log(1 + e⁻ᵛ) = log σ(v), f*(t) = −log(1 − eᵗ) for t < 0, so
// f*(g_f(v)) = log(1 + eᵛ) = −log(1 − σ(v)). With D = σ(v) the bound is
// E_P[log D] + E_Q[log(1 − D)], the GAN value function, and the optimal
// critic f′(p/q) = log(p/(p + q)) is D* = p/(p + q).
var GAN = Divergence{
	Name:              "GAN",
	F:                 func(u float64) float64 { return xlogx(u) - xlogx(u+1) },
	FPrime:            func(u float64) float64 { return math.Log(u / (u + 1)) },
	Activation:        func(v *Node) *Node { return Neg(graphx.StableSoftplus(Neg(v))) },
	Conjugate:         func(t *Node) *Node { return Neg(Log(OneMinus(Exp(t)))) },
	ActivationAt:      func(v float64) float64 { return -graphx.Softplus64(-v) },
	ConjugateAt:       func(t float64) float64 { return -math.Log1p(-math.Exp(t)) },
	ActivationInverse: func(t float64) float64 { return t - math.Log(-math.Expm1(t)) },
	fake:              graphx.StableSoftplus,
	fakeAt:            graphx.Softplus64,
	rawOfLogRatio:     func(r float64) float64 { return r },
}

// ForwardKL is KL(P‖Q) = ∫ p log(p/q): f(u) = u log u, g_f(v) = v,
// f*(t) = e^(t−1), optimal critic T* = 1 + log(p/q).
var ForwardKL = Divergence{
	Name:              "forward KL",
	F:                 xlogx,
	FPrime:            func(u float64) float64 { return 1 + math.Log(u) },
	Activation:        func(v *Node) *Node { return v },
	Conjugate:         func(t *Node) *Node { return Exp(AddScalar(t, -1)) },
	ActivationAt:      func(v float64) float64 { return v },
	ConjugateAt:       func(t float64) float64 { return math.Exp(t - 1) },
	ActivationInverse: func(t float64) float64 { return t },
	fake:              func(v *Node) *Node { return Exp(AddScalar(v, -1)) },
	fakeAt:            func(v float64) float64 { return math.Exp(v - 1) },
	rawOfLogRatio:     func(r float64) float64 { return 1 + r },
}

// ReverseKL is KL(Q‖P) = ∫ q log(q/p): f(u) = −log u, g_f(v) = −e⁻ᵛ,
// f*(t) = −1 − log(−t) for t < 0, so f*(g_f(v)) = v − 1; optimal critic
// T* = −q/p.
var ReverseKL = Divergence{
	Name:              "reverse KL",
	F:                 func(u float64) float64 { return -math.Log(u) },
	FPrime:            func(u float64) float64 { return -1 / u },
	Activation:        func(v *Node) *Node { return Neg(Exp(Neg(v))) },
	Conjugate:         func(t *Node) *Node { return SubScalar(Neg(Log(Neg(t))), 1) },
	ActivationAt:      func(v float64) float64 { return -math.Exp(-v) },
	ConjugateAt:       func(t float64) float64 { return -1 - math.Log(-t) },
	ActivationInverse: func(t float64) float64 { return -math.Log(-t) },
	fake:              func(v *Node) *Node { return AddScalar(v, -1) },
	fakeAt:            func(v float64) float64 { return v - 1 },
	rawOfLogRatio:     func(r float64) float64 { return r },
}

// Pearson is Pearson's χ²(P‖Q) = ∫ (p − q)²/q: f(u) = (u − 1)², g_f(v) = v,
// f*(t) = t²/4 + t, optimal critic T* = 2(p/q − 1).
var Pearson = Divergence{
	Name:              "Pearson χ²",
	F:                 func(u float64) float64 { return (u - 1) * (u - 1) },
	FPrime:            func(u float64) float64 { return 2 * (u - 1) },
	Activation:        func(v *Node) *Node { return v },
	Conjugate:         func(t *Node) *Node { return Add(MulScalar(Square(t), 0.25), t) },
	ActivationAt:      func(v float64) float64 { return v },
	ConjugateAt:       func(t float64) float64 { return t*t/4 + t },
	ActivationInverse: func(t float64) float64 { return t },
	fake:              func(v *Node) *Node { return Add(MulScalar(Square(v), 0.25), v) },
	fakeAt:            func(v float64) float64 { return v*v/4 + v },
	rawOfLogRatio:     func(r float64) float64 { return 2 * math.Expm1(r) },
}

// Hellinger is the squared Hellinger distance ∫ (√p − √q)²:
// f(u) = (√u − 1)², g_f(v) = 1 − e⁻ᵛ, f*(t) = t/(1 − t) for t < 1, so
// f*(g_f(v)) = eᵛ − 1; optimal critic T* = 1 − √(q/p).
var Hellinger = Divergence{
	Name:              "squared Hellinger",
	F:                 func(u float64) float64 { return (math.Sqrt(u) - 1) * (math.Sqrt(u) - 1) },
	FPrime:            func(u float64) float64 { return 1 - 1/math.Sqrt(u) },
	Activation:        func(v *Node) *Node { return OneMinus(Exp(Neg(v))) },
	Conjugate:         func(t *Node) *Node { return Div(t, OneMinus(t)) },
	ActivationAt:      func(v float64) float64 { return -math.Expm1(-v) },
	ConjugateAt:       func(t float64) float64 { return t / (1 - t) },
	ActivationInverse: func(t float64) float64 { return -math.Log1p(-t) },
	fake:              func(v *Node) *Node { return AddScalar(Exp(v), -1) }, // GoMLX has no gradient for Expm1
	fakeAt:            math.Expm1,
	rawOfLogRatio:     func(r float64) float64 { return r / 2 },
}

// Divergences lists the divergences of the package.
var Divergences = []Divergence{GAN, ForwardKL, ReverseKL, Pearson, Hellinger}

// xlogx is x log x, with 0 log 0 = 0.
func xlogx(x float64) float64 {
	if x == 0 {
		return 0
	}
	return x * math.Log(x)
}

// OptimalCritic returns the critic's optimal output T*(x) = f′(p(x)/q(x)) at
// a point where the data density is p and the generator's q; the bound
// E_P[T] − E_Q[f*(T)] equals D_f(P‖Q) for T = T*.
func (d Divergence) OptimalCritic(p, q float64) float64 { return d.FPrime(p / q) }

// OptimalRaw returns the unconstrained output v* = g_f⁻¹(T*) of the optimal
// critic at a point where log p − log q = logRatio, computed from the log
// ratio so that it stays finite where p/q overflows or underflows: v* = r for
// the GAN (the logit of D* = p/(p + q)) and the reverse KL, 1 + r for the
// forward KL, 2(eʳ − 1) for Pearson's χ², r/2 for the squared Hellinger
// distance.
func (d Divergence) OptimalRaw(logRatio float64) float64 { return d.rawOfLogRatio(logRatio) }

// BoundTerms returns, for the critic's raw outputs on data points vReal and
// on generated points vFake, the two means of the variational bound
// F = E_P[g_f(v)] − E_Q[f*(g_f(v))], and F itself.
func (d Divergence) BoundTerms(vReal, vFake []float64) (realTerm, fakeTerm, bound float64) {
	for _, v := range vReal {
		realTerm += d.ActivationAt(v)
	}
	for _, v := range vFake {
		fakeTerm += d.fakeAt(v)
	}
	realTerm /= float64(len(vReal))
	fakeTerm /= float64(len(vFake))
	return realTerm, fakeTerm, realTerm - fakeTerm
}
