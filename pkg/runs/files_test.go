package runs

import (
	"math"
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
