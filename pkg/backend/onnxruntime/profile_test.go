//go:build cgo && !noonnx

package onnxruntime_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/klcourse/klcourse/pkg/backend"
	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
)

// onnxBackend starts ONNX Runtime from the library this machine has, or
// skips the test.
func onnxBackend(t *testing.T) compute.Backend {
	t.Helper()
	lib := backend.ONNXLibrary()
	if lib == "" {
		t.Skip("no ONNX Runtime library on this machine (run `go run ./cmd/klcourse setup`)")
	}
	b, err := compute.NewWithConfig("onnx:" + lib)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestProfiled runs a small graph on the profiling wrapper: its results are
// the backend's, ONNX Runtime's trace of its first ProfiledRuns runs lands
// in the folder with the graph's summary, and nothing is left in the working
// folder.
func TestProfiled(t *testing.T) {
	plain := onnxBackend(t)
	work := t.TempDir()
	t.Chdir(work)
	dir := filepath.Join(t.TempDir(), "profile")
	b, err := onnxruntime.Profiled(onnxBackend(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	f := func(x *graph.Node) *graph.Node { return graph.ReduceAllSum(graph.Tanh(graph.MatMul(x, x))) }
	x := func() *tensors.Tensor { // a tensor belongs to one backend: a new one per use
		return tensors.FromFlatDataAndDimensions([]float32{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}, 3, 3)
	}
	want := tensors.ToScalar[float32](graph.MustExecOnce(plain, f, x()))
	exec := graph.MustNewExec(b, f)
	for i := range onnxruntime.ProfiledRuns + 3 { // past the profiled runs, onto the ordinary session
		got := tensors.ToScalar[float32](exec.MustExec1(x()))
		if got != want {
			t.Fatalf("run %d: the profiled backend computed %v, the backend %v", i, got, want)
		}
	}
	b.Finalize()

	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	var trace, summary string
	for _, f := range files {
		switch {
		case strings.HasSuffix(f, ".graph.json"):
			summary = f
		case strings.HasSuffix(f, ".json"):
			trace = f
		}
	}
	if trace == "" || summary == "" {
		t.Fatalf("want a trace and a graph summary in %s, found %v", dir, files)
	}
	var events []struct {
		Cat  string `json:"cat"`
		Name string `json:"name"`
		Dur  int64  `json:"dur"`
		Args struct {
			OpName string `json:"op_name"`
		} `json:"args"`
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &events); err != nil {
		t.Fatalf("%s is not a complete trace: %v", trace, err)
	}
	runs := 0
	var ops []string
	for _, e := range events {
		if e.Cat == "Session" && e.Name == "model_run" {
			runs++
		}
		if e.Cat == "Node" && strings.HasSuffix(e.Name, "_kernel_time") && !slices.Contains(ops, e.Args.OpName) {
			ops = append(ops, e.Args.OpName)
		}
	}
	if runs != onnxruntime.ProfiledRuns {
		t.Errorf("the trace has %d runs, want %d", runs, onnxruntime.ProfiledRuns)
	}
	if !slices.Contains(ops, "MatMul") || !slices.Contains(ops, "Tanh") {
		t.Errorf("the trace's nodes have op types %v, want MatMul and Tanh among them", ops)
	}
	var s onnxruntime.GraphSummary
	if data, err = os.ReadFile(summary); err == nil {
		err = json.Unmarshal(data, &s)
	}
	if err != nil || s.Nodes == 0 || s.OpTypes["MatMul"] == 0 || len(s.Inputs) != 1 {
		t.Errorf("graph summary %s: %+v (%v), want its nodes, a MatMul and one input", summary, s, err)
	}
	if left, _ := os.ReadDir(work); len(left) > 0 {
		t.Errorf("the working folder holds %v after profiling, want nothing", left)
	}
}

// TestProfiledNeedsONNX: the wrapper names what it needs.
func TestProfiledNeedsONNX(t *testing.T) {
	goBackend, err := compute.NewWithConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := onnxruntime.Profiled(goBackend, t.TempDir()); err == nil || !strings.Contains(err.Error(), onnxruntime.ProfileEnv) {
		t.Errorf("Profiled(go backend) = %v, want an error naming %s", err, onnxruntime.ProfileEnv)
	}
}

// TestWithSessionOptions: graphs run on sessions with the options give the
// backend's results; options ONNX Runtime does not read are refused.
func TestWithSessionOptions(t *testing.T) {
	plain := onnxBackend(t)
	b, err := onnxruntime.WithSessionOptions(onnxBackend(t), `{"execution_mode":1,"inter_op_num_threads":2,"intra_op_num_threads":1}`)
	if err != nil {
		t.Fatal(err)
	}
	f := func(x *graph.Node) *graph.Node { return graph.ReduceAllSum(graph.Exp(graph.Neg(graph.Mul(x, x)))) }
	x := func() *tensors.Tensor { return tensors.FromFlatDataAndDimensions([]float64{-1, 0.5, 2, 3}, 2, 2) }
	want := tensors.ToScalar[float64](graph.MustExecOnce(plain, f, x()))
	if got := tensors.ToScalar[float64](graph.MustExecOnce(b, f, x())); got != want {
		t.Errorf("with session options: %v, without: %v", got, want)
	}
	// ONNX Runtime reads them: a level it does not know fails the session.
	odd, err := onnxruntime.WithSessionOptions(onnxBackend(t), `{"graph_optimization_level":5}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graph.ExecOnce(odd, f, x()); err == nil || !strings.Contains(err.Error(), "graph_optimization_level") {
		t.Errorf("graph_optimization_level 5: %v, want ONNX Runtime's error", err)
	}
	for _, bad := range []string{`{"enable_mem_pattern":0}`, `[1]`} {
		if _, err := onnxruntime.WithSessionOptions(onnxBackend(t), bad); err == nil || !strings.Contains(err.Error(), onnxruntime.SessionOptionsEnv) {
			t.Errorf("options %s: %v, want an error naming %s", bad, err, onnxruntime.SessionOptionsEnv)
		}
	}
}
