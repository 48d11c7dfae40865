package rbm

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/klcourse/klcourse/internal/benchstep"
)

// The benchmarks of "klcourse bench" (rows "rbm", "rbm-pcd" and "rbm-ais"),
// with their PyTorch references in python/bench/models/rbm.py,
// rbm_pcd.py and rbm_ais.py:
//
//	go test -run '^$' -bench 'RBM$|RBMPCD|AIS' -benchtime 20x ./pkg/rbm
//
// BenchmarkRBM times one CD-1 update of the lecture's 784×500 RBM as the
// lecture trains it (Trainer.Step: batch 64, SGD 0.1, the batch binarised by
// sampling, one Gibbs step h ~ p(h|v), v₁ ~ p(v|h) from the data, the loss
// mean F(v) − mean F(v₁), and the one-step reconstruction error the lecture
// tracks) in images/s. BenchmarkRBMPCD times one PCD-1 update of the same
// RBM (batch 64, 64 fantasy chains, SGD 0.1, the batch binarised by
// sampling, and the one-step reconstruction error) in images/s.
// BenchmarkAIS times one call of the AIS stepper as rbm.AIS makes it: 100
// chains advanced through 25 inverse temperatures, in chain-temps/s (chains ×
// temperatures per second); the paper's 14 500 temperatures take 580 calls.

func BenchmarkRBM(b *testing.B) {
	benchTrainer(b, Config{Method: CD, K: 1, LearningRate: 0.1, BatchSize: 64, Binarize: true, Seed: 1})
}

func BenchmarkRBMPCD(b *testing.B) {
	benchTrainer(b, Config{Method: PCD, K: 1, LearningRate: 0.1, BatchSize: 64, Binarize: true, Seed: 1})
}

// benchTrainer times Trainer.Step with cfg on the lecture's 784×500 RBM, on
// batches of random grey levels, new each step.
func benchTrainer(b *testing.B, cfg Config) {
	be := benchstep.Backend(b)
	b.Run("train", func(b *testing.B) {
		benchstep.Measure(b, cfg.BatchSize, "images", func() (benchstep.Step, error) {
			tr, err := NewTrainer(be, Init(784, 500, 1), cfg)
			if err != nil {
				return nil, err
			}
			rng := rand.New(rand.NewPCG(1, 2))
			batch := make([]float32, cfg.BatchSize*784)
			return func() (time.Duration, error) {
				for i := range batch {
					batch[i] = rng.Float32()
				}
				return benchstep.Time(func() error { _, _, err := tr.Step(batch); return err })
			}, nil
		})
	})
}

func BenchmarkAIS(b *testing.B) {
	be := benchstep.Backend(b)
	const chains, per = 100, 25
	b.Run("eval", func(b *testing.B) {
		benchstep.Measure(b, chains*per, "chain-temps", func() (benchstep.Step, error) {
			p := randomParams(rand.New(rand.NewPCG(3, 4)), 784, 500, 0.01, nil)
			run, err := newAISRun(be, p, make([]float64, 784), chains, per, 1)
			if err != nil {
				return nil, err
			}
			betas := Schedule(500, 4000, 10000)
			start := 0
			chunk := make([]float64, per+1)
			return func() (time.Duration, error) {
				copy(chunk, betas[start:start+per+1])
				start = (start + per) % (len(betas) - per - 1)
				return benchstep.Time(func() error {
					if err := run.advance(chunk); err != nil {
						return err
					}
					_, err := tensors.CopyFlatData[float64](run.logw) // wait for the result
					return err
				})
			}, nil
		})
	})
}
