package divergence

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// SymmetryTolerance is how far a covariance matrix passed as a general
// mat.Matrix may be from symmetric: entries a_ij and a_ji are accepted when
// |a_ij − a_ji| ≤ SymmetryTolerance·max(|a_ij|, |a_ji|), and the matrix is
// then used as ½(A + Aᵀ).
const SymmetryTolerance = 1e-9

// KLNormal returns the Kullback–Leibler divergence between two univariate
// normal distributions, P = N(mu1, sigma1²) and Q = N(mu2, sigma2²),
//
//	KL(P‖Q) = log(σ2/σ1) + (σ1² + (μ1 − μ2)²)/(2σ2²) − ½,
//
// in the given unit. sigma1 and sigma2 are standard deviations, not
// variances. The arguments must be finite and the standard deviations
// positive; otherwise KLNormal returns an error. A result that rounding makes
// negative is returned as 0.
func KLNormal(mu1, sigma1, mu2, sigma2 float64, unit Unit) (float64, error) {
	if err := unit.check(); err != nil {
		return 0, err
	}
	for _, a := range []struct {
		name  string
		value float64
		sigma bool
	}{{"mu1", mu1, false}, {"sigma1", sigma1, true}, {"mu2", mu2, false}, {"sigma2", sigma2, true}} {
		if err := checkFinite(a.name, a.value); err != nil {
			return 0, err
		}
		if a.sigma && a.value <= 0 {
			return 0, fmt.Errorf("divergence: %s = %v is not positive; want a standard deviation > 0", a.name, a.value)
		}
	}
	// With r = σ1/σ2 and d = (μ1 − μ2)/σ2 the formula reads
	// −log r + ½(r² − 1) + ½d², which neither overflows in σ² nor loses the
	// zero at r = 1, d = 0.
	r := sigma1 / sigma2
	d := (mu1 - mu2) / sigma2
	nats := -math.Log(r) + 0.5*(r*r-1) + 0.5*d*d
	return unit.FromNats(max(nats, 0)), nil
}

// KLMultiNormal returns the Kullback–Leibler divergence between two
// k-dimensional normal distributions, P = N(mu1, cov1) and Q = N(mu2, cov2),
//
//	KL(P‖Q) = ½ [ tr(Σ2⁻¹Σ1) + (μ2 − μ1)ᵀ Σ2⁻¹ (μ2 − μ1) − k + ln(det Σ2 / det Σ1) ],
//
// in the given unit, with Σ1 = cov1 and Σ2 = cov2. Both covariances are
// factorised by Cholesky decomposition (mat.Cholesky): the inverse is never
// formed, and the log-determinants come from the factors' diagonals, so large
// or small determinants do not overflow.
//
// The means must have k finite entries and the covariances must be k×k,
// finite, symmetric (a mat.Symmetric is symmetric by construction; any other
// mat.Matrix is checked within SymmetryTolerance) and positive definite;
// otherwise KLMultiNormal returns an error. An ill-conditioned cov2 (condition
// number above mat.ConditionTolerance = 1e16) is an error too, since the
// solves with it would be meaningless. A result that rounding makes negative
// is returned as 0.
func KLMultiNormal(mu1 []float64, cov1 mat.Matrix, mu2 []float64, cov2 mat.Matrix, unit Unit) (float64, error) {
	if err := unit.check(); err != nil {
		return 0, err
	}
	k := len(mu1)
	if k == 0 {
		return 0, errors.New("divergence: mu1 is empty; want a mean with at least one entry")
	}
	if len(mu2) != k {
		return 0, fmt.Errorf("divergence: mu1 has %d entries and mu2 has %d; want the same dimension", k, len(mu2))
	}
	for _, m := range []struct {
		name string
		mu   []float64
	}{{"mu1", mu1}, {"mu2", mu2}} {
		for i, v := range m.mu {
			if err := checkFinite(fmt.Sprintf("%s[%d]", m.name, i), v); err != nil {
				return 0, err
			}
		}
	}
	var chol1, chol2 mat.Cholesky
	sigma1, err := factorizeCovariance(&chol1, "cov1", cov1, "mu1", k)
	if err != nil {
		return 0, err
	}
	if _, err := factorizeCovariance(&chol2, "cov2", cov2, "mu2", k); err != nil {
		return 0, err
	}

	// tr(Σ2⁻¹Σ1): solve Σ2 X = Σ1.
	var x mat.Dense
	if err := chol2.SolveTo(&x, sigma1); err != nil {
		return 0, illConditioned("cov2", err)
	}
	trace := mat.Trace(&x)
	// (μ2 − μ1)ᵀ Σ2⁻¹ (μ2 − μ1): solve Σ2 y = μ2 − μ1.
	diff := make([]float64, k)
	for i := range diff {
		diff[i] = mu2[i] - mu1[i]
	}
	d := mat.NewVecDense(k, diff)
	var y mat.VecDense
	if err := chol2.SolveVecTo(&y, d); err != nil {
		return 0, illConditioned("cov2", err)
	}
	mahalanobis := mat.Dot(d, &y)

	nats := 0.5 * (trace + mahalanobis - float64(k) + chol2.LogDet() - chol1.LogDet())
	return unit.FromNats(max(nats, 0)), nil
}

// factorizeCovariance checks that cov, the argument called name, is a finite
// symmetric k×k matrix (k being the length of the mean called meanName),
// stores its Cholesky factorisation in chol and returns it as a
// mat.Symmetric.
func factorizeCovariance(chol *mat.Cholesky, name string, cov mat.Matrix, meanName string, k int) (mat.Symmetric, error) {
	if cov == nil {
		return nil, fmt.Errorf("divergence: %s is nil; want a %d×%d covariance matrix", name, k, k)
	}
	r, c := cov.Dims()
	if r != c {
		return nil, fmt.Errorf("divergence: %s is %d×%d; want a square covariance matrix", name, r, c)
	}
	if r != k {
		return nil, fmt.Errorf("divergence: %s has %d entries but %s is %d×%d; want %d×%d", meanName, k, name, r, c, k, k)
	}
	for i := range k {
		for j := range k {
			if err := checkFinite(fmt.Sprintf("%s[%d][%d]", name, i, j), cov.At(i, j)); err != nil {
				return nil, err
			}
		}
	}
	sym, ok := cov.(mat.Symmetric)
	if !ok {
		s := mat.NewSymDense(k, nil)
		for i := range k {
			for j := i; j < k; j++ {
				a, b := cov.At(i, j), cov.At(j, i)
				if math.Abs(a-b) > SymmetryTolerance*max(math.Abs(a), math.Abs(b)) {
					return nil, fmt.Errorf("divergence: %s is not symmetric: %s[%d][%d] = %v but %s[%d][%d] = %v",
						name, name, i, j, a, name, j, i, b)
				}
				s.SetSym(i, j, 0.5*(a+b))
			}
		}
		sym = s
	}
	if !chol.Factorize(sym) {
		return nil, fmt.Errorf("divergence: %s is not positive definite (its Cholesky factorisation fails); want a symmetric positive definite covariance matrix", name)
	}
	return sym, nil
}

// illConditioned wraps the mat.Condition error of a solve with the matrix
// called name.
func illConditioned(name string, err error) error {
	return fmt.Errorf("divergence: %s is numerically singular: %w", name, err)
}

// checkFinite reports an error for a NaN or infinite value of the argument
// called name.
func checkFinite(name string, v float64) error {
	switch {
	case math.IsNaN(v):
		return fmt.Errorf("divergence: %s is NaN; want a finite number", name)
	case math.IsInf(v, 0):
		return fmt.Errorf("divergence: %s = %v is not finite; want a finite number", name, v)
	}
	return nil
}
