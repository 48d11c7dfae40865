package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klcourse/klcourse/internal/cli"
	"github.com/klcourse/klcourse/internal/module"
	"github.com/klcourse/klcourse/pkg/course"
)

// The peers of "klcourse bench --compare" are PyTorch, eager and under
// torch.compile, and JAX under jit, on the CPU. They run in a Python
// environment of their own, BenchEnvDir under the course home, which
// "klcourse bench setup" makes from python/bench.lock (pinned, with hashes):
// students never need it, so the course's setup does not install it.
//
// The peers' code is python/bench: driver.py (the protocol and the timing)
// and models/*.py, one file per row with its PyTorch and JAX versions.

// BenchEnvDir is the bench's Python environment under the course home.
func BenchEnvDir(home string) string { return filepath.Join(home, "bench-venv") }

// benchLock is the lock file of the bench's environment, relative to the module root.
const benchLock = "python/bench.lock"

func runBenchSetup(args []string) error {
	fs := cli.NewFlagSet("bench setup", "")
	python := fs.String("python", "python3", "the Python (3.11 or newer, with venv) to make the environment with")
	if _, err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	root, err := module.Root()
	if err != nil {
		return err
	}
	home, err := course.Home()
	if err != nil {
		return err
	}
	dir := BenchEnvDir(home)
	lock := filepath.Join(root, benchLock)
	if _, err := os.Stat(lock); err != nil {
		return fmt.Errorf("the bench's lock file: %w", err)
	}
	run := func(name string, args ...string) error {
		fmt.Printf("$ %s %s\n", name, strings.Join(args, " "))
		cmd := exec.Command(name, args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return nil
	}
	py := filepath.Join(dir, "bin", "python")
	if _, err := os.Stat(py); err != nil {
		if err := run(*python, "-m", "venv", dir); err != nil {
			return fmt.Errorf("%w (on Debian: apt-get install python3-venv)", err)
		}
	}
	// --no-deps: the lock lists every package; --require-hashes checks each.
	if err := run(py, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--require-hashes", "--no-deps", "-r", lock); err != nil {
		return err
	}
	p, err := findPeers(py, root)
	if err != nil {
		return err
	}
	fmt.Printf("klcourse bench: the peers are ready in %s: %s\n", dir, versionLine(p.versions))
	return nil
}

// peerRunner runs python/bench with one Python interpreter.
type peerRunner struct {
	python   string
	root     string
	versions map[string]string
}

// findPeers checks that python (default: the bench environment's) imports
// torch and jax, and reads their versions.
func findPeers(python, root string) (*peerRunner, error) {
	if python == "" {
		home, err := course.Home()
		if err != nil {
			return nil, err
		}
		python = filepath.Join(BenchEnvDir(home), "bin", "python")
		if _, err := os.Stat(python); err != nil {
			return nil, fmt.Errorf("--compare needs the peers' environment %s: run `go run ./cmd/klcourse bench setup` (or pass --python)", BenchEnvDir(home))
		}
	}
	p := &peerRunner{python: python, root: root}
	script, err := p.script()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-", "--versions")
	cmd.Stdin = bytes.NewReader(script)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s cannot run the peers (python/bench/driver.py needs torch and jax; run `go run ./cmd/klcourse bench setup`): %v\n%s", python, err, tailLines(errOut.String(), 10))
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &p.versions); err != nil || p.versions["torch"] == "" {
		return nil, fmt.Errorf("%s --versions printed %q, want the JSON of the versions of torch and jax (%v)", python, out, err)
	}
	return p, nil
}

// versionLine is "jax 0.10.2, jaxlib 0.10.2, torch 2.15.0".
func versionLine(v map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(v)) {
		parts = append(parts, k+" "+v[k])
	}
	return strings.Join(parts, ", ")
}

// script is python/bench/driver.py, then every python/bench/models/*.py in
// name order, then the call of main.
func (p *peerRunner) script() ([]byte, error) {
	dir := filepath.Join(p.root, "python", "bench")
	var script bytes.Buffer
	core, err := os.ReadFile(filepath.Join(dir, "driver.py"))
	if err != nil {
		return nil, err
	}
	script.Write(core)
	files, err := filepath.Glob(filepath.Join(dir, "models", "*.py"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&script, "\n\n# ---- models/%s\n", filepath.Base(f))
		script.Write(data)
	}
	script.WriteString("\n\nif __name__ == \"__main__\":\n    sys.exit(main())\n")
	return script.Bytes(), nil
}

// bench measures the modes of one model with one peer. A mode the peer
// cannot run (torch.compile without a compiler, a model with no JAX
// version) comes back in errs, not as an error.
func (p *peerRunner) bench(peer, model string, modes []string, steps, threads int) (speeds map[string]speed, errs map[string]string, err error) {
	script, err := p.script()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(p.python, "-", "--framework", peerFramework[peer], "--models", model, "--modes", strings.Join(modes, ","),
		"--steps", strconv.Itoa(steps), "--threads", strconv.Itoa(threads))
	cmd.Stdin = bytes.NewReader(script)
	// torch.compile's caches go to a private folder, removed afterwards.
	tmp, err := os.MkdirTemp("", "klcourse-bench-*")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "TORCHINDUCTOR_CACHE_DIR="+filepath.Join(tmp, "inductor"),
		"TRITON_CACHE_DIR="+filepath.Join(tmp, "triton"), "XDG_CACHE_HOME="+filepath.Join(tmp, "cache"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("the %s peer of %s failed: %v\n%s", peer, model, err, tailLines(errOut.String(), 20))
	}
	speeds, errs, err = parsePeerOutput(&out)
	if err != nil {
		return nil, nil, fmt.Errorf("the %s peer of %s: %w", peer, model, err)
	}
	for _, mode := range modes {
		if _, ok := speeds[mode]; !ok && errs[mode] == "" {
			if e := errs[""]; e != "" {
				errs[mode] = e // the model has no version for this peer
			} else {
				return nil, nil, fmt.Errorf("the %s peer of %s reported no %s measurement (Go has %s)", peer, model, mode, strings.Join(modes, ", "))
			}
		}
	}
	delete(errs, "")
	return speeds, errs, nil
}

// parsePeerOutput reads the driver's lines: a header, then a measurement or
// an error per mode.
func parsePeerOutput(r *bytes.Buffer) (map[string]speed, map[string]string, error) {
	speeds, errs := map[string]speed{}, map[string]string{}
	s := bufio.NewScanner(r)
	for s.Scan() {
		var line struct {
			Model string `json:"model"`
			Mode  string `json:"mode"`
			Error string `json:"error"`
			speed
		}
		if err := json.Unmarshal(s.Bytes(), &line); err != nil {
			return nil, nil, fmt.Errorf("printed %q: %v", s.Text(), err)
		}
		switch {
		case line.Model == "":
			continue // the header
		case line.Error != "":
			errs[line.Mode] = line.Error
		case line.PerS > 0 && line.Unit != "":
			speeds[line.Mode] = line.speed
		default:
			return nil, nil, fmt.Errorf("printed %q: no throughput, unit or error", s.Text())
		}
	}
	if len(speeds) == 0 && len(errs) == 0 {
		return nil, nil, errors.New("printed no measurement")
	}
	return speeds, errs, s.Err()
}

// tailLines is the last n lines of s.
func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
