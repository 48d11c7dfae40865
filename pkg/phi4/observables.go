package phi4

import (
	"fmt"
	"math"

	"github.com/klcourse/klcourse/internal/rng"
)

// Magnetisation is M = (1/V) Σ_x φ_x of one configuration.
func Magnetisation(phi []float64) float64 {
	s := 0.0
	for _, p := range phi {
		s += p
	}
	return s / float64(len(phi))
}

// Magnetisations returns M of every configuration.
func Magnetisations(configs [][]float64) []float64 {
	out := make([]float64, len(configs))
	for i, c := range configs {
		out[i] = Magnetisation(c)
	}
	return out
}

// Correlator returns g(x) = (1/V) Σ_y φ_y φ_{y+x} of one L×L configuration,
// for every separation x = (x₀, x₁), row-major. Its average over an
// ensemble, minus ⟨M⟩², is the connected two-point function G(x); Σ_x g(x) =
// V·M².
func Correlator(L int, phi []float64) []float64 {
	g := make([]float64, L*L)
	for a := 0; a < L; a++ {
		for b := 0; b < L; b++ {
			s := 0.0
			for i := 0; i < L; i++ {
				ii := ((i + a) % L) * L
				for j := 0; j < L; j++ {
					s += phi[i*L+j] * phi[ii+(j+b)%L]
				}
			}
			g[a*L+b] = s / float64(L*L)
		}
	}
	return g
}

// Estimate is a mean with its statistical error.
type Estimate struct {
	Mean, Err float64
	// TauInt is the integrated autocorrelation time in units of the series'
	// spacing (0.5 for independent samples) when the estimate accounts for it.
	TauInt float64
}

func (e Estimate) String() string { return fmt.Sprintf("%.4f ± %.4f", e.Mean, e.Err) }

// Mean returns the mean of xs.
func Mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// Autocorrelation returns the normalised autocorrelation function
// Γ(t)/Γ(0) of the series for lags t = 0, …, maxLag.
func Autocorrelation(xs []float64, maxLag int) []float64 {
	n := len(xs)
	if maxLag >= n {
		maxLag = n - 1
	}
	m := Mean(xs)
	out := make([]float64, maxLag+1)
	var c0 float64
	for t := 0; t <= maxLag; t++ {
		s := 0.0
		for i := 0; i+t < n; i++ {
			s += (xs[i] - m) * (xs[i+t] - m)
		}
		s /= float64(n - t)
		if t == 0 {
			c0 = s
		}
		if c0 == 0 {
			out[t] = 0
			continue
		}
		out[t] = s / c0
	}
	return out
}

// TauInt returns the integrated autocorrelation time
// τ_int = ½ + Σ_{t=1}^{W} Γ(t)/Γ(0), with Sokal's automatic window: the
// smallest W with W ≥ c·τ_int(W), c = 5. It is 0.5 for independent samples,
// and the variance of the mean is 2τ_int·Var/N.
func TauInt(xs []float64) (tau float64, window int) {
	n := len(xs)
	m := Mean(xs)
	gamma := func(t int) float64 {
		s := 0.0
		for i := 0; i+t < n; i++ {
			s += (xs[i] - m) * (xs[i+t] - m)
		}
		return s / float64(n-t)
	}
	c0 := gamma(0)
	tau = 0.5
	if c0 == 0 {
		return tau, 0
	}
	for w := 1; w <= n/2; w++ {
		tau += gamma(w) / c0
		if float64(w) >= 5*tau {
			return tau, w
		}
	}
	return tau, n / 2
}

// MeanTau returns the mean with the error σ·sqrt(2τ_int/N) from the
// integrated autocorrelation time. It needs at least 4 samples.
func MeanTau(xs []float64) (Estimate, error) {
	if len(xs) < 4 {
		return Estimate{}, fmt.Errorf("phi4: MeanTau: %d samples, want at least 4", len(xs))
	}
	m := Mean(xs)
	v := 0.0
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	v /= float64(len(xs) - 1)
	tau, _ := TauInt(xs)
	if tau < 0.5 {
		tau = 0.5 // anticorrelated noise: do not claim more than independent samples
	}
	return Estimate{Mean: m, Err: math.Sqrt(2 * tau * v / float64(len(xs))), TauInt: tau}, nil
}

// Bins averages consecutive blocks of size binSize (a remainder is dropped).
func Bins(xs []float64, binSize int) []float64 {
	nb := len(xs) / binSize
	out := make([]float64, nb)
	for b := range out {
		out[b] = Mean(xs[b*binSize : (b+1)*binSize])
	}
	return out
}

// MeanBinned returns the mean with the naive error of the means of bins of
// binSize consecutive samples: with bins much longer than τ_int, they are
// nearly independent. The error grows with binSize until it plateaus; the
// plateau is the honest error. It needs at least 2 bins.
func MeanBinned(xs []float64, binSize int) (Estimate, error) {
	if binSize < 1 || len(xs)/binSize < 2 {
		return Estimate{}, fmt.Errorf("phi4: MeanBinned: %d samples in bins of %d: want at least 2 bins", len(xs), binSize)
	}
	bins := Bins(xs, binSize)
	m := Mean(bins)
	v := 0.0
	for _, b := range bins {
		v += (b - m) * (b - m)
	}
	v /= float64(len(bins) - 1)
	return Estimate{Mean: m, Err: math.Sqrt(v / float64(len(bins)))}, nil
}

// Bootstrap estimates f of the means of several series (observables measured
// on the same configurations) and its error: the series are cut into bins of
// binSize (so that bins, not correlated samples, are resampled), nBoot
// resamples of the bins with replacement are drawn from seed, and the error is
// the standard deviation of f over the resamples. Mean is f of the full means.
func Bootstrap(series [][]float64, binSize, nBoot int, seed uint64, f func(means []float64) float64) (Estimate, error) {
	if len(series) == 0 || binSize < 1 || nBoot < 2 {
		return Estimate{}, fmt.Errorf("phi4: Bootstrap: %d series, bin size %d, %d resamples: want ≥ 1, ≥ 1, ≥ 2", len(series), binSize, nBoot)
	}
	n := len(series[0])
	for _, s := range series {
		if len(s) != n {
			return Estimate{}, fmt.Errorf("phi4: Bootstrap: series of lengths %d and %d", n, len(s))
		}
	}
	nb := n / binSize
	if nb < 2 {
		return Estimate{}, fmt.Errorf("phi4: Bootstrap: %d samples in bins of %d: want at least 2 bins", n, binSize)
	}
	bins := make([][]float64, len(series))
	means := make([]float64, len(series))
	for k, s := range series {
		bins[k] = Bins(s, binSize)
		means[k] = Mean(bins[k])
	}
	central := f(means)
	src := rng.New(seed, 0xb007)
	vals := make([]float64, nBoot)
	for r := range vals {
		for k := range means {
			means[k] = 0
		}
		for range nb {
			i := src.IntN(nb)
			for k := range bins {
				means[k] += bins[k][i]
			}
		}
		for k := range means {
			means[k] /= float64(nb)
		}
		vals[r] = f(means)
	}
	m := Mean(vals)
	v := 0.0
	for _, x := range vals {
		v += (x - m) * (x - m)
	}
	return Estimate{Mean: central, Err: math.Sqrt(v / float64(nBoot-1))}, nil
}

// Observables are the estimates of one ensemble.
type Observables struct {
	M, AbsM, M2, Chi2 Estimate
	// G is the connected two-point function G(x) = ⟨g(x)⟩ − ⟨M⟩², row-major
	// over separations, without errors.
	G []float64
}

// Measure estimates ⟨M⟩, ⟨|M|⟩, ⟨M²⟩ (errors from τ_int), the two-point
// susceptibility χ₂ = Σ_x G(x) = V(⟨M²⟩ − ⟨M⟩²) (error by a binned
// bootstrap with bins of binSize) and G(x), from the configurations of a
// Markov chain. Independent samples (binSize 1) are the special case τ_int = ½.
func Measure(t Theory, configs [][]float64, binSize int, seed uint64) (*Observables, error) {
	ms := Magnetisations(configs)
	abs := make([]float64, len(ms))
	sq := make([]float64, len(ms))
	for i, m := range ms {
		abs[i], sq[i] = math.Abs(m), m*m
	}
	o := &Observables{}
	var err error
	if o.M, err = MeanTau(ms); err != nil {
		return nil, err
	}
	if o.AbsM, err = MeanTau(abs); err != nil {
		return nil, err
	}
	if o.M2, err = MeanTau(sq); err != nil {
		return nil, err
	}
	v := float64(t.Volume())
	if o.Chi2, err = Bootstrap([][]float64{ms, sq}, binSize, 200, seed, func(m []float64) float64 { return v * (m[1] - m[0]*m[0]) }); err != nil {
		return nil, err
	}
	o.G = make([]float64, t.Volume())
	for _, c := range configs {
		for k, g := range Correlator(t.L, c) {
			o.G[k] += g
		}
	}
	mm := o.M.Mean
	for k := range o.G {
		o.G[k] = o.G[k]/float64(len(configs)) - mm*mm
	}
	return o, nil
}
