package vae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/klcourse/klcourse/internal/benchstep"
	"github.com/klcourse/klcourse/pkg/datasets"
	"github.com/klcourse/klcourse/pkg/fit"
)

// vaeBatch is the lecture's batch size.
const vaeBatch = 128

// BenchmarkVAE measures, in images per second, one training step of the
// lecture's VAE (SeedVAE, KL coefficient 1) as the lecture trains it: the
// graph Terms(v, false) — one reparameterised sample per image, the batch
// means of BernoulliNLL + KL — trained by fit.Generative with its default
// Adam (learning rate 10⁻³, ε 10⁻⁷), on a batch of 128 MNIST-sized images
// (784 grey levels k/255, uniform random, new each step); and one
// evaluation of the same terms on such a batch (Generative.Evaluate).
// Each timed call is Generative.Fit for one epoch of one batch, so it
// includes the batching from uint8 pixels that the lecture's epochs do.
// "klcourse bench" compares it with python/bench/models/vae.py.
//
//	go test -run '^$' -bench 'VAE$' -benchtime 20x ./pkg/vae
func BenchmarkVAE(b *testing.B) {
	be := benchstep.Backend(b)
	var g *fit.Generative // shared by both modes, so that the graphs are built once
	for _, mode := range []string{"train", "eval"} {
		b.Run(mode, func(b *testing.B) {
			benchstep.Measure(b, vaeBatch, "images", func() (benchstep.Step, error) {
				if g == nil {
					var err error
					g, err = fit.NewGenerative(be, Terms(SeedVAE(), false), TermNames, fit.Config{Epochs: 1, BatchSize: vaeBatch, Seed: 4, Flatten: true})
					if err != nil {
						return nil, err
					}
				}
				rng := rand.New(rand.NewPCG(1, 2))
				return func() (time.Duration, error) {
					images := &datasets.Images{Name: "random", Height: 28, Width: 28, Channels: 1,
						Pixels: make([]uint8, vaeBatch*784), Labels: make([]uint8, vaeBatch)}
					for i := range images.Pixels {
						images.Pixels[i] = uint8(rng.IntN(256))
					}
					return benchstep.Time(func() error {
						var loss float64
						if mode == "train" {
							h, err := g.Fit(images)
							if err != nil {
								return err
							}
							loss = h.Loss[0]
						} else {
							r, err := g.Evaluate(images)
							if err != nil {
								return err
							}
							loss = r.Loss
						}
						if math.IsNaN(loss) || math.IsInf(loss, 0) {
							return fmt.Errorf("VAE %s step: the loss is %v", mode, loss)
						}
						return nil
					})
				}, nil
			})
		})
	}
}

// Items of one IWAE step: iwaeImages images with iwaeK samples each, the
// lecture's k and chunk size.
const (
	iwaeImages = 10
	iwaeK      = 1000
)

// BenchmarkIWAE measures the IWAE estimator of the lecture (the report's
// VAE, k = 1000 samples per image, 10 test images per call) in importance
// samples per second: each sample is one decoding and one log-weight.
// "klcourse bench" compares it with python/bench/models/iwae.py.
//
//	go test -run '^$' -bench IWAE -benchtime 10x ./pkg/vae
func BenchmarkIWAE(b *testing.B) {
	be := benchstep.Backend(b)
	b.Run("eval", func(b *testing.B) {
		benchstep.Measure(b, iwaeImages*iwaeK, "samples", func() (benchstep.Step, error) {
			v := SeedVAE()
			store := model.NewStore()
			store.SetParam(model.ParamInitialSeed, int64(1))
			exec, err := model.NewExec(be, store, func(scope *model.Scope, x *Node) []*Node {
				elbo, iwae := BoundsGraph(scope, v, x, iwaeK)
				return []*Node{ReduceAllMean(elbo), ReduceAllMean(iwae)}
			})
			if err != nil {
				return nil, err
			}
			rng := rand.New(rand.NewPCG(1, 2))
			return func() (time.Duration, error) {
				x := make([]float32, iwaeImages*v.Inputs)
				for i := range x {
					if rng.Float32() < 0.2 {
						x[i] = 1
					}
				}
				in := tensors.FromFlatDataAndDimensions(x, iwaeImages, v.Inputs)
				return benchstep.Time(func() error {
					out, err := exec.Call(in)
					if err != nil {
						return err
					}
					if w := tensors.ToScalar[float32](out[1]); math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) {
						return fmt.Errorf("IWAE bound is %v", w)
					}
					return nil
				})
			}, nil
		})
	})
}
