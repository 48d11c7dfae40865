package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
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

// torchCore is the driver of the PyTorch references, run with --compare;
// torchWorkloads are the models, one file each (bench_models.go says how to
// add one). torchScript puts them together into one script.
var (
	//go:embed bench_torch.py
	torchCore []byte
	//go:embed bench_torch/*.py
	torchWorkloads embed.FS
)

// torchScript is bench_torch.py, then every bench_torch/*.py in name order,
// then the call of main.
func torchScript() ([]byte, error) {
	var script bytes.Buffer
	script.Write(torchCore)
	entries, err := fs.ReadDir(torchWorkloads, "bench_torch")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		data, err := fs.ReadFile(torchWorkloads, "bench_torch/"+e.Name())
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&script, "\n\n# ---- bench_torch/%s\n", e.Name())
		script.Write(data)
	}
	script.WriteString("\n\nif __name__ == \"__main__\":\n    sys.exit(main())\n")
	return script.Bytes(), nil
}

// A speed is one measurement of one model in one mode.
type speed struct {
	PerS       float64 `json:"per_s"` // Units per second
	Unit       string  `json:"unit"`  // what a step processes: images, samples, ...
	MsPerStep  float64 `json:"ms_per_step"`
	FirstStepS float64 `json:"first_step_s"`
	// Threads and OpenBLASThreads are PyTorch's settings for this measurement.
	Threads         int `json:"torch_threads,omitempty"`
	OpenBLASThreads int `json:"openblas_threads,omitempty"`
}

type benchResult struct {
	Model   string  `json:"model"`
	Mode    string  `json:"mode"` // "train", "eval", "sample", ...
	Batch   int     `json:"batch"`
	GoMLX   speed   `json:"gomlx"`
	PyTorch *speed  `json:"pytorch,omitempty"`
	Ratio   float64 `json:"ratio,omitempty"` // GoMLX throughput over PyTorch's
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

func runBench(args []string) error {
	fs := newFlagSet("bench", "")
	steps := fs.Int("steps", 20, "timed steps per measurement, after the first step and 2 warm-up steps")
	modelList := fs.String("models", strings.Join(benchModelNames(), ","), "comma-separated models to measure: "+strings.Join(benchModelNames(), ", "))
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
		if _, ok := findBenchModel(m); !ok {
			return usageError("--models: unknown model %q; want some of %s", m, strings.Join(benchModelNames(), ", "))
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
	modes := map[string][]string{} // by model, in the order its benchmark reports them
	for round := 1; round <= *rounds; round++ {
		for _, m := range models {
			fmt.Fprintf(progress, "klcourse bench: round %d/%d: %s on GoMLX...\n", round, *rounds, m)
			desc, speeds, order, err := goBench(root, m, *steps, *backendFlag)
			if err != nil {
				return err
			}
			modes[m] = order
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
			speeds, best, err := torch.bench(m, modes[m], *steps, settings, progress)
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
		bm, _ := findBenchModel(m)
		for _, mode := range modes[m] {
			r := benchResult{Model: m, Mode: mode, Batch: bm.batch, GoMLX: medianSpeed(goRuns[m][mode])}
			if runs := torchRuns[m][mode]; len(runs) > 0 {
				ts := medianSpeed(runs)
				r.PyTorch = &ts
				r.Ratio = r.GoMLX.PerS / ts.PerS
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
var benchLine = regexp.MustCompile(`^Benchmark(\w+)/([\w-]+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// goBench runs the Go benchmark of one model and returns the backend's
// description, the speed by mode and the modes in the order reported.
func goBench(root, model string, steps int, backend string) (string, map[string]speed, []string, error) {
	bm, _ := findBenchModel(model)
	name := bm.benchmark
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^"+name+"$", "-benchtime", fmt.Sprintf("%dx", steps),
		"-count", "1", "-timeout", "60m", bm.pkg)
	cmd.Dir = root
	cmd.Env = os.Environ()
	if backend != "" {
		cmd.Env = append(cmd.Env, "GOMLX_BACKEND="+backend)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	desc, speeds, order, parseErr := parseGoBench(&out)
	if runErr != nil || parseErr != nil {
		return "", nil, nil, fmt.Errorf("go test -bench %s %s failed: %v\n%s", name, bm.pkg, errors.Join(runErr, parseErr), out.String())
	}
	return desc, speeds, order, nil
}

// parseGoBench reads the output of the benchmarks of one model: the
// "backend: ..." line they print and one result line per mode, whose
// throughput is the metric named UNIT/s (see internal/benchstep).
func parseGoBench(r io.Reader) (string, map[string]speed, []string, error) {
	var desc string
	var order []string
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
				return "", nil, nil, fmt.Errorf("benchmark line %q: %v", line, err)
			}
			switch unit := fields[i+1]; {
			case unit == "ms/step":
				sp.MsPerStep = v
			case unit == "first-step-s":
				sp.FirstStepS = v
			case strings.HasSuffix(unit, "/s"):
				sp.PerS, sp.Unit = v, strings.TrimSuffix(unit, "/s")
			}
		}
		if sp.PerS <= 0 {
			return "", nil, nil, fmt.Errorf("benchmark line %q has no throughput (a metric UNIT/s)", line)
		}
		if _, dup := speeds[m[2]]; !dup {
			order = append(order, m[2])
		}
		speeds[m[2]] = sp
	}
	if len(speeds) == 0 || desc == "" {
		return "", nil, nil, fmt.Errorf("expected a backend line and one result per mode, found backend %q and %d results", desc, len(speeds))
	}
	return desc, speeds, order, s.Err()
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
	modes := slices.Sorted(maps.Keys(byMode))
	for _, mode := range modes {
		if s := byMode[mode]; !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// bench measures one model with each of settings and returns, per mode, the
// fastest measurement and its setting.
func (t *torchRunner) bench(model string, modes []string, steps int, settings []torchSetting, progress io.Writer) (map[string]speed, map[string]torchSetting, error) {
	best := map[string]speed{}
	bestSetting := map[string]torchSetting{}
	script, err := torchScript()
	if err != nil {
		return nil, nil, err
	}
	for _, set := range settings {
		cmd := exec.Command(t.python, "-", "--models", model, "--modes", strings.Join(modes, ","),
			"--steps", strconv.Itoa(steps), "--threads", strconv.Itoa(set.threads))
		cmd.Stdin = bytes.NewReader(script)
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
			fmt.Fprintf(progress, "  torch threads %d, OpenBLAS %d: %s %.0f %s/s\n", set.threads, set.openBLAS, r.Mode, r.PerS, r.Unit)
			if r.PerS > best[r.Mode].PerS {
				best[r.Mode] = r.speed
				bestSetting[r.Mode] = set
			}
		}
	}
	for _, mode := range modes {
		if _, ok := best[mode]; !ok {
			return nil, nil, fmt.Errorf("PyTorch reference for %s reported no %s measurement (it reported %d modes; Go has %s)", model, mode, len(best), strings.Join(modes, ", "))
		}
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
	slices.SortFunc(sorted, func(a, b speed) int { return cmp.Compare(a.PerS, b.PerS) })
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
		fmt.Fprintln(tw, "model\tmode\tbatch\tunit\tGoMLX per s\tfirst step\tPyTorch per s\tfirst step\tratio\tPyTorch threads\t")
	} else {
		fmt.Fprintln(tw, "model\tmode\tbatch\tunit\tGoMLX per s\tms/step\tfirst step\t")
	}
	for _, x := range r.Results {
		if x.PyTorch != nil {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.0f\t%.2f s\t%.0f\t%.2f s\t%.2f\ttorch %d, OpenBLAS %d\t\n", x.Model, x.Mode, x.Batch, x.GoMLX.Unit,
				x.GoMLX.PerS, x.GoMLX.FirstStepS, x.PyTorch.PerS, x.PyTorch.FirstStepS, x.Ratio,
				x.PyTorch.Threads, x.PyTorch.OpenBLASThreads)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.0f\t%.1f\t%.2f s\t\n", x.Model, x.Mode, x.Batch, x.GoMLX.Unit, x.GoMLX.PerS, x.GoMLX.MsPerStep, x.GoMLX.FirstStepS)
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
