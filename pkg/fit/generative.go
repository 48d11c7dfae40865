package fit

import (
	"errors"
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/klcourse/klcourse/pkg/datasets"
)

// TermsFn is the graph of a model trained without labels, such as a
// variational autoencoder: a batch of images in, the terms of its loss out,
// each a scalar averaged over the batch. The first term is the loss that
// training minimises; the others (its parts, say a reconstruction and a KL
// term) are recorded beside it.
type TermsFn func(scope *model.Scope, images *graph.Node) []*graph.Node

// Generative is a model trained without labels on the terms of its loss,
// with the same epochs, batches, seed, validation split and progress bar as
// a Classifier. Its History has no accuracy: Loss and ValLoss are the first
// term, History.Metrics the others under their names (and "val_"+name).
type Generative struct {
	Backend compute.Backend
	Store   *model.Store
	Model   TermsFn
	// Terms names the terms Model returns, the first being the loss.
	Terms   []string
	Config  Config
	trainer *train.Trainer
}

// NewGenerative returns a model whose weights are not created yet: they are
// initialised from Config.Seed when it first sees data, or loaded by
// LoadWeights. Config.Loss must be nil (the loss is Model's first term), and
// Config.Metrics empty (the terms are the metrics).
func NewGenerative(backend compute.Backend, fn TermsFn, terms []string, cfg Config) (*Generative, error) {
	if backend == nil || fn == nil {
		return nil, errors.New("fit.NewGenerative: backend and model function are required")
	}
	if len(terms) == 0 {
		return nil, errors.New("fit.NewGenerative: no term names: want at least the loss's")
	}
	if cfg.Loss != nil || len(cfg.Metrics) > 0 {
		return nil, errors.New("fit.NewGenerative: Config.Loss and Config.Metrics must be empty: the model function returns the loss and its terms")
	}
	cfg.Loss = func(_, _ []*graph.Node) *graph.Node { return nil } // Only for validate.
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.Loss = nil
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, cfg.Seed)
	if err := store.SetRNGStateFromSeed(cfg.Seed); err != nil {
		return nil, err
	}
	g := &Generative{Backend: backend, Store: store, Model: fn, Terms: terms, Config: cfg}
	var trainMetrics, evalMetrics []metric.Interface
	for i, name := range terms {
		pick := func(_ *model.Scope, _, predictions []*graph.Node) *graph.Node { return predictions[i] }
		trainMetrics = append(trainMetrics, metric.NewBaseMetric(name, name, "", pick, nil))
		evalMetrics = append(evalMetrics, metric.NewBaseMetric("val_"+name, "val_"+name, "", pick, nil))
	}
	modelFn := func(scope *model.Scope, _ any, inputs []*graph.Node) []*graph.Node {
		out := fn(scope, inputs[0])
		if len(out) != len(terms) {
			panic(fmt.Errorf("fit.Generative: the model returned %d terms, want %d (%v)", len(out), len(terms), terms))
		}
		for i, t := range out {
			if !t.IsScalar() {
				panic(fmt.Errorf("fit.Generative: term %q has shape %s, want a scalar", terms[i], t.Shape()))
			}
		}
		train.AddMainLoss(out[0])
		return out
	}
	g.trainer = train.NewTrainer(backend, store, modelFn, nil, cfg.optimizer(), trainMetrics, evalMetrics)
	return g, nil
}

func (g *Generative) batchOptions(shuffle bool) datasets.BatchOptions {
	o := g.Config.batchOptions(shuffle)
	o.Labels = datasets.NoLabels
	o.Flatten = g.Config.Flatten
	return o
}

// Fit trains on images for Config.Epochs epochs, holding out the last
// Config.ValidationSplit of them for validation, and returns the History. On
// an error it returns the History of the epochs completed so far with it.
func (g *Generative) Fit(images *datasets.Images) (*History, error) {
	return fitEpochs(epochRun{
		trainer: g.trainer, config: g.Config, batches: g.batchOptions(true), eval: g.evaluate,
		// TrainStep's metrics: the loss, its moving average, the terms.
		values: func(metrics []*tensors.Tensor) []float64 { return scalars(metrics[2:]) },
		names:  g.Terms,
		status: g.status,
	}, images)
}

func (g *Generative) status(values []float64, prefix string) string {
	s := ""
	for i, name := range g.Terms {
		if i > 0 {
			s += "  "
		}
		s += fmt.Sprintf("%s%s %.4f", prefix, name, values[i])
	}
	return s
}

// Evaluate returns the means over images of the loss (Result.Loss) and of
// its other terms (Result.Metrics, by name). Result.Accuracy is 0.
func (g *Generative) Evaluate(images *datasets.Images) (Result, error) {
	values, err := g.evaluate(images)
	if err != nil {
		return Result{}, err
	}
	r := Result{Loss: values[0], Metrics: map[string]float64{}}
	for i, name := range g.Terms[1:] {
		r.Metrics[name] = values[i+1]
	}
	return r, nil
}

func (g *Generative) evaluate(images *datasets.Images) ([]float64, error) {
	return evaluateMeans(g.trainer, images, g.batchOptions(false))
}

// Save writes the model's weights and the history (if not nil) to dir
// with SaveCheckpoint.
func (g *Generative) Save(dir string, h *History) error {
	return SaveCheckpoint(dir, g.Store, Card{Kind: KindGenerative, History: historyOrNil(h)})
}

// LoadWeights replaces the model's weights (and the state of its random
// number generator) with those saved in dir by Save: the way several runs
// start from one shared initialisation, as Keras's save_weights and
// load_weights do. The optimizer's state is not part of a saved set of
// weights when the model was saved before training.
func (g *Generative) LoadWeights(dir string) error {
	_, err := LoadCheckpoint(dir, g.Store, KindGenerative, nil, nil)
	return err
}

// Initialise creates the model's weights from Config.Seed by evaluating it
// on the first image of images, without training.
func (g *Generative) Initialise(images *datasets.Images) error {
	_, err := g.evaluate(images.Head(1))
	return err
}

// LoadGenerative returns a model with the weights saved in dir by Save, and
// the history saved with them (nil if none was).
func LoadGenerative(backend compute.Backend, fn TermsFn, terms []string, cfg Config, dir string) (*Generative, *History, error) {
	g, err := NewGenerative(backend, fn, terms, cfg)
	if err != nil {
		return nil, nil, err
	}
	h, err := loadWithHistory(dir, g.Store, KindGenerative)
	if err != nil {
		return nil, nil, err
	}
	return g, h, nil
}
