package references

import (
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/diffusion"
	"github.com/klcourse/klcourse/pkg/exercise"
)

// Exercise 7 (solutions/07_diffusion_q.ipynb): sampling q(x_t | x_0) and the
// per-step KL term of the ELBO, on the DDPM schedule. The reference is each
// variant with no mistake switched on.

// qVariant is q(x_t | x_0) sampling with the usual mistakes switchable.
type qVariant struct {
	mean, noise []float64 // the tables read for the coefficients
	shift       int       // t + shift is looked up
}

func (v qVariant) fn() func(x0, t, eps *graph.Node) *graph.Node {
	return func(x0, t, eps *graph.Node) *graph.Node {
		ts := t
		if v.shift != 0 {
			ts = graph.AddScalar(t, float64(v.shift))
		}
		return graph.Add(graph.Mul(diffusion.Lookup(v.mean, ts, x0), x0), graph.Mul(diffusion.Lookup(v.noise, ts, x0), eps))
	}
}

func mapTable(table []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(table)+1) // one more entry, for t + 1 at t = T
	for i, v := range table {
		out[i] = f(v)
	}
	out[len(table)] = out[len(table)-1]
	return out
}

// qSampleReference returns the reference and the known mistakes of qSample.
func qSampleReference() (func(x0, t, eps *graph.Node) *graph.Node, []exercise.Mistake[func(x0, t, eps *graph.Node) *graph.Node]) {
	s := diffusion.DDPM()
	sq := func(f func(float64) float64) func(float64) float64 {
		return func(v float64) float64 { return math.Sqrt(f(v)) }
	}
	id := func(v float64) float64 { return v }
	oneMinus := func(v float64) float64 { return 1 - v }
	v := func(mean, noise []float64, shift int) func(x0, t, eps *graph.Node) *graph.Node {
		return qVariant{mean, noise, shift}.fn()
	}
	ab := s.AlphaBar
	ref := v(mapTable(ab, sq(id)), mapTable(ab, sq(oneMinus)), 0)
	type F = func(x0, t, eps *graph.Node) *graph.Node
	mistakes := []exercise.Mistake[F]{
		{Fn: v(mapTable(s.Beta, sq(id)), mapTable(s.Beta, sq(oneMinus)), 0),
			Hint: "you used β_t where ᾱ_t is meant: q(x_t | x_0) jumps from the data with ᾱ_t = α_1⋯α_t (sched.AlphaBar), not with one step's β_t."},
		{Fn: v(mapTable(s.Alpha, sq(id)), mapTable(s.Alpha, sq(oneMinus)), 0),
			Hint: "you used α_t, one step of the chain; the jump from x_0 to x_t needs the product ᾱ_t = α_1⋯α_t (sched.AlphaBar)."},
		{Fn: v(mapTable(ab, id), mapTable(ab, oneMinus), 0),
			Hint: "√ forgotten: the mean is √ᾱ_t·x_0 and the standard deviation √(1 − ᾱ_t); ᾱ_t and 1 − ᾱ_t are the squares."},
		{Fn: v(mapTable(ab, sq(id)), mapTable(ab, oneMinus), 0),
			Hint: "√ forgotten on the noise: 1 − ᾱ_t is the variance of x_t given x_0; ε is multiplied by the standard deviation √(1 − ᾱ_t)."},
		{Fn: v(mapTable(ab, id), mapTable(ab, sq(oneMinus)), 0),
			Hint: "√ forgotten on the data: x_0 is multiplied by √ᾱ_t, not ᾱ_t."},
		{Fn: v(mapTable(ab, sq(id)), mapTable(ab, sq(oneMinus)), -1),
			Hint: "t off by one: the schedule's slices are indexed by the step itself (AlphaBar[0] = ᾱ_0 = 1, AlphaBar[t] = ᾱ_t); you read ᾱ_{t−1}."},
		{Fn: v(mapTable(ab, sq(id)), mapTable(ab, sq(oneMinus)), 1),
			Hint: "t off by one: the schedule's slices are indexed by the step itself (AlphaBar[t] = ᾱ_t); you read ᾱ_{t+1}."},
		{Fn: func(x0, t, eps *graph.Node) *graph.Node {
			return graph.Add(x0, graph.Mul(diffusion.Lookup(mapTable(ab, sq(oneMinus)), t, x0), eps))
		},
			Hint: "the data must shrink as the noise grows: x_0 is multiplied by √ᾱ_t, so that x_t keeps unit variance."},
	}
	return ref, mistakes
}

// klVariant is the per-step KL with the usual mistakes switchable.
type klVariant struct {
	prevShift      int  // ᾱ_{t−1+prevShift} used as ᾱ_{t−1}
	betaForAlphaB  bool // μ_θ with √(1 − β_t) in place of √(1 − ᾱ_t)
	noSqrt         bool // μ_θ with 1 − ᾱ_t in place of √(1 − ᾱ_t)
	noConstant     bool // only ‖μ̃ − μ_θ‖²/(2σ²)
	posteriorSigma bool // σ_t² = β̃_t
}

func (k klVariant) fn(s *diffusion.Schedule) func(in []*graph.Node) *graph.Node {
	return func(in []*graph.Node) *graph.Node {
		x0, xt, t, epsPred := in[0], in[1], in[2], in[3]
		abPrevTable := make([]float64, len(s.AlphaBar))
		for i := range abPrevTable {
			abPrevTable[i] = s.AlphaBar[min(len(s.AlphaBar)-1, max(0, i-1+k.prevShift))]
		}
		at := func(table []float64) *graph.Node { return diffusion.Lookup(table, t, x0) }
		beta, alpha, ab, abPrev := at(s.Beta), at(s.Alpha), at(s.AlphaBar), at(abPrevTable)
		oneMinusAB := graph.OneMinus(ab)
		c0 := graph.Div(graph.Mul(graph.Sqrt(abPrev), beta), oneMinusAB)
		ct := graph.Div(graph.Mul(graph.Sqrt(alpha), graph.OneMinus(abPrev)), oneMinusAB)
		postVar := graph.Div(graph.Mul(graph.OneMinus(abPrev), beta), oneMinusAB)
		muTilde := graph.Add(graph.Mul(c0, x0), graph.Mul(ct, xt))
		denom := graph.Sqrt(oneMinusAB)
		switch {
		case k.betaForAlphaB:
			denom = graph.Sqrt(graph.OneMinus(beta))
		case k.noSqrt:
			denom = oneMinusAB
		}
		mu := graph.Div(graph.Sub(xt, graph.Mul(graph.Div(beta, denom), epsPred)), graph.Sqrt(alpha))
		sigma2 := beta
		if k.posteriorSigma {
			sigma2 = postVar
		}
		d := graph.Sub(muTilde, mu)
		quad := graph.Div(graph.Square(d), graph.MulScalar(sigma2, 2))
		if k.noConstant {
			return graph.ReduceSum(quad, -1)
		}
		r := graph.Div(postVar, sigma2)
		perDim := graph.Add(quad, graph.MulScalar(graph.Sub(graph.Sub(r, graph.OnesLike(r)), graph.Log(r)), 0.5))
		return graph.ReduceSum(graph.Add(perDim, graph.ZerosLike(d)), -1)
	}
}

// stepKLReference returns the reference and the known mistakes of stepKL.
func stepKLReference() (func(in []*graph.Node) *graph.Node, []exercise.Mistake[func(in []*graph.Node) *graph.Node]) {
	s := diffusion.DDPM()
	type F = func(in []*graph.Node) *graph.Node
	mistakes := []exercise.Mistake[F]{
		{Fn: klVariant{prevShift: 1}.fn(s), Hint: "t off by one: the posterior q(x_{t−1} | x_t, x_0) needs ᾱ_{t−1} (AlphaBar[t−1]) beside ᾱ_t; you used ᾱ_t for both."},
		{Fn: klVariant{prevShift: -1}.fn(s), Hint: "t off by one: the posterior needs ᾱ_{t−1} = AlphaBar[t−1]; you read AlphaBar[t−2]."},
		{Fn: klVariant{betaForAlphaB: true}.fn(s), Hint: "β where ᾱ is meant: μ_θ = (x_t − β_t/√(1 − ᾱ_t)·ε_θ)/√α_t divides by √(1 − ᾱ_t), the noise level of x_t, not √(1 − β_t)."},
		{Fn: klVariant{noSqrt: true}.fn(s), Hint: "√ forgotten: μ_θ = (x_t − β_t/√(1 − ᾱ_t)·ε_θ)/√α_t — the noise in x_t has standard deviation √(1 − ᾱ_t)."},
		{Fn: klVariant{noConstant: true}.fn(s), Hint: "you kept only ‖μ̃ − μ_θ‖²/(2σ_t²): with σ_t² = β_t ≠ β̃_t the KL of two Gaussians also has ½(β̃_t/σ_t² − 1 − log(β̃_t/σ_t²)) per coordinate."},
		{Fn: klVariant{posteriorSigma: true}.fn(s), Hint: "the model's variance is σ_t² = β_t (the Beta table), not the posterior's β̃_t."},
	}
	return klVariant{}.fn(s), mistakes
}

// Diffusion returns the expected values of exercise 7's checks, qSample and
// stepKL.
func Diffusion(backend compute.Backend) ([]exercise.Expected, error) {
	return all(
		func() (exercise.Expected, error) {
			ref, mistakes := qSampleReference()
			return exercise.Expect(backend, "qSample", ref, mistakes, diffusion.QSampleCases()...)
		},
		func() (exercise.Expected, error) {
			ref, mistakes := stepKLReference()
			return exercise.Expect(backend, "stepKL", ref, mistakes, diffusion.StepKLCases()...)
		})
}
