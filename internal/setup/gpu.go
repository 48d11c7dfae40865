package setup

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/klcourse/klcourse/pkg/backend"
	"github.com/klcourse/klcourse/pkg/course"
)

// cudaLibsEnv set to "system" makes setup install the CUDA PJRT plugin
// without the NVIDIA libraries of its lock file.
const cudaLibsEnv = "KLCOURSE_CUDA_LIBS"

// cudaFlavourEnv ("cuda12" or "cuda13") makes setup install that flavour of
// the plugin without asking the machine's GPU and driver.
const cudaFlavourEnv = "KLCOURSE_CUDA"

// hasNVIDIAGPU and nvidiaSMI are what the step asks the machine; tests
// replace them.
var (
	hasNVIDIAGPU = backend.HasNVIDIAGPU
	nvidiaSMI    = func() (string, error) {
		out, err := exec.Command("nvidia-smi").CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("nvidia-smi: %v: %s", err, lastLine(string(out)))
		}
		return string(out), nil
	}
)

// noGPULine is the step's one line on a machine without an NVIDIA GPU.
const noGPULine = "no NVIDIA GPU here: skipped (the course runs on the CPU)"

// gpuTarget is what a GPU machine needs: the plugin's flavour for the
// driver's CUDA version, and the lock file that pins it.
type gpuTarget struct {
	flavour     string // "cuda13" or "cuda12"
	driver      string // the driver's version, as nvidia-smi prints it
	driverCUDA  string // the newest CUDA version the driver supports
	lock        string // the lock file's path
	pluginOnly  bool   // KLCOURSE_CUDA_LIBS=system
	pluginPkg   string // "jax-cuda13-pjrt"
	pluginFiles string // the plugin's directory under jax_plugins/
}

var smiVersions = regexp.MustCompile(`Driver Version:\s*([0-9.]+)\s+CUDA Version:\s*([0-9]+)\.([0-9]+)`)

// cudaFlavour reads the driver's version and the CUDA version it supports
// from nvidia-smi's table and picks the plugin for it.
func cudaFlavour(smi string) (flavour, driver, cuda string, err error) {
	m := smiVersions.FindStringSubmatch(smi)
	if m == nil {
		return "", "", "", errors.New("nvidia-smi printed no \"Driver Version: … CUDA Version: …\" line")
	}
	major, _ := strconv.Atoi(m[2])
	cuda = m[2] + "." + m[3]
	switch {
	case major >= 13:
		return "cuda13", m[1], cuda, nil
	case major == 12:
		return "cuda12", m[1], cuda, nil
	}
	return "", m[1], cuda, fmt.Errorf("the NVIDIA driver %s supports CUDA %s; JAX's CUDA plugin needs CUDA 12 or newer (driver 525 or newer): update the driver", m[1], cuda)
}

// gpuTargetFor finds what this GPU machine needs.
func gpuTargetFor(env *setupEnv) (gpuTarget, error) {
	var flavour, driver, cuda string
	switch forced := os.Getenv(cudaFlavourEnv); forced {
	case "cuda12", "cuda13":
		flavour, driver, cuda = forced, "(not asked: "+cudaFlavourEnv+"="+forced+")", strings.TrimPrefix(forced, "cuda")
	case "":
		smi, err := nvidiaSMI()
		if err != nil {
			return gpuTarget{}, fmt.Errorf("this machine has an NVIDIA GPU but its driver does not answer (%v): install NVIDIA's driver", err)
		}
		if flavour, driver, cuda, err = cudaFlavour(smi); err != nil {
			return gpuTarget{}, err
		}
	default:
		return gpuTarget{}, fmt.Errorf("%s=%q: want cuda12 or cuda13", cudaFlavourEnv, forced)
	}
	libs := os.Getenv(cudaLibsEnv)
	if libs != "" && libs != "system" {
		return gpuTarget{}, fmt.Errorf("%s=%q: want \"system\" (use the machine's CUDA libraries) or nothing", cudaLibsEnv, libs)
	}
	return gpuTarget{
		flavour:     flavour,
		driver:      driver,
		driverCUDA:  cuda,
		lock:        filepath.Join(env.root, "python", "gpu-"+flavour+".lock"),
		pluginOnly:  libs == "system",
		pluginPkg:   "jax-" + flavour + "-pjrt",
		pluginFiles: "xla_" + flavour,
	}, nil
}

// A lockEntry is one requirement of a pip lock file written by pip-compile
// --generate-hashes: a pinned version and its hashes.
type lockEntry struct {
	name, version string
	lines         []string // the requirement and its --hash lines, as written
}

// readLock reads a pip lock file. Every requirement must be pinned with ==
// and carry at least one sha256 hash, as pip's --require-hashes demands.
func readLock(path string) ([]lockEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("the lock file: %w", err)
	}
	defer f.Close()
	var entries []lockEntry
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			continue
		case strings.HasPrefix(trimmed, "--hash=sha256:"):
			if len(entries) == 0 {
				return nil, fmt.Errorf("%s:%d: a hash before any requirement", path, n)
			}
			e := &entries[len(entries)-1]
			e.lines = append(e.lines, line)
		case strings.HasPrefix(trimmed, "-"):
			return nil, fmt.Errorf("%s:%d: %q: a lock file holds only pinned requirements and their hashes", path, n, trimmed)
		default:
			req := strings.TrimSpace(strings.TrimSuffix(trimmed, "\\"))
			name, version, ok := strings.Cut(req, "==")
			if !ok || strings.ContainsAny(version, " ;<>=!~,") || version == "" {
				return nil, fmt.Errorf("%s:%d: %q: want NAME==VERSION", path, n, req)
			}
			entries = append(entries, lockEntry{name: normalizeDist(name), version: version, lines: []string{line}})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s: no requirements", path)
	}
	for _, e := range entries {
		if len(e.lines) < 2 {
			return nil, fmt.Errorf("%s: %s==%s has no --hash=sha256: line", path, e.name, e.version)
		}
	}
	return entries, nil
}

// normalizeDist is a distribution's name as PEP 503 compares them.
func normalizeDist(name string) string {
	return strings.ToLower(distSeparators.ReplaceAllString(strings.TrimSpace(name), "-"))
}

var distSeparators = regexp.MustCompile(`[-_.]+`)

// wanted is what the target installs from its lock: everything, or the
// plugin alone.
func (t gpuTarget) wanted() ([]lockEntry, error) {
	entries, err := readLock(t.lock)
	if err != nil {
		return nil, err
	}
	var plugin []lockEntry
	for _, e := range entries {
		if e.name == t.pluginPkg {
			plugin = append(plugin, e)
		}
	}
	if len(plugin) != 1 {
		return nil, fmt.Errorf("%s does not pin %s", t.lock, t.pluginPkg)
	}
	if t.pluginOnly {
		return plugin, nil
	}
	return entries, nil
}

// installedDists lists the distributions installed in a Python environment
// (a virtual environment's directory) and their versions, from their
// .dist-info directories.
func installedDists(prefix string) map[string]string {
	have := map[string]string{}
	metas, _ := filepath.Glob(filepath.Join(prefix, "lib", "python3*", "site-packages", "*.dist-info", "METADATA"))
	for _, meta := range metas {
		data, err := os.ReadFile(meta)
		if err != nil {
			continue
		}
		var name, version string
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "Name: "); ok && name == "" {
				name = strings.TrimSpace(v)
			} else if v, ok := strings.CutPrefix(line, "Version: "); ok && version == "" {
				version = strings.TrimSpace(v)
			}
			if line == "" {
				break // the headers end at the first empty line
			}
		}
		if name != "" {
			have[normalizeDist(name)] = version
		}
	}
	return have
}

func checkCUDAPlugin(env *setupEnv) (string, error) {
	if !hasNVIDIAGPU() && os.Getenv(cudaFlavourEnv) == "" {
		return noGPULine, nil
	}
	t, err := gpuTargetFor(env)
	if err != nil {
		return "", err
	}
	want, err := t.wanted()
	if err != nil {
		return "", err
	}
	venv := course.PythonEnvDir(env.home)
	have := installedDists(venv)
	var missing []string
	for _, e := range want {
		if v, ok := have[e.name]; !ok {
			missing = append(missing, e.name+" "+e.version)
		} else if v != e.version {
			missing = append(missing, fmt.Sprintf("%s %s (installed: %s)", e.name, e.version, v))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return "", fmt.Errorf("the driver %s supports CUDA %s, and %s in %s lacks %s of %s",
			t.driver, t.driverCUDA, "the course's Python environment", venv, strings.Join(missing, ", "), relToRoot(env, t.lock))
	}
	plugin := filepath.Join(venv, "lib", "python3*", "site-packages", "jax_plugins", t.pluginFiles, "xla_cuda_plugin.so")
	matches, _ := filepath.Glob(plugin)
	if len(matches) == 0 {
		return "", fmt.Errorf("%s %s is installed in %s but its plugin file is missing (%s)", t.pluginPkg, have[t.pluginPkg], venv, plugin)
	}
	libs := fmt.Sprintf("%d NVIDIA libraries from the lock", len(want)-1)
	if t.pluginOnly {
		libs = "the machine's CUDA libraries (" + cudaLibsEnv + "=system)"
	}
	return fmt.Sprintf("%s %s for CUDA %s (driver %s supports CUDA %s), %s: %s",
		t.pluginPkg, have[t.pluginPkg], strings.TrimPrefix(t.flavour, "cuda"), t.driver, t.driverCUDA, libs, matches[0]), nil
}

// installCUDAPlugin installs the target's lock (or its plugin alone) into
// the course's Python environment with pip --require-hashes.
func installCUDAPlugin(env *setupEnv) error {
	if _, set := os.LookupEnv(backend.NoAutoInstallEnv); set {
		return fmt.Errorf("%s is set: downloading is not allowed", backend.NoAutoInstallEnv)
	}
	t, err := gpuTargetFor(env)
	if err != nil {
		return err
	}
	want, err := t.wanted()
	if err != nil {
		return err
	}
	python, err := ensurePythonEnv(env)
	if err != nil {
		return err
	}
	lock := t.lock
	if t.pluginOnly {
		// pip's -r takes a file: the plugin's requirement and hashes alone.
		f, err := os.CreateTemp("", "klcourse-cuda-pjrt-*.txt")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		_, werr := fmt.Fprintln(f, strings.Join(want[0].lines, "\n"))
		if err := errors.Join(werr, f.Close()); err != nil {
			return err
		}
		lock = f.Name()
	}
	args := []string{"-m", "pip", "install", "--require-hashes", "--no-deps", "--only-binary=:all:",
		"--disable-pip-version-check", "--no-input", "--no-cache-dir", "-r", lock}
	fmt.Fprintf(env.out, "           $ %s %s\n", python, strings.Join(args, " "))
	return runLogged(env, python, args...)
}

// relToRoot names a file of the checkout relative to its root.
func relToRoot(env *setupEnv, path string) string {
	if rel, err := filepath.Rel(env.root, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// fixCUDAPlugin is the command that fixes the cuda-pjrt step by hand.
func fixCUDAPlugin(env *setupEnv) string {
	return "klcourse setup   (on a machine with an NVIDIA GPU and its driver; or set " + backend.BackendEnv + "=xla:/path/to/xla_cuda_plugin.so)"
}
