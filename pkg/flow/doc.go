// Package flow is a real NVP normalizing flow for lattice fields, trained by
// the reverse Kullback–Leibler divergence to sample e^{−S[φ]}/Z, after the
// flow-based sampling tutorial of Albergo, Boyda, Hackett, Kanwar, Cranmer,
// Racanière, Rezende and Shanahan (arXiv:2101.08176).
//
// # The model
//
// A sample starts as noise z ~ N(0, 1) on every site (the prior r) and goes
// through a stack of affine coupling layers g_1, …, g_n. Each layer splits the
// sites by a checkerboard mask m (m_x = 1 on the "frozen" sites, alternating
// from layer to layer), keeps the frozen half, and scales and shifts the other
// half with s, t computed from the frozen half:
//
//	g(φ) = m⊙φ + (1−m)⊙(φ ⊙ e^{s(m⊙φ)} + t(m⊙φ)),   log|det ∂g/∂φ| = Σ_x (1−m_x) s_x(m⊙φ).
//
// Because s and t only see the frozen sites, the Jacobian is triangular and
// the layer is inverted exactly: φ = m⊙g + (1−m)⊙(g − t(m⊙g)) ⊙ e^{−s(m⊙g)}.
// s and t are the two output channels of a small convolutional net with
// periodic (circular) padding, so the flow respects the lattice's
// translations. By the change of variables, a sample φ = g_n∘…∘g_1(z) has
//
//	log q(φ) = log r(z) − Σ_layers log|det ∂g/∂φ|.
//
// The graph code computes exactly this, without multiplying masks: the field
// is held as its two sublattices (the sites of either parity, which are the
// frozen and the active halves of every layer), the first convolution reads
// the frozen sites only, the last one is evaluated on the active sites only,
// and each convolution is one gather of the neighbouring sites and one
// matrix product. TestForwardMatchesMaskedDefinition checks it against the
// formula above on whole fields.
//
// # Training without data
//
// Only the reverse divergence can be estimated here: we can draw samples of
// q and evaluate S, but we have no samples of p. With p̃ = e^{−S} unnormalised,
//
//	KL(q‖p) = E_q[log q − log p̃] + log Z,
//
// and log Z does not depend on the flow's weights: the loss
// L = mean over samples of (log q(φ) + S(φ)) has the same gradient as the KL
// and is bounded below by −log Z (= −log Z exactly when q = p). The samples
// are computed from z, so the gradient flows through them
// (reparameterisation).
//
// # Using an imperfect flow exactly
//
// The importance weights w = p̃/q (known up to Z) correct the flow: the
// effective sample size ESS = (Σw)² / (N Σw²) is 1 for a perfect flow and
// 1/N when one sample dominates. The independence Metropolis sampler
// proposes flow samples φ' and accepts with probability
// min(1, w(φ')/w(φ)); its chain samples p exactly.
package flow
