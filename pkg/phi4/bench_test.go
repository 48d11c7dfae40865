package phi4

import (
	"testing"
	"time"

	"github.com/klcourse/klcourse/internal/benchstep"
)

// BenchmarkHMC times HMC trajectories of the lecture's reference chain:
// L = 8, m² = −4, λ = 8, 10 leapfrog steps of ε = 0.1 and the Metropolis
// test, one chain. The PyTorch reference is python/bench/models/hmc.py.
// HMC is plain Go and builds no GoMLX graph; benchstep.Backend is called
// only to print the "backend: ..." line that "klcourse bench" requires of
// every row (and shows once for all rows).
func BenchmarkHMC(b *testing.B) {
	benchstep.Backend(b)
	b.Run("sample", func(b *testing.B) {
		benchstep.Measure(b, 1, "trajectories", func() (benchstep.Step, error) {
			h, err := NewHMC(Theory{L: 8, M2: -4, Lambda: 8}, 0.1, 10, 1)
			if err != nil {
				return nil, err
			}
			return func() (time.Duration, error) {
				return benchstep.Time(func() error { h.Trajectory(); return nil })
			}, nil
		})
	})
}
