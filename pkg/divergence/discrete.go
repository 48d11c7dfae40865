package divergence

import "math"

// KL returns the Kullback–Leibler divergence of the discrete distribution q
// from p,
//
//	KL(P‖Q) = Σ_i p_i log(p_i/q_i),
//
// in the given unit. A term with p_i = 0 is 0, whatever q_i is; a term with
// p_i > 0 and q_i = 0 is +Inf, and so is the result. KL(P‖Q) ≥ 0 with equality
// only for P = Q (Gibbs' inequality), and KL is not symmetric in P and Q.
// A result that rounding makes negative (P and Q nearly equal) is returned
// as 0.
//
// p and q must be probability vectors of the same length (see the package
// documentation); otherwise KL returns an error.
func KL(p, q []float64, unit Unit) (float64, error) {
	if err := checkPair(p, q, unit); err != nil {
		return 0, err
	}
	return unit.FromNats(kl(p, q)), nil
}

// ReverseKL returns the reverse Kullback–Leibler divergence
//
//	KL(Q‖P) = Σ_i q_i log(q_i/p_i)
//
// in the given unit, where p is the target distribution (the data) and q the
// model. It is KL(q, p, unit), with the arguments in the same order as for the
// forward divergence KL(p, q, unit) so that switching between the two is
// switching the function, not the arguments. A term with q_i = 0 is 0; a term
// with q_i > 0 and p_i = 0 (the model puts mass where the target has none) is
// +Inf. As with KL, a result that rounding makes negative is returned as 0.
//
// p and q must be probability vectors of the same length; otherwise ReverseKL
// returns an error.
func ReverseKL(p, q []float64, unit Unit) (float64, error) {
	if err := checkPair(p, q, unit); err != nil {
		return 0, err
	}
	return unit.FromNats(kl(q, p)), nil
}

// JS returns the Jensen–Shannon divergence of the discrete distributions p
// and q,
//
//	JS(P,Q) = ½ KL(P‖M) + ½ KL(Q‖M),  M = ½(P + Q),
//
// in the given unit. JS is symmetric, always finite (M_i > 0 wherever p_i or
// q_i is) and lies in [0, log 2]: between 0 and 1 bit, reached when P and Q
// have disjoint supports. A result that rounding makes negative is returned
// as 0.
//
// p and q must be probability vectors of the same length; otherwise JS
// returns an error.
func JS(p, q []float64, unit Unit) (float64, error) {
	if err := checkPair(p, q, unit); err != nil {
		return 0, err
	}
	return unit.FromNats(js(p, q)), nil
}

// JSDistance returns the Jensen–Shannon distance √JS(P,Q), a metric on
// probability vectors, with JS(P,Q) computed in the given unit. The unit
// matters: the distance in bits is the distance in nats divided by √(ln 2),
// and lies in [0, 1]. It is what scipy.spatial.distance.jensenshannon returns
// (natural logarithm by default, base=2 for bits).
//
// p and q must be probability vectors of the same length; otherwise
// JSDistance returns an error.
func JSDistance(p, q []float64, unit Unit) (float64, error) {
	if err := checkPair(p, q, unit); err != nil {
		return 0, err
	}
	return math.Sqrt(unit.FromNats(js(p, q))), nil
}

// Entropy returns the Shannon entropy of the discrete distribution p,
//
//	H(P) = −Σ_i p_i log p_i,
//
// in the given unit, with 0·log 0 = 0. It lies in [0, log n] for n entries.
//
// p must be a probability vector; otherwise Entropy returns an error.
func Entropy(p []float64, unit Unit) (float64, error) {
	if err := unit.check(); err != nil {
		return 0, err
	}
	if err := checkDistribution("p", p); err != nil {
		return 0, err
	}
	var h float64
	for _, v := range p {
		if v > 0 {
			h -= v * math.Log(v)
		}
	}
	return unit.FromNats(h), nil
}

// CrossEntropy returns the cross-entropy of the discrete distribution q
// relative to p,
//
//	H(P,Q) = −Σ_i p_i log q_i = H(P) + KL(P‖Q),
//
// in the given unit. A term with p_i = 0 is 0; a term with p_i > 0 and
// q_i = 0 is +Inf. Minimising H(P,Q) over Q minimises KL(P‖Q), since H(P)
// does not depend on Q: this is the usual classification loss.
//
// p and q must be probability vectors of the same length; otherwise
// CrossEntropy returns an error.
func CrossEntropy(p, q []float64, unit Unit) (float64, error) {
	if err := checkPair(p, q, unit); err != nil {
		return 0, err
	}
	var h float64
	for i, v := range p {
		if v > 0 {
			h -= v * math.Log(q[i])
		}
	}
	return unit.FromNats(h), nil
}

// kl returns KL(P‖Q) in nats for checked p and q.
func kl(p, q []float64) float64 {
	var d float64
	for i, v := range p {
		if v > 0 {
			d += v * logRatio(v, q[i])
		}
	}
	return max(d, 0)
}

// logRatio returns log(a/b) for a > 0 and b ≥ 0: +Inf for b = 0.
func logRatio(a, b float64) float64 {
	// log(a/b) is accurate to about an ulp of the result even when a ≈ b,
	// where log a − log b loses digits; the difference is only needed when
	// the quotient overflows (b = 0 or subnormal).
	if r := a / b; !math.IsInf(r, 1) {
		return math.Log(r)
	}
	return math.Log(a) - math.Log(b)
}

// js returns JS(P,Q) in nats for checked p and q.
func js(p, q []float64) float64 {
	var d float64
	for i := range p {
		m := 0.5 * (p[i] + q[i])
		if p[i] > 0 {
			d += p[i] * logRatio(p[i], m)
		}
		if q[i] > 0 {
			d += q[i] * logRatio(q[i], m)
		}
	}
	return max(0.5*d, 0)
}
