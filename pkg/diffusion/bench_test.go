package diffusion

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/klcourse/klcourse/internal/benchstep"
)

// BenchmarkDiffusion measures the lecture's denoiser (SmallDenoiser, DDPM
// schedule): "train" is one Adam step of the ε-prediction loss on a batch of
// 256 points (unit: samples), "sample" draws 1000 points by ancestral
// sampling over 50 respaced steps (unit: samples). The PyTorch reference is
// python/bench/models/diffusion.py.
func BenchmarkDiffusion(b *testing.B) {
	be := benchstep.Backend(b)
	const batch = 256
	m := newModel(be, DDPM(), SmallDenoiser())
	m.Center, m.Scale = [2]float64{}, 1
	steps, err := m.newSteps(nil, 1e-3, 1)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.Run("train", func(b *testing.B) {
		benchstep.Measure(b, batch, "samples", func() (benchstep.Step, error) {
			return func() (time.Duration, error) {
				x0 := make([]float32, 2*batch)
				ts := make([]int32, batch)
				eps := make([]float32, 2*batch)
				for i := range batch {
					x0[2*i], x0[2*i+1] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
					ts[i] = int32(1 + rng.IntN(1000))
					eps[2*i], eps[2*i+1] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
				}
				in := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x0, batch, 2), tensors.FromValue(ts), tensors.FromFlatDataAndDimensions(eps, batch, 2)}
				args := []any{in[0], in[1], in[2]}
				return benchstep.Time(func() error { _, _, err := steps.Step(args...); return err })
			}, nil
		})
	})
	b.Run("sample", func(b *testing.B) {
		const n = 1000
		benchstep.Measure(b, n, "samples", func() (benchstep.Step, error) {
			seed := uint64(0)
			return func() (time.Duration, error) {
				seed++
				return benchstep.Time(func() error { _, err := m.Sample(n, seed, SampleOptions{Steps: 50}); return err })
			}, nil
		})
	})
}
