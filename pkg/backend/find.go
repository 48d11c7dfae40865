package backend

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
	"github.com/klcourse/klcourse/pkg/course"
)

// HasNVIDIAGPU reports whether this machine exposes an NVIDIA GPU device
// (/dev/nvidia0, /dev/nvidia1, ...), the test go-xla also uses. Installed
// drivers without a device do not count.
func HasNVIDIAGPU() bool {
	matches, _ := filepath.Glob("/dev/nvidia[0-9]*")
	return len(matches) > 0
}

// ONNXLibrary returns the ONNX Runtime shared library this machine has, or ""
// when there is none. It looks, in order, at ONNXRUNTIME_SHARED_LIBRARY_PATH,
// at the library "klcourse setup" installs under the course home, and at the
// one GoMLX's own installer puts in ~/.local/lib/onnxruntime.
func ONNXLibrary() string {
	return onnxLibrary(os.Getenv, courseHome(), userHome())
}

func onnxLibrary(getenv func(string) string, home, userHome string) string {
	var candidates []string
	if p := getenv(ONNXLibraryEnv); p != "" {
		candidates = append(candidates, p)
	}
	if home != "" {
		candidates = append(candidates, onnxruntime.LibraryPath(home))
	}
	if userHome != "" {
		switch runtime.GOOS {
		case "linux":
			candidates = append(candidates, filepath.Join(userHome, ".local", "lib", "onnxruntime", "libonnxruntime.so"))
		case "darwin":
			candidates = append(candidates, filepath.Join(userHome, "Library", "Application Support", "onnxruntime", "libonnxruntime.dylib"))
		}
	}
	for _, p := range candidates {
		if isFile(p) {
			return p
		}
	}
	return ""
}

// CUDAPlugin returns an installed CUDA PJRT plugin, or "" when there is none.
// It looks, in order, in the directories of PJRT_PLUGIN_LIBRARY_PATH; in the
// course's own Python environment (course.PythonEnvDir under the course home:
// ~/.local/share/klcourse/venv, or /opt/klcourse/venv in a lab), where
// "klcourse setup" installs the pinned plugin of JAX's jax-cuda13-pjrt or
// jax-cuda12-pjrt wheel (jax_plugins/xla_cuda1x/xla_cuda_plugin.so) on GPU
// machines; where go-xla's own installer puts a plugin (~/.local/lib/go-xla,
// /usr/local/lib/go-xla); and in the site-packages of other Python
// installations, so that a lab with JAX installed needs nothing more.
func CUDAPlugin() string {
	return cudaPlugin(os.Getenv, courseHome(), userHome())
}

func cudaPlugin(getenv func(string) string, courseHome, userHome string) string {
	var patterns []string
	for _, dir := range filepath.SplitList(getenv(PJRTPluginPathEnv)) {
		if dir != "" {
			patterns = append(patterns, filepath.Join(dir, "pjrt_c_api_cuda*_plugin.so"), filepath.Join(dir, "*cuda*plugin*.so"))
		}
	}
	if courseHome != "" {
		patterns = append(patterns, JAXPluginPatterns(course.PythonEnvDir(courseHome))...)
	}
	var goxla []string
	if userHome != "" {
		goxla = append(goxla, filepath.Join(userHome, ".local", "lib", "go-xla"), filepath.Join(userHome, ".local", "lib", "gomlx", "pjrt"))
	}
	goxla = append(goxla, "/usr/local/lib/go-xla", "/usr/local/lib/gomlx/pjrt")
	for _, dir := range goxla {
		patterns = append(patterns, filepath.Join(dir, "nvidia", "pjrt_c_api_cuda*_plugin.so"), filepath.Join(dir, "pjrt_c_api_cuda*_plugin.so"))
	}
	for _, sp := range sitePackages(getenv, userHome) {
		patterns = append(patterns, jaxPluginPattern(sp))
	}
	for _, pattern := range patterns {
		matches, _ := filepath.Glob(pattern)
		// Prefer the newest CUDA major version when a directory has several.
		sort.Sort(sort.Reverse(sort.StringSlice(matches)))
		for _, m := range matches {
			if isFile(m) {
				return m
			}
		}
	}
	return ""
}

// JAXPluginPatterns are the glob patterns of the CUDA PJRT plugin that JAX's
// jax-cuda13-pjrt and jax-cuda12-pjrt wheels install into the Python
// environment (a virtual environment's directory) prefix.
func JAXPluginPatterns(prefix string) []string {
	return []string{jaxPluginPattern(filepath.Join(prefix, "lib", "python3*", "site-packages"))}
}

func jaxPluginPattern(sitePackages string) string {
	return filepath.Join(sitePackages, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so")
}

// sitePackages lists the directories where pip may have installed JAX's CUDA
// plugin: the active virtual or conda environment first, then the user's and
// the system's Python installations.
func sitePackages(getenv func(string) string, userHome string) []string {
	var prefixes []string
	for _, env := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if p := getenv(env); p != "" {
			prefixes = append(prefixes, p)
		}
	}
	if userHome != "" {
		prefixes = append(prefixes, filepath.Join(userHome, ".local"))
	}
	prefixes = append(prefixes, "/usr/local", "/usr", "/opt/conda")
	var dirs []string
	for _, prefix := range prefixes {
		for _, pattern := range []string{"lib/python3*/site-packages", "lib/python3*/dist-packages", "lib/python3/dist-packages"} {
			matches, _ := filepath.Glob(filepath.Join(prefix, pattern))
			sort.Sort(sort.Reverse(sort.StringSlice(matches)))
			dirs = append(dirs, matches...)
		}
	}
	return dirs
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

func courseHome() string {
	home, err := course.Home()
	if err != nil {
		return ""
	}
	return home
}

func userHome() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return home
}

// explicitName is the backend name in an explicit GOMLX_BACKEND value.
func explicitName(config string) string {
	name, _, _ := strings.Cut(config, ":")
	return strings.ToLower(strings.TrimSpace(name))
}
