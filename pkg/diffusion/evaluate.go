package diffusion

import (
	"fmt"
	"math"

	"github.com/klcourse/klcourse/internal/safefile"
	"github.com/klcourse/klcourse/pkg/mixture"
	"github.com/klcourse/klcourse/pkg/toy2d"
)

// Evaluation measures a trained model against data whose density is known.
type Evaluation struct {
	// ELBO holds the terms of −ELBO on the held-out points.
	ELBO *ELBO `json:"elbo"`
	// Entropy is the differential entropy H(p_data) in nats, by Monte Carlo
	// (toy2d.EntropyMC), with its standard error.
	Entropy, EntropyErr float64
	// KLBound = −ELBO − H(p_data) ≥ KL(p_data ‖ p_θ), in nats, and its
	// standard error (both Monte Carlo errors combined).
	KLBound, KLBoundErr float64
	// Samples are drawn by ancestral sampling over all T steps, in
	// SampleSeconds.
	Samples       [][2]float64
	SampleSeconds float64
	// Coverage of the samples against the data's components.
	Coverage toy2d.CoverageResult
	// Energy is the energy distance between the samples and the held-out
	// points; EnergyFloor the same between two independent samples of the
	// data of the same sizes, the value a perfect model would get.
	Energy, EnergyFloor float64
}

// EvalOptions sizes an evaluation.
type EvalOptions struct {
	Samples        int    // points sampled from the model
	EntropySamples int    // points for the entropy estimate
	Seed           uint64 // for the ELBO's noise, the samples and the entropy
	Variance       Variance
}

// Evaluate computes the ELBO on test, the KL bound against the density
// target, and the mode coverage and energy distance of opts.Samples samples.
func (m *Model) Evaluate(target mixture.Bivariate, test [][2]float64, opts EvalOptions) (*Evaluation, error) {
	if opts.Samples < 2 || opts.EntropySamples < 2 {
		return nil, fmt.Errorf("diffusion.Evaluate: %d samples, %d for the entropy; want at least 2 of each", opts.Samples, opts.EntropySamples)
	}
	e := &Evaluation{}
	var err error
	if e.ELBO, err = m.ELBO(test, opts.Seed, opts.Variance); err != nil {
		return nil, err
	}
	e.Entropy, e.EntropyErr = toy2d.EntropyMC(target, opts.EntropySamples, opts.Seed+1)
	e.KLBound = e.ELBO.NegELBO - e.Entropy
	e.KLBoundErr = math.Hypot(e.ELBO.StdErr, e.EntropyErr)
	s, err := m.Sample(opts.Samples, opts.Seed+2, SampleOptions{Variance: opts.Variance})
	if err != nil {
		return nil, err
	}
	e.Samples, e.SampleSeconds = s.Points, s.Seconds
	e.Coverage = toy2d.Coverage(target, e.Samples)
	e.Energy = toy2d.EnergyDistance(e.Samples, test)
	other, _ := target.Sample(opts.Samples, opts.Seed+3)
	e.EnergyFloor = toy2d.EnergyDistance(other, test)
	return e, nil
}

// Save writes the evaluation as JSON to path.
func (e *Evaluation) Save(path string) error {
	c := *e
	if math.IsNaN(c.Coverage.KL) { // No high-quality points; JSON has no NaN. Load restores it.
		c.Coverage.KL = 0
	}
	return safefile.WriteJSON(path, &c)
}

// LoadEvaluation reads an evaluation written by Save.
func LoadEvaluation(path string) (*Evaluation, error) {
	var e Evaluation
	if err := safefile.ReadJSON(path, &e); err != nil {
		return nil, fmt.Errorf("not a diffusion evaluation: %w", err)
	}
	if e.ELBO == nil {
		return nil, fmt.Errorf("%s: not a diffusion evaluation: no ELBO", path)
	}
	if e.Coverage.HighQuality == 0 {
		e.Coverage.KL = math.NaN()
	}
	return &e, nil
}
