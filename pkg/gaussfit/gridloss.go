package gaussfit

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph"
)

// A Loss is a scalar objective of the parameter vector θ (shaped [n]),
// written as graph code; Minimize minimises it.
type Loss func(theta *Node) *Node

// ForwardKL returns the forward Kullback–Leibler divergence of the family q
// from the grid's target P, by quadrature on the grid:
//
//	Σᵢ p(xᵢ) (log p(xᵢ) − log q_θ(xᵢ)) Δ  ≈  KL(P‖Q_θ) = ∫ p log(p/q_θ)   (nats).
//
// It is an average under P, so Q pays wherever P has mass that Q lacks:
// minimising it spreads Q over every mode of P (mode covering). Its gradient
// is that of the cross-entropy −Σ p log q Δ, whose minimiser over normal
// distributions is P's mean and variance on the grid (moment matching),
// whatever the grid's mass: an unnormalised P changes the value, not the
// minimiser. Points where p underflows to 0 contribute 0.
//
// The loss panics while the graph is built if q's points do not have the
// grid's dimension or θ is not a float vector of q.NumParams parameters.
func ForwardKL(grid *Grid, q Family) Loss {
	return func(theta *Node) *Node {
		logQ := grid.logQ("ForwardKL", theta, q)
		p, logP := ConstAs(theta, grid.P()), ConstAs(theta, grid.LogP)
		return MulScalar(ReduceAllSum(Mul(p, Sub(logP, logQ))), grid.Cell)
	}
}

// ReverseKL returns the reverse Kullback–Leibler divergence by quadrature on
// the grid,
//
//	Σᵢ q̃ᵢ (log q̃ᵢ − log p(xᵢ)) Δ  ≈  KL(Q_θ‖P) = ∫ q_θ log(q_θ/p)   (nats),
//	q̃ᵢ = q_θ(xᵢ) / Σⱼ q_θ(xⱼ) Δ,
//
// with Q normalised on the grid. It is an average under Q, so Q pays wherever
// it puts mass that P lacks and nothing for the modes of P it ignores:
// minimising it settles Q on one mode of P (mode seeking), and which mode
// depends on where Q starts.
//
// The normalisation matters only when Q has mass beyond the grid, and then it
// keeps the sum a divergence: without it the terms of Q's lost tails, where
// log p is lowest, would simply be missing, the sum would fall towards 0 as σ
// grows, and an optimiser would follow Q off the grid (Adam at learning rate
// 0.05 does, on seed 002's grid). With it the sum is the KL divergence of the
// two distributions discretised on the grid, at least −log Σᵢ p(xᵢ)Δ ≈ 0,
// and a Q spread thinly over the grid costs its average of −log p. It is still
// not the divergence of the densities for such a Q: a grid that ends where Q
// still has mass shortens Q's tails and changes the objective, so choose
// the grid wide enough for every Q the optimisation visits. log p comes from
// the grid (finite everywhere) and q from its logarithm, so the terms stay
// finite where q underflows.
//
// It panics while the graph is built as ForwardKL does.
func ReverseKL(grid *Grid, q Family) Loss {
	return func(theta *Node) *Node {
		logQ := grid.logQ("ReverseKL", theta, q)
		logP := ConstAs(theta, grid.LogP)
		// Q on the grid, normalised: log q̃ = log q − log Σ q Δ.
		logQ = Sub(logQ, Log(MulScalar(ReduceAllSum(Exp(logQ)), grid.Cell)))
		return MulScalar(ReduceAllSum(Mul(Exp(logQ), Sub(logQ, logP))), grid.Cell)
	}
}

// SquaredL2 returns the squared L² distance between the density curves,
//
//	Σᵢ (q_θ(xᵢ) − p(xᵢ))² Δ  ≈  ∫ (q_θ − p)²,
//
// the "mean squared error" of seed 002 with the grid spacing as weight:
// PyTorch's mse_loss(q, p) on the grid averages over the N points instead, which
// is this value divided by NΔ (a constant factor, so the same minimiser). It is
// not a divergence between distributions: it compares heights of curves, so
// it depends on how P is normalised and a peak of height h costs h² to miss.
//
// It panics while the graph is built as ForwardKL does.
func SquaredL2(grid *Grid, q Family) Loss {
	return func(theta *Node) *Node {
		logQ := grid.logQ("SquaredL2", theta, q)
		p := ConstAs(theta, grid.P())
		return MulScalar(ReduceAllSum(Square(Sub(Exp(logQ), p))), grid.Cell)
	}
}

// NegCosine returns minus the cosine similarity of the density curves on the
// grid,
//
//	−Σᵢ q_θ(xᵢ) p(xᵢ) / √(Σᵢ q_θ(xᵢ)² · Σᵢ p(xᵢ)²)  ≈  −⟨q_θ, p⟩ / (‖q_θ‖ ‖p‖),
//
// in [−1, 0]: −1 when q_θ is proportional to p. It is the negative of
// torch.nn.functional.cosine_similarity(q, p, dim=0), which seed 002 maximises
// (Δ cancels). Like SquaredL2 it compares curves, not distributions, but it
// ignores their scale: an unnormalised P gives the same value.
//
// It panics while the graph is built as ForwardKL does.
func NegCosine(grid *Grid, q Family) Loss {
	pNorm := 0.0
	for _, v := range grid.P() {
		pNorm += v * v
	}
	pNorm = math.Sqrt(pNorm)
	return func(theta *Node) *Node {
		qx := Exp(grid.logQ("NegCosine", theta, q))
		p := ConstAs(theta, grid.P())
		cosine := Div(ReduceAllSum(Mul(qx, p)), MulScalar(Sqrt(ReduceAllSum(Square(qx))), pNorm))
		return Neg(cosine)
	}
}
