package backend

import (
	"fmt"
	"strings"
)

// Environment variables that steer the choice.
const (
	// BackendEnv names the backend explicitly, as in GoMLX.
	BackendEnv = "GOMLX_BACKEND"
	// NoAutoInstallEnv, when set to anything, forbids every download.
	NoAutoInstallEnv = "GOMLX_NO_AUTO_INSTALL"
	// ONNXLibraryEnv points at an ONNX Runtime shared library.
	ONNXLibraryEnv = "ONNXRUNTIME_SHARED_LIBRARY_PATH"
	// PJRTPluginPathEnv lists directories (":"-separated) to search for PJRT plugins.
	PJRTPluginPathEnv = "PJRT_PLUGIN_LIBRARY_PATH"
)

// A Choice is the backend configuration picked for this machine.
type Choice struct {
	// Config is what compute.NewWithConfig receives: "go", "onnx:/path/libonnxruntime.so",
	// "xla:/path/plugin.so,preallocate=false", or GOMLX_BACKEND verbatim.
	Config string
	// Library is the ONNX Runtime library or PJRT plugin Config loads, or "".
	Library string
	// Reason says why this backend was picked.
	Reason string
	// Notice, when not empty, is a one-line hint on how to get a faster backend.
	Notice string
	// Explicit reports that the user named the backend in GOMLX_BACKEND.
	Explicit bool
}

// Name is the backend's registered name: "go", "onnx" or "xla".
func (c Choice) Name() string {
	name, _, _ := strings.Cut(c.Config, ":")
	return name
}

// probe is what the choice depends on; tests replace every field.
type probe struct {
	getenv     func(string) string
	hasGPU     func() bool
	cudaPlugin func() string // an installed CUDA PJRT plugin, or ""
	onnxLib    func() string // an installed ONNX Runtime library, or ""
	onnxLinked bool          // this binary contains the ONNX Runtime backend
	xlaLinked  bool          // this binary contains the XLA backend
}

// setupHint is how a person installs ONNX Runtime for the course.
const setupHint = "run `go run ./cmd/klcourse setup` in the course checkout, or set " + ONNXLibraryEnv + " to a libonnxruntime"

// choices applies the order documented in the package comment and returns
// the backends worth trying, fastest first; the last one is always the
// pure-Go backend unless the user named one. It never downloads or loads
// anything: it only looks.
func choices(p probe) []Choice {
	if config := strings.TrimSpace(p.getenv(BackendEnv)); config != "" {
		if config == "go" {
			config = goConfig
		}
		return []Choice{{Config: config, Reason: BackendEnv + " is set", Explicit: true}}
	}
	var list []Choice
	var notes []string
	if p.hasGPU() {
		switch plugin := p.cudaPlugin(); {
		case !p.xlaLinked:
			notes = append(notes, "this machine has an NVIDIA GPU, but this program was built without the XLA backend (cgo disabled or tag noxla)")
		case plugin == "":
			notes = append(notes, "this machine has an NVIDIA GPU but no CUDA PJRT plugin: run `go run ./cmd/klcourse setup` (it installs one) or set "+BackendEnv+"=xla:/path/to/xla_cuda_plugin.so")
		default:
			list = append(list, Choice{
				Config:  xlaCUDAConfig(plugin),
				Library: plugin,
				Reason:  "NVIDIA GPU and CUDA PJRT plugin found",
			})
		}
	}
	onnxFound := false
	if p.onnxLinked {
		if lib := p.onnxLib(); lib != "" {
			onnxFound = true
			list = append(list, Choice{
				Config:  "onnx:" + lib,
				Library: lib,
				Reason:  "ONNX Runtime library found",
			})
		}
	}
	goChoice := Choice{Config: goConfig, Reason: "no faster backend found"}
	switch {
	case !p.onnxLinked:
		notes = append(notes, "the pure-Go backend trains the course's CNN about 13 times slower than ONNX Runtime, and this program was built without ONNX Runtime (cgo disabled or tag noonnx): build it with CGO_ENABLED=1")
	case !onnxFound:
		notes = append(notes, "the pure-Go backend trains the course's CNN about 13 times slower than ONNX Runtime: "+setupHint)
	}
	list = append(list, goChoice)
	if len(notes) > 0 {
		for i := range list {
			list[i].Notice = strings.Join(notes, "; ")
		}
	}
	return list
}

// goConfig runs the pure-Go backend's operations one at a time, each using
// all cores. Its default, running independent operations in parallel, can
// deadlock (compute v0.1.6): each large matrix product waits for idle
// workers of the pool that the other products, running in parallel, hold —
// the course's CNN, with its independent products, hangs that way.
const goConfig = "go:ops_sequential"

// xlaCUDAConfig is the XLA configuration for a CUDA PJRT plugin: no
// preallocation of GPU memory, so that several processes share one GPU.
func xlaCUDAConfig(plugin string) string {
	return fmt.Sprintf("xla:%s,preallocate=false", plugin)
}
