package fit

import (
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/internal/testbackends"
	"github.com/klcourse/klcourse/pkg/datasets"
	"github.com/klcourse/klcourse/pkg/klloss"
)

func goBackend(t *testing.T) compute.Backend { return testbackends.Go(t) }

// stripes is a data set of 6×6 gray images of three classes — horizontal
// stripes, vertical stripes, a bright centre — with noise, which a small
// network learns in a few epochs.
func stripes(n int, seed uint64) *datasets.Images {
	r := rng.New(seed, 0)
	s := &datasets.Images{Name: "stripes/train", Height: 6, Width: 6, Channels: 1, Classes: []string{"horizontal", "vertical", "centre"}}
	for i := range n {
		label := i % 3
		for y := range 6 {
			for x := range 6 {
				v := 0.0
				switch label {
				case 0:
					v = float64(y % 2)
				case 1:
					v = float64(x % 2)
				case 2:
					if x >= 2 && x < 4 && y >= 2 && y < 4 {
						v = 1
					}
				}
				v = math.Min(1, math.Max(0, 0.8*v+0.3*r.Float64()))
				s.Pixels = append(s.Pixels, uint8(255*v))
			}
		}
		s.Labels = append(s.Labels, uint8(label))
	}
	return s
}

// mlp is a small classifier with dropout, returning logits.
func mlp(scope *model.Scope, images *graph.Node) *graph.Node {
	x := graph.Reshape(images, images.Shape().Dimensions[0], -1)
	x = activation.Relu(layers.Dense(scope.In("hidden"), x, true, 16))
	x = layers.Dropout(scope, x, graph.Scalar(x.Graph(), x.DType(), 0.2))
	return layers.Dense(scope.In("out"), x, true, 3)
}

func config() Config {
	return Config{
		Loss:   klloss.MakeLoss(klloss.ForwardKLFromLogits, klloss.Sparse),
		Epochs: 6, BatchSize: 30, ValidationSplit: 0.25, Seed: 7,
	}
}

func TestFitLearnsAndIsReproducible(t *testing.T) {
	for _, b := range testbackends.List(t) {
		t.Run(b.Name, func(t *testing.T) { testFit(t, b.Backend) })
	}
}

// testFit trains on backend and checks the history, reproducibility,
// evaluation against prediction on a set of several batches (the last one
// partial), and saving and loading.
func testFit(t *testing.T, backend compute.Backend) {
	data := stripes(600, 1)
	c, err := New(backend, mlp, config())
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.Fit(data)
	if err != nil {
		t.Fatal(err)
	}
	if h.Epochs() != 6 || len(h.ValLoss) != 6 || h.TrainImages != 450 || h.ValImages != 150 {
		t.Fatalf("history: %d epochs, %d val losses, %d/%d images", h.Epochs(), len(h.ValLoss), h.TrainImages, h.ValImages)
	}
	if h.Loss[5] >= h.Loss[0] || h.ValAccuracy[5] < 0.9 {
		t.Errorf("did not learn: loss %v, val_accuracy %v", h.Loss, h.ValAccuracy)
	}
	// The same seed gives the same run.
	c2, _ := New(backend, mlp, config())
	h2, err := c2.Fit(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h.Loss, h2.Loss) || !reflect.DeepEqual(h.ValAccuracy, h2.ValAccuracy) {
		t.Errorf("two runs with seed 7 differ:\n%v\n%v", h.Loss, h2.Loss)
	}
	test := stripes(100, 2) // 3 full batches and a partial one.
	r, err := c.Evaluate(test)
	if err != nil {
		t.Fatal(err)
	}
	logits, classes, err := c.Predict(test)
	if err != nil {
		t.Fatal(err)
	}
	// Evaluate's means over all batches agree with the same means computed
	// from Predict's outputs: for one-hot targets the KL from logits is the
	// cross-entropy −log softmax(z)_y.
	correct, crossEntropy := 0, 0.0
	for i, k := range classes {
		y := int(test.Labels[i])
		if k == y {
			correct++
		}
		z := logits[i]
		top := slices.Max(z)
		sum := 0.0
		for _, v := range z {
			sum += math.Exp(float64(v - top))
		}
		crossEntropy += math.Log(sum) - float64(z[y]-top)
	}
	if got := float64(correct) / float64(test.Len()); math.Abs(got-r.Accuracy) > 1e-6 {
		t.Errorf("Predict's accuracy %.4f differs from Evaluate's %.4f", got, r.Accuracy)
	}
	if got := crossEntropy / float64(test.Len()); math.Abs(got-r.Loss) > 1e-4*math.Max(1, got) {
		t.Errorf("the mean loss from Predict's outputs %.6f differs from Evaluate's %.6f", got, r.Loss)
	}

	// Saved and loaded, the classifier predicts the same and keeps its history.
	dir := filepath.Join(t.TempDir(), "run")
	if err := c.Save(dir, h); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(dir, h); err != nil { // Replacing a save works too.
		t.Fatal(err)
	}
	loaded, lh, err := Load(backend, mlp, config(), dir)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := loaded.Evaluate(test)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Accuracy != r.Accuracy || math.Abs(r2.Loss-r.Loss) > 1e-6 || !reflect.DeepEqual(lh.Loss, h.Loss) {
		t.Errorf("loaded classifier: %+v, want %+v; history %v", r2, r, lh.Loss)
	}
	// The card says what the checkpoint holds: a classifier's does not load
	// as a generative model, and a folder without a card is no checkpoint.
	if _, err := LoadCheckpoint(dir, model.NewStore(), KindGenerative, nil, nil); err == nil || !strings.Contains(err.Error(), `holds a "classifier" model`) {
		t.Errorf("a classifier's checkpoint loaded as a generative model's: %v", err)
	}
	if _, _, err := Load(backend, mlp, config(), t.TempDir()); err == nil || !strings.Contains(err.Error(), CardFile) {
		t.Errorf("Load of an empty folder: %v", err)
	}
}

func TestFitStopsOnNaN(t *testing.T) {
	cfg := config()
	// log of a negative number: NaN from the first step.
	cfg.Loss = func(labels, predictions []*graph.Node) *graph.Node {
		return graph.ReduceAllMean(graph.Log(graph.Neg(graph.Abs(predictions[0]))))
	}
	c, err := New(goBackend(t), mlp, cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Fit(stripes(60, 1))
	if err == nil || !strings.Contains(err.Error(), "epoch 1, step 1: the loss is NaN") {
		t.Errorf("NaN loss: err = %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Loss = nil }, "Config.Loss is nil"},
		{func(c *Config) { c.Epochs = 0 }, "Config.Epochs is 0"},
		{func(c *Config) { c.BatchSize = -1 }, "Config.BatchSize is -1"},
		{func(c *Config) { c.ValidationSplit = 1 }, "Config.ValidationSplit is 1"},
		{func(c *Config) { c.Seed = 0 }, "Config.Seed is 0"},
		{func(c *Config) { c.Metrics = []Metric{{Name: "loss", Fn: nil}} }, `extra metric "loss"`},
	} {
		cfg := config()
		tc.edit(&cfg)
		if _, err := New(goBackend(t), mlp, cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New: err = %v, want one containing %q", err, tc.want)
		}
	}
}

func TestPlotAndConfusion(t *testing.T) {
	h1 := &History{Name: "forward KL", Loss: []float64{1, 0.5}, ValLoss: []float64{1.1, 0.7}, Accuracy: []float64{0.4, 0.8}, ValAccuracy: []float64{0.35, 0.7}, Seconds: []float64{1, 1}}
	h2 := &History{Name: "reverse KL", Loss: []float64{2, 1}, Accuracy: []float64{0.3, 0.6}, Seconds: []float64{1, 1}}
	f, err := PlotHistories(h1, h2)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := f.SVG()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"forward KL train", "forward KL validation", "reverse KL train", "Accuracy", "epoch"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("history plot lacks %q", want)
		}
	}
	if strings.Contains(string(svg), "reverse KL validation") {
		t.Error("a run without validation has a validation curve")
	}
	counts, err := Confusion([]uint8{0, 0, 1, 2, 2}, []int{0, 1, 1, 2, 0}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(counts, [][]int{{1, 1, 0}, {0, 1, 0}, {1, 0, 1}}) {
		t.Errorf("Confusion = %v", counts)
	}
	if _, err := Confusion([]uint8{5}, []int{0}, 3); err == nil {
		t.Error("label out of range: no error")
	}
}
