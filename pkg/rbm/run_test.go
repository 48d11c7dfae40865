package rbm

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/klcourse/klcourse/internal/rng"
	"github.com/klcourse/klcourse/internal/testbackends"
)

// Run trains through pkg/fit's step loop with AIS after each epoch, the same
// updates as Trainer.Epoch; it saves the run, and LoadRun reads it back (the
// same parameters, float32 as trained, and history).
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
	p2, h2, err := LoadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The history as saved: JSON (a Likelihood's ±3σ bounds are not saved).
	j1, _ := json.Marshal(h)
	j2, _ := json.Marshal(h2)
	if !reflect.DeepEqual(p2, p) || string(j1) != string(j2) {
		t.Errorf("LoadRun: parameters equal %v, history %+v, want %+v", reflect.DeepEqual(p2, p), h2, h)
	}
	if _, _, err := LoadRun(t.TempDir()); err == nil {
		t.Error("LoadRun of an empty folder: no error")
	}
}

// The Trainer's epochs are pkg/datasets' batches of Config.Batches: the
// same updates, step by step, as Trainer.Step on those batches' rows, epoch
// after epoch in a new order; other data start again at their first epoch.
func TestEpochTrainsOnDatasetsBatches(t *testing.T) {
	const V, H, N = 9, 4, 100 // 100 rows: 6 batches of 16, 4 rows left out
	src := rng.New(7, 8)
	data := make([]float32, N*V)
	for i := range data {
		data[i] = float32(src.Float64())
	}
	b := testbackends.Go(t)
	for _, cfg := range []Config{
		{Method: CD, K: 1, LearningRate: 0.1, BatchSize: 16, Binarize: true, Seed: 3},
		{Method: PCD, K: 2, LearningRate: 0.05, BatchSize: 16, Binarize: true, Seed: 4},
	} {
		byEpoch, err := NewTrainer(b, Init(V, H, 1), cfg)
		if err != nil {
			t.Fatal(err)
		}
		byStep, err := NewTrainer(b, Init(V, H, 1), cfg)
		if err != nil {
			t.Fatal(err)
		}
		batches, err := cfg.Batches(data, V)
		if err != nil {
			t.Fatal(err)
		}
		if batches.Len() != N/16 {
			t.Fatalf("%s: %d batches per epoch, want %d", cfg.Name(), batches.Len(), N/16)
		}
		var orders [][]float32
		for e := range 2 {
			s, err := byEpoch.Epoch(data)
			if err != nil {
				t.Fatal(err)
			}
			var want EpochStats
			var order []float32
			for batch, err := range batches.Iter() {
				if err != nil {
					t.Fatal(err)
				}
				rows := tensors.MustCopyFlatData[float32](batch.Inputs[0])
				order = append(order, rows...)
				loss, recon, err := byStep.Step(rows)
				if err != nil {
					t.Fatal(err)
				}
				want.Loss += loss / float64(batches.Len())
				want.ReconError += recon / float64(batches.Len())
			}
			orders = append(orders, order)
			if math.Abs(s.Loss-want.Loss) > 1e-12 || math.Abs(s.ReconError-want.ReconError) > 1e-12 {
				t.Errorf("%s epoch %d: Epoch's statistics %+v, the batches' steps %+v", cfg.Name(), e+1, s, want)
			}
		}
		if reflect.DeepEqual(orders[0], orders[1]) {
			t.Errorf("%s: two epochs visited the rows in the same order", cfg.Name())
		}
		p1, _ := byEpoch.Params()
		p2, _ := byStep.Params()
		if !reflect.DeepEqual(p1, p2) {
			t.Errorf("%s: two Epochs and the batches' steps trained different parameters", cfg.Name())
		}
		// A copy of the data is other data: its first epoch again, the
		// first order of the batches.
		other := append([]float32(nil), data...)
		fresh, _ := NewTrainer(b, Init(V, H, 1), cfg)
		if _, err := fresh.Epoch(data); err != nil {
			t.Fatal(err)
		}
		if _, err := fresh.Epoch(data); err != nil {
			t.Fatal(err)
		}
		again, _ := NewTrainer(b, Init(V, H, 1), cfg)
		if _, err := again.Epoch(data); err != nil {
			t.Fatal(err)
		}
		if _, err := again.Epoch(other); err != nil {
			t.Fatal(err)
		}
		pf, _ := fresh.Params()
		pa, _ := again.Params()
		if reflect.DeepEqual(pf, pa) {
			t.Errorf("%s: a second epoch on a copy of the data took the data's second order, not its first", cfg.Name())
		}
	}
	if _, err := (Config{BatchSize: 16}).Batches(make([]float32, 10*V), V); err == nil {
		t.Error("Batches of 10 rows in batches of 16: no error")
	}
}
