package fit

import (
	"fmt"
	"io"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/klcourse/klcourse/pkg/datasets"
)

// ModelFn is a classifier's graph: a batch of images in, class scores out —
// probabilities or logits shaped [batch, classes], as the loss expects.
// Accuracy takes the arg-max, which is the same for both.
type ModelFn func(scope *model.Scope, images *graph.Node) *graph.Node

// Config configures training. Loss, Epochs and BatchSize are required.
type Config struct {
	// Loss compares labels and predictions. Labels reach it as class
	// indices, int32 shaped [batch, 1]; klloss.MakeLoss(fn, klloss.Sparse)
	// turns them into the one-hot targets of a KL loss.
	Loss train.LossFn
	// Optimizer updates the weights; nil means Adam with learning rate 1e-3
	// and ε = 1e-7, Keras's default.
	Optimizer optimizer.Interface
	// Epochs and BatchSize are as in Keras's fit.
	Epochs, BatchSize int
	// ValidationSplit is the fraction of the training images held out for
	// validation: the last ones, before any shuffling, as in Keras. 0 means
	// no validation.
	ValidationSplit float64
	// Seed fixes the initial weights, the dropout masks and the order in
	// which each epoch visits the training images. It must not be 0 (GoMLX
	// takes 0 as "random").
	Seed int64
	// Flatten passes images as [batch, height·width·channels] instead of
	// [batch, height, width, channels].
	Flatten bool
	// Metrics are extra metrics, computed on the training and the validation
	// set of every epoch and recorded in History.Metrics.
	Metrics []Metric
	// Progress receives the progress bar (os.Stdout in a notebook shows it in
	// the cell); nil shows none.
	Progress io.Writer
}

// Metric is an extra metric: a graph of the labels and predictions of a
// batch that returns a scalar, averaged over the examples of an epoch.
type Metric struct {
	Name string
	Fn   metric.BaseMetricGraph
}

func (c *Config) validate() error {
	switch {
	case c.Loss == nil:
		return fmt.Errorf("fit: Config.Loss is nil: give a loss function")
	case c.Epochs <= 0:
		return fmt.Errorf("fit: Config.Epochs is %d, want at least 1", c.Epochs)
	case c.BatchSize <= 0:
		return fmt.Errorf("fit: Config.BatchSize is %d, want at least 1", c.BatchSize)
	case c.ValidationSplit < 0 || c.ValidationSplit >= 1:
		return fmt.Errorf("fit: Config.ValidationSplit is %g, want a fraction in [0, 1)", c.ValidationSplit)
	case c.Seed == 0:
		return fmt.Errorf("fit: Config.Seed is 0, which GoMLX takes as non-deterministic: give a non-zero seed")
	}
	for _, m := range c.Metrics {
		if m.Name == "" || m.Fn == nil || m.Name == "loss" || m.Name == "accuracy" {
			return fmt.Errorf("fit: extra metric %q: want a name other than loss and accuracy, and a function", m.Name)
		}
	}
	return nil
}

func (c *Config) optimizer() optimizer.Interface {
	if c.Optimizer != nil {
		return c.Optimizer
	}
	return optimizer.Adam().LearningRate(1e-3).Epsilon(1e-7).Done()
}

func (c *Config) batchOptions(shuffle bool) datasets.BatchOptions {
	return datasets.BatchOptions{Size: c.BatchSize, Shuffle: shuffle, Seed: uint64(c.Seed), Flatten: c.Flatten, Labels: datasets.SparseLabels}
}
