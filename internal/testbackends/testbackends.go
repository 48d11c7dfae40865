// Package testbackends gives tests the GoMLX backends to run on: always the
// pure-Go backend, configured as the course runs it, and ONNX Runtime when
// this machine has its library — so that code is tested on both backends
// wherever it can be, and the pure-Go build keeps working everywhere.
package testbackends

import (
	"slices"
	"sync"
	"testing"

	"github.com/gomlx/compute"

	"github.com/klcourse/klcourse/pkg/backend"
)

// Named is a backend with a short name for test names ("go", "onnx").
type Named struct {
	Name string
	compute.Backend
}

var (
	once    sync.Once
	list    []Named
	skipped string
)

// List returns the backends available to tests, the pure-Go one first. It
// logs why ONNX Runtime is missing, when it is.
func List(t testing.TB) []Named {
	t.Helper()
	once.Do(func() {
		goBackend, err := compute.NewWithConfig("go:ops_sequential")
		if err != nil {
			panic(err)
		}
		list = append(list, Named{"go", goBackend})
		lib := backend.ONNXLibrary()
		switch {
		case !slices.Contains(compute.List(), "onnx"):
			skipped = "this test binary has no ONNX Runtime backend (built without cgo or with tag noonnx)"
		case lib == "":
			skipped = "no ONNX Runtime library on this machine (run `go run ./cmd/klcourse setup`)"
		default:
			onnx, err := compute.NewWithConfig("onnx:" + lib)
			if err != nil {
				skipped = "ONNX Runtime did not start: " + err.Error()
				break
			}
			list = append(list, Named{"onnx", onnx})
		}
	})
	if skipped != "" {
		t.Logf("ONNX Runtime skipped: %s", skipped)
	}
	return list
}

// Go returns the pure-Go backend.
func Go(t testing.TB) compute.Backend {
	return List(t)[0].Backend
}
