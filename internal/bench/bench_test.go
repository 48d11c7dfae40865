package bench

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/module"
)

const goBenchOutput = `backend: onnx, ONNX Runtime 1.30.0 (/x/libonnxruntime.so.1.30.0) on CPU (2 cores)
goos: linux
goarch: amd64
pkg: github.com/klcourse/klcourse/pkg/convnet
BenchmarkCNN/train-2         	      20	 149274781 ns/op	         0.4391 first-step-s	      1765 images/s	       141.7 ms/step
BenchmarkCNN/eval-2          	      20	  58475583 ns/op	         0.1274 first-step-s	      4634 images/s	        53.95 ms/step
PASS
`

func TestParseGoBench(t *testing.T) {
	desc, speeds, order, err := parseGoBench(strings.NewReader(goBenchOutput))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(desc, "backend: onnx") {
		t.Errorf("description %q", desc)
	}
	want := map[string]speed{
		"train": {PerS: 1765, Unit: "images", MsPerStep: 141.7, FirstStepS: 0.4391},
		"eval":  {PerS: 4634, Unit: "images", MsPerStep: 53.95, FirstStepS: 0.1274},
	}
	if strings.Join(order, ",") != "train,eval" {
		t.Errorf("modes %v, want train, eval in the order reported", order)
	}
	for mode, w := range want {
		if speeds[mode] != w {
			t.Errorf("%s: %+v, want %+v", mode, speeds[mode], w)
		}
	}
	broken := strings.Replace(goBenchOutput, "1765 images/s", "", 1)
	if _, _, _, err := parseGoBench(strings.NewReader(broken)); err == nil {
		t.Error("a result without a throughput was accepted")
	}
	if _, _, _, err := parseGoBench(strings.NewReader("--- FAIL: BenchmarkCNN\nFAIL\n")); err == nil {
		t.Error("a failed run was accepted")
	}
	other := "backend: go\nBenchmarkAIS/eval-2   5   1000 ns/op   0.5 first-step-s   2500 items/step   123456 chain-temps/s   8.1 ms/step\n"
	_, speeds, order, err = parseGoBench(strings.NewReader(other))
	if err != nil || len(order) != 1 || speeds["eval"].Unit != "chain-temps" || speeds["eval"].PerS != 123456 || speeds["eval"].Items != 2500 {
		t.Errorf("a benchmark in other units: %+v %v %v", speeds, order, err)
	}
}

func TestMedianSpeed(t *testing.T) {
	runs := []speed{{PerS: 30, FirstStepS: 3}, {PerS: 10, FirstStepS: 1}, {PerS: 20, FirstStepS: 2}}
	if got := medianSpeed(runs); got.PerS != 20 || got.FirstStepS != 2 {
		t.Errorf("median of %v = %+v, want the run with 20 images/s", runs, got)
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "bench.json")
	report := benchReport{Backend: "backend: go", Results: []benchResult{{Model: "vae", Mode: "train", Batch: 128, GoMLX: speed{PerS: 1, Unit: "images"}}}}
	if err := writeJSON(path, report); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back benchReport
	if err := json.Unmarshal(data, &back); err != nil || back.Results[0].Model != "vae" {
		t.Errorf("read back %+v, %v", back, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("%d files in the directory, want only bench.json", len(entries))
	}
}

// TestPeersRun runs PyTorch and JAX on every row for one step, and
// torch.compile on one, so that a broken
// script is found before "klcourse bench --compare" needs it. It needs the
// bench environment (klcourse bench setup); without it, TestPeerWorkloads
// still checks that every row has its peers.
func TestPeersRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the peers take minutes")
	}
	root, err := module.Root()
	if err != nil {
		t.Fatal(err)
	}
	peers, err := findPeers("", root)
	if err != nil {
		t.Skip(err)
	}
	for _, name := range peerNames {
		for _, m := range benchModels {
			if name == "pytorch-compile" && m.name != "gan_post" {
				continue // compiling every model takes many minutes; one shows that torch.compile works
			}
			modes := workloadModes(t, root, m.name)
			speeds, errs, err := peers.bench(name, m.name, modes, 1, 2)
			if err != nil {
				t.Fatalf("%s %s: %v", name, m.name, err)
			}
			for mode, e := range errs {
				t.Errorf("%s %s %s: %s", name, m.name, mode, e)
			}
			for mode, sp := range speeds {
				if sp.PerS <= 0 || sp.Unit == "" {
					t.Errorf("%s %s %s: %+v", name, m.name, mode, sp)
				}
			}
		}
	}
}

var workloadDecl = regexp.MustCompile(`@workload\("([\w-]+)"(?:, modes=\(([^)]*)\))?(?:, unit="[^"]*")?(?:, framework="(\w+)")?\)`)

// workloads reads the @workload declarations of python/bench/models: the
// modes of each model by framework.
func workloads(t *testing.T, root string) map[string]map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "python", "bench", "models", "*.py"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no python/bench/models/*.py: %v", err)
	}
	found := map[string]map[string][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range workloadDecl.FindAllStringSubmatch(string(data), -1) {
			framework := cmp.Or(m[3], "torch")
			modes := []string{"train", "eval"}
			if m[2] != "" {
				modes = nil
				for _, x := range strings.Split(m[2], ",") {
					if x = strings.Trim(strings.TrimSpace(x), `"`); x != "" {
						modes = append(modes, x)
					}
				}
			}
			if found[framework] == nil {
				found[framework] = map[string][]string{}
			}
			found[framework][m[1]] = modes
		}
	}
	return found
}

func workloadModes(t *testing.T, root, model string) []string {
	return workloads(t, root)["torch"][model]
}

// TestPeerWorkloads checks, without PyTorch or JAX, that every row of the
// bench has a PyTorch workload, and that each JAX workload has the modes of
// the PyTorch one.
func TestPeerWorkloads(t *testing.T) {
	root, err := module.Root()
	if err != nil {
		t.Fatal(err)
	}
	w := workloads(t, root)
	for _, m := range benchModels {
		if _, ok := w["torch"][m.name]; !ok {
			t.Errorf("row %s has no PyTorch workload in python/bench/models", m.name)
		}
	}
	for name, modes := range w["jax"] {
		if tm, ok := w["torch"][name]; !ok || strings.Join(tm, ",") != strings.Join(modes, ",") {
			t.Errorf("JAX workload %s has modes %v, the PyTorch one %v", name, modes, tm)
		}
	}
	script, err := (&peerRunner{root: root}).script()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(script, []byte("sys.exit(main())\n")) || !bytes.Contains(script, []byte("# ---- models/rbm.py")) {
		t.Errorf("the peers' script does not end with main or lacks models/rbm.py")
	}
}

const peerOutput = `{"framework": "jax", "versions": {"torch": "2.15.0", "jax": "0.10.2"}, "threads": 2}
{"model": "cnn", "mode": "train", "batch": 250, "steps": 20, "unit": "images", "per_s": 1500.5, "ms_per_step": 166.6, "first_step_s": 2.5}
{"model": "cnn", "mode": "eval", "error": "RuntimeError: no C++ compiler"}
`

func TestParsePeerOutput(t *testing.T) {
	speeds, errs, err := parsePeerOutput(bytes.NewBufferString(peerOutput))
	if err != nil {
		t.Fatal(err)
	}
	if sp := speeds["train"]; sp.PerS != 1500.5 || sp.Unit != "images" || sp.FirstStepS != 2.5 || sp.MsPerStep != 166.6 {
		t.Errorf("train: %+v", sp)
	}
	if errs["eval"] != "RuntimeError: no C++ compiler" || len(speeds) != 1 {
		t.Errorf("eval: speeds %v, errors %v", speeds, errs)
	}
	for _, bad := range []string{"", "not json\n", `{"model": "cnn", "mode": "train", "per_s": 3}` + "\n"} {
		if _, _, err := parsePeerOutput(bytes.NewBufferString(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestSetFastest(t *testing.T) {
	r := benchResult{GoMLX: speed{PerS: 300}, Peers: []peerResult{
		{Peer: "pytorch", Speed: &speed{PerS: 100}},
		{Peer: "pytorch-compile", Error: "no compiler"},
		{Peer: "jax", Speed: &speed{PerS: 400}},
	}}
	r.setFastest()
	if r.Fastest != "jax" || r.Ratio != 0.75 {
		t.Errorf("fastest %q, ratio %v; want jax, 0.75", r.Fastest, r.Ratio)
	}
	r.Peers = r.Peers[1:2]
	r.setFastest()
	if r.Fastest != "" || r.Ratio != 0 {
		t.Errorf("with no peer measured: fastest %q, ratio %v", r.Fastest, r.Ratio)
	}
}

func TestParseCellOutput(t *testing.T) {
	out := `{"cell": "trivial", "seconds": [0.9, 0.3, 0.2, 0.4], "cpu_seconds": [0.5, 0.25, 0.2, 0.3]}
{"cell": "plot", "seconds": [1, 0.7, 0.6], "cpu_seconds": [1, 0.7, 0.6]}
{"cell": "graph", "seconds": [3, 1.2, 1.0, 1.1], "cpu_seconds": [2, 0.9, 0.8, 0.85]}
`
	speeds, err := parseCellOutput(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	g := speeds["graph"]
	if math.Abs(g.MsPerStep-1100) > 1e-9 || g.FirstStepS != 3 || math.Abs(g.CPUMsPerStep-850) > 1e-9 || g.Unit != "cells" || math.Abs(g.PerS-1/1.1) > 1e-12 {
		t.Errorf("graph: %+v", g)
	}
	if p := speeds["plot"]; math.Abs(p.MsPerStep-650) > 1e-9 {
		t.Errorf("plot: the median of 0.7 and 0.6 s is 650 ms, got %+v", p)
	}
	if _, err := parseCellOutput(strings.NewReader(strings.SplitN(out, "\n", 2)[1])); err == nil {
		t.Error("a report without the trivial cell was accepted")
	}
	if _, err := parseCellOutput(strings.NewReader(`{"cell": "graph", "seconds": [3], "cpu_seconds": [2]}`)); err == nil {
		t.Error("a cell run once (no time after the first) was accepted")
	}
}

// sampleReport is a report as runBench makes it, for the page's test.
func sampleReport() benchReport {
	r := benchReport{Date: "2026-12-06T08:00:00Z", Backend: "backend: onnx, ONNX Runtime 1.30.0 on CPU (2 cores)",
		Machine: "linux/amd64, 2 CPUs", CPU: "Test CPU", Load: 3.2, Steps: 20, Rounds: 3, Threads: 2,
		Versions: map[string]string{"torch": "2.15.0", "jax": "0.10.2", "jaxlib": "0.10.2"},
		Results: []benchResult{
			{Model: "rbm", Mode: "train", Batch: 64, GoMLX: speed{PerS: 20000, Unit: "images", FirstStepS: 0.5},
				Peers: []peerResult{{Peer: "pytorch", Speed: &speed{PerS: 10000}}, {Peer: "pytorch-compile", Error: "no compiler"},
					{Peer: "jax", Speed: &speed{PerS: 25000}}}},
			{Model: cellModel, Mode: "graph", Batch: 1, GoMLX: speed{PerS: 1 / 1.1, Unit: "cells", MsPerStep: 1100, CPUMsPerStep: 900, FirstStepS: 2.5}},
		}}
	r.Results[0].setFastest()
	return r
}

func TestBenchDoc(t *testing.T) {
	dir := t.TempDir()
	jsonPath, docPath := filepath.Join(dir, "bench.json"), filepath.Join(dir, "docs", "bench.md")
	if err := writeJSON(jsonPath, sampleReport()); err != nil {
		t.Fatal(err)
	}
	if err := writeBenchDoc(jsonPath, docPath); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, want := range []string{
		"jax 0.10.2, jaxlib 0.10.2, torch 2.15.0; 2 threads each",
		"2026-12-06T08:00:00Z, linux/amd64, 2 CPUs (Test CPU)",
		"load average was 3.2",
		"| rbm | train | 64 | images | 20000 | 0.50 s | 10000 | n/a | **25000** | 0.80× |",
		"rbm train, PyTorch compiled: no compiler",
		"| graph | 1.10 s | 0.90 s | 2.50 s |",
		"GetPjrtApi",
		"Not measured in this run: cnn, vae,",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the page lacks %q:\n%s", want, doc)
		}
	}
	var table bytes.Buffer
	printBench(&table, sampleReport())
	if !strings.Contains(table.String(), "0.80×") || !strings.Contains(table.String(), "PyTorch compiled") {
		t.Errorf("the table:\n%s", table.String())
	}
	if err := writeBenchDoc(filepath.Join(dir, "missing.json"), docPath); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("a missing JSON file: %v", err)
	}
	os.WriteFile(jsonPath, []byte("{}"), 0o644)
	if err := writeBenchDoc(jsonPath, docPath); err == nil {
		t.Error("a report without results was accepted")
	}
}

// TestUpdateReport: --update replaces every row of a re-measured model
// (in its place), adds a new model's, leaves the others and the report's own
// date alone, marks the new rows with their date and load (shown on the page
// with †), and refuses a report measured with other settings, before
// measuring where it can.
func TestUpdateReport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bench.json")
	earlier := sampleReport()
	earlier.Results = append(earlier.Results, benchResult{Model: "rbm", Mode: "old-mode", Batch: 64, GoMLX: speed{PerS: 1, Unit: "images"}})
	if err := writeJSON(path, earlier); err != nil {
		t.Fatal(err)
	}
	fresh := sampleReport()
	fresh.Date, fresh.Load = "2026-12-07T09:00:00Z", 0.2
	fresh.Results = []benchResult{
		{Model: "rbm", Mode: "train", Batch: 64, GoMLX: speed{PerS: 30000, Unit: "images"}, Peers: []peerResult{{Peer: "jax", Speed: &speed{PerS: 25000}}}},
		{Model: "rbm-ais", Mode: "eval", Batch: 2500, GoMLX: speed{PerS: 50000, Unit: "chain-temps"}, Peers: []peerResult{{Peer: "jax", Speed: &speed{PerS: 40000}}}},
	}
	for i := range fresh.Results {
		fresh.Results[i].setFastest()
	}
	old, err := readUpdate(path, fresh)
	if err != nil {
		t.Fatal(err)
	}
	got, err := updateReport(path, old, fresh)
	if err != nil {
		t.Fatal(err)
	}
	if got.Date != "2026-12-06T08:00:00Z" || got.Load != 3.2 || len(got.Results) != 3 {
		t.Fatalf("updated report: date %s, load %v, %d rows; want the earlier date and load, 3 rows (rbm's old mode gone)", got.Date, got.Load, len(got.Results))
	}
	if r := got.Results[0]; r.Model != "rbm" || r.Mode != "train" || r.GoMLX.PerS != 30000 || r.Measured == nil || r.Measured.Date != fresh.Date || r.Measured.Load != 0.2 {
		t.Errorf("the re-measured row: %+v", r)
	}
	if r := got.Results[1]; r.Model != cellModel || r.Measured != nil {
		t.Errorf("the row not measured again changed: %+v", r)
	}
	if r := got.Results[2]; r.Model != "rbm-ais" || r.Measured == nil {
		t.Errorf("the added row: %+v", r)
	}
	if err := writeJSON(path, got); err != nil {
		t.Fatal(err)
	}
	docPath := filepath.Join(dir, "bench.md")
	if err := writeBenchDoc(path, docPath); err != nil {
		t.Fatal(err)
	}
	doc, _ := os.ReadFile(docPath)
	for _, want := range []string{"| rbm † | train |", "| rbm-ais † | eval |", "† Measured again on 2026-12-07T09:00:00Z (rbm train, rbm-ais eval)", "load average was 0.2", "(a quiet machine)"} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("the page lacks %q:\n%s", want, doc)
		}
	}
	for _, c := range []struct {
		change func(r *benchReport)
		want   string
	}{
		{func(r *benchReport) { r.Steps = 10 }, "--steps 20"},
		{func(r *benchReport) { r.Threads = 1 }, "--threads 2"},
		{func(r *benchReport) { r.CPU = "Another CPU" }, "Another CPU"},
	} {
		f := fresh
		c.change(&f)
		if _, err := readUpdate(path, f); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("a report measured otherwise (%s): %v", c.want, err)
		}
	}
	f := fresh
	f.Versions = map[string]string{"torch": "2.16.0"}
	if _, err := updateReport(path, old, f); err == nil || !strings.Contains(err.Error(), "torch 2.16.0") {
		t.Errorf("other peers' versions: %v", err)
	}
	if _, err := readUpdate(filepath.Join(dir, "none.json"), fresh); err == nil || !strings.Contains(err.Error(), "none.json") {
		t.Errorf("a missing report: %v", err)
	}
}
