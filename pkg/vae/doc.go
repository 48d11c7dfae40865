// Package vae holds the variational autoencoder of the course's fifth
// lecture: its loss terms as graph functions, the training terms for
// pkg/fit, the importance-weighted bound on the likelihood, and what the
// lecture draws from a trained model (latent codes, decoded grids, samples,
// interpolations). The architecture is VAE:
//
//	q(z|x) = N(μ(x), diag(exp(logVar(x))))     the encoder
//	p(x|z) = Π_i Bernoulli(x_i; σ(ℓ_i(z)))     the decoder, ℓ its logits
//	p(z)   = N(0, I)                            the prior
//
// # The evidence lower bound
//
// For any q(z|x),
//
//	log p(x) = ELBO(x) + KL(q(z|x) ‖ p(z|x)),
//	ELBO(x)  = E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)),
//
// so the ELBO is a lower bound on log p(x) that is tight when q is the true
// posterior. The first term is the reconstruction term (−BernoulliNLL), the
// second the prior-matching term, in closed form for a diagonal Gaussian:
//
//	KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_k (μ_k² + σ_k² − 1 − log σ_k²).
//
// The lecture's sweep trains on loss = reconstruction + c·KL for several c
// (c = 1 is −ELBO).
//
// # The reparameterisation trick
//
// z = μ + exp(logVar/2)·ε with ε ~ N(0, I) is a sample of q(z|x) that is a
// differentiable function of μ and logVar, so a Monte Carlo estimate of
// E_q[log p(x|z)] has a gradient with respect to the encoder's weights.
//
// # The importance-weighted bound
//
// With z_1, …, z_k drawn from q(z|x) and weights w_j = p(x|z_j)p(z_j)/q(z_j|x),
//
//	IWAE_k(x) = E[log (1/k) Σ_j w_j] ≤ log p(x),
//
// which is the ELBO for k = 1, grows with k and tends to log p(x) (Burda,
// Grosse and Salakhutdinov, 2016). graphx.LogMeanExp computes log (1/k) Σ_j exp(a_j)
// stably, as m + log (1/k) Σ_j exp(a_j − m) with m = max_j a_j.
//
// All log-likelihoods are in nats.
package vae
