// Package diffusion is a denoising diffusion probabilistic model (DDPM, Ho et
// al. 2020) for points in the plane, with every term of its evidence lower
// bound computed exactly where it has a closed form.
//
// # The forward process
//
// A Schedule β_1 … β_T (Linear — DDPM: T = 1000, β from 1e-4 to 0.02 — or
// Cosine, Nichol and Dhariwal 2021) defines the Gaussian noising chain
//
//	q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t I),   α_t = 1 − β_t,   ᾱ_t = α_1 ⋯ α_t,
//
// whose marginals and posteriors are Gaussian in closed form (Marginal,
// Posterior):
//
//	q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I),
//	q(x_{t−1} | x_t, x_0) = N(μ̃_t, β̃_t I),
//	μ̃_t = √ᾱ_{t−1} β_t/(1 − ᾱ_t) x_0 + √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) x_t,   β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) β_t.
//
// # The model and its loss
//
// The reverse chain p_θ(x_{t−1} | x_t) = N(μ_θ(x_t, t), σ_t² I) starts at
// p(x_T) = N(0, I), with σ_t² = β_t or β̃_t (Variance) and the mean written
// through a network ε_θ that predicts the noise (Denoiser, ReverseMean):
//
//	μ_θ(x_t, t) = (x_t − β_t/√(1 − ᾱ_t) ε_θ(x_t, t))/√α_t.
//
// Train minimises DDPM's ε-prediction loss E_{t, x_0, ε} ‖ε − ε_θ(√ᾱ_t x_0 +
// √(1 − ᾱ_t) ε, t)‖² with t uniform on 1 … T, through pkg/fit's Steps. Sample
// runs the reverse chain (ancestral sampling), over all T steps or over a
// subset with the schedule respaced (Strided).
//
// # The ELBO
//
// For a data point x_0 (Model.ELBO, in nats),
//
//	−log p_θ(x_0) ≤ −ELBO = L_T + Σ_{t=2}^{T} L_{t−1} + L_0,
//	L_T     = KL(q(x_T | x_0) ‖ N(0, I))                         (PriorKL; no parameters)
//	L_{t−1} = E_q KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t))  (StepKL, by divergence.KLNormal)
//	L_0     = E_q[−log p_θ(x_0 | x_1)]                           (Reconstruction, a Gaussian of variance β_1)
//
// and, since both Gaussians of L_{t−1} share x_t,
//
//	L_{t−1} = w_t E‖ε − ε_θ(x_t, t)‖² + C_t,   w_t = β_t²/(2σ_t² α_t (1 − ᾱ_t))   (EpsWeight)
//
// with C_t independent of θ: the ε-prediction loss is the ELBO with every w_t
// replaced by one constant, a reweighting that puts relatively more weight on
// the noisy steps.
//
// The model works on standardised data y = (x − Center)/Scale; the ELBO of x
// adds the log-Jacobian 2 log Scale, so that −ELBO bounds −log p_θ(x) for the
// data as given. Averaged over data, E[−ELBO] ≥ H(p_data) + KL(p_data ‖ p_θ):
// where the data's entropy is known, E[−ELBO] − H(p_data) is an upper bound on
// the KL divergence from the data to the model.
package diffusion
