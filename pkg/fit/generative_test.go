package fit

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
)

// autoencoder is a linear autoencoder of the flattened stripes with a
// squared-error loss; its terms are the loss and the mean code size.
func autoencoder(scope *model.Scope, x *graph.Node) []*graph.Node {
	code := layers.Dense(scope.In("encode"), x, true, 4)
	out := layers.Dense(scope.In("decode"), code, true, x.Shape().Dimensions[1])
	loss := graph.ReduceAllMean(graph.ReduceSum(graph.Square(graph.Sub(out, x)), -1))
	return []*graph.Node{loss, graph.ReduceAllMean(graph.Abs(code))}
}

func TestGenerative(t *testing.T) {
	cfg := Config{Epochs: 4, BatchSize: 30, ValidationSplit: 0.25, Seed: 3, Flatten: true}
	g, err := NewGenerative(goBackend(t), autoencoder, []string{"loss", "code"}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := g.Fit(stripes(240, 1))
	if err != nil {
		t.Fatal(err)
	}
	if h.Epochs() != 4 || len(h.ValLoss) != 4 || len(h.Metrics["code"]) != 4 || len(h.Metrics["val_code"]) != 4 || len(h.Accuracy) != 0 {
		t.Fatalf("history: %+v", h)
	}
	if !(h.Loss[3] < h.Loss[0]) {
		t.Errorf("the loss did not fall: %v", h.Loss)
	}
	r, err := g.Evaluate(stripes(60, 2))
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(r.Loss) || r.Metrics["code"] <= 0 {
		t.Errorf("Evaluate: %+v", r)
	}
	dir := t.TempDir() + "/run"
	if err := g.Save(dir, h); err != nil {
		t.Fatal(err)
	}
	loaded, lh, err := LoadGenerative(goBackend(t), autoencoder, []string{"loss", "code"}, cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := loaded.Evaluate(stripes(60, 2))
	if err != nil || math.Abs(r2.Loss-r.Loss) > 1e-6 || len(lh.Loss) != 4 {
		t.Errorf("loaded: %+v, %v (want loss %g)", r2, err, r.Loss)
	}
	for _, tc := range []struct {
		terms []string
		edit  func(*Config)
		want  string
	}{
		{nil, func(*Config) {}, "no term names"},
		{[]string{"loss"}, func(c *Config) { c.Loss = config().Loss }, "must be empty"},
		{[]string{"loss"}, func(c *Config) { c.Seed = 0 }, "Config.Seed is 0"},
	} {
		c := cfg
		tc.edit(&c)
		if _, err := NewGenerative(goBackend(t), autoencoder, tc.terms, c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewGenerative: err = %v, want one containing %q", err, tc.want)
		}
	}
}
