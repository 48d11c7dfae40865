package backend

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
)

// childEnv makes the test binary act as a notebook: choose a backend, print
// its description, compute 1+2 on it and exit. ONNX Runtime can be loaded
// only once per process, so each scenario runs in a process of its own.
const childEnv = "KLCOURSE_BACKEND_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		b, desc, err := New()
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		sum := MustExecOnce(b, func(x *Node) *Node { return AddScalar(x, 2) }, float32(1))
		fmt.Printf("%s\n1+2=%v\n", desc, sum.Value())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild runs the notebook stand-in with a clean environment: the course
// home and the user's home in temporary directories, plus env.
func runChild(t *testing.T, home string, env ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{childEnv + "=1", "PATH=" + os.Getenv("PATH"), "KLCOURSE_HOME=" + home, "HOME=" + t.TempDir()}
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// realLibrary is an ONNX Runtime library installed on this machine, or the
// test is skipped.
func realLibrary(t *testing.T) string {
	t.Helper()
	if !onnxLinked {
		t.Skip("built without ONNX Runtime (no cgo or tag noonnx)")
	}
	lib := ONNXLibrary()
	if lib == "" {
		t.Skip("no ONNX Runtime library on this machine: run `go run ./cmd/klcourse setup` to test the ONNX Runtime backend")
	}
	return lib
}

// installLink puts a link to lib where "klcourse setup" installs the library.
func installLink(t *testing.T, home, lib string) string {
	t.Helper()
	path := onnxruntime.LibraryPath(home)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(lib, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNewFindsTheInstalledLibraryAndFallsBackWithout(t *testing.T) {
	lib := realLibrary(t)
	home := t.TempDir()
	installed := installLink(t, home, lib)

	out, errOut, err := runChild(t, home)
	if err != nil {
		t.Fatalf("child failed: %v\n%s%s", err, out, errOut)
	}
	// The library in the course home, named without its path.
	want := "backend: onnx, ONNX Runtime " + onnxruntime.Version + " (installed by klcourse setup) on CPU"
	if !strings.HasPrefix(out, want) || !strings.Contains(out, "1+2=3") || strings.Contains(out, installed) {
		t.Errorf("with the library installed, got\n%s\nwant it to start with %q and compute 1+2=3", out, want)
	}
	if errOut != "" {
		t.Errorf("unexpected notice: %q", errOut)
	}

	if err := os.Remove(installed); err != nil {
		t.Fatal(err)
	}
	out, errOut, err = runChild(t, home)
	if err != nil {
		t.Fatalf("child failed: %v\n%s%s", err, out, errOut)
	}
	if !strings.HasPrefix(out, "backend: go, GoMLX's pure-Go backend") || !strings.Contains(out, "1+2=3") {
		t.Errorf("without the library, got\n%s\nwant the pure-Go backend", out)
	}
	if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "klcourse setup") {
		t.Errorf("without the library, want a one-line notice naming klcourse setup, got %q", errOut)
	}
}

func TestNewSkipsABrokenLibrary(t *testing.T) {
	if !onnxLinked {
		t.Skip("built without ONNX Runtime (no cgo or tag noonnx)")
	}
	home := t.TempDir()
	broken := onnxruntime.LibraryPath(home)
	if err := os.MkdirAll(filepath.Dir(broken), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, []byte("not a shared library"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runChild(t, home)
	if err != nil {
		t.Fatalf("child failed: %v\n%s%s", err, out, errOut)
	}
	if !strings.HasPrefix(out, "backend: go") {
		t.Errorf("with a broken library, got %q, want the pure-Go backend", out)
	}
	if !strings.Contains(errOut, "onnx backend did not start") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("want a one-line notice that ONNX Runtime did not start, got %q", errOut)
	}
}

func TestNewExplicit(t *testing.T) {
	home := t.TempDir()
	out, errOut, err := runChild(t, home, BackendEnv+"=go")
	if err != nil || !strings.HasPrefix(out, "backend: go") || errOut != "" {
		t.Errorf("%s=go: %v, stdout %q, stderr %q", BackendEnv, err, out, errOut)
	}
	out, _, err = runChild(t, home, BackendEnv+"=nonsense")
	if err == nil || !strings.Contains(out, `GOMLX_BACKEND="nonsense"`) {
		t.Errorf("%s=nonsense: %v, stdout %q; want an error naming the variable", BackendEnv, err, out)
	}
	if onnxLinked {
		out, _, err = runChild(t, home, BackendEnv+"=onnx", NoAutoInstallEnv+"=1")
		if err == nil || !strings.Contains(out, NoAutoInstallEnv) {
			t.Errorf("%s=onnx without a library and downloads forbidden: %v, stdout %q", BackendEnv, err, out)
		}
	}
}

func TestNewExplicitONNXUsesTheCourseLibrary(t *testing.T) {
	lib := realLibrary(t)
	home := t.TempDir()
	installed := installLink(t, home, lib)
	out, errOut, err := runChild(t, home, BackendEnv+"=onnx:cpu", NoAutoInstallEnv+"=1")
	if err != nil {
		t.Fatalf("child failed: %v\n%s%s", err, out, errOut)
	}
	if !strings.Contains(out, "(installed by klcourse setup)") || strings.Contains(out, installed) || !strings.Contains(out, "1+2=3") {
		t.Errorf("%s=onnx:cpu: got %q, want the library in the course home", BackendEnv, out)
	}
}

// TestXLAFailureFallsBack starts the XLA configuration the GPU choice makes
// with a plugin that does not exist: go-xla must accept the configuration
// (preallocate=false included) and fail on loading the plugin, without
// trying to download anything, and the next choice must take over.
func TestXLAFailureFallsBack(t *testing.T) {
	if !xlaLinked {
		t.Skip("built without the XLA backend (no cgo or tag noxla)")
	}
	missing := filepath.Join(t.TempDir(), "jax_plugins", "xla_cuda12", "xla_cuda_plugin.so")
	var notices bytes.Buffer
	b, desc, err := open([]Choice{
		{Config: xlaCUDAConfig(missing), Library: missing, Reason: "test"},
		{Config: goConfig, Reason: "test"},
	}, &notices)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if !strings.HasPrefix(desc, "backend: go") {
		t.Errorf("got %q, want the pure-Go backend after XLA failed", desc)
	}
	got := notices.String()
	if !strings.Contains(got, "xla backend did not start") || !strings.Contains(got, missing) {
		t.Errorf("notice %q does not say that XLA failed on the plugin %s", got, missing)
	}
	if strings.Contains(got, "unknown plugin options") {
		t.Errorf("go-xla rejected the configuration: %s", got)
	}
}

// TestLibraryOrigin checks that the backend line names the ONNX Runtime
// library by where it came from, never by a path of the machine.
func TestLibraryOrigin(t *testing.T) {
	home := filepath.Join(t.TempDir(), "klcourse")
	installed := filepath.Join(home, "onnxruntime", "1.30.0", "libonnxruntime.so.1.30.0")
	elsewhere := filepath.Join(t.TempDir(), "lib", "libonnxruntime.so")
	t.Setenv(ONNXLibraryEnv, "")
	for _, tc := range []struct{ lib, want string }{
		{"", "found by compute-onnx"},
		{installed, "installed by klcourse setup"},
		{elsewhere, "libonnxruntime.so"},
	} {
		got := libraryOrigin(tc.lib, home)
		if got != tc.want || strings.Contains(got, string(filepath.Separator)) {
			t.Errorf("libraryOrigin(%q) = %q, want %q", tc.lib, got, tc.want)
		}
	}
	t.Setenv(ONNXLibraryEnv, elsewhere)
	if got := libraryOrigin(elsewhere, home); got != "from $"+ONNXLibraryEnv+": libonnxruntime.so" {
		t.Errorf("library from $%s: %q", ONNXLibraryEnv, got)
	}
}
