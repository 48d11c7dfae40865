package setup

import (
	"context"
	"fmt"
	"os"
	"runtime"

	"github.com/klcourse/klcourse/pkg/backend"
	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
)

// checkONNXRuntime accepts the pinned library installed under the course
// home, verified against its manifest, or else a library the person named
// in ONNXRUNTIME_SHARED_LIBRARY_PATH. The kernel gets the path in its
// environment, so notebooks find the library even when Jupyter starts them
// with a different home.
func checkONNXRuntime(env *setupEnv) (string, error) {
	path, m, err := onnxruntime.Check(env.home)
	if err == nil {
		env.kernelEnv[backend.ONNXLibraryEnv] = path
		return fmt.Sprintf("%s (ONNX Runtime %s, from the %s)", path, m.Version, m.Source), nil
	}
	if own := os.Getenv(backend.ONNXLibraryEnv); own != "" {
		if info, statErr := os.Stat(own); statErr == nil && info.Mode().IsRegular() {
			env.kernelEnv[backend.ONNXLibraryEnv] = own
			return fmt.Sprintf("%s (from %s; not installed by the course, version not verified)", own, backend.ONNXLibraryEnv), nil
		}
		return "", fmt.Errorf("%s=%s: no such file, and %v", backend.ONNXLibraryEnv, own, err)
	}
	return "", err
}

func installONNXRuntime(env *setupEnv) error {
	if _, set := os.LookupEnv(backend.NoAutoInstallEnv); set {
		return fmt.Errorf("%s is set: downloading is not allowed", backend.NoAutoInstallEnv)
	}
	_, err := onnxruntime.Install(context.Background(), nil, env.home,
		onnxruntime.Sources(runtime.GOOS, runtime.GOARCH), env.out)
	return err
}

// fixONNXRuntime is the command that fixes the onnxruntime step by hand.
func fixONNXRuntime(env *setupEnv) string {
	return fmt.Sprintf("go run ./cmd/klcourse setup  # needs github.com or registry.npmjs.org; offline: export %s=/path/to/libonnxruntime.so.%s",
		backend.ONNXLibraryEnv, onnxruntime.Version)
}
