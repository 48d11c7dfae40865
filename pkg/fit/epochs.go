package fit

import (
	"fmt"
	"math"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"

	"github.com/klcourse/klcourse/internal/progress"
	"github.com/klcourse/klcourse/pkg/datasets"
)

// epochRun is what the epoch loop needs of a model, a Classifier or a
// Generative one: its GoMLX trainer, how to read a training step's metrics
// and how to evaluate a set.
type epochRun struct {
	trainer *train.Trainer
	config  Config
	batches datasets.BatchOptions
	// values picks from a training step's metrics the loss and the values
	// recorded beside it, in the order of names.
	values func(metrics []*tensors.Tensor) []float64
	// names names the values: the loss's first; with accuracy, the second
	// is the accuracy (History.Accuracy), the others go to History.Metrics.
	names    []string
	accuracy bool
	// eval returns the means of the same values over a set, dropout off.
	eval func(*datasets.Images) ([]float64, error)
	// status formats values for the progress bar, each name after prefix.
	status func(values []float64, prefix string) string
}

// fitEpochs is the one epoch loop: Config.Epochs epochs over images in
// shuffled batches, the last Config.ValidationSplit held out and evaluated
// after each epoch, the History recorded, a progress bar per epoch. A NaN or
// infinite loss stops training with an error that names the epoch and the
// step; on an error it returns the History of the epochs completed so far.
func fitEpochs(r epochRun, images *datasets.Images) (*History, error) {
	cfg := r.config
	valSet, batches, h, steps, err := startFit(images, &cfg, r.batches)
	if err != nil {
		return nil, err
	}
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		start := time.Now()
		bar := progress.New(cfg.Progress, fmt.Sprintf("epoch %d/%d", epoch, cfg.Epochs), int64(steps))
		fail := func(err error) (*History, error) {
			bar.Finish(0, "failed")
			return h, err
		}
		var mean weightedMeans
		step := 0
		for batch, err := range batches.Iter() {
			if err != nil {
				return fail(err)
			}
			step++
			size := batch.Inputs[0].Shape().Dimensions[0]
			metrics, err := r.trainer.TrainStep(batch)
			if err != nil {
				return fail(fmt.Errorf("fit: epoch %d, step %d: %w", epoch, step, err))
			}
			values := r.values(metrics)
			if loss := values[0]; math.IsNaN(loss) || math.IsInf(loss, 0) {
				return fail(fmt.Errorf("fit: epoch %d, step %d: the loss is %v; training stopped (look for log 0, exp overflow or a learning rate too large)", epoch, step, loss))
			}
			mean.add(values, size)
			bar.Update(int64(step), r.status(mean.values(), ""))
		}
		if mean.weight == 0 {
			return fail(fmt.Errorf("fit: epoch %d: the training set yielded no batches", epoch))
		}
		means := mean.values()
		r.record(h, means, "")
		status := r.status(means, "")
		if valSet != nil {
			val, err := r.eval(valSet)
			if err != nil {
				return fail(fmt.Errorf("fit: epoch %d: validation: %w", epoch, err))
			}
			r.record(h, val, "val_")
			status += "  " + r.status(val, "val_")
		}
		h.Seconds = append(h.Seconds, time.Since(start).Seconds())
		bar.Finish(int64(steps), fmt.Sprintf("%s  (%.1f s)", status, h.Seconds[epoch-1]))
	}
	return h, nil
}

// record appends an epoch's values to h: the training set's (prefix "") or
// the validation set's ("val_").
func (r epochRun) record(h *History, values []float64, prefix string) {
	rest := 1
	if prefix == "" {
		h.Loss = append(h.Loss, values[0])
		if r.accuracy {
			h.Accuracy = append(h.Accuracy, values[1])
		}
	} else {
		h.ValLoss = append(h.ValLoss, values[0])
		if r.accuracy {
			h.ValAccuracy = append(h.ValAccuracy, values[1])
		}
	}
	if r.accuracy {
		rest = 2
	}
	for i := rest; i < len(r.names); i++ {
		h.Metrics[prefix+r.names[i]] = append(h.Metrics[prefix+r.names[i]], values[i])
	}
}

// startFit splits images into the training set and, with a validation split,
// the validation set (the last fraction, as Keras does), and returns the
// latter, the shuffled batches of the former, an empty History and the
// number of steps per epoch.
func startFit(images *datasets.Images, cfg *Config, opts datasets.BatchOptions) (valSet *datasets.Images, batches *datasets.Batches, h *History, steps int, err error) {
	fitSet := images
	if cfg.ValidationSplit > 0 {
		if fitSet, valSet, err = images.Split(cfg.ValidationSplit); err != nil {
			return nil, nil, nil, 0, err
		}
	}
	if batches, err = datasets.NewBatches(fitSet, opts); err != nil {
		return nil, nil, nil, 0, err
	}
	h = &History{TrainImages: fitSet.Len(), Metrics: map[string][]float64{}}
	if valSet != nil {
		h.ValImages = valSet.Len()
	}
	return valSet, batches, h, (fitSet.Len() + cfg.BatchSize - 1) / cfg.BatchSize, nil
}
