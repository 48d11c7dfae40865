package setup

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/module"
	"github.com/klcourse/klcourse/pkg/backend"
	"github.com/klcourse/klcourse/pkg/course"
)

// smiTable is the head of nvidia-smi's table, as a driver prints it.
func smiTable(driver, cuda string) string {
	return fmt.Sprintf(`+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI %s             Driver Version: %s     CUDA Version: %s     |
|-----------------------------------------+------------------------+----------------------+
`, driver, driver, cuda)
}

func TestCUDAFlavourFromDriver(t *testing.T) {
	for _, c := range []struct {
		smi, flavour, driver, cuda string
		fails                      bool
	}{
		{smi: smiTable("580.159.04", "13.0"), flavour: "cuda13", driver: "580.159.04", cuda: "13.0"},
		{smi: smiTable("590.10", "13.1"), flavour: "cuda13", driver: "590.10", cuda: "13.1"},
		{smi: smiTable("550.54.15", "12.4"), flavour: "cuda12", driver: "550.54.15", cuda: "12.4"},
		{smi: smiTable("470.82.01", "11.4"), driver: "470.82.01", cuda: "11.4", fails: true},
		{smi: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.", fails: true},
	} {
		flavour, driver, cuda, err := cudaFlavour(c.smi)
		if (err != nil) != c.fails {
			t.Errorf("%q: error %v, want failure %v", firstLine(c.smi), err, c.fails)
		}
		if flavour != c.flavour || driver != c.driver || cuda != c.cuda {
			t.Errorf("%q: got %q, driver %q, CUDA %q; want %q, %q, %q", firstLine(c.smi), flavour, driver, cuda, c.flavour, c.driver, c.cuda)
		}
	}
}

func firstLine(s string) string { return strings.SplitN(strings.TrimSpace(s), "\n", 2)[0] }

// fakeGPU makes the step see an NVIDIA GPU whose driver supports cuda.
func fakeGPU(t *testing.T, present bool, cuda string) {
	t.Helper()
	gpu, smi := hasNVIDIAGPU, nvidiaSMI
	t.Cleanup(func() { hasNVIDIAGPU, nvidiaSMI = gpu, smi })
	hasNVIDIAGPU = func() bool { return present }
	nvidiaSMI = func() (string, error) { return smiTable("580.159.04", cuda), nil }
}

func gpuTestEnv(t *testing.T) *setupEnv {
	root, err := module.Root()
	if err != nil {
		t.Fatal(err)
	}
	return &setupEnv{root: root, home: t.TempDir(), out: &bytes.Buffer{}, kernelEnv: map[string]string{}}
}

// A machine without an NVIDIA GPU skips the step with one line and installs
// nothing.
func TestCUDAPluginStepWithoutGPU(t *testing.T) {
	fakeGPU(t, false, "")
	nvidiaSMI = func() (string, error) { t.Fatal("nvidia-smi asked on a machine without a GPU"); return "", nil }
	env := gpuTestEnv(t)
	var step setupStep
	for _, s := range setupSteps {
		if s.name == "cuda-pjrt" {
			step = s
		}
	}
	if step.check == nil {
		t.Fatal("no cuda-pjrt setup step")
	}
	if !runSetupStep(env, step) {
		t.Fatal("the step failed on a machine without a GPU")
	}
	out := env.out.(*bytes.Buffer).String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, noGPULine) {
		t.Errorf("want one line saying %q, got:\n%s", noGPULine, out)
	}
	if _, err := os.Stat(course.PythonEnvDir(env.home)); !os.IsNotExist(err) {
		t.Errorf("the step made the Python environment on a machine without a GPU (%v)", err)
	}
}

// The lock files pin the plugin at the version their input names, every
// requirement with hashes, and hold every package of the input.
func TestCUDAPluginLocks(t *testing.T) {
	root, err := module.Root()
	if err != nil {
		t.Fatal(err)
	}
	for _, flavour := range []string{"cuda13", "cuda12"} {
		entries, err := readLock(filepath.Join(root, "python", "gpu-"+flavour+".lock"))
		if err != nil {
			t.Fatal(err)
		}
		pinned := map[string]string{}
		for _, e := range entries {
			pinned[e.name] = e.version
		}
		in, err := os.ReadFile(filepath.Join(root, "python", "gpu-"+flavour+".in"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(in), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			name := normalizeDist(strings.FieldsFunc(line, func(r rune) bool { return strings.ContainsRune("<>=!~,;[ ", r) })[0])
			v, ok := pinned[name]
			if !ok {
				t.Errorf("gpu-%s.lock lacks %s of gpu-%s.in", flavour, name, flavour)
			}
			if _, exact, found := strings.Cut(line, "=="); found && exact != v {
				t.Errorf("gpu-%s.lock pins %s %s, the input %s", flavour, name, v, exact)
			}
		}
		if _, ok := pinned["jax-"+flavour+"-pjrt"]; !ok {
			t.Errorf("gpu-%s.lock does not pin jax-%s-pjrt", flavour, flavour)
		}
	}
}

func TestReadLockRejectsUnpinned(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"unpinned":  "jax-cuda13-pjrt>=0.11 \\\n    --hash=sha256:00\n",
		"no hash":   "jax-cuda13-pjrt==0.11.2\n",
		"an option": "--index-url https://example.invalid/simple\njax-cuda13-pjrt==0.11.2 \\\n    --hash=sha256:00\n",
		"empty":     "# nothing\n",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".lock")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readLock(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want an error naming %s", name, err, path)
		}
	}
}

// installFake writes the .dist-info of each entry (and the plugin file) into
// a Python environment, as pip leaves them.
func installFake(t *testing.T, prefix string, entries []lockEntry, pluginDir string) string {
	t.Helper()
	sp := filepath.Join(prefix, "lib", "python3.11", "site-packages")
	for _, e := range entries {
		info := filepath.Join(sp, strings.ReplaceAll(e.name, "-", "_")+"-"+e.version+".dist-info")
		if err := os.MkdirAll(info, 0o755); err != nil {
			t.Fatal(err)
		}
		meta := "Metadata-Version: 2.1\nName: " + e.name + "\nVersion: " + e.version + "\n\nDescription\nVersion: 0\n"
		if err := os.WriteFile(filepath.Join(info, "METADATA"), []byte(meta), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plugin := filepath.Join(sp, "jax_plugins", pluginDir, "xla_cuda_plugin.so")
	if err := os.MkdirAll(filepath.Dir(plugin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plugin, []byte("ELF"), 0o644); err != nil {
		t.Fatal(err)
	}
	return plugin
}

func TestCUDAPluginCheck(t *testing.T) {
	fakeGPU(t, true, "13.0")
	env := gpuTestEnv(t)
	if _, err := checkCUDAPlugin(env); err == nil || !strings.Contains(err.Error(), "jax-cuda13-pjrt 0.11.2") {
		t.Errorf("nothing installed: err = %v, want it to name jax-cuda13-pjrt 0.11.2", err)
	}
	entries, err := readLock(filepath.Join(env.root, "python", "gpu-cuda13.lock"))
	if err != nil {
		t.Fatal(err)
	}
	venv := course.PythonEnvDir(env.home)
	plugin := installFake(t, venv, entries[:1], "xla_cuda13")
	if _, err := checkCUDAPlugin(env); err == nil || !strings.Contains(err.Error(), entries[1].name) {
		t.Errorf("the plugin without its libraries: err = %v, want it to name %s", err, entries[1].name)
	}
	t.Setenv(cudaLibsEnv, "system")
	what, err := checkCUDAPlugin(env)
	if err != nil || !strings.Contains(what, plugin) || !strings.Contains(what, "CUDA 13") || !strings.Contains(what, "driver 580.159.04") {
		t.Errorf("%s=system, the plugin alone: %q, %v; want the plugin's path, CUDA 13 and the driver", cudaLibsEnv, what, err)
	}
	t.Setenv(cudaLibsEnv, "")
	installFake(t, venv, entries, "xla_cuda13")
	if what, err := checkCUDAPlugin(env); err != nil || !strings.Contains(what, "jax-cuda13-pjrt 0.11.2") {
		t.Errorf("everything installed: %q, %v", what, err)
	}
	// A CUDA 12 driver wants the other lock.
	fakeGPU(t, true, "12.4")
	if _, err := checkCUDAPlugin(env); err == nil || !strings.Contains(err.Error(), "jax-cuda12-pjrt") {
		t.Errorf("a CUDA 12 driver with the CUDA 13 plugin installed: err = %v, want it to ask for jax-cuda12-pjrt", err)
	}
	t.Setenv(cudaLibsEnv, "yes")
	if _, err := checkCUDAPlugin(env); err == nil || !strings.Contains(err.Error(), cudaLibsEnv) {
		t.Errorf("%s=yes: err = %v, want it named", cudaLibsEnv, err)
	}
}

// TestCUDAPluginWheelInstalls installs the pinned CUDA 13 plugin (without
// the NVIDIA libraries: 134 MB instead of several GB) from the registry into
// a new Python environment, as setup does on a GPU machine, and checks that
// setup's check and the backend package find it. It needs the network, so
// it runs only with KLCOURSE_TEST_CUDA_WHEEL=1.
func TestCUDAPluginWheelInstalls(t *testing.T) {
	if os.Getenv("KLCOURSE_TEST_CUDA_WHEEL") != "1" {
		t.Skip("set KLCOURSE_TEST_CUDA_WHEEL=1 to install the CUDA PJRT wheel from the registry (134 MB)")
	}
	fakeGPU(t, true, "13.0")
	t.Setenv(cudaLibsEnv, "system")
	env := gpuTestEnv(t)
	env.out = os.Stderr
	if err := installCUDAPlugin(env); err != nil {
		t.Fatal(err)
	}
	what, err := checkCUDAPlugin(env)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(what)
	t.Setenv(course.HomeEnv, env.home)
	t.Setenv(backend.PJRTPluginPathEnv, "")
	found := backend.CUDAPlugin()
	if !strings.HasPrefix(found, course.PythonEnvDir(env.home)) || !strings.HasSuffix(found, "jax_plugins/xla_cuda13/xla_cuda_plugin.so") {
		t.Errorf("the backend package finds %q, want the plugin in %s", found, course.PythonEnvDir(env.home))
	}
	if info, err := os.Stat(found); err != nil {
		t.Error(err)
	} else if info.Size() < 100<<20 {
		t.Errorf("the plugin %s has %d bytes, want the real library", found, info.Size())
	}
}

// KLCOURSE_CUDA names the flavour to install on a machine without a GPU
// (building a GPU node's image): nvidia-smi is not asked, and the lock is
// that flavour's; another value is refused.
func TestCUDAFlavourForced(t *testing.T) {
	fakeGPU(t, false, "")
	nvidiaSMI = func() (string, error) { t.Fatal("nvidia-smi asked with KLCOURSE_CUDA set"); return "", nil }
	env := gpuTestEnv(t)
	t.Setenv(cudaFlavourEnv, "cuda12")
	target, err := gpuTargetFor(env)
	if err != nil {
		t.Fatal(err)
	}
	if target.flavour != "cuda12" || filepath.Base(target.lock) != "gpu-cuda12.lock" || target.pluginPkg != "jax-cuda12-pjrt" {
		t.Errorf("target %+v", target)
	}
	if _, err := checkCUDAPlugin(env); err == nil || strings.Contains(err.Error(), noGPULine) {
		t.Errorf("with %s=cuda12 the check did not ask for the plugin: %v", cudaFlavourEnv, err)
	}
	t.Setenv(cudaFlavourEnv, "cuda11")
	if _, err := gpuTargetFor(env); err == nil || !strings.Contains(err.Error(), "want cuda12 or cuda13") {
		t.Errorf("KLCOURSE_CUDA=cuda11: %v", err)
	}
}
