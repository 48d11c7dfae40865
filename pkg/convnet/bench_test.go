package convnet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/klcourse/klcourse/internal/benchstep"
)

// The benchmarks measure, on the backend pkg/backend chooses (set
// GOMLX_BACKEND to pick another), the training and evaluation throughput of
// the course's models at the seeds' batch sizes, and the time of the first
// step, which compiles the graph. "klcourse bench" runs them and compares
// them with PyTorch (python/bench, which times its models the
// same way):
//
//	go test -run '^$' -bench 'CNN$' -benchtime 20x ./pkg/convnet
//
// BenchmarkCNNLayers measures the CNN built from GoMLX's standard layers
// (CNN.LayersLogits), to show what the fast formulation gains; on the
// pure-Go backend it takes about 15 s a step.
//
// Every step gets a fresh batch of random inputs, built outside the timed
// region, and ends by reading the loss, which waits for the step to finish.
// Each benchmark reports
//
//	images/s      batch size / median step time
//	ms/step       median step time
//	first-step-s  the first step, graph compilation included
//
// -benchtime Nx sets the number of timed steps; internal/benchstep does the
// timing, as for every benchmark "klcourse bench" runs.

// A workload is one network with its optimiser, batch size and input maker.
type workload struct {
	batch      int
	newTrainer func(compute.Backend) *train.Trainer
	inputs     func(rng *rand.Rand) train.Batch
}

var workloads = map[string]workload{
	"cnn": {
		batch: 250,
		newTrainer: func(b compute.Backend) *train.Trainer {
			return train.NewTrainer(b, model.NewStore(), SeedCNN().Logits, loss.SparseCategoricalCrossEntropyLogits,
				optimizer.Adam().LearningRate(1e-3).Done(), nil, nil)
		},
		inputs: cnnInputs,
	},
	// The CNN built from GoMLX's standard layers, to measure what the fast
	// formulation gains (not part of "klcourse bench").
	"cnn-layers": {
		batch: 250,
		newTrainer: func(b compute.Backend) *train.Trainer {
			return train.NewTrainer(b, model.NewStore(), SeedCNN().LayersLogits, loss.SparseCategoricalCrossEntropyLogits,
				optimizer.Adam().LearningRate(1e-3).Done(), nil, nil)
		},
		inputs: cnnInputs,
	},
}

// cnnInputs is a batch of 250 random 32×32 RGB images with random labels.
func cnnInputs(rng *rand.Rand) train.Batch {
	labels := make([]int32, 250)
	for i := range labels {
		labels[i] = int32(rng.IntN(10))
	}
	return train.Batch{
		Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(uniform(rng, 250*32*32*3), 250, 32, 32, 3)},
		Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(labels, 250, 1)},
	}
}

func uniform(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()
	}
	return x
}

// trainers holds one trainer per model, shared by its train and eval
// measurements, so that the graphs are built once.
var trainers = map[string]*train.Trainer{}

func BenchmarkCNN(b *testing.B)       { benchModel(b, "cnn") }
func BenchmarkCNNLayers(b *testing.B) { benchModel(b, "cnn-layers") }

func benchModel(b *testing.B, name string) {
	be := benchstep.Backend(b)
	w := workloads[name]
	for _, mode := range []string{"train", "eval"} {
		b.Run(mode, func(b *testing.B) {
			benchstep.Measure(b, w.batch, "images", func() (benchstep.Step, error) {
				trainer := trainers[name]
				if trainer == nil {
					trainer = w.newTrainer(be)
					trainers[name] = trainer
				}
				rng := rand.New(rand.NewPCG(1, 2))
				return func() (time.Duration, error) {
					batch := w.inputs(rng)
					var metrics []*tensors.Tensor
					elapsed, err := benchstep.Time(func() (err error) {
						if mode == "train" {
							metrics, err = trainer.TrainStep(batch)
						} else {
							metrics, err = trainer.EvalStep(batch)
						}
						if err == nil {
							// Reading the loss waits for the step to finish.
							lossValue := tensors.ToScalar[float32](metrics[0])
							if math.IsNaN(float64(lossValue)) || math.IsInf(float64(lossValue), 0) {
								err = fmt.Errorf("%s %s step: loss is %v", name, mode, lossValue)
							}
						}
						return err
					})
					return elapsed, err
				}, nil
			})
		})
	}
}
