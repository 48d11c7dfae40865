package convnet

import (
	"testing"

	"github.com/klcourse/klcourse/internal/testbackends"
)

type namedBackend = testbackends.Named

// testBackends returns the pure-Go backend, configured as pkg/backend does,
// and, when this machine has its library, ONNX Runtime. Tests run on each.
func testBackends(t *testing.T) []namedBackend {
	return testbackends.List(t)
}
