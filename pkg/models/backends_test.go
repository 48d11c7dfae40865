package models

import (
	"slices"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	"github.com/klcourse/klcourse/pkg/backend"
)

type namedBackend struct {
	name string
	compute.Backend
}

var (
	backendsOnce sync.Once
	backends     []namedBackend
	onnxSkipped  string
)

// testBackends returns the pure-Go backend, configured as pkg/backend does,
// and, when this machine has its library, ONNX Runtime. Tests run on each.
func testBackends(t *testing.T) []namedBackend {
	t.Helper()
	backendsOnce.Do(func() {
		goBackend, err := compute.NewWithConfig("go:ops_sequential")
		if err != nil {
			panic(err)
		}
		backends = append(backends, namedBackend{"go", goBackend})
		lib := backend.ONNXLibrary()
		switch {
		case !slices.Contains(compute.List(), "onnx"):
			onnxSkipped = "this test binary has no ONNX Runtime backend (built without cgo or with tag noonnx)"
		case lib == "":
			onnxSkipped = "no ONNX Runtime library on this machine (run `go run ./cmd/klcourse setup`)"
		default:
			onnx, err := compute.NewWithConfig("onnx:" + lib)
			if err != nil {
				onnxSkipped = "ONNX Runtime did not start: " + err.Error()
				break
			}
			backends = append(backends, namedBackend{"onnx", onnx})
		}
	})
	if onnxSkipped != "" {
		t.Logf("ONNX Runtime skipped: %s", onnxSkipped)
	}
	return backends
}
