package divergence

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The reference values in testdata/reference.json were computed once with
// SciPy and NumPy by testdata/reference.py, which documents how; the tests
// only read them.

// refFloat is a float64 in reference.json, where +Inf is the string "+Inf".
type refFloat float64

func (f *refFloat) UnmarshalJSON(b []byte) error {
	if string(b) == `"+Inf"` {
		*f = refFloat(math.Inf(1))
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("reference value %s: %w", b, err)
	}
	*f = refFloat(v)
	return nil
}

// refUnits is a value in both units.
type refUnits struct {
	Nats, Bits refFloat
}

// in returns the value in unit u.
func (r refUnits) in(u Unit) float64 {
	if u == Bits {
		return float64(r.Bits)
	}
	return float64(r.Nats)
}

type reference struct {
	Discrete []struct {
		Name         string
		P, Q         []float64
		KL           refUnits `json:"kl"`
		ReverseKL    refUnits `json:"reverse_kl"`
		JS           refUnits `json:"js"`
		JSDistance   refUnits `json:"js_distance"`
		Entropy      refUnits `json:"entropy"`
		CrossEntropy refUnits `json:"cross_entropy"`
	}
	Normal []struct {
		Mu1        float64  `json:"mu1"`
		Sigma1     float64  `json:"sigma1"`
		Mu2        float64  `json:"mu2"`
		Sigma2     float64  `json:"sigma2"`
		ClosedNats refFloat `json:"closed_nats"`
		QuadNats   refFloat `json:"quad_nats"`
	}
	MultiNormal []struct {
		Mu1    []float64   `json:"mu1"`
		Cov1   [][]float64 `json:"cov1"`
		Mu2    []float64   `json:"mu2"`
		Cov2   [][]float64 `json:"cov2"`
		KLNats refFloat    `json:"kl_nats"`
	} `json:"multi_normal"`
	Mixture1D struct {
		Weights  []float64
		Means    []float64
		Sigmas   []float64
		QMean    float64  `json:"q_mean"`
		QSigma   float64  `json:"q_sigma"`
		KLPQNats refFloat `json:"kl_pq_nats"`
		KLQPNats refFloat `json:"kl_qp_nats"`
	} `json:"mixture_1d"`
	Mixture2D struct {
		Weights  []float64
		Means    [][]float64
		Covs     [][][]float64
		QMean    []float64   `json:"q_mean"`
		QCov     [][]float64 `json:"q_cov"`
		Box      struct{ X, Y [2]float64 }
		KLPQNats refFloat `json:"kl_pq_nats"`
	} `json:"mixture_2d"`
}

var (
	refOnce sync.Once
	ref     reference
	refErr  error
)

// loadReference returns the parsed testdata/reference.json.
func loadReference(t *testing.T) *reference {
	t.Helper()
	refOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join("testdata", "reference.json"))
		if err != nil {
			refErr = err
			return
		}
		refErr = json.Unmarshal(b, &ref)
	})
	if refErr != nil {
		t.Fatalf("reading reference values: %v", refErr)
	}
	return &ref
}

// near reports whether got equals want within tol·max(1, |want|): relative
// tolerance for large values, absolute for small ones. Infinities must match
// exactly and NaN matches nothing.
func near(got, want, tol float64) bool {
	if math.IsInf(want, 0) || math.IsInf(got, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}
