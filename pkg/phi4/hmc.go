package phi4

import (
	"fmt"
	"io"
	"math"

	"github.com/klcourse/klcourse/internal/progress"
	"github.com/klcourse/klcourse/internal/rng"
)

// HMC is Hybrid (Hamiltonian) Monte Carlo for the φ⁴ theory, the reference
// sampler of the course. Each trajectory draws momenta π_x ~ N(0, 1),
// integrates Hamilton's equations for H = ½Σπ² + S[φ] with Steps leapfrog
// steps of size StepSize,
//
//	π ← π − ε/2 ∂S/∂φ;  (φ ← φ + ε π;  π ← π − ε ∂S/∂φ) × (n−1);  φ ← φ + ε π;  π ← π − ε/2 ∂S/∂φ,
//
// and accepts the end point with probability min(1, e^{−ΔH}). The leapfrog is
// reversible and volume preserving, so the Metropolis step makes the chain
// exact: its stationary distribution is e^{−S}/Z whatever ε, and ε only
// trades acceptance against distance travelled.
type HMC struct {
	Theory   Theory
	StepSize float64
	Steps    int

	src                    *rng.Source
	phi, s, pi, grad, save []float64
	action                 float64
	accepted, trajectories int
}

// NewHMC starts a chain at φ = 0 (a cold start) with its random numbers drawn
// from seed.
func NewHMC(t Theory, stepSize float64, steps int, seed uint64) (*HMC, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if !(stepSize > 0) || steps < 1 {
		return nil, fmt.Errorf("phi4: HMC step size %g and %d steps: want a positive step size and at least 1 step", stepSize, steps)
	}
	v := t.Volume()
	h := &HMC{Theory: t, StepSize: stepSize, Steps: steps, src: rng.New(seed, 0x48c0),
		phi: make([]float64, v), pi: make([]float64, v), grad: make([]float64, v), save: make([]float64, v)}
	h.action = t.Action(h.phi)
	return h, nil
}

// Field returns a copy of the current configuration.
func (h *HMC) Field() []float64 { return append([]float64(nil), h.phi...) }

// SetField sets the current configuration (a hot start, or a chain resumed).
func (h *HMC) SetField(phi []float64) error {
	if len(phi) != len(h.phi) {
		return fmt.Errorf("phi4: SetField: %d sites, want %d", len(phi), len(h.phi))
	}
	copy(h.phi, phi)
	h.action = h.Theory.Action(h.phi)
	return nil
}

// Action is S of the current configuration.
func (h *HMC) Action() float64 { return h.action }

// Acceptance is the fraction of trajectories accepted so far.
func (h *HMC) Acceptance() float64 {
	if h.trajectories == 0 {
		return 0
	}
	return float64(h.accepted) / float64(h.trajectories)
}

// ResetAcceptance forgets the acceptance count (after thermalisation).
func (h *HMC) ResetAcceptance() { h.accepted, h.trajectories = 0, 0 }

// Trajectory runs one trajectory and its Metropolis test; it reports whether
// the end point was accepted.
func (h *HMC) Trajectory() bool {
	t, eps := h.Theory, h.StepSize
	copy(h.save, h.phi)
	kin := 0.0
	for i := range h.pi {
		p := h.src.Normal()
		h.pi[i] = p
		kin += p * p
	}
	h0 := 0.5*kin + h.action
	t.Gradient(h.phi, h.grad)
	for i := range h.pi {
		h.pi[i] -= 0.5 * eps * h.grad[i]
	}
	var s float64
	for step := 1; step <= h.Steps; step++ {
		for i := range h.phi {
			h.phi[i] += eps * h.pi[i]
		}
		s = t.Gradient(h.phi, h.grad)
		f := eps
		if step == h.Steps {
			f = 0.5 * eps
		}
		for i := range h.pi {
			h.pi[i] -= f * h.grad[i]
		}
	}
	kin = 0
	for _, p := range h.pi {
		kin += p * p
	}
	dH := 0.5*kin + s - h0
	h.trajectories++
	if dH <= 0 || h.src.Float64() < math.Exp(-dH) {
		h.accepted++
		h.action = s
		return true
	}
	copy(h.phi, h.save)
	return false
}

// Chain is a sequence of configurations and their actions.
type Chain struct {
	Theory  Theory
	Configs [][]float64
	Actions []float64
	// Acceptance is the fraction of accepted proposals (after thermalisation).
	Acceptance float64
	// Thermalisation holds the action after each thermalisation trajectory,
	// for plotting.
	Thermalisation []float64
}

// Run thermalises with therm trajectories (their actions go to
// Chain.Thermalisation), then records n configurations, one every `every`
// trajectories. A progress bar goes to w when w is not nil.
func (h *HMC) Run(therm, n, every int, w io.Writer) (*Chain, error) {
	if therm < 0 || n < 1 || every < 1 {
		return nil, fmt.Errorf("phi4: HMC.Run(%d, %d, %d): want therm ≥ 0, n ≥ 1, every ≥ 1", therm, n, every)
	}
	c := &Chain{Theory: h.Theory}
	bar := progress.New(w, "HMC", int64(therm+n*every))
	done := 0
	for range therm {
		h.Trajectory()
		c.Thermalisation = append(c.Thermalisation, h.action)
		done++
		if done%100 == 0 {
			bar.Update(int64(done), "thermalising")
		}
	}
	h.ResetAcceptance()
	for range n {
		for range every {
			h.Trajectory()
			done++
		}
		c.Configs = append(c.Configs, h.Field())
		c.Actions = append(c.Actions, h.action)
		if done%100 == 0 {
			bar.Update(int64(done), fmt.Sprintf("acceptance %.3f", h.Acceptance()))
		}
	}
	c.Acceptance = h.Acceptance()
	bar.Finish(int64(done), fmt.Sprintf("acceptance %.3f", c.Acceptance))
	return c, nil
}

// NewSource returns the course's seeded random stream (PCG with portable
// normal and uniform variates), for the samplers of this package and of
// pkg/flow: the same seed gives the same numbers on every machine.
func NewSource(seed uint64) *rng.Source { return rng.New(seed, 0x5eed) }
