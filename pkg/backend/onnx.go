//go:build cgo && !noonnx

package backend

import (
	"github.com/gomlx/compute"
	onnxbackend "github.com/gomlx/compute-onnx"
)

var _ interface{ Version() string } = (*onnxbackend.Backend)(nil)

// onnxLinked reports that this build contains the ONNX Runtime backend.
const onnxLinked = true

func init() {
	// compute-onnx would otherwise download the latest release, unverified,
	// whenever it finds no library; the course installs its pinned release
	// itself (see withONNXLibrary).
	onnxbackend.EnableAutoInstall(false)
}

// onnxVersion is the version of the ONNX Runtime library b loaded (b may
// be the profiling wrapper of pkg/backend/onnxruntime, which says it too).
func onnxVersion(b compute.Backend) string {
	if ob, ok := b.(interface{ Version() string }); ok {
		return ob.Version()
	}
	return "(unknown version)"
}
