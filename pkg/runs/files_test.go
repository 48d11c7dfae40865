package runs

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesAndMetricsKeepNonFinite: a diverging training's losses and final
// metrics (NaN, ±Inf) are stored and read back exactly, with JSON files
// beside them; the card verifies.
func TestFilesAndMetricsKeepNonFinite(t *testing.T) {
	isolate(t)
	root := fakeModule(t)
	losses := []float64{2.5, 1.0 / 3, math.Inf(1), math.NaN(), math.Inf(-1), -0.0, 5e-324}
	r, err := ensure(spec(1), root, "test", func(dir string) (map[string]float64, error) {
		if err := WriteFloats(dir, "losses.txt", losses); err != nil {
			return nil, err
		}
		return map[string]float64{"loss": math.NaN(), "best": math.Inf(-1), "ess": 0.125},
			WriteJSON(dir, "samples/points.json", [][2]float64{{0.5, -1}})
	})
	if err != nil {
		t.Fatal(err)
	}
	again, err := ensure(spec(1), root, "test", nil)
	if err != nil || !again.Found {
		t.Fatalf("the run with non-finite metrics is not found: %v (%s)", err, r.Provenance())
	}
	m := again.Card.Metrics
	if !math.IsNaN(m["loss"]) || !math.IsInf(m["best"], -1) || m["ess"] != 0.125 {
		t.Errorf("metrics read back %v", m)
	}
	got, err := again.ReadFloats("losses.txt")
	if err != nil || len(got) != len(losses) {
		t.Fatalf("losses %v, %v", got, err)
	}
	for i := range losses {
		if math.Float64bits(got[i]) != math.Float64bits(losses[i]) && !(math.IsNaN(got[i]) && math.IsNaN(losses[i])) {
			t.Errorf("loss %d: %v, want %v", i, got[i], losses[i])
		}
	}
	var pts [][2]float64
	if err := again.ReadJSON("samples/points.json", &pts); err != nil || len(pts) != 1 || pts[0] != [2]float64{0.5, -1} {
		t.Errorf("points %v, %v", pts, err)
	}
	var m2 Metrics
	if err := m2.UnmarshalJSON([]byte(`{"loss":"fast"}`)); err == nil || !strings.Contains(err.Error(), "loss") {
		t.Errorf("a metric that is not a number: %v", err)
	}
	if _, err := again.ReadFloats("samples/points.json"); err == nil || !strings.Contains(err.Error(), "points.json") {
		t.Errorf("ReadFloats of JSON: %v", err)
	}
}

// TestOwnOnly: an exercise's run (Spec.OwnOnly) is found in the student's
// own store but never in a shared one, even with the same answer; Pack
// leaves it out of a bundle unless its key is named; the flag is part of
// the key, so a card whose flag was flipped does not verify.
func TestOwnOnly(t *testing.T) {
	isolate(t)
	root := fakeModule(t)
	exercise := spec(1)
	exercise.OwnOnly, exercise.Source = true, []string{"func klLoss() {}"}
	lecture := spec(1)
	lecture.Source = exercise.Source
	write1 := func(dir string) (map[string]float64, error) {
		return nil, WriteJSON(dir, "w.json", []int{1})
	}
	ex, err := ensure(exercise, root, "test", write1)
	if err != nil {
		t.Fatal(err)
	}
	lec, err := ensure(lecture, root, "test", write1)
	if err != nil || ex.Card.Key == lec.Card.Key {
		t.Fatalf("the exercise's run and the lecture's share key %s: %v", ex.Card.Key, err)
	}
	if again, _ := ensure(exercise, root, "test", nil); !again.Found || again.Shared {
		t.Errorf("the exercise's run is not found in the own store: %+v", again)
	}
	own, _ := OwnStore()
	var all, named bytes.Buffer
	if n, err := Pack(&all, own, nil); err != nil || n != 1 {
		t.Errorf("Pack of everything packed %d runs (want the lecture's only): %v", n, err)
	}
	if n, err := Pack(&named, own, []string{ex.Card.Key[:12]}); err != nil || n != 1 {
		t.Errorf("Pack of the exercise's key packed %d runs: %v", n, err)
	}
	shared := t.TempDir()
	if _, err := Unpack(bytes.NewReader(named.Bytes()), "named.tgz", shared); err != nil {
		t.Fatal(err)
	}
	// Another student, with the exercise's run in a shared store.
	isolate(t)
	t.Setenv(StoresEnv, shared)
	r, err := open(exercise, root)
	if err != nil || r.Found {
		t.Errorf("a shared store served an exercise's run: %+v, %v", r, err)
	}
	r.Discard()
	// Flip the flag in the shared card: the key no longer matches.
	card := filepath.Join(shared, ex.Card.Key, CardFile)
	b, _ := os.ReadFile(card)
	os.WriteFile(card, bytes.Replace(b, []byte(`"own_only": true,`), nil, 1), 0o644)
	if _, err := Verify(filepath.Dir(card)); err == nil || !strings.Contains(err.Error(), "key") {
		t.Errorf("a card with its own_only flag removed verified: %v", err)
	}
}
