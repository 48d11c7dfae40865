package fit

import (
	"errors"
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/metric"

	"github.com/klcourse/klcourse/pkg/datasets"
)

// Classifier is a model with its weights and its training configuration.
type Classifier struct {
	Backend compute.Backend
	Store   *model.Store
	Model   ModelFn
	Config  Config

	trainer *train.Trainer
	predict *model.Exec
}

// New returns a classifier whose weights are not created yet: they are
// initialised, from Config.Seed, when it first sees data.
func New(backend compute.Backend, modelFn ModelFn, cfg Config) (*Classifier, error) {
	if backend == nil || modelFn == nil {
		return nil, errors.New("fit.New: backend and model function are required")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, cfg.Seed)
	if err := store.SetRNGStateFromSeed(cfg.Seed); err != nil {
		return nil, err
	}
	c := &Classifier{Backend: backend, Store: store, Model: modelFn, Config: cfg}
	// Every metric is a per-batch value that Fit and Evaluate average in Go,
	// weighted by batch size. GoMLX's accumulating mean metrics would do it
	// in the graph, but with ONNX Runtime (GoMLX v0.28.8, compute-onnx
	// v0.1.5) Trainer.Eval's means keep only the last batch.
	batchLoss := func(_ *model.Scope, labels, predictions []*graph.Node) *graph.Node {
		l := cfg.Loss(labels, predictions)
		if !l.IsScalar() {
			l = graph.ReduceAllMean(l)
		}
		return l
	}
	trainMetrics := []metric.Interface{
		metric.NewBaseMetric("accuracy", "acc", metric.AccuracyMetricType, metric.SparseCategoricalAccuracyGraph, nil),
	}
	evalMetrics := []metric.Interface{
		metric.NewBaseMetric("val_loss", "val_loss", metric.LossMetricType, batchLoss, nil),
		metric.NewBaseMetric("val_accuracy", "val_acc", metric.AccuracyMetricType, metric.SparseCategoricalAccuracyGraph, nil),
	}
	for _, m := range cfg.Metrics {
		trainMetrics = append(trainMetrics, metric.NewBaseMetric(m.Name, m.Name, "", m.Fn, nil))
		evalMetrics = append(evalMetrics, metric.NewBaseMetric("val_"+m.Name, "val_"+m.Name, "", m.Fn, nil))
	}
	c.trainer = train.NewTrainer(backend, store, func(scope *model.Scope, images *graph.Node) *graph.Node {
		return modelFn(scope, images)
	}, cfg.Loss, cfg.optimizer(), trainMetrics, evalMetrics)
	return c, nil
}

// Fit trains on images for Config.Epochs epochs, holding out the last
// Config.ValidationSplit of them for validation, and returns the History. On
// an error (a NaN loss, a failing step) it returns the History of the
// epochs completed so far with the error.
func (c *Classifier) Fit(images *datasets.Images) (*History, error) {
	names := []string{"loss", "accuracy"}
	for _, m := range c.Config.Metrics {
		names = append(names, m.Name)
	}
	return fitEpochs(epochRun{
		trainer: c.trainer, config: c.Config, batches: c.Config.batchOptions(true), eval: c.evaluate,
		// TrainStep's metrics: the loss, its moving average (not used), the
		// accuracy and the extra metrics.
		values: func(metrics []*tensors.Tensor) []float64 {
			return append([]float64{scalar(metrics[0])}, scalars(metrics[2:])...)
		},
		names: names, accuracy: true,
		status: func(v []float64, prefix string) string {
			return fmt.Sprintf("%sloss %.4f  %saccuracy %.4f", prefix, v[0], prefix, v[1])
		},
	}, images)
}

// Result is the evaluation of a classifier on a data set.
type Result struct {
	Loss, Accuracy float64
	// Metrics holds the extra metrics, by name.
	Metrics map[string]float64
}

// Evaluate returns the loss, the accuracy and the extra metrics of the
// classifier on images, with dropout off.
func (c *Classifier) Evaluate(images *datasets.Images) (Result, error) {
	values, err := c.evaluate(images)
	if err != nil {
		return Result{}, err
	}
	r := Result{Loss: values[0], Accuracy: values[1], Metrics: map[string]float64{}}
	for i, m := range c.Config.Metrics {
		r.Metrics[m.Name] = values[2+i]
	}
	return r, nil
}

// evaluate returns the means over images of the loss, the accuracy and the
// extra metrics.
func (c *Classifier) evaluate(images *datasets.Images) ([]float64, error) {
	return evaluateMeans(c.trainer, images, c.Config.batchOptions(false))
}

// evaluateMeans runs trainer's evaluation step over images in batches and
// returns each metric's mean weighted by batch size (GoMLX's own means keep
// only the last batch on ONNX Runtime).
func evaluateMeans(trainer *train.Trainer, images *datasets.Images, opts datasets.BatchOptions) ([]float64, error) {
	batches, err := datasets.NewBatches(images, opts)
	if err != nil {
		return nil, err
	}
	var mean weightedMeans
	for batch, err := range batches.Iter() {
		if err != nil {
			return nil, err
		}
		size := batch.Inputs[0].Shape().Dimensions[0]
		metrics, err := trainer.EvalStep(batch)
		if err != nil {
			return nil, err
		}
		mean.add(scalars(metrics[1:]), size) // metrics[0] is GoMLX's mean loss.
	}
	if mean.weight == 0 {
		return nil, fmt.Errorf("fit: %s has no images to evaluate", images.Name)
	}
	return mean.values(), nil
}

// Predict returns the model's outputs (probabilities or logits, as the model
// gives them) for every image, with dropout off, and the predicted classes.
func (c *Classifier) Predict(images *datasets.Images) (scores [][]float32, classes []int, err error) {
	if c.predict == nil {
		c.predict, err = model.NewExec(c.Backend, c.Store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return graph.ConvertDType(c.Model(scope, x), dtypes.Float32)
		})
		if err != nil {
			return nil, nil, err
		}
	}
	opts := c.Config.batchOptions(false)
	opts.Labels = datasets.NoLabels
	batches, err := datasets.NewBatches(images, opts)
	if err != nil {
		return nil, nil, err
	}
	for batch, err := range batches.Iter() {
		if err != nil {
			return nil, nil, err
		}
		out, err := c.predict.Call(batch.Inputs[0])
		if err != nil {
			return nil, nil, err
		}
		rows := out[0].Value().([][]float32)
		for _, row := range rows {
			best := 0
			for k, v := range row {
				if v > row[best] {
					best = k
				}
			}
			classes = append(classes, best)
		}
		scores = append(scores, rows...)
	}
	return scores, classes, nil
}

// weightedMeans averages per-batch values weighted by batch size.
type weightedMeans struct {
	sums   []float64
	weight float64
}

func (m *weightedMeans) add(values []float64, size int) {
	if m.sums == nil {
		m.sums = make([]float64, len(values))
	}
	for i, v := range values {
		m.sums[i] += v * float64(size)
	}
	m.weight += float64(size)
}

func (m *weightedMeans) value(i int) float64 { return m.sums[i] / m.weight }

func (m *weightedMeans) values() []float64 {
	out := make([]float64, len(m.sums))
	for i := range out {
		out[i] = m.value(i)
	}
	return out
}

func scalars(ts []*tensors.Tensor) []float64 {
	out := make([]float64, len(ts))
	for i, t := range ts {
		out[i] = scalar(t)
	}
	return out
}

// scalar reads a scalar metric as float64.
func scalar(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	panic(fmt.Sprintf("fit: metric of shape %s is not a float scalar", t.Shape()))
}
