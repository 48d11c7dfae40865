// Package backend chooses the compute backend that every notebook and
// command of the course runs on, so that the course is fast wherever it runs.
//
// Notebooks start with
//
//	b, desc := backend.MustNew()
//	fmt.Println(desc) // e.g. "backend: onnx, ONNX Runtime 1.30.0 (installed by klcourse setup) on CPU"
//
// and pass b to GoMLX (train.NewTrainer, model.NewExec, ...).
//
// # How the backend is chosen
//
//  1. GOMLX_BACKEND, when set, names the backend exactly as in GoMLX:
//     "go", "onnx", "onnx:cpu", "xla:cuda", "xla:/path/to/plugin.so", ...
//     Explicitly asking for a backend that is not installed lets it install
//     itself, as GoMLX does, unless GOMLX_NO_AUTO_INSTALL is set: "onnx"
//     installs the ONNX Runtime release the course pins (pkg/backend/onnxruntime,
//     checksummed), "xla:cuda" lets go-xla download the CUDA PJRT plugin.
//  2. Otherwise XLA with the CUDA PJRT plugin, when this machine has an NVIDIA
//     GPU and an installed plugin is found (see [CUDAPlugin]). GPU memory is
//     not preallocated, so that several students can share one GPU.
//  3. Otherwise ONNX Runtime on the CPU, when its library is found: at
//     ONNXRUNTIME_SHARED_LIBRARY_PATH, where "klcourse setup" installs it
//     under the course home, or where GoMLX's own installer puts it
//     (~/.local/lib/onnxruntime).
//  4. Otherwise the pure-Go backend, with a one-line notice on standard error
//     that says how to install the faster one. It runs with the option
//     ops_sequential (also when GOMLX_BACKEND is just "go"), which avoids a
//     deadlock of its default scheduling on graphs with independent matrix
//     products, such as the course's CNN.
//
// Steps 2 to 4 never download anything, so an offline machine never waits.
// A backend that is found but fails to start (a damaged library, a driver
// mismatch) is reported in the notice and the next one is tried.
//
// # Build tags
//
// ONNX Runtime and XLA are loaded at run time with dlopen, which needs cgo.
// Without cgo (CGO_ENABLED=0), or with the tags noonnx and noxla, those
// backends are left out of the build and the choice falls through to the
// pure-Go backend; the package still builds everywhere.
//
// docs/backends.md describes the setup for users, GPU labs included.
package backend
