package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend, always there
	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
)

// Choose returns the backend configuration New would use on this machine,
// without loading anything. The "klcourse bench" command and tests use it to
// report the choice.
func Choose() Choice {
	return choices(systemProbe())[0]
}

func systemProbe() probe {
	return probe{
		getenv:     os.Getenv,
		hasGPU:     HasNVIDIAGPU,
		cudaPlugin: CUDAPlugin,
		onnxLib:    ONNXLibrary,
		onnxLinked: onnxLinked,
		xlaLinked:  xlaLinked,
	}
}

// Notices is where New writes its one-line notices. Tests redirect it.
var Notices io.Writer = os.Stderr

// New creates the backend for this machine, chosen as the package comment
// describes, and returns it with a one-line description for notebooks to
// print: the backend's name, the library it loaded and the device, e.g.
//
//	backend: onnx, ONNX Runtime 1.30.0 (installed by klcourse setup) on CPU (2 cores)
//
// When a faster backend could be had, New also writes a one-line notice
// saying how to Notices (standard error).
func New() (compute.Backend, string, error) {
	return open(choices(systemProbe()), Notices)
}

// MustNew is New for notebooks: it panics when no backend starts.
func MustNew() (compute.Backend, string) {
	b, desc, err := New()
	if err != nil {
		panic(err)
	}
	return b, desc
}

// open starts the first of list that works. A backend that was found but
// fails to start is reported in the notice, and the next one is tried; a
// backend the user named explicitly is not replaced by another.
func open(list []Choice, notices io.Writer) (compute.Backend, string, error) {
	var failures []string
	for _, c := range list {
		b, c, err := start(c)
		if err != nil {
			if c.Explicit {
				return nil, "", fmt.Errorf("%s=%q: %w", BackendEnv, c.Config, err)
			}
			failures = append(failures, fmt.Sprintf("%s backend did not start (%s)", c.Name(), oneLine(err)))
			continue
		}
		notice := strings.Join(append(failures, nonEmpty(c.Notice)...), "; ")
		if notice != "" && notices != nil {
			fmt.Fprintf(notices, "klcourse: using the %s backend: %s\n", c.Name(), notice)
		}
		return b, describe(b, c), nil
	}
	return nil, "", errors.New("no backend started: " + strings.Join(failures, "; "))
}

// start creates the backend c names and returns it with c completed. For an
// explicit ONNX Runtime backend it first makes sure the library is found,
// installing the pinned release when none is and downloads are allowed.
func start(c Choice) (b compute.Backend, _ Choice, err error) {
	name := explicitName(c.Config)
	if !slices.Contains(compute.List(), name) {
		return nil, c, fmt.Errorf("backend %q is not in this program (it has %s; ONNX Runtime and XLA need cgo)",
			name, strings.Join(registered(), ", "))
	}
	if c.Explicit && (name == "onnx" || name == "onnxruntime") {
		if c, err = withONNXLibrary(c); err != nil {
			return nil, c, err
		}
	}
	if name == "xla" {
		quietPipCUDAChecks(c.Library, os.Getenv, os.Setenv)
	}
	// Backend constructors report some configuration errors by panicking.
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("%v", r)
		}
	}()
	// Set again here, right before a library may load, in case the program
	// changed its environment since this package's init.
	onnxruntime.DisableTelemetry()
	b, err = compute.NewWithConfig(c.Config)
	return b, c, err
}

// quietPipCUDAChecks turns off go-xla's check for NVIDIA's libraries beside
// a CUDA PJRT plugin installed by pip (the course's Python environment, or
// any other). go-xla looks for them in jax_plugins/nvidia, next to the
// plugin's directory, and warns in every cell when they are not there; pip
// installs them in site-packages/nvidia, where the plugin's RPATH
// ($ORIGIN/../../nvidia/...) finds them. The check stays on for every other
// layout and when GOPJRT_CUDA_CHECKS is set.
func quietPipCUDAChecks(plugin string, getenv func(string) string, setenv func(string, string) error) {
	const checks = "GOPJRT_CUDA_CHECKS"
	if plugin == "" || getenv(checks) != "" {
		return
	}
	jaxPlugins := filepath.Dir(filepath.Dir(plugin))
	if filepath.Base(jaxPlugins) != "jax_plugins" || !isDir(filepath.Join(filepath.Dir(jaxPlugins), "nvidia")) {
		return
	}
	_ = setenv(checks, "0")
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// withONNXLibrary points an explicit "onnx[:options]" configuration that
// names no library at the one this machine has, installing the pinned
// release under the course home when there is none and downloads are
// allowed. compute-onnx's own installer, which fetches the latest release
// unverified, is never used.
func withONNXLibrary(c Choice) (Choice, error) {
	_, options, _ := strings.Cut(c.Config, ":")
	for _, part := range strings.Split(options, ",") {
		if strings.ContainsAny(part, `/\`) || strings.Contains(part, ".so") || strings.Contains(part, ".dylib") {
			c.Library = strings.TrimSpace(part)
			return c, nil
		}
	}
	if lib := os.Getenv(ONNXLibraryEnv); lib != "" {
		c.Library = lib
		return c, nil
	}
	lib := ONNXLibrary()
	if lib == "" {
		if _, set := os.LookupEnv(NoAutoInstallEnv); set {
			return c, fmt.Errorf("no ONNX Runtime library found and %s is set: %s", NoAutoInstallEnv, setupHint)
		}
		home := courseHome()
		if home == "" {
			return c, errors.New("no ONNX Runtime library found and no course home to install one into: " + setupHint)
		}
		var err error
		lib, err = onnxruntime.Install(context.Background(), nil, home,
			onnxruntime.Sources(runtime.GOOS, runtime.GOARCH), Notices)
		if err != nil {
			return c, err
		}
	}
	c.Library = lib
	if options == "" {
		c.Config = "onnx:" + lib
	} else {
		c.Config += "," + lib
	}
	return c, nil
}

// describe is the one-line description New returns.
func describe(b compute.Backend, c Choice) string {
	cores := fmt.Sprintf("CPU (%d cores)", runtime.NumCPU())
	switch explicitName(c.Config) {
	case "go":
		return fmt.Sprintf("backend: go, GoMLX's pure-Go backend on %s", cores)
	case "onnxruntime", "onnx":
		lib := libraryOrigin(c.Library, courseHome())
		device := cores
		if d := b.DeviceDescription(0); !strings.HasPrefix(d, "CPU") {
			device = d
		}
		return fmt.Sprintf("backend: onnx, ONNX Runtime %s (%s) on %s", onnxVersion(b), lib, device)
	case "xla":
		plugin := c.Library
		if plugin == "" {
			plugin = c.Config
		}
		if strings.ContainsAny(plugin, `/\`) {
			plugin = filepath.Base(plugin)
		}
		return fmt.Sprintf("backend: xla, PJRT plugin %s on %s", plugin, squash(b.DeviceDescription(0)))
	}
	return fmt.Sprintf("backend: %s, %s", b.Name(), b.Description())
}

// libraryOrigin names the ONNX Runtime library lib by where it came from,
// not by its path: printed outputs (and the pages rendered from them) must
// not show the folders of the machine that ran them.
func libraryOrigin(lib, home string) string {
	switch {
	case lib == "":
		return "found by compute-onnx"
	case home != "" && strings.HasPrefix(filepath.Clean(lib), filepath.Clean(home)+string(filepath.Separator)):
		return "installed by klcourse setup"
	case os.Getenv(ONNXLibraryEnv) == lib:
		return "from $" + ONNXLibraryEnv + ": " + filepath.Base(lib)
	}
	return filepath.Base(lib)
}

func registered() []string {
	names := compute.List()
	slices.Sort(names)
	return names
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func oneLine(err error) string { return squash(err.Error()) }

// squash puts s on one line.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
