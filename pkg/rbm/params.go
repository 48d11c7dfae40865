package rbm

import (
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"sync"

	"github.com/klcourse/klcourse/pkg/graphx"
)

// Params are an RBM's parameters on the host, in float64: what the exact
// partition function, the free energy of a data set and the plots use.
// W[i*Hidden+j] is the weight between visible unit i and hidden unit j.
// Sigma is nil for a binary–binary RBM; for a Gaussian–binary RBM it holds
// the standard deviation σ_i of each visible unit (see the package doc).
type Params struct {
	Visible int       `json:"visible"`
	Hidden  int       `json:"hidden"`
	W       []float64 `json:"w"`
	B       []float64 `json:"b"`
	C       []float64 `json:"c"`
	Sigma   []float64 `json:"sigma,omitempty"`
}

// Gaussian reports whether the visible units are Gaussian.
func (p *Params) Gaussian() bool { return p.Sigma != nil }

// Validate checks that the slices have the sizes Visible and Hidden ask for
// and that every σ_i is positive.
func (p *Params) Validate() error {
	switch {
	case p.Visible < 1 || p.Hidden < 1:
		return fmt.Errorf("rbm: an RBM needs at least one visible and one hidden unit, got %d and %d", p.Visible, p.Hidden)
	case len(p.W) != p.Visible*p.Hidden:
		return fmt.Errorf("rbm: W has %d entries, want Visible·Hidden = %d", len(p.W), p.Visible*p.Hidden)
	case len(p.B) != p.Visible:
		return fmt.Errorf("rbm: b has %d entries, want Visible = %d", len(p.B), p.Visible)
	case len(p.C) != p.Hidden:
		return fmt.Errorf("rbm: c has %d entries, want Hidden = %d", len(p.C), p.Hidden)
	case p.Sigma != nil && len(p.Sigma) != p.Visible:
		return fmt.Errorf("rbm: σ has %d entries, want Visible = %d", len(p.Sigma), p.Visible)
	}
	for i, s := range p.Sigma {
		if !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("rbm: σ[%d] = %g, want a positive finite standard deviation", i, s)
		}
	}
	return nil
}

// HiddenInput returns the input of each hidden unit for the visible state v:
// c_j + Σ_i v_i W_ij (binary), or c_j + Σ_i v_i W_ij / σ_i² (Gaussian).
func (p *Params) HiddenInput(v []float64) []float64 {
	in := append([]float64(nil), p.C...)
	for i, vi := range v {
		if vi == 0 {
			continue
		}
		if p.Sigma != nil {
			vi /= p.Sigma[i] * p.Sigma[i]
		}
		row := p.W[i*p.Hidden : (i+1)*p.Hidden]
		for j, w := range row {
			in[j] += vi * w
		}
	}
	return in
}

// Energy returns E(v, h).
func (p *Params) Energy(v, h []float64) float64 {
	e := 0.0
	for i, vi := range v {
		if p.Sigma != nil {
			d := vi - p.B[i]
			e += d * d / (2 * p.Sigma[i] * p.Sigma[i])
		} else {
			e -= p.B[i] * vi
		}
	}
	in := p.HiddenInput(v)
	for j, hj := range h {
		e -= hj * in[j]
	}
	return e
}

// FreeEnergy returns F(v) = −log Σ_h exp(−E(v, h)).
func (p *Params) FreeEnergy(v []float64) float64 {
	f := 0.0
	for i, vi := range v {
		if p.Sigma != nil {
			d := vi - p.B[i]
			f += d * d / (2 * p.Sigma[i] * p.Sigma[i])
		} else {
			f -= p.B[i] * vi
		}
	}
	for _, x := range p.HiddenInput(v) {
		f -= graphx.Softplus64(x)
	}
	return f
}

// FreeEnergies returns F(v) of each row of data, a flat [n, Visible] slice,
// computed on all CPUs.
func (p *Params) FreeEnergies(data []float64) ([]float64, error) {
	if len(data)%p.Visible != 0 {
		return nil, fmt.Errorf("rbm: the data have %d values, not a multiple of Visible = %d", len(data), p.Visible)
	}
	n := len(data) / p.Visible
	out := make([]float64, n)
	parallel(n, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			out[k] = p.FreeEnergy(data[k*p.Visible : (k+1)*p.Visible])
		}
	})
	return out, nil
}

// MaxExactHidden is the most hidden units LogZExact enumerates: 2^20 ≈ 10⁶
// hidden states.
const MaxExactHidden = 20

// LogZExact returns log Z by summing over all 2^Hidden hidden states in
// float64, with a log-sum-exp (see the package doc for the formulas). It
// visits the states in Gray-code order, so that each state's W h costs one
// column update, on all CPUs.
func (p *Params) LogZExact() (float64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	if p.Hidden > MaxExactHidden {
		return 0, fmt.Errorf("rbm: the exact partition function sums over 2^%d hidden states; at most %d hidden units are allowed, use AIS", p.Hidden, MaxExactHidden)
	}
	// The top bits of the state number pick a block, each worker sums its
	// blocks with a Gray code over the low bits.
	high := min(p.Hidden, 6)
	low := p.Hidden - high
	blocks := 1 << high
	maxes := make([]float64, blocks)
	sums := make([]float64, blocks)
	parallel(blocks, func(lo, hi int) {
		u := make([]float64, p.Visible)
		h := make([]bool, p.Hidden)
		for blk := lo; blk < hi; blk++ {
			// Start with the low bits zero and the high bits blk.
			clear(u)
			ch := 0.0
			for j := range p.Hidden {
				h[j] = j >= low && (blk>>(j-low))&1 == 1
				if h[j] {
					ch += p.C[j]
					for i := range p.Visible {
						u[i] += p.W[i*p.Hidden+j]
					}
				}
			}
			m, s := math.Inf(-1), 0.0
			add := func(t float64) {
				if t > m {
					s = s*math.Exp(m-t) + 1
					m = t
				} else {
					s += math.Exp(t - m)
				}
			}
			add(ch + p.visibleTerm(u))
			for g := uint64(1); g < 1<<low; g++ {
				j := bits.TrailingZeros64(g) // the bit that flips
				sign := 1.0
				if h[j] {
					sign = -1
				}
				h[j] = !h[j]
				ch += sign * p.C[j]
				for i := range p.Visible {
					u[i] += sign * p.W[i*p.Hidden+j]
				}
				add(ch + p.visibleTerm(u))
			}
			maxes[blk], sums[blk] = m, s
		}
	})
	m := math.Inf(-1)
	for _, x := range maxes {
		m = math.Max(m, x)
	}
	s := 0.0
	for k := range maxes {
		s += sums[k] * math.Exp(maxes[k]-m)
	}
	logZ := m + math.Log(s)
	if p.Sigma != nil {
		for _, sd := range p.Sigma {
			logZ += math.Log(math.Sqrt(2*math.Pi) * sd)
		}
	}
	return logZ, nil
}

// visibleTerm is log Σ_v exp(b·v + vᵀu) over the visible states for a
// hidden state with W h = u, without the Gaussian's constant.
func (p *Params) visibleTerm(u []float64) float64 {
	t := 0.0
	if p.Sigma == nil {
		for i, ui := range u {
			t += graphx.Softplus64(p.B[i] + ui)
		}
		return t
	}
	for i, ui := range u {
		t += (2*p.B[i]*ui + ui*ui) / (2 * p.Sigma[i] * p.Sigma[i])
	}
	return t
}

// MeanLogLikelihood returns the mean of log p(v) = −F(v) − log Z over the rows
// of data (flat [n, Visible]), in nats, for the given log Z.
func (p *Params) MeanLogLikelihood(data []float64, logZ float64) (float64, error) {
	f, err := p.FreeEnergies(data)
	if err != nil {
		return 0, err
	}
	if len(f) == 0 {
		return 0, fmt.Errorf("rbm: no data to evaluate the log-likelihood on")
	}
	s := 0.0
	for _, x := range f {
		s += x
	}
	return -s/float64(len(f)) - logZ, nil
}

// parallel runs f on [0, n) split into contiguous ranges, one per CPU.
func parallel(n int, f func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() { f(lo, hi) })
	}
	wg.Wait()
}
