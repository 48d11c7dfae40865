// Package bench is "klcourse bench": it times the function each lecture
// calls (a Go benchmark in the model's package, through internal/benchstep),
// optionally against the same computation in PyTorch eager, torch.compile
// and JAX jit (python/bench, in their own pinned environment that "bench
// setup" installs), and GoNB cells through a real kernel; it writes the
// report as JSON and, from the JSON, the page docs/bench.md. With --profile
// it says instead where each row's time goes (profile.go, flops.go): ONNX
// Runtime's profiler on the row's graphs, what the peers run, and the CIFAR
// CNN's FLOPs against the CPU's peak, in docs/bench-profile.json and .md.
package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klcourse/klcourse/internal/cli"
	"github.com/klcourse/klcourse/internal/machine"
	"github.com/klcourse/klcourse/internal/module"
	"github.com/klcourse/klcourse/internal/safefile"
	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
)

// Summary is bench's line in klcourse's list of commands.
const Summary = "measure the speed of the course's models and of notebook cells, optionally against PyTorch and JAX; `bench setup` installs those"

// A speed is one measurement of one model in one mode.
type speed struct {
	PerS       float64 `json:"per_s"` // Units per second
	Unit       string  `json:"unit"`  // what a step processes: images, samples, ...
	MsPerStep  float64 `json:"ms_per_step"`
	FirstStepS float64 `json:"first_step_s"`
	Items      int     `json:"items_per_step,omitempty"` // when the benchmark reports it
	// CPUMsPerStep is the CPU time of a step (the GoNB cell rows): under
	// load it is steadier than the wall time.
	CPUMsPerStep float64 `json:"cpu_ms_per_step,omitempty"`
}

// A peerResult is one peer's measurement of a row, or why it has none.
type peerResult struct {
	Peer  string `json:"peer"` // one of peerNames
	Speed *speed `json:"speed,omitempty"`
	Error string `json:"error,omitempty"`
}

type benchResult struct {
	Model string `json:"model"`
	Mode  string `json:"mode"` // "train", "eval", "sample", ...
	Batch int    `json:"batch"`
	GoMLX speed  `json:"gomlx"`
	// Tuned is GoMLX with --ort-options (ONNX Runtime session options),
	// measured in the same rounds, alternating with GoMLX as it is.
	Tuned *speed       `json:"gomlx_ort_options,omitempty"`
	Peers []peerResult `json:"peers,omitempty"`
	// Fastest is the peer with the highest throughput, and Ratio GoMLX's
	// throughput over its.
	Fastest string  `json:"fastest_peer,omitempty"`
	Ratio   float64 `json:"ratio,omitempty"`
	// Measured is set on a row that `bench --update` measured again into an
	// older report: when, and under which load; the report's own date and
	// load are those of its other rows.
	Measured *remeasured `json:"measured,omitempty"`
}

// remeasured is when a row of an updated report was measured.
type remeasured struct {
	Date string  `json:"date"`
	Load float64 `json:"load_average"`
}

type benchReport struct {
	Date    string  `json:"date"`
	Backend string  `json:"backend"`
	Machine string  `json:"machine"`
	CPU     string  `json:"cpu,omitempty"`
	Load    float64 `json:"load_average"` // one-minute load average when the run started
	Steps   int     `json:"steps"`
	Rounds  int     `json:"rounds"`
	Threads int     `json:"threads"` // of every peer (GoMLX uses the machine's cores)
	// Versions are the peers' library versions, e.g. torch 2.15.0.
	Versions map[string]string `json:"versions,omitempty"`
	// ORTOptions are the session options of the Tuned measurements.
	ORTOptions string        `json:"ort_options,omitempty"`
	Results    []benchResult `json:"results"`
}

// peerNames are the columns of the peers, in the order they run.
var peerNames = []string{"pytorch", "pytorch-compile", "jax"}

// peerFramework is the driver's --framework for a peer.
var peerFramework = map[string]string{"pytorch": "torch", "pytorch-compile": "torch-compile", "jax": "jax"}

// Run is "klcourse bench ARGS...".
func Run(args []string) error {
	if len(args) > 0 && args[0] == "setup" {
		return runBenchSetup(args[1:])
	}
	fs := cli.NewFlagSet("bench", "")
	steps := fs.Int("steps", 20, "timed steps per measurement, after the first step and 2 warm-up steps")
	all := append(benchModelNames(), cellModel)
	modelList := fs.String("models", strings.Join(all, ","), "comma-separated rows to measure: "+strings.Join(all, ", "))
	compare := fs.Bool("compare", false, "also run the peers (PyTorch eager, PyTorch torch.compile, JAX jit; python/bench), alternating with GoMLX, and print the ratio to the fastest; install them once with: klcourse bench setup")
	python := fs.String("python", "", "Python with PyTorch and JAX for --compare (default: the bench environment under the course home)")
	backendFlag := fs.String("backend", "", "GOMLX_BACKEND for the GoMLX measurements (default: the course's choice, see pkg/backend)")
	rounds := fs.Int("rounds", 3, "measure every row this many times, alternating GoMLX and the peers, and report the medians")
	threads := fs.Int("threads", runtime.NumCPU(), "threads of the peers (JAX on the CPU runs one per core, or one when this is 1)")
	cellRepeats := fs.Int("cell-repeats", 5, "executions of each GoNB cell per round")
	jsonPath := fs.String("json", filepath.Join("build", "bench.json"), "where to write the results as JSON, relative to the module root; with --doc, where to read them")
	docPath := fs.String("doc", "", "measure nothing: write the Markdown page of the results in --json to this file (e.g. docs/bench.md; with --profile, docs/bench-profile.md)")
	profile := fs.Bool("profile", false, "instead of timing: run each row's benchmark under ONNX Runtime's profiler ("+onnxruntime.ProfileEnv+"), sum the time by op type, profile the peers' step, count the CIFAR CNN's FLOPs against the CPU's peak; writes --json (with --profile its default is docs/bench-profile.json)")
	ortOptions := fs.String("ort-options", "", "also measure GoMLX with these ONNX Runtime session options (JSON, e.g. '{\"intra_op_num_threads\":1}'; see "+onnxruntime.SessionOptionsEnv+"), alternating with GoMLX as it is in every round")
	update := fs.String("update", "", "measure the rows of --models again into this earlier report (e.g. docs/bench.json, measured with the same steps, rounds, threads and peers; with --profile, docs/bench-profile.json): each replaces its row, marked with its own date and load, and the whole goes to --json")
	ratios := fs.String("ratios", filepath.Join("docs", "bench.json"), "with --profile: the bench JSON whose ratios and CNN throughput the profile report uses")
	if _, err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	root, err := module.Root()
	if err != nil {
		return err
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(root, p)
	}
	jsonSet := false
	fs.Visit(func(f *flag.Flag) { jsonSet = jsonSet || f.Name == "json" })
	if *profile && !jsonSet {
		*jsonPath = filepath.Join("docs", "bench-profile.json")
	}
	if *docPath != "" && *update != "" {
		return cli.Usagef("--doc measures nothing and --update measures rows again: give one of them")
	}
	if *docPath != "" {
		if *profile {
			return writeProfileDoc(abs(*jsonPath), abs(*docPath))
		}
		return writeBenchDoc(abs(*jsonPath), abs(*docPath))
	}
	if *steps < 1 || *rounds < 1 || *threads < 1 || *cellRepeats < 1 {
		return cli.Usagef("--steps, --rounds, --threads and --cell-repeats must be at least 1, got %d, %d, %d and %d", *steps, *rounds, *threads, *cellRepeats)
	}
	models := strings.Split(*modelList, ",")
	for _, m := range models {
		if _, ok := findBenchModel(m); !ok && m != cellModel {
			return cli.Usagef("--models: unknown row %q; want some of %s", m, strings.Join(all, ", "))
		}
	}
	if *profile {
		upd := ""
		if *update != "" {
			upd = abs(*update)
		}
		return runProfile(root, models, *backendFlag, *python, abs(*ratios), abs(*jsonPath), upd, *threads)
	}
	report := benchReport{
		Date:       time.Now().UTC().Format(time.RFC3339),
		Machine:    fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()),
		CPU:        machine.CPUModel(),
		Steps:      *steps,
		Rounds:     *rounds,
		Load:       machine.LoadAverage(),
		ORTOptions: *ortOptions,
	}
	var peers *peerRunner
	if *compare {
		if peers, err = findPeers(*python, root); err != nil {
			return err
		}
		report.Versions = peers.versions
		report.Threads = *threads
	}
	var earlier benchReport
	if *update != "" {
		if earlier, err = readUpdate(abs(*update), report); err != nil {
			return err
		}
	}
	progress := os.Stderr
	if report.Load > 0.5 {
		fmt.Fprintf(progress, "klcourse bench: the load average is %.1f: other programs are using the CPU, and the results will be noisy\n", report.Load)
	}
	// goRuns[model][mode] and peerRuns[peer][model][mode] collect one speed per round.
	goRuns := map[string]map[string][]speed{}
	tunedRuns := map[string]map[string][]speed{} // with --ort-options
	peerRuns := map[string]map[string]map[string][]speed{}
	peerErrs := map[string]map[string]string{} // [peer][model/mode]
	for _, p := range peerNames {
		peerRuns[p] = map[string]map[string][]speed{}
		peerErrs[p] = map[string]string{}
	}
	modes := map[string][]string{} // by model, in the order its benchmark reports them
	for round := 1; round <= *rounds; round++ {
		for _, m := range models {
			on := "GoMLX"
			if m == cellModel {
				on = "a GoNB kernel"
			}
			fmt.Fprintf(progress, "klcourse bench: round %d/%d: %s on %s...\n", round, *rounds, m, on)
			var desc string
			var speeds map[string]speed
			var order []string
			if m == cellModel {
				speeds, order, err = cellBench(root, *cellRepeats, progress)
			} else {
				desc, speeds, order, err = goBench(root, m, *steps, *backendFlag, "")
			}
			if err != nil {
				return err
			}
			modes[m] = order
			if desc != "" {
				report.Backend = desc
			}
			appendSpeeds(goRuns, m, speeds)
			if *ortOptions != "" && m != cellModel {
				fmt.Fprintf(progress, "klcourse bench: round %d/%d: %s on GoMLX with ONNX Runtime options %s...\n", round, *rounds, m, *ortOptions)
				_, tuned, _, err := goBench(root, m, *steps, *backendFlag, *ortOptions)
				if err != nil {
					return err
				}
				appendSpeeds(tunedRuns, m, tuned)
			}
			if peers == nil || m == cellModel {
				continue
			}
			for _, p := range peerNames {
				fmt.Fprintf(progress, "klcourse bench: round %d/%d: %s on %s...\n", round, *rounds, m, p)
				speeds, errs, err := peers.bench(p, m, modes[m], *steps, *threads)
				if err != nil {
					return err
				}
				for mode, sp := range speeds {
					fmt.Fprintf(progress, "  %s %s: %.0f %s/s\n", p, mode, sp.PerS, sp.Unit)
				}
				for mode, e := range errs {
					fmt.Fprintf(progress, "  %s %s: %s\n", p, mode, e)
					peerErrs[p][m+"/"+mode] = e
				}
				appendSpeeds(peerRuns[p], m, speeds)
			}
		}
	}
	for _, m := range models {
		batch := 1
		if bm, ok := findBenchModel(m); ok {
			batch = bm.batch
		}
		for _, mode := range modes[m] {
			r := benchResult{Model: m, Mode: mode, Batch: batch, GoMLX: medianSpeed(goRuns[m][mode])}
			if runs := tunedRuns[m][mode]; len(runs) > 0 {
				t := medianSpeed(runs)
				r.Tuned = &t
			}
			if r.GoMLX.Items > 0 {
				// The mode's own count (a sampler's points, say) wins over the model's batch.
				r.Batch = r.GoMLX.Items
			}
			if peers != nil && m != cellModel {
				for _, p := range peerNames {
					pr := peerResult{Peer: p}
					if runs := peerRuns[p][m][mode]; len(runs) > 0 {
						sp := medianSpeed(runs)
						pr.Speed = &sp
					} else {
						pr.Error = cmp.Or(peerErrs[p][m+"/"+mode], "no measurement")
					}
					r.Peers = append(r.Peers, pr)
				}
				r.setFastest()
			}
			report.Results = append(report.Results, r)
		}
	}
	printBench(os.Stdout, report)
	path := abs(*jsonPath)
	if *update != "" {
		merged, err := updateReport(abs(*update), earlier, report)
		if err != nil {
			// Keep the measurements: beside the report they could not join.
			if path == abs(*update) {
				path = filepath.Join(root, "build", "bench-fresh.json")
			}
			if werr := writeJSON(path, report); werr == nil {
				err = fmt.Errorf("%w (this run's rows are in %s)", err, path)
			}
			return err
		}
		report = merged
	}
	if err := writeJSON(path, report); err != nil {
		return err
	}
	fmt.Printf("\nJSON: %s (klcourse bench --doc docs/bench.md writes the page)\n", path)
	return nil
}

// setFastest sets Fastest and Ratio from the peers that measured the row.
func (r *benchResult) setFastest() {
	r.Fastest, r.Ratio = "", 0
	best := 0.0
	for _, p := range r.Peers {
		if p.Speed != nil && p.Speed.PerS > best {
			best, r.Fastest = p.Speed.PerS, p.Peer
		}
	}
	if best > 0 {
		r.Ratio = r.GoMLX.PerS / best
	}
}

// benchLine matches a result line of "go test -bench", e.g.
// "BenchmarkCNN/train-2   20   149274781 ns/op   0.44 first-step-s   1765 images/s   141.7 ms/step".
var benchLine = regexp.MustCompile(`^Benchmark(\w+)/([\w-]+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// goBench runs the Go benchmark of one model and returns the backend's
// description, the speed by mode and the modes in the order reported.
func goBench(root, model string, steps int, backend, ortOptions string) (string, map[string]speed, []string, error) {
	bm, _ := findBenchModel(model)
	name := bm.benchmark
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^"+name+"$", "-benchtime", fmt.Sprintf("%dx", steps),
		"-count", "1", "-timeout", "60m", bm.pkg)
	cmd.Dir = root
	cmd.Env = os.Environ()
	if backend != "" {
		cmd.Env = append(cmd.Env, "GOMLX_BACKEND="+backend)
	}
	if ortOptions != "" {
		cmd.Env = append(cmd.Env, onnxruntime.SessionOptionsEnv+"="+ortOptions)
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
			case unit == "items/step":
				sp.Items = int(v)
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

// writeJSON writes v to path through a temporary file in the same directory.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return safefile.WriteBytes(path, append(data, '\n'))
}

// readUpdate reads the earlier report of --update and checks what can be
// checked before measuring: the same steps, rounds, peers' threads, ONNX
// Runtime options, machine and CPU as fresh (whose results are not measured
// yet). Measuring is long; a report that cannot take the rows is refused
// first.
func readUpdate(path string, fresh benchReport) (benchReport, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return benchReport{}, fmt.Errorf("--update: %w", err)
	}
	var old benchReport
	if err := json.Unmarshal(data, &old); err != nil {
		return benchReport{}, fmt.Errorf("--update %s: not the JSON of klcourse bench: %v", path, err)
	}
	differ := func(what string, a, b any) error {
		return fmt.Errorf("--update %s: it was measured with %s %v, this run would be with %v; measure every row again instead", path, what, a, b)
	}
	switch {
	case old.Steps != fresh.Steps:
		return old, differ("--steps", old.Steps, fresh.Steps)
	case old.Rounds != fresh.Rounds:
		return old, differ("--rounds", old.Rounds, fresh.Rounds)
	case old.Threads != fresh.Threads:
		return old, differ("peers' --threads", old.Threads, fresh.Threads)
	case old.ORTOptions != fresh.ORTOptions:
		return old, differ("--ort-options", old.ORTOptions, fresh.ORTOptions)
	case old.Machine != fresh.Machine || old.CPU != fresh.CPU:
		return old, differ("the machine", old.Machine+" ("+old.CPU+")", fresh.Machine+" ("+fresh.CPU+")")
	}
	return old, nil
}

// updateReport puts the rows of fresh into old (read by readUpdate from
// path): every row of a model that fresh measured is replaced by fresh's
// rows of that model, marked with fresh's date and load. The peers' versions
// and GoMLX's backend must be those of old, or the rows would not compare.
func updateReport(path string, old, fresh benchReport) (benchReport, error) {
	switch {
	case len(fresh.Versions) > 0 && !maps.Equal(old.Versions, fresh.Versions):
		return old, fmt.Errorf("--update %s: it was measured with the peers %s, this run with %s", path, versionLine(old.Versions), versionLine(fresh.Versions))
	case fresh.Backend != "" && old.Backend != fresh.Backend:
		return old, fmt.Errorf("--update %s: it was measured with GoMLX %s, this run with %s", path, old.Backend, fresh.Backend)
	}
	for i := range fresh.Results {
		fresh.Results[i].Measured = &remeasured{Date: fresh.Date, Load: fresh.Load}
	}
	merged := old
	merged.Results = replaceModels(old.Results, fresh.Results, func(r benchResult) string { return r.Model })
	return merged, nil
}

// replaceModels returns old's rows with the rows of every model that fresh
// has rows of replaced by fresh's, in that model's old place; models that old
// lacks follow, by name. It serves the bench report and the profile report.
func replaceModels[T any](old, fresh []T, model func(T) string) []T {
	of := func(m string) []T {
		var rows []T
		for _, r := range fresh {
			if model(r) == m {
				rows = append(rows, r)
			}
		}
		return rows
	}
	inFresh := map[string]bool{}
	for _, r := range fresh {
		inFresh[model(r)] = true
	}
	var out []T
	placed := map[string]bool{}
	for _, r := range old {
		switch m := model(r); {
		case !inFresh[m]:
			out = append(out, r)
		case !placed[m]:
			out = append(out, of(m)...)
			placed[m] = true
		}
	}
	for _, m := range slices.Sorted(maps.Keys(inFresh)) {
		if !placed[m] {
			out = append(out, of(m)...)
		}
	}
	return out
}
