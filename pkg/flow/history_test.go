package flow

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
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
