package flow

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/testbackends"
	"github.com/klcourse/klcourse/pkg/phi4"
)

func TestHistorySaveLoad(t *testing.T) {
	dir := t.TempDir()
	h := &History{Loss: []float64{-1, -2}, ESS: []float64{0.1, 0.2}, Acceptance: []float64{0.3, 0.4},
		BatchESS: []float64{0.5, 0.6}, StepLoss: []float64{-1, -1, -2, -2}, StepESS: []float64{0.5, 0.5, 0.6, 0.6},
		Seconds: 1.5, StepsPerSecond: 2.5}
	path := filepath.Join(dir, "h.json")
	if err := h.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, h) {
		t.Errorf("loaded %+v, saved %+v", got, h)
	}
	for name, content := range map[string]string{"garbage.json": "not json", "short.json": `{"Loss":[1,2],"ESS":[1]}`} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadHistory(p); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("LoadHistory(%s): error %v, want one naming the file", name, err)
		}
	}
	if _, err := LoadHistory(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("LoadHistory of a missing file: no error")
	}
}

// FinalLearningRate anneals Adam's rate along a cosine: the history records
// the rate at the end of each era, set before that era's last step k (from
// 0) of n to final + (lr − final)(1 + cos(πk/n))/2; without it the rate
// stays put, and a final rate above the initial one is an error.
func TestTrainCosineLearningRate(t *testing.T) {
	b := testbackends.Go(t)
	th := phi4.Theory{L: 4, M2: -4, Lambda: 8}
	const lr, final, eras, steps = 1e-3, 1e-5, 3, 4
	for _, fin := range []float64{final, 0} {
		f := small(t, b)
		h, err := Train(f, th, TrainConfig{Eras: eras, StepsPerEra: steps, Batch: 8, LearningRate: lr, FinalLearningRate: fin, EvalBatch: 16, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for e, got := range h.LearningRate {
			want := lr
			if fin > 0 {
				k := float64((e+1)*steps - 1)
				want = fin + (lr-fin)*(1+math.Cos(math.Pi*k/(eras*steps)))/2
			}
			if math.Abs(got-want) > 1e-12 {
				t.Errorf("final rate %g: era %d ends at rate %.6g, want %.6g", fin, e+1, got, want)
			}
		}
	}
	if _, err := Train(small(t, b), th, TrainConfig{Eras: 1, StepsPerEra: 1, Batch: 8, LearningRate: lr, FinalLearningRate: 2 * lr}); err == nil {
		t.Error("a final rate above the initial one: no error")
	}
}

// A second Train on the same flow starts from its own LearningRate, not
// from the rate where an earlier annealed run ended (GoMLX's optimizer
// reuses the store's rate variable and ignores the configured rate).
func TestTrainAgainStartsAtItsOwnRate(t *testing.T) {
	b := testbackends.Go(t)
	th := phi4.Theory{L: 4, M2: -4, Lambda: 8}
	f := small(t, b)
	if _, err := Train(f, th, TrainConfig{Eras: 1, StepsPerEra: 3, Batch: 8, LearningRate: 1e-3, FinalLearningRate: 1e-5, EvalBatch: 16, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	h, err := Train(f, th, TrainConfig{Eras: 2, StepsPerEra: 2, Batch: 8, LearningRate: 2e-3, EvalBatch: 16, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for e, got := range h.LearningRate {
		if math.Abs(got-2e-3) > 1e-15 {
			t.Errorf("second run, era %d: rate %g, want its constant 2e-3", e+1, got)
		}
	}
}
