package rbm

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/internal/testbackends"
)

// Run trains through pkg/fit's step loop with AIS after each epoch, the same
// updates as Trainer.Epoch; it saves the run, and a second call loads it
// (the same parameters, float32 as trained, and history) without training.
func TestRunSavesAndLoads(t *testing.T) {
	const V, H, N = 9, 4, 96
	src := rng.New(5, 6)
	data := make([]float32, N*V)
	for i := range data {
		if src.Float64() < 0.3 {
			data[i] = 1
		}
	}
	b := testbackends.Go(t)
	cfg := Config{Method: CD, K: 1, LearningRate: 0.1, BatchSize: 16, Seed: 2}
	eval := AISConfig{Betas: Schedule(5, 10, 10), Chains: 8}
	dir := filepath.Join(t.TempDir(), "run")
	var out bytes.Buffer
	p, h, err := Run(b, dir, Init(V, H, 1), cfg, data, data[:32*V], 2, eval, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Epochs) != 2 || strings.Count(out.String(), "CD-1 epoch") != 2 {
		t.Fatalf("history %+v, output %q", h, out.String())
	}
	// The same two epochs by hand.
	tr, err := NewTrainer(b, Init(V, H, 1), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for e := range 2 {
		s, err := tr.Epoch(data)
		if err != nil {
			t.Fatal(err)
		}
		if s != h.Epochs[e].EpochStats {
			t.Errorf("epoch %d: Run's statistics %+v, Trainer.Epoch's %+v", e+1, h.Epochs[e].EpochStats, s)
		}
	}
	byHand, err := tr.Params()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(byHand, p) {
		t.Error("Run's parameters differ from two Trainer.Epoch calls'")
	}
	out.Reset()
	p2, h2, err := Run(b, dir, Init(V, H, 1), cfg, data, data[:32*V], 2, eval, &out)
	if err != nil {
		t.Fatal(err)
	}
	// The history as saved: JSON (a Likelihood's ±3σ bounds are not saved).
	j1, _ := json.Marshal(h)
	j2, _ := json.Marshal(h2)
	if !strings.Contains(out.String(), "loaded the trained RBM") || !reflect.DeepEqual(p2, p) || string(j1) != string(j2) {
		t.Errorf("second Run: output %q; parameters equal %v, history %+v, want %+v", out.String(), reflect.DeepEqual(p2, p), h2, h)
	}
	if _, _, err := LoadRun(t.TempDir()); err == nil {
		t.Error("LoadRun of an empty folder: no error")
	}
}
