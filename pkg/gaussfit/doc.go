// Package gaussfit fits normal distributions to a target density by gradient
// descent, with the gradient computed by GoMLX's automatic differentiation,
// so that the lectures can show how the objective decides the answer:
// the forward KL divergence spreads Q over all of P (mode covering), the
// reverse KL settles on one mode (mode seeking), and the L² distance and the
// cosine similarity of the two density curves behave differently again.
//
// # Parameters
//
// A model Q is a Family of densities q_θ with an unconstrained parameter
// vector θ ∈ ℝⁿ. The normal distribution N(μ, σ²) is parameterised by
// θ = (μ, log σ), and the bivariate normal N(μ, Σ) by the mean and the Cholesky
// factor L of Σ = LLᵀ with its diagonal stored as logarithms (NormalFamily,
// Normal2DFamily). The logarithm makes σ = exp(θ₂) positive for every θ:
//
//   - the optimisation is unconstrained, so any gradient step is a valid
//     model and no step can make σ zero or negative (a step on σ itself can,
//     and the density is then NaN);
//   - a step of size h on log σ multiplies σ by e^h, a relative change: the
//     same learning rate serves σ = 0.1 and σ = 100, where a step on σ itself
//     is large for a narrow Q and tiny for a wide one (Adam moves each
//     parameter by about the learning rate per step, so from σ = 1 to σ = 7.6
//     it needs at least 6600 steps at learning rate 10⁻³ on σ, and at least
//     2000 on log σ).
//
// Normal and Normal2D convert between θ and the familiar parameters.
//
// # Objectives
//
// A Loss is a scalar function of θ written as graph code. The losses on a
// Grid integrate over evenly spaced points x_i with the cell size Δ (Δx in one
// dimension, ΔxΔy in two) as quadrature weight, so that their values approximate
// the integrals they are named after, independently of the number of points:
//
//	ForwardKL   Σ p_i (log p_i − log q_i) Δ  ≈ KL(P‖Q) = ∫ p log(p/q)
//	ReverseKL   Σ q̃_i (log q̃_i − log p_i) Δ ≈ KL(Q‖P) = ∫ q log(q/p),  q̃ = Q normalised on the grid
//	SquaredL2   Σ (q_i − p_i)² Δ             ≈ ∫ (q − p)², the squared L² distance of the curves
//	NegCosine   −Σ q_i p_i / √(Σ q_i² Σ p_i²) = −⟨q, p⟩/(‖q‖ ‖p‖), in [−1, 0]
//
// The first two are divergences between distributions; the last two compare
// the density curves as functions. The forward KL integrates against p, so a
// grid that holds P suffices; the other three also look at Q's tails, so the
// grid must hold every Q the optimisation visits. SquaredL2 is PyTorch's mse_loss on the grid
// times NΔ (mse_loss averages over the N points), and NegCosine is the negative
// of torch.nn.functional.cosine_similarity (Δ cancels in it).
//
// From samples, without a grid (Monte Carlo):
//
//	NegLogLikelihood  −(1/N) Σ log q(x_i),  x_i ~ P given     ≈ KL(P‖Q) + H(P)
//	ReverseKLSampled  (1/M) Σ [log q(x_j) − log p(x_j)],  x_j = μ + L ε_j,  ε_j ~ N(0, I)   ≈ KL(Q‖P)
//
// The negative log-likelihood differs from the forward KL by the entropy H(P),
// which does not depend on θ: minimising it is maximum likelihood, and the
// minimiser over normal distributions is the sample mean and covariance. The
// reverse KL is an expectation under Q itself; writing the samples of Q as a
// differentiable function of θ and of noise ε that does not depend on θ (the
// reparameterisation trick) lets the gradient flow through the samples.
//
// # Optimisation
//
// Minimize runs plain gradient descent or Adam for a fixed number of steps and
// records the loss and the parameters at every step (a Trace);
// MinimizeSampled does the same for a Monte Carlo loss with fresh noise at
// every step. One compiled graph computes the loss and its gradient by
// graph.Gradient; the update itself is done in Go on the few parameters, with
// PyTorch's formulas and defaults, so that a run can be compared step by step
// with the seeds' torch.optim code and every step is recorded without reading
// variables back from a model.Store. All computations are in float64, and
// a run is deterministic: the same inputs, backend and seed give the same
// trace.
package gaussfit
