package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const goBenchOutput = `backend: onnx, ONNX Runtime 1.30.0 (/x/libonnxruntime.so.1.30.0) on CPU (2 cores)
goos: linux
goarch: amd64
pkg: github.com/klcourse/klcourse/pkg/convnet
BenchmarkCNN/train-2         	      20	 149274781 ns/op	         0.4391 first-step-s	      1765 images/s	       141.7 ms/step
BenchmarkCNN/eval-2          	      20	  58475583 ns/op	         0.1274 first-step-s	      4634 images/s	        53.95 ms/step
PASS
`

func TestParseGoBench(t *testing.T) {
	desc, speeds, order, err := parseGoBench(strings.NewReader(goBenchOutput))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(desc, "backend: onnx") {
		t.Errorf("description %q", desc)
	}
	want := map[string]speed{
		"train": {PerS: 1765, Unit: "images", MsPerStep: 141.7, FirstStepS: 0.4391},
		"eval":  {PerS: 4634, Unit: "images", MsPerStep: 53.95, FirstStepS: 0.1274},
	}
	if strings.Join(order, ",") != "train,eval" {
		t.Errorf("modes %v, want train, eval in the order reported", order)
	}
	for mode, w := range want {
		if speeds[mode] != w {
			t.Errorf("%s: %+v, want %+v", mode, speeds[mode], w)
		}
	}
	broken := strings.Replace(goBenchOutput, "1765 images/s", "", 1)
	if _, _, _, err := parseGoBench(strings.NewReader(broken)); err == nil {
		t.Error("a result without a throughput was accepted")
	}
	if _, _, _, err := parseGoBench(strings.NewReader("--- FAIL: BenchmarkCNN\nFAIL\n")); err == nil {
		t.Error("a failed run was accepted")
	}
	other := "backend: go\nBenchmarkAIS/eval-2   5   1000 ns/op   0.5 first-step-s   2500 items/step   123456 chain-temps/s   8.1 ms/step\n"
	_, speeds, order, err = parseGoBench(strings.NewReader(other))
	if err != nil || len(order) != 1 || speeds["eval"].Unit != "chain-temps" || speeds["eval"].PerS != 123456 || speeds["eval"].Items != 2500 {
		t.Errorf("a benchmark in other units: %+v %v %v", speeds, order, err)
	}
}

func TestMedianSpeed(t *testing.T) {
	runs := []speed{{PerS: 30, FirstStepS: 3}, {PerS: 10, FirstStepS: 1}, {PerS: 20, FirstStepS: 2}}
	if got := medianSpeed(runs); got.PerS != 20 || got.FirstStepS != 2 {
		t.Errorf("median of %v = %+v, want the run with 20 images/s", runs, got)
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "bench.json")
	report := benchReport{Backend: "backend: go", Results: []benchResult{{Model: "vae", Mode: "train", Batch: 128, GoMLX: speed{PerS: 1, Unit: "images"}}}}
	if err := writeJSON(path, report); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back benchReport
	if err := json.Unmarshal(data, &back); err != nil || back.Results[0].Model != "vae" {
		t.Errorf("read back %+v, %v", back, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("%d files in the directory, want only bench.json", len(entries))
	}
}

// TestTorchReferenceRuns runs the PyTorch references for one step each, so
// that a broken script is found before "klcourse bench --compare" needs it.
func TestTorchReferenceRuns(t *testing.T) {
	torch, err := findTorch("")
	if err != nil {
		t.Skip(err)
	}
	script, err := torchScript()
	if err != nil {
		t.Fatal(err)
	}
	// One step of every mode of every model that klcourse bench knows.
	want := map[string]bool{}
	for _, m := range benchModels {
		want[m.name] = true
	}
	cmd := exec.Command(torch.python, "-", "--steps", "1", "--warmup", "0", "--threads", "1")
	cmd.Stdin = bytes.NewReader(script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r struct {
			Model string `json:"model"`
			speed
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if r.Model != "" {
			delete(want, r.Model)
			if r.PerS <= 0 || r.Unit == "" {
				t.Errorf("line %q: no throughput or unit", line)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("no PyTorch results for %v:\n%s", want, out)
	}
}
