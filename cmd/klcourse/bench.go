package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/klcourse/klcourse/internal/safefile"
)

func init() {
	register(command{
		name:    "bench",
		summary: "measure the training and evaluation speed of the course's models, optionally against PyTorch",
		run:     runBench,
	})
}

// torchReference is the PyTorch version of the models, run with --compare.
//
//go:embed bench_torch.py
var torchReference []byte

// benchModels are the models "go test -bench" measures in pkg/models, by the
// names of their benchmarks there and in bench_torch.py.
var benchModels = []string{"cnn", "vae", "rbm"}

// A speed is one measurement of one model in one mode.
type speed struct {
	ImagesPerS float64 `json:"images_per_s"`
	MsPerStep  float64 `json:"ms_per_step"`
	FirstStepS float64 `json:"first_step_s"`
	// Threads and OpenBLASThreads are PyTorch's settings for this measurement.
	Threads         int `json:"torch_threads,omitempty"`
	OpenBLASThreads int `json:"openblas_threads,omitempty"`
}

type benchResult struct {
	Model   string  `json:"model"`
	Mode    string  `json:"mode"` // "train" or "eval"
	Batch   int     `json:"batch"`
	GoMLX   speed   `json:"gomlx"`
	PyTorch *speed  `json:"pytorch,omitempty"`
	Ratio   float64 `json:"ratio,omitempty"` // GoMLX images/s over PyTorch's
}

type benchReport struct {
	Date    string        `json:"date"`
	Backend string        `json:"backend"`
	Machine string        `json:"machine"`
	Load    float64       `json:"load_average,omitempty"` // when other programs were busy
	Steps   int           `json:"steps"`
	Rounds  int           `json:"rounds"`
	PyTorch string        `json:"pytorch,omitempty"` // version and interpreter
	Results []benchResult `json:"results"`
}

var batchSizes = map[string]int{"cnn": 250, "vae": 128, "rbm": 64}

func runBench(args []string) error {
	fs := newFlagSet("bench", "")
	steps := fs.Int("steps", 20, "timed steps per measurement, after the first step and 2 warm-up steps")
	modelList := fs.String("models", strings.Join(benchModels, ","), "comma-separated models to measure: cnn, vae, rbm")
	compare := fs.Bool("compare", false, "also run the PyTorch references of the models (cmd/klcourse/bench_torch.py), alternating with GoMLX, and print the ratio")
	python := fs.String("python", "", "Python interpreter with PyTorch for --compare (default: the first of python3 on PATH and /usr/bin/python3 that imports torch)")
	backendFlag := fs.String("backend", "", "GOMLX_BACKEND for the GoMLX measurements (default: the course's choice, see pkg/backend)")
	rounds := fs.Int("rounds", 3, "measure every model this many times, alternating GoMLX and PyTorch, and report the medians")
	jsonPath := fs.String("json", filepath.Join("build", "bench.json"), "where to write the results as JSON, relative to the module root")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *steps < 1 || *rounds < 1 {
		return usageError("--steps and --rounds must be at least 1, got %d and %d", *steps, *rounds)
	}
	models := strings.Split(*modelList, ",")
	for _, m := range models {
		if !slices.Contains(benchModels, m) {
			return usageError("--models: unknown model %q; want some of %s", m, strings.Join(benchModels, ", "))
		}
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	report := benchReport{
		Date:    time.Now().Format(time.RFC3339),
		Machine: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()),
		Steps:   *steps,
		Rounds:  *rounds,
	}
	var torch *torchRunner
	if *compare {
		if torch, err = findTorch(*python); err != nil {
			return err
		}
		report.PyTorch = torch.version + " (" + torch.python + ")"
	}
	progress := os.Stderr
	if load := loadAverage(); load > 0.5 {
		fmt.Fprintf(progress, "klcourse bench: the load average is %.1f: other programs are using the CPU, and the results will be noisy\n", load)
		report.Load = load
	}
	// goRuns[model][mode] and torchRuns[model][mode] collect one speed per round.
	goRuns := map[string]map[string][]speed{}
	torchRuns := map[string]map[string][]speed{}
	torchBest := map[string]map[string]torchSetting{}
	for round := 1; round <= *rounds; round++ {
		for _, m := range models {
			fmt.Fprintf(progress, "klcourse bench: round %d/%d: %s on GoMLX...\n", round, *rounds, m)
			desc, speeds, err := goBench(root, m, *steps, *backendFlag)
			if err != nil {
				return err
			}
			report.Backend = desc
			appendSpeeds(goRuns, m, speeds)
			if torch == nil {
				continue
			}
			fmt.Fprintf(progress, "klcourse bench: round %d/%d: %s on PyTorch...\n", round, *rounds, m)
			// The first round tries every thread setting; the next ones
			// rerun the fastest setting of each mode.
			settings := torch.settings()
			if best, ok := torchBest[m]; ok {
				settings = uniqueSettings(best)
			}
			speeds, best, err := torch.bench(m, *steps, settings, progress)
			if err != nil {
				return err
			}
			if _, ok := torchBest[m]; !ok {
				torchBest[m] = best
			}
			appendSpeeds(torchRuns, m, speeds)
		}
	}
	for _, m := range models {
		for _, mode := range []string{"train", "eval"} {
			r := benchResult{Model: m, Mode: mode, Batch: batchSizes[m], GoMLX: medianSpeed(goRuns[m][mode])}
			if runs := torchRuns[m][mode]; len(runs) > 0 {
				ts := medianSpeed(runs)
				r.PyTorch = &ts
				r.Ratio = r.GoMLX.ImagesPerS / ts.ImagesPerS
			}
			report.Results = append(report.Results, r)
		}
	}
	printBench(os.Stdout, report)
	path := *jsonPath
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	if err := writeJSON(path, report); err != nil {
		return err
	}
	fmt.Printf("\nJSON: %s\n", path)
	return nil
}

// benchLine matches a result line of "go test -bench", e.g.
// "BenchmarkCNN/train-2   20   149274781 ns/op   0.44 first-step-s   1765 images/s   141.7 ms/step".
var benchLine = regexp.MustCompile(`^Benchmark(\w+)/(\w+)(?:-\d+)?\s+\d+\s+(.*)$`)

// goBench runs the benchmark of one model in pkg/models and returns the
// backend's description and the speed by mode.
func goBench(root, model string, steps int, backend string) (string, map[string]speed, error) {
	name := "Benchmark" + strings.ToUpper(model)
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^"+name+"$", "-benchtime", fmt.Sprintf("%dx", steps),
		"-count", "1", "-timeout", "60m", "./pkg/models")
	cmd.Dir = root
	cmd.Env = os.Environ()
	if backend != "" {
		cmd.Env = append(cmd.Env, "GOMLX_BACKEND="+backend)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	desc, speeds, parseErr := parseGoBench(&out)
	if runErr != nil || parseErr != nil {
		return "", nil, fmt.Errorf("go test -bench %s ./pkg/models failed: %v\n%s", name, errors.Join(runErr, parseErr), out.String())
	}
	return desc, speeds, nil
}

// parseGoBench reads the output of the benchmarks of one model: the
// "backend: ..." line they print and one result line per mode.
func parseGoBench(r io.Reader) (string, map[string]speed, error) {
	var desc string
	speeds := map[string]speed{}
	s := bufio.NewScanner(r)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, "backend: ") {
			desc = line
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		fields := strings.Fields(m[3])
		var sp speed
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return "", nil, fmt.Errorf("benchmark line %q: %v", line, err)
			}
			switch fields[i+1] {
			case "images/s":
				sp.ImagesPerS = v
			case "ms/step":
				sp.MsPerStep = v
			case "first-step-s":
				sp.FirstStepS = v
			}
		}
		if sp.ImagesPerS <= 0 {
			return "", nil, fmt.Errorf("benchmark line %q has no images/s", line)
		}
		speeds[m[2]] = sp
	}
	if len(speeds) != 2 || desc == "" {
		return "", nil, fmt.Errorf("expected a backend line and train and eval results, found backend %q and %d results", desc, len(speeds))
	}
	return desc, speeds, s.Err()
}

// torchRunner runs bench_torch.py with one Python interpreter.
type torchRunner struct {
	python, version string
}

// findTorch returns the first interpreter that imports torch: the given
// one, or python3 on PATH, then /usr/bin/python3 (on Debian the system
// Python is where python3-torch is, while PATH may start with another).
func findTorch(python string) (*torchRunner, error) {
	candidates := []string{python}
	if python == "" {
		candidates = []string{"python3", "/usr/bin/python3"}
	}
	var tried []string
	for _, py := range candidates {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		out, err := exec.CommandContext(ctx, py, "-c", "import torch; print(torch.__version__)").Output()
		cancel()
		if err == nil {
			return &torchRunner{python: py, version: "PyTorch " + strings.TrimSpace(string(out))}, nil
		}
		tried = append(tried, fmt.Sprintf("%s (%v)", py, err))
	}
	return nil, fmt.Errorf("--compare needs a Python with PyTorch; none imports torch: %s (install python3-torch, or pass --python)", strings.Join(tried, ", "))
}

// A torchSetting is one choice of PyTorch's threads and OpenBLAS's.
type torchSetting struct{ threads, openBLAS int }

// settings are the thread settings worth trying on this machine: PyTorch's
// own threads and OpenBLAS's, each 1 or all cores. On a small machine the
// two pools fight over the cores, and which setting is fastest depends on
// the model.
func (t *torchRunner) settings() []torchSetting {
	counts := []int{1}
	if n := runtime.NumCPU(); n > 1 {
		counts = append(counts, n)
	}
	var list []torchSetting
	for _, threads := range counts {
		for _, blas := range counts {
			list = append(list, torchSetting{threads, blas})
		}
	}
	return list
}

func uniqueSettings(byMode map[string]torchSetting) []torchSetting {
	var list []torchSetting
	for _, mode := range []string{"train", "eval"} {
		if s := byMode[mode]; !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// bench measures one model with each of settings and returns, per mode, the
// fastest measurement and its setting.
func (t *torchRunner) bench(model string, steps int, settings []torchSetting, progress io.Writer) (map[string]speed, map[string]torchSetting, error) {
	best := map[string]speed{}
	bestSetting := map[string]torchSetting{}
	for _, set := range settings {
		cmd := exec.Command(t.python, "-", "--models", model, "--steps", strconv.Itoa(steps), "--threads", strconv.Itoa(set.threads))
		cmd.Stdin = bytes.NewReader(torchReference)
		cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS="+strconv.Itoa(set.openBLAS))
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			return nil, nil, fmt.Errorf("PyTorch reference for %s (threads %d, OpenBLAS %d) failed: %v\n%s", model, set.threads, set.openBLAS, err, errOut.String())
		}
		s := bufio.NewScanner(&out)
		for s.Scan() {
			var r struct {
				Model string `json:"model"`
				Mode  string `json:"mode"`
				speed
			}
			if err := json.Unmarshal(s.Bytes(), &r); err != nil {
				return nil, nil, fmt.Errorf("PyTorch reference printed %q: %v", s.Text(), err)
			}
			if r.Model == "" {
				continue // the header line
			}
			r.Threads, r.OpenBLASThreads = set.threads, set.openBLAS
			fmt.Fprintf(progress, "  torch threads %d, OpenBLAS %d: %s %.0f images/s\n", set.threads, set.openBLAS, r.Mode, r.ImagesPerS)
			if r.ImagesPerS > best[r.Mode].ImagesPerS {
				best[r.Mode] = r.speed
				bestSetting[r.Mode] = set
			}
		}
	}
	if len(best) != 2 {
		return nil, nil, fmt.Errorf("PyTorch reference for %s reported %d modes, want train and eval", model, len(best))
	}
	return best, bestSetting, nil
}

func appendSpeeds(runs map[string]map[string][]speed, model string, speeds map[string]speed) {
	if runs[model] == nil {
		runs[model] = map[string][]speed{}
	}
	for mode, sp := range speeds {
		runs[model][mode] = append(runs[model][mode], sp)
	}
}

// medianSpeed is the run with the median throughput (the upper median for
// an even count), so that its fields belong to one measurement.
func medianSpeed(runs []speed) speed {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b speed) int { return cmp.Compare(a.ImagesPerS, b.ImagesPerS) })
	return sorted[len(sorted)/2]
}

// loadAverage is the one-minute load average, or 0 where it is unknown.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return 0
	}
	load, _ := strconv.ParseFloat(fields[0], 64)
	return load
}

func printBench(w io.Writer, r benchReport) {
	fmt.Fprintf(w, "GoMLX %s\n", r.Backend)
	if r.PyTorch != "" {
		fmt.Fprintf(w, "%s, the fastest of its thread settings\n", r.PyTorch)
	}
	fmt.Fprintf(w, "%s; each figure is the median of %d rounds, each the median of %d steps after the first and 2 warm-up steps\n", r.Machine, r.Rounds, r.Steps)
	if r.Load > 0 {
		fmt.Fprintf(w, "the load average was %.1f when the measurement started: other programs were using the CPU\n", r.Load)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if r.PyTorch != "" {
		fmt.Fprintln(tw, "model\tmode\tbatch\tGoMLX img/s\tfirst step\tPyTorch img/s\tfirst step\tratio\tPyTorch threads\t")
	} else {
		fmt.Fprintln(tw, "model\tmode\tbatch\tGoMLX img/s\tms/step\tfirst step\t")
	}
	for _, x := range r.Results {
		if x.PyTorch != nil {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%.2f s\t%.0f\t%.2f s\t%.2f\ttorch %d, OpenBLAS %d\t\n", x.Model, x.Mode, x.Batch,
				x.GoMLX.ImagesPerS, x.GoMLX.FirstStepS, x.PyTorch.ImagesPerS, x.PyTorch.FirstStepS, x.Ratio,
				x.PyTorch.Threads, x.PyTorch.OpenBLASThreads)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%.1f\t%.2f s\t\n", x.Model, x.Mode, x.Batch, x.GoMLX.ImagesPerS, x.GoMLX.MsPerStep, x.GoMLX.FirstStepS)
		}
	}
	tw.Flush()
}

// writeJSON writes v to path through a temporary file in the same directory.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return safefile.WriteBytes(path, append(data, '\n'))
}
