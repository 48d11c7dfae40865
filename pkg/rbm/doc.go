// Package rbm is the course's restricted Boltzmann machine (RBM): the
// binary–binary RBM of the lecture notes on generative models, trained on
// MNIST by contrastive divergence (CD-k) and persistent contrastive divergence
// (PCD), the Gaussian–binary RBM for real-valued data, and — what makes the
// likelihood of an RBM honest — its partition function, exactly for few hidden
// units and by annealed importance sampling (AIS) for many.
//
// # The model
//
// An RBM has visible units v (Visible of them) and hidden units h (Hidden),
// weights W [Visible, Hidden], visible biases b and hidden biases c. The
// binary–binary RBM (v, h ∈ {0, 1}) has the energy, joint distribution and
// free energy
//
//	E(v, h) = −b·v − c·h − vᵀW h,
//	p(v, h) = exp(−E(v, h)) / Z,   Z = Σ_v Σ_h exp(−E(v, h)),
//	F(v)    = −log Σ_h exp(−E(v, h)) = −b·v − Σ_j softplus(c_j + (vᵀW)_j),
//
// so that p(v) = exp(−F(v)) / Z, and the conditionals factorise:
//
//	p(h_j = 1 | v) = σ(c_j + Σ_i v_i W_ij),   p(v_i = 1 | h) = σ(b_i + Σ_j W_ij h_j).
//
// The Gaussian–binary RBM (real v, binary h) uses the energy of the lecture
// notes, with a fixed standard deviation σ_i per visible unit:
//
//	E(v, h) = Σ_i (v_i − b_i)²/(2σ_i²) − c·h − Σ_ij v_i W_ij h_j / σ_i²,
//	F(v)    = Σ_i (v_i − b_i)²/(2σ_i²) − Σ_j softplus(c_j + Σ_i v_i W_ij / σ_i²),
//	p(h_j = 1 | v) = σ(c_j + Σ_i v_i W_ij / σ_i²),   p(v_i | h) = N(b_i + Σ_j W_ij h_j, σ_i²).
//
// # Training
//
// The gradient of the mean log-likelihood of data v_n is
//
//	∂/∂θ (1/N) Σ_n log p(v_n) = −(1/N) Σ_n ∂F(v_n)/∂θ + E_{v∼p}[∂F(v)/∂θ],
//
// the positive phase (data) and the negative phase (the model's own samples).
// CD-k replaces the model's samples by the end v_k of a k-step Gibbs chain
// started at the data; PCD by the states of persistent "fantasy" chains that
// advance k steps per update and are never reset. Both are written as the
// surrogate loss mean F(v) − mean F(v_k) with v_k held constant (no gradient
// flows through the chain): its gradient is the CD estimate, its value is not
// a log-likelihood. Model.Loss builds it, Trainer runs it with SGD.
//
// # The partition function
//
// LogZExact sums over the 2^Hidden hidden states (Hidden ≤ MaxExactHidden) in
// float64 with a log-sum-exp:
//
//	log Z = log Σ_h exp(c·h + Σ_i softplus(b_i + (W h)_i))                          (binary),
//	log Z = Σ_i log(√(2π) σ_i) + log Σ_h exp(c·h + Σ_i (2 b_i u_i + u_i²)/(2σ_i²)),  u = W h  (Gaussian).
//
// AIS (Salakhutdinov & Murray 2008, "On the quantitative analysis of deep
// belief networks") estimates log Z of a binary RBM with many hidden units: it
// anneals from a base-rate model p_0 (W = 0, c = 0, visible biases b_A from
// the data's pixel means, whose Z_0 = 2^Hidden Π_i (1 + e^{b_A,i}) is known)
// to the RBM along the geometric path
//
//	p*_β(v) = exp((1 − β) b_A·v + β b·v) Π_j (1 + exp(β (c_j + (vᵀW)_j))),
//
// 0 = β_0 < β_1 < … < β_K = 1, with Gibbs transitions that leave each p_β
// invariant. Each chain's importance weight w = Π_k p*_{β_k}(v_k)/p*_{β_{k−1}}(v_k)
// has E[w] = Z/Z_0, so log Z ≈ log Z_0 + log mean(w). Its error is given from
// the spread of the weights. Because log is concave, E[log mean w] ≤ log E[w]:
// AIS tends to UNDER-estimate log Z, and the log-likelihood −F(v) − log Z it
// gives is then an optimistic (too high) estimate.
package rbm
