package flow

import (
	"testing"
	"time"

	"github.com/klcourse/klcourse/internal/benchstep"
	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/pkg/phi4"
)

// BenchmarkFlow times one reverse-KL training step of the tutorial's flow
// (16 coupling layers, hidden [8, 8], 3×3 kernels) on the 8×8 lattice at
// m² = −4, λ = 8, batch 64: sampling, log q, the action, the gradient and
// Adam's update. The PyTorch reference is python/bench/models/flow.py.
func BenchmarkFlow(b *testing.B) {
	be := benchstep.Backend(b)
	b.Run("train", func(b *testing.B) {
		benchstep.Measure(b, 64, "samples", func() (benchstep.Step, error) {
			f, err := New(be, Tutorial(8, 1))
			if err != nil {
				return nil, err
			}
			tr, err := NewTrainer(f, phi4.Theory{L: 8, M2: -4, Lambda: 8}, 1e-3)
			if err != nil {
				return nil, err
			}
			src := rng.New(1, 2)
			return func() (time.Duration, error) {
				z := f.Noise(src, 64)
				return benchstep.Time(func() error { _, _, err := tr.min.Step(z); return err })
			}, nil
		})
	})
}
