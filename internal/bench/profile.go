package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/klcourse/klcourse/internal/machine"
	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
)

// "klcourse bench --profile" says where each row's time goes: the Go
// benchmark runs once more with onnxruntime.ProfileEnv set, so that ONNX
// Runtime's profiler times every node of the graphs it runs, and the traces
// are summed by op type; the peers say what they run instead (PyTorch's
// profiler, JAX's optimized HLO). With it go the CIFAR CNN's FLOP count and
// the fraction of the CPU's peak it reaches (flops.go). The report is JSON
// (docs/bench-profile.json) and, from it, docs/bench-profile.md.

// An opTime is one op type's part of a graph's kernel time.
type opTime struct {
	Op       string  `json:"op"`
	Share    float64 `json:"share"`         // of the kernel time of a run
	MsPerRun float64 `json:"ms_per_run"`    // the sum of its nodes' medians over the runs used
	PerRun   float64 `json:"count_per_run"` // nodes of this type that ran in a run
}

// A graphTime is one graph's profile: ONNX Runtime's trace of its runs,
// the first left out (it allocates and pre-packs weights).
type graphTime struct {
	Name           string     `json:"name"`
	Runs           int        `json:"runs"`
	ONNXNodes      int        `json:"onnx_nodes"`      // the graph GoMLX built
	KernelsPerRun  int        `json:"kernels_per_run"` // nodes that ran, after ONNX Runtime's fusions
	MsPerRun       float64    `json:"ms_per_run"`      // median model_run
	KernelMsPerRun float64    `json:"kernel_ms_per_run"`
	Ops            []opTime   `json:"ops"`                     // by time, all of them
	Nodes          []nodeTime `json:"slowest_nodes,omitempty"` // the slowest nodes
}

// A nodeTime is one node of a graph: its mean time per run and its shapes.
type nodeTime struct {
	Node     string  `json:"node"`
	Op       string  `json:"op"`
	MsPerRun float64 `json:"ms_per_run"`
	Share    float64 `json:"share"`
	Inputs   string  `json:"inputs"`
	Output   string  `json:"output"`
}

// A rowProfile is where one row's time goes.
type rowProfile struct {
	Model string `json:"model"`
	Mode  string `json:"mode"`
	// From the bench JSON the ratios come from (see profileReport.Ratios).
	Ratio   float64 `json:"ratio,omitempty"`
	Fastest string  `json:"fastest_peer,omitempty"`
	// Graphs are the graphs of a step whose traces are complete, by time.
	Graphs []graphTime `json:"graphs"`
	// Step sums them: every graph runs once per step in the rows measured
	// (Skipped names the others).
	Step    graphTime     `json:"step"`
	Skipped []string      `json:"skipped,omitempty"`
	Torch   *torchProfile `json:"torch,omitempty"`
	JAX     *jaxProfile   `json:"jax,omitempty"`
	PeerErr []string      `json:"peer_errors,omitempty"`
	// Measured is set on a row that `bench --profile --update` profiled
	// again into an older report: when, and under which load.
	Measured *remeasured `json:"measured,omitempty"`
	// Close is what the numbers say would close the gap (profileAnalysis).
	Close []string `json:"-"`
}

type torchProfile struct {
	Framework        string  `json:"framework"` // torch or torch-compile
	Steps            int     `json:"steps"`
	MsPerStep        float64 `json:"ms_per_step"`
	SelfCPUMsPerStep float64 `json:"self_cpu_ms_per_step"`
	EventsPerStep    float64 `json:"events_per_step"`
	DistinctOps      int     `json:"distinct_ops"`
	Top              []struct {
		Op           string  `json:"op"`
		Share        float64 `json:"share"`
		CallsPerStep float64 `json:"calls_per_step"`
		MsPerStep    float64 `json:"ms_per_step"`
	} `json:"top"`
}

type jaxProfile struct {
	Modules    int `json:"modules"`
	StepModule struct {
		Module       string         `json:"module"`
		EntryOps     int            `json:"entry_ops"`
		Fusions      int            `json:"fusions"`
		OpsInFusions int            `json:"ops_in_fusions"`
		ByOpcode     map[string]int `json:"by_opcode"`
	} `json:"step_module"`
}

type profileReport struct {
	Date     string            `json:"date"`
	Commit   string            `json:"commit"`
	Machine  string            `json:"machine"`
	CPU      string            `json:"cpu,omitempty"`
	Load     float64           `json:"load_average"` // at the start
	Backend  string            `json:"backend"`
	Versions map[string]string `json:"versions,omitempty"`
	// Ratios names the bench JSON whose ratios and CNN throughput are used,
	// with its date and load.
	Ratios string       `json:"ratios_from"`
	CNN    *cnnMachine  `json:"cnn,omitempty"`
	Rows   []rowProfile `json:"rows"`
}

// profileRuns are the timed steps of a profiling run: enough that every
// step's graph completes onnxruntime.ProfiledRuns runs.
const profileSteps = onnxruntime.ProfiledRuns

// runProfile is "klcourse bench --profile".
func runProfile(root string, models []string, backendFlag, python, benchJSON, jsonPath, update string, threads int) error {
	report := profileReport{
		Date:    time.Now().UTC().Format(time.RFC3339),
		Commit:  gitCommit(root),
		Machine: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()),
		CPU:     machine.CPUModel(),
		Load:    machine.LoadAverage(),
	}
	progress := os.Stderr
	if report.Load > 0.5 {
		fmt.Fprintf(progress, "klcourse bench --profile: the load average is %.1f; shares of time hold under load, absolute times do not\n", report.Load)
	}
	var ratios *benchReport
	if data, err := os.ReadFile(benchJSON); err == nil {
		var r benchReport
		if err := json.Unmarshal(data, &r); err != nil {
			return fmt.Errorf("%s: not the JSON of klcourse bench: %v", benchJSON, err)
		}
		ratios = &r
		rel, _ := filepath.Rel(root, benchJSON)
		report.Ratios = fmt.Sprintf("%s (%s, load %.1f at its start)", rel, r.Date, r.Load)
	} else {
		fmt.Fprintf(progress, "klcourse bench --profile: no %s (%v): the rows get no ratios\n", benchJSON, err)
	}
	var peers *peerRunner
	if p, err := findPeers(python, root); err == nil {
		peers = p
		report.Versions = p.versions
	} else {
		fmt.Fprintf(progress, "klcourse bench --profile: without the peers: %v\n", err)
	}
	for _, m := range models {
		bm, ok := findBenchModel(m)
		if !ok {
			continue // the GoNB cells have no graph to profile
		}
		modes := benchModes(ratios, m)
		if len(modes) == 0 {
			modes = []string{""} // every mode its benchmark has
		}
		for _, mode := range modes {
			fmt.Fprintf(progress, "klcourse bench --profile: %s %s on GoMLX...\n", m, mode)
			desc, rows, err := goProfile(root, bm, mode, backendFlag)
			if err != nil {
				return err
			}
			report.Backend = cmp.Or(report.Backend, desc)
			for i := range rows {
				row := &rows[i]
				if x := findResult(ratios, m, row.Mode); x != nil {
					row.Ratio, row.Fastest = x.Ratio, x.Fastest
				}
				if peers != nil {
					fmt.Fprintf(progress, "klcourse bench --profile: %s %s on the peers...\n", m, row.Mode)
					peerProfiles(peers, row, threads)
				}
				report.Rows = append(report.Rows, *row)
			}
		}
	}
	if slices.Contains(models, "cnn") {
		cnnRes := findResult(ratios, "cnn", "train")
		c, err := cnnAgainstMachine(cnnRes, peers, threads)
		if err != nil {
			return err
		}
		report.CNN = c
	}
	if update != "" {
		var err error
		if report, err = updateProfile(update, report, ratios); err != nil {
			return err
		}
	}
	for i := range report.Rows {
		report.Rows[i].Close = profileAnalysis(report.Rows[i], report.CNN, report.Load)
	}
	if err := writeJSON(jsonPath, report); err != nil {
		return err
	}
	printProfile(os.Stdout, report)
	fmt.Printf("\nJSON: %s (klcourse bench --profile --doc docs/bench-profile.md writes the page)\n", jsonPath)
	return nil
}

// updateProfile puts the rows of fresh into the earlier profile report at
// path: every row of a model that fresh profiled is replaced by fresh's rows
// of that model, marked with fresh's date and load; every row's ratio is read again from ratios
// (the bench JSON now), and the CNN section is fresh's if it profiled the
// CNN. The two must come from the same machine, backend and peers.
func updateProfile(path string, fresh profileReport, ratios *benchReport) (profileReport, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return fresh, fmt.Errorf("--update: %w", err)
	}
	var old profileReport
	if err := json.Unmarshal(data, &old); err != nil {
		return fresh, fmt.Errorf("--update %s: not the JSON of klcourse bench --profile: %v", path, err)
	}
	switch {
	case old.Machine != fresh.Machine || old.CPU != fresh.CPU:
		return fresh, fmt.Errorf("--update %s: it was profiled on %s (%s), this run on %s (%s); profile every row again instead", path, old.Machine, old.CPU, fresh.Machine, fresh.CPU)
	case old.Backend != fresh.Backend || !maps.Equal(old.Versions, fresh.Versions):
		return fresh, fmt.Errorf("--update %s: it was profiled with %s and peers %s, this run with %s and %s; profile every row again instead",
			path, old.Backend, versionLine(old.Versions), fresh.Backend, versionLine(fresh.Versions))
	}
	for i := range fresh.Rows {
		fresh.Rows[i].Measured = &remeasured{Date: fresh.Date, Load: fresh.Load}
	}
	old.Rows = replaceModels(old.Rows, fresh.Rows, func(r rowProfile) string { return r.Model })
	for i := range old.Rows {
		if x := findResult(ratios, old.Rows[i].Model, old.Rows[i].Mode); x != nil {
			old.Rows[i].Ratio, old.Rows[i].Fastest = x.Ratio, x.Fastest
		}
	}
	if fresh.CNN != nil {
		old.CNN = fresh.CNN
	}
	old.Ratios = fresh.Ratios
	return old, nil
}

// benchModes are the modes of model in the bench report, in its order.
func benchModes(r *benchReport, model string) []string {
	if r == nil {
		return nil
	}
	var modes []string
	for _, x := range r.Results {
		if x.Model == model {
			modes = append(modes, x.Mode)
		}
	}
	return modes
}

func findResult(r *benchReport, model, mode string) *benchResult {
	if r == nil {
		return nil
	}
	for i, x := range r.Results {
		if x.Model == model && x.Mode == mode {
			return &r.Results[i]
		}
	}
	return nil
}

func gitCommit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	commit := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		commit += " (with uncommitted changes)"
	}
	return commit
}

// goProfile runs one mode of a model's benchmark (every mode when mode is
// "") under ONNX Runtime's profiler and reads the traces, one row per mode.
func goProfile(root string, bm benchModel, mode, backend string) (string, []rowProfile, error) {
	dir, err := os.MkdirTemp("", "klcourse-ort-profile-*")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(dir)
	var rows []rowProfile
	var desc string
	modes := []string{mode}
	if mode == "" {
		modes = nil
	}
	run := func(mode string) error {
		out := filepath.Join(dir, cmp.Or(mode, "all"))
		pattern := "^" + bm.benchmark + "$"
		if mode != "" {
			pattern += "/^" + mode + "$"
		}
		cmd := exec.Command("go", "test", "-run", "^$", "-bench", pattern, "-benchtime", fmt.Sprintf("%dx", profileSteps),
			"-count", "1", "-timeout", "60m", bm.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), onnxruntime.ProfileEnv+"="+out)
		if backend != "" {
			cmd.Env = append(cmd.Env, "GOMLX_BACKEND="+backend)
		}
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		runErr := cmd.Run()
		d, _, order, parseErr := parseGoBench(bytes.NewReader(buf.Bytes()))
		if runErr != nil || parseErr != nil {
			return fmt.Errorf("go test -bench %s %s with %s failed: %v\n%s", pattern, bm.pkg, onnxruntime.ProfileEnv, errors.Join(runErr, parseErr), buf.String())
		}
		desc = d
		if !strings.Contains(d, "onnx") {
			return fmt.Errorf("%s %s ran on %q: --profile needs the ONNX Runtime backend", bm.name, mode, d)
		}
		if mode == "" && len(order) != 1 {
			// Traces of several modes would mix: one run per mode.
			for _, m := range order {
				modes = append(modes, m)
			}
			return errRerun
		}
		row, err := readTraces(out)
		if err != nil {
			return fmt.Errorf("%s %s: %w", bm.name, mode, err)
		}
		row.Model, row.Mode = bm.name, cmp.Or(mode, order[0])
		rows = append(rows, row)
		return nil
	}
	if mode == "" {
		if err := run(""); err != nil && !errors.Is(err, errRerun) {
			return "", nil, err
		}
	}
	for _, m := range modes {
		if err := run(m); err != nil {
			return "", nil, err
		}
	}
	return desc, rows, nil
}

var errRerun = errors.New("one run per mode")

// A traceEvent is one event of ONNX Runtime's trace.
type traceEvent struct {
	Cat  string `json:"cat"`
	Name string `json:"name"`
	Ts   int64  `json:"ts"`  // µs
	Dur  int64  `json:"dur"` // µs
	Args struct {
		OpName string          `json:"op_name"`
		Input  json.RawMessage `json:"input_type_shape"`
		Output json.RawMessage `json:"output_type_shape"`
	} `json:"args"`
}

// shapeText turns ONNX Runtime's [{"float":[64,10]}, ...] into "float[64,10] ...".
func shapeText(raw json.RawMessage) string {
	var list []map[string][]int64
	if json.Unmarshal(raw, &list) != nil {
		return ""
	}
	var parts []string
	for _, m := range list {
		for dtype, dims := range m {
			d := make([]string, len(dims))
			for i, x := range dims {
				d[i] = strconv.FormatInt(x, 10)
			}
			parts = append(parts, dtype+"["+strings.Join(d, ",")+"]")
		}
	}
	return strings.Join(parts, " ")
}

// readTraces reads the traces onnxruntime.Profiled wrote into dir and sums
// the graphs of a step. A graph whose trace is incomplete (it ran fewer
// than onnxruntime.ProfiledRuns times: an initialisation) is skipped.
func readTraces(dir string) (rowProfile, error) {
	var row rowProfile
	summaries, _ := filepath.Glob(filepath.Join(dir, "*.graph.json"))
	sort.Strings(summaries)
	for _, s := range summaries {
		var g onnxruntime.GraphSummary
		data, err := os.ReadFile(s)
		if err == nil {
			err = json.Unmarshal(data, &g)
		}
		if err != nil {
			return row, fmt.Errorf("%s: %v", s, err)
		}
		trace := strings.TrimSuffix(s, ".graph.json") + ".json"
		gt, err := traceTime(trace)
		if err != nil {
			row.Skipped = append(row.Skipped, fmt.Sprintf("%s (%v)", g.Name, err))
			continue
		}
		gt.Name, gt.ONNXNodes = g.Name, g.Nodes
		row.Graphs = append(row.Graphs, gt)
	}
	if len(row.Graphs) == 0 {
		return row, fmt.Errorf("no graph ran %d times under the profiler (skipped: %s)", onnxruntime.ProfiledRuns, strings.Join(row.Skipped, "; "))
	}
	slices.SortFunc(row.Graphs, func(a, b graphTime) int { return cmp.Compare(b.MsPerRun, a.MsPerRun) })
	row.Step = sumGraphs(row.Graphs)
	return row, nil
}

// traceTime reads one trace: per run (the first left out), the time of each
// node, summed by op type.
func traceTime(path string) (graphTime, error) {
	var g graphTime
	data, err := os.ReadFile(path)
	if err != nil {
		return g, err
	}
	var events []traceEvent
	if err := json.Unmarshal(data, &events); err != nil {
		return g, fmt.Errorf("incomplete trace: the graph ran fewer than %d times", onnxruntime.ProfiledRuns)
	}
	var runs []traceEvent
	var nodes []traceEvent
	for _, e := range events {
		switch {
		case e.Cat == "Session" && e.Name == "model_run":
			runs = append(runs, e)
		case e.Cat == "Node" && strings.HasSuffix(e.Name, "_kernel_time"):
			nodes = append(nodes, e)
		}
	}
	if len(runs) < 2 {
		return g, fmt.Errorf("%d runs in the trace, want at least 2", len(runs))
	}
	slices.SortFunc(runs, func(a, b traceEvent) int { return cmp.Compare(a.Ts, b.Ts) })
	used := runs[1:]
	runOf := func(e traceEvent) int {
		for i, r := range used {
			if e.Ts >= r.Ts && e.Ts <= r.Ts+r.Dur {
				return i
			}
		}
		return -1
	}
	// Each node's time in each run, then its median over the runs: on a
	// busy machine a node now and then loses its core for a while, which
	// would dominate a mean of small graphs' runs.
	type nodeRuns struct {
		nodeTime
		us    []float64 // by run
		count int
	}
	byNode := map[string]*nodeRuns{}
	var order []string
	for _, e := range nodes {
		i := runOf(e)
		if i < 0 {
			continue
		}
		name := strings.TrimSuffix(e.Name, "_kernel_time")
		nr := byNode[name]
		if nr == nil {
			nr = &nodeRuns{nodeTime: nodeTime{Node: name, Op: cmp.Or(e.Args.OpName, "?"), Inputs: shapeText(e.Args.Input), Output: shapeText(e.Args.Output)},
				us: make([]float64, len(used))}
			byNode[name] = nr
			order = append(order, name)
		}
		nr.us[i] += float64(e.Dur)
		nr.count++
	}
	median := func(x []float64) float64 {
		y := slices.Clone(x)
		slices.Sort(y)
		if len(y)%2 == 1 {
			return y[len(y)/2]
		}
		return (y[len(y)/2-1] + y[len(y)/2]) / 2
	}
	n := float64(len(used))
	byOp := map[string]*opTime{}
	var kernelUs float64
	count := 0
	for _, name := range order {
		nr := byNode[name]
		nr.MsPerRun = median(nr.us) / 1e3
		kernelUs += nr.MsPerRun * 1e3
		count += nr.count
		t := byOp[nr.Op]
		if t == nil {
			t = &opTime{Op: nr.Op}
			byOp[nr.Op] = t
		}
		t.MsPerRun += nr.MsPerRun
		t.PerRun += float64(nr.count) / n
	}
	var runUs []float64
	for _, r := range used {
		runUs = append(runUs, float64(r.Dur))
	}
	g.Runs = len(used)
	g.MsPerRun = median(runUs) / 1e3
	g.KernelMsPerRun = kernelUs / 1e3
	g.KernelsPerRun = int(float64(count)/n + 0.5)
	for _, t := range byOp {
		t.Share = t.MsPerRun * 1e3 / max(kernelUs, 1e-9)
		g.Ops = append(g.Ops, *t)
	}
	sortOps(g.Ops)
	for _, name := range order {
		nr := byNode[name]
		nr.Share = nr.MsPerRun * 1e3 / max(kernelUs, 1e-9)
		g.Nodes = append(g.Nodes, nr.nodeTime)
	}
	slices.SortFunc(g.Nodes, func(a, b nodeTime) int {
		return cmp.Or(cmp.Compare(b.MsPerRun, a.MsPerRun), strings.Compare(a.Node, b.Node))
	})
	g.Nodes = g.Nodes[:min(len(g.Nodes), 8)]
	return g, nil
}

func sortOps(ops []opTime) {
	slices.SortFunc(ops, func(a, b opTime) int {
		return cmp.Or(cmp.Compare(b.MsPerRun, a.MsPerRun), strings.Compare(a.Op, b.Op))
	})
}

// sumGraphs is a step that runs each of graphs once.
func sumGraphs(graphs []graphTime) graphTime {
	step := graphTime{Name: "step"}
	byOp := map[string]*opTime{}
	for _, g := range graphs {
		step.Runs = max(step.Runs, g.Runs)
		step.ONNXNodes += g.ONNXNodes
		step.KernelsPerRun += g.KernelsPerRun
		step.MsPerRun += g.MsPerRun
		step.KernelMsPerRun += g.KernelMsPerRun
		for _, o := range g.Ops {
			t := byOp[o.Op]
			if t == nil {
				t = &opTime{Op: o.Op}
				byOp[o.Op] = t
			}
			t.MsPerRun += o.MsPerRun
			t.PerRun += o.PerRun
		}
	}
	for _, t := range byOp {
		t.Share = t.MsPerRun / max(step.KernelMsPerRun, 1e-9)
		step.Ops = append(step.Ops, *t)
	}
	sortOps(step.Ops)
	return step
}

// peerProfiles adds what PyTorch and JAX run for the row: the profile of
// PyTorch (compiled when that is the faster PyTorch in the bench report,
// else eager) and XLA's optimized module of JAX's step.
func peerProfiles(p *peerRunner, row *rowProfile, threads int) {
	torchFramework := "torch"
	if row.Fastest == "pytorch-compile" {
		torchFramework = "torch-compile"
	}
	var tp torchProfile
	if err := p.profile(torchFramework, row.Model, row.Mode, threads, "", &tp); err != nil {
		row.PeerErr = append(row.PeerErr, fmt.Sprintf("%s: %v", peerTitle[reverseFramework(torchFramework)], err))
	} else {
		tp.Framework = torchFramework
		row.Torch = &tp
	}
	dump, err := os.MkdirTemp("", "klcourse-xla-dump-*")
	if err != nil {
		row.PeerErr = append(row.PeerErr, err.Error())
		return
	}
	defer os.RemoveAll(dump)
	var jp jaxProfile
	if err := p.profile("jax", row.Model, row.Mode, threads, dump, &jp); err != nil {
		row.PeerErr = append(row.PeerErr, fmt.Sprintf("JAX jit: %v", err))
	} else {
		row.JAX = &jp
	}
}

func reverseFramework(f string) string {
	for peer, fw := range peerFramework {
		if fw == f {
			return peer
		}
	}
	return f
}

// profile runs the driver with --profile for one row and decodes the
// "profile" of its answer into v.
func (p *peerRunner) profile(framework, model, mode string, threads int, xlaDump string, v any) error {
	args := []string{"--framework", framework, "--models", model, "--modes", mode, "--steps", "5", "--threads", strconv.Itoa(threads), "--profile"}
	if xlaDump != "" {
		args = append(args, "--xla-dump", xlaDump)
	}
	lines, err := p.run(args...)
	if err != nil {
		return err
	}
	for _, line := range lines {
		var x struct {
			Model   string          `json:"model"`
			Error   string          `json:"error"`
			Profile json.RawMessage `json:"profile"`
		}
		if json.Unmarshal([]byte(line), &x) != nil || x.Model == "" {
			continue
		}
		if x.Error != "" {
			return errors.New(x.Error)
		}
		return json.Unmarshal(x.Profile, v)
	}
	return fmt.Errorf("the driver printed no profile: %q", strings.Join(lines, "\n"))
}

// run runs the peers' script with args and returns its output lines.
func (p *peerRunner) run(args ...string) ([]string, error) {
	script, err := p.script()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(p.python, append([]string{"-"}, args...)...)
	cmd.Stdin = bytes.NewReader(script)
	tmp, err := os.MkdirTemp("", "klcourse-bench-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "TORCHINDUCTOR_CACHE_DIR="+filepath.Join(tmp, "inductor"),
		"TRITON_CACHE_DIR="+filepath.Join(tmp, "triton"), "XDG_CACHE_HOME="+filepath.Join(tmp, "cache"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s - %s: %v\n%s", p.python, strings.Join(args, " "), err, tailLines(errOut.String(), 20))
	}
	var lines []string
	s := bufio.NewScanner(&out)
	s.Buffer(make([]byte, 1<<20), 1<<24)
	for s.Scan() {
		lines = append(lines, s.Text())
	}
	return lines, s.Err()
}
