package gan

import (
	"fmt"
	"testing"
	"time"

	"github.com/klcourse/klcourse/internal/benchstep"
	"github.com/klcourse/klcourse/pkg/toy2d"
)

// BenchmarkGANPost and BenchmarkGANMLP time one training step of both
// players (the critic's Adam step, then the generator's) of the GAN with the
// non-saturating generator loss, for "klcourse bench"
// (python/bench/models/gan.py is the same in PyTorch): the blog post's
// networks (PostConfig, batch 64) and the mode-collapse experiment's
// (MixtureConfig, batch 128). The batch and the noise are drawn outside the
// timed region; the step ends by reading both losses.
//
//	go test -run '^$' -bench 'GAN' -benchtime 200x ./pkg/gan
func BenchmarkGANPost(b *testing.B) {
	ring := toy2d.Ring8()
	data, _ := ring.Sample(10000, 1)
	benchGAN(b, PostConfig(GAN, NonSaturating, toy2d.Rescale(data, -1, 1), 1))
}

func BenchmarkGANMLP(b *testing.B) {
	ring := toy2d.Ring8()
	data, _ := ring.Sample(10000, 1)
	benchGAN(b, MixtureConfig(GAN, NonSaturating, 1, data, 1))
}

func benchGAN(b *testing.B, cfg Config) {
	be := benchstep.Backend(b)
	b.Run("train", func(b *testing.B) {
		benchstep.Measure(b, cfg.Batch, "samples", func() (benchstep.Step, error) {
			tr, err := New(be, cfg)
			if err != nil {
				return nil, err
			}
			return func() (time.Duration, error) {
				tr.drawBatch()
				return benchstep.Time(func() error {
					d, g, err := tr.run()
					if err == nil && d == 0 && g == 0 {
						err = fmt.Errorf("both losses are 0")
					}
					return err
				})
			}, nil
		})
	})
}
