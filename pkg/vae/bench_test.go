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
	"github.com/klcourse/klcourse/pkg/models"
)

// Items of one IWAE step: iwaeImages images with iwaeK samples each, the
// lecture's k and chunk size.
const (
	iwaeImages = 10
	iwaeK      = 1000
)

// BenchmarkIWAE measures the IWAE estimator of the lecture (the report's
// VAE, k = 1000 samples per image, 10 test images per call) in importance
// samples per second: each sample is one decoding and one log-weight.
// "klcourse bench" compares it with cmd/klcourse/bench_torch/iwae.py.
//
//	go test -run '^$' -bench IWAE -benchtime 10x ./pkg/vae
func BenchmarkIWAE(b *testing.B) {
	be := benchstep.Backend(b)
	b.Run("eval", func(b *testing.B) {
		benchstep.Measure(b, iwaeImages*iwaeK, "samples", func() (benchstep.Step, error) {
			v := models.SeedVAE()
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
