// Package divergence computes the Kullback–Leibler divergence and its relatives
// in plain float64 arithmetic: the numeric reference for the course, against
// which the graph losses of package klloss and the notebooks are checked.
//
// # What is here
//
// For discrete distributions (probability vectors p and q of the same length):
//
//	KL(P‖Q)      = Σ p_i log(p_i/q_i)                 KL
//	KL(Q‖P)      = Σ q_i log(q_i/p_i)                 ReverseKL
//	JS(P,Q)      = ½ KL(P‖M) + ½ KL(Q‖M), M = (P+Q)/2 JS
//	√JS(P,Q)                                          JSDistance
//	H(P)         = −Σ p_i log p_i                     Entropy
//	H(P,Q)       = −Σ p_i log q_i = H(P) + KL(P‖Q)    CrossEntropy
//
// For normal distributions, the closed forms KLNormal (univariate) and
// KLMultiNormal (multivariate). For any two densities: KLMonteCarlo estimates
// KL(P‖Q) = E_{x~P}[log p(x) − log q(x)] from samples of P, with its standard
// error; KLQuadrature and KLQuadrature2D integrate p(x) log(p(x)/q(x)) with
// composite Simpson's rule on an interval or a rectangle.
//
// # Conventions
//
// Every function takes a Unit: Nats (natural logarithm) or Bits (base-2
// logarithm); 1 bit = ln 2 nats. A value computed with the natural logarithm
// is in nats whatever a printout calls it.
//
// In terms with p_i = 0 the convention 0·log 0 = 0 holds, even where q_i = 0
// as well. A term with p_i > 0 and q_i = 0 makes KL(P‖Q) and H(P,Q) +Inf:
// that is the value of the divergence, not an error.
//
// Arguments come in the order of the notation KL(P‖Q): p first, q second.
// In machine learning P is usually the data (the target) and Q the model.
// KL(p, q), the forward KL, is an expectation under the data: minimising it
// over Q is maximum likelihood, and spreads Q over all of P's mass.
// ReverseKL(p, q) = KL(Q‖P) keeps the arguments in the same (target, model)
// order but is an expectation under the model: minimising it lets Q settle on
// one mode of P. The same holds for the densities of KLMonteCarlo and
// KLQuadrature, where P is the distribution sampled or integrated against.
//
// # Input checks
//
// Discrete inputs must be probability vectors: non-empty, finite, non-negative,
// summing to 1 within SumTolerance. Anything else is an error that names the
// argument and says what was found; nothing is renormalised silently. To use
// unnormalised weights (counts, a density evaluated on a grid) pass them
// through Normalize first, on purpose. Likewise KLQuadrature checks that p
// integrates to 1 over the domain: evaluating an unnormalised density on a grid
// and averaging p·log(p/q) over it, as PyTorch's kl_div with reduction "mean"
// does, is not the KL divergence.
package divergence
