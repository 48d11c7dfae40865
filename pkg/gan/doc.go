// Package gan trains generative adversarial networks on two-dimensional data
// as f-divergence minimisers (f-GAN, Nowozin, Cseke and Tomioka 2016), for
// the GAN lecture and its exercise.
//
// # The variational bound
//
// For a convex f with f(1) = 0, the f-divergence of the data P from the
// generator Q is D_f(P‖Q) = ∫ q f(p/q). With the convex conjugate
// f*(t) = sup_u (ut − f(u)), every critic T gives a lower bound
//
//	D_f(P‖Q) ≥ E_P[T(x)] − E_Q[f*(T(x))],
//
// with equality for T*(x) = f′(p(x)/q(x)). The critic is a network with an
// unconstrained output v(x), and T = g_f(v) with an output activation g_f
// that maps ℝ into the domain of f*. A Divergence holds f, f′, g_f and f*:
//
//	            f(u)                         g_f(v)          f*(t)            T* = f′(p/q)
//	GAN         u log u − (u+1) log(u+1)    −log(1 + e⁻ᵛ)   −log(1 − eᵗ)     log(p/(p+q))
//	ForwardKL   u log u                      v               e^(t−1)          1 + log(p/q)
//	ReverseKL   −log u                       −e⁻ᵛ            −1 − log(−t)     −q/p
//	Pearson     (u − 1)²                     v               t²/4 + t         2(p/q − 1)
//	Hellinger   (√u − 1)²                    1 − e⁻ᵛ         t/(1 − t)        1 − √(q/p)
//
// For the GAN, D = σ(v) = e^T turns the bound into Goodfellow's value function
// E_P[log D] + E_Q[log(1 − D)], its optimum into D* = p/(p + q), and the
// bound at D* into D_f = 2·JS(P, Q) − log 4 (f(1) = −log 4 here).
//
// # The game
//
// The critic minimises −(E_P[g_f(v)] − E_Q[f*(g_f(v))]); the generator
// minimises, by GeneratorLoss, either its part of the bound,
// −E_Q[f*(g_f(v))] (Minimax), or −E_Q[g_f(v)] (NonSaturating). Against the
// optimal critic, the minimax loss's gradient is that of D_f(P‖Q_θ) (the
// envelope theorem); the non-saturating loss's is the gradient of another
// divergence: for the GAN, KL(Q‖P) − 2·JS(P, Q); for the forward KL, the
// reverse KL; for the reverse KL, ½χ²(Q‖P) = ½∫ q²/p − ½. The tests check
// all of these against closed forms.
//
// The losses themselves are unexported: writing them is the exercise
// (CheckDiscriminatorLoss and CheckGeneratorLoss grade it). Trainer plays the
// game: New builds it from a Config (the networks, the divergence, Adam's
// settings, PacGAN's packing degree, the data), Train runs steps and records
// the losses of both players and snapshots of generated points in History,
// Sample, Critic and Bound evaluate the result. One step — the critic's Adam
// step, then the generator's against the updated critic — is one compiled
// graph with each player's weights as one vector, which keeps the per-step
// overhead small for these small networks.
package gan
