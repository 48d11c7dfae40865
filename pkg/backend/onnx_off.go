//go:build !cgo || noonnx

package backend

import "github.com/gomlx/compute"

// onnxLinked reports that this build contains the ONNX Runtime backend:
// compute-onnx loads the library with dlopen, which needs cgo.
const onnxLinked = false

func onnxVersion(compute.Backend) string { return "(not linked)" }
