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
pkg: github.com/klcourse/klcourse/pkg/models
BenchmarkCNN/train-2         	      20	 149274781 ns/op	         0.4391 first-step-s	      1765 images/s	       141.7 ms/step
BenchmarkCNN/eval-2          	      20	  58475583 ns/op	         0.1274 first-step-s	      4634 images/s	        53.95 ms/step
PASS
`

func TestParseGoBench(t *testing.T) {
	desc, speeds, err := parseGoBench(strings.NewReader(goBenchOutput))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(desc, "backend: onnx") {
		t.Errorf("description %q", desc)
	}
	want := map[string]speed{
		"train": {ImagesPerS: 1765, MsPerStep: 141.7, FirstStepS: 0.4391},
		"eval":  {ImagesPerS: 4634, MsPerStep: 53.95, FirstStepS: 0.1274},
	}
	for mode, w := range want {
		if speeds[mode] != w {
			t.Errorf("%s: %+v, want %+v", mode, speeds[mode], w)
		}
	}
	broken := strings.Replace(goBenchOutput, "1765 images/s", "", 1)
	if _, _, err := parseGoBench(strings.NewReader(broken)); err == nil {
		t.Error("a result without images/s was accepted")
	}
	if _, _, err := parseGoBench(strings.NewReader("--- FAIL: BenchmarkCNN\nFAIL\n")); err == nil {
		t.Error("a failed run was accepted")
	}
}

func TestMedianSpeed(t *testing.T) {
	runs := []speed{{ImagesPerS: 30, FirstStepS: 3}, {ImagesPerS: 10, FirstStepS: 1}, {ImagesPerS: 20, FirstStepS: 2}}
	if got := medianSpeed(runs); got.ImagesPerS != 20 || got.FirstStepS != 2 {
		t.Errorf("median of %v = %+v, want the run with 20 images/s", runs, got)
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "bench.json")
	report := benchReport{Backend: "backend: go", Results: []benchResult{{Model: "vae", Mode: "train", Batch: 128, GoMLX: speed{ImagesPerS: 1}}}}
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
	cmd := exec.Command(torch.python, "-", "--models", "cnn,vae,rbm", "--steps", "1", "--warmup", "0", "--threads", "1")
	cmd.Stdin = bytes.NewReader(torchReference)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	results := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r struct {
			Model string `json:"model"`
			speed
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if r.Model != "" {
			results++
			if r.ImagesPerS <= 0 {
				t.Errorf("line %q: no throughput", line)
			}
		}
	}
	if results != 6 {
		t.Errorf("%d results, want 6 (3 models × train and eval):\n%s", results, out)
	}
}
