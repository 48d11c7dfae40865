package setup

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/pkg/backend"
	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
)

func TestCheckONNXRuntime(t *testing.T) {
	t.Setenv(backend.ONNXLibraryEnv, "")
	env := &setupEnv{home: t.TempDir(), out: io.Discard, kernelEnv: map[string]string{}}
	if _, err := checkONNXRuntime(env); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("empty home: %v, want 'not installed'", err)
	}
	own := filepath.Join(t.TempDir(), "libonnxruntime.so")
	if err := os.WriteFile(own, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(backend.ONNXLibraryEnv, own)
	what, err := checkONNXRuntime(env)
	if err != nil || !strings.Contains(what, "not installed by the course") {
		t.Errorf("own library: %q, %v", what, err)
	}
	if env.kernelEnv[backend.ONNXLibraryEnv] != own {
		t.Errorf("kernel environment %v does not point at %s", env.kernelEnv, own)
	}
	t.Setenv(backend.ONNXLibraryEnv, own+".missing")
	if _, err := checkONNXRuntime(env); err == nil {
		t.Error("a missing library was accepted")
	}
	// A library without the manifest setup writes is not the course's.
	lib := onnxruntime.LibraryPath(env.home)
	if err := os.MkdirAll(filepath.Dir(lib), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lib, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(backend.ONNXLibraryEnv, "")
	if _, err := checkONNXRuntime(env); err == nil || !strings.Contains(err.Error(), "manifest") {
		t.Errorf("library without manifest: %v", err)
	}
}

func TestInstallONNXRuntimeRespectsNoAutoInstall(t *testing.T) {
	t.Setenv(backend.NoAutoInstallEnv, "1")
	env := &setupEnv{home: t.TempDir(), out: io.Discard, kernelEnv: map[string]string{}}
	if err := installONNXRuntime(env); err == nil || !strings.Contains(err.Error(), backend.NoAutoInstallEnv) {
		t.Errorf("install with %s set: %v", backend.NoAutoInstallEnv, err)
	}
}
