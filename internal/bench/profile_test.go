package bench

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/module"
	"github.com/klcourse/klcourse/pkg/convnet"
)

// torchCNNFLOPs is testdata/cnn_flops_torch.json: the driver's --flops
// output for the CNN (PyTorch's FlopCounterMode), committed so that the
// count is checked where the bench environment is missing.
func torchCNNFLOPs(t *testing.T) torchFLOPs {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "cnn_flops_torch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var x struct {
		Model string     `json:"model"`
		FLOPs torchFLOPs `json:"flops"`
	}
	if err := json.Unmarshal(data, &x); err != nil || x.Model != "cnn" || x.FLOPs.Batch == 0 {
		t.Fatalf("testdata/cnn_flops_torch.json: %+v, %v", x, err)
	}
	return x.FLOPs
}

// TestCNNFLOPs checks the count from the layer shapes against PyTorch's
// FlopCounterMode on the same network: forward, and a training step.
func TestCNNFLOPs(t *testing.T) {
	layers, fwd, train := cnnFLOPs(convnet.SeedCNN(), cifarImage)
	if len(layers) != 4 {
		t.Fatalf("%d layers, want conv1, conv2, dense1, dense2", len(layers))
	}
	check := func(src string, tf torchFLOPs) {
		n := float64(tf.Batch)
		if tf.Forward != fwd*n || tf.TrainStep != train*n {
			t.Errorf("%s: PyTorch counts %.0f forward and %.0f per training step at batch %d; the layer shapes give %.0f and %.0f",
				src, tf.Forward, tf.TrainStep, tf.Batch, fwd*n, train*n)
		}
	}
	check("testdata", torchCNNFLOPs(t))
	if r := train / fwd; r < 2.8 || r > 3 {
		t.Errorf("a training step is %.2f× the forward pass, want just under 3", r)
	}
	if testing.Short() {
		return
	}
	root, err := module.Root()
	if err != nil {
		t.Fatal(err)
	}
	peers, err := findPeers("", root)
	if err != nil {
		t.Logf("no live check against PyTorch: %v", err)
		return
	}
	lines, err := peers.run("--flops", "--models", "cnn")
	if err != nil {
		t.Fatal(err)
	}
	var x struct {
		FLOPs torchFLOPs `json:"flops"`
	}
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &x) != nil {
		t.Fatalf("--flops printed %q", lines)
	}
	check("the bench environment", x.FLOPs)
}

const zen4CPUInfo = `processor	: 0
vendor_id	: AuthenticAMD
cpu family	: 25
model		: 17
model name	: AMD EPYC
cpu MHz		: 2596.130
flags		: fpu sse sse2 avx fma avx2 avx512f avx512dq
processor	: 1
cpu MHz		: 2596.130
`

func TestReadPeak(t *testing.T) {
	p, err := readPeak(zen4CPUInfo, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Zen 4: 2 FMA pipes × 8 FP32 lanes (256 bits) × 2 FLOPs.
	if p.FLOPsPerCycle != 32 || p.VectorBits != 512 || p.DatapathBits != 256 || math.Abs(p.GFLOPS-2*2.59613*32) > 1e-6 || math.Abs(p.ISAGFLOPS-2*p.GFLOPS) > 1e-6 {
		t.Errorf("Zen 4: %+v", p)
	}
	intel := strings.Replace(strings.Replace(zen4CPUInfo, "AuthenticAMD", "GenuineIntel", 1), "cpu family	: 25", "cpu family	: 6", 1)
	if p, _ := readPeak(intel, 4); p.FLOPsPerCycle != 64 || math.Abs(p.GFLOPS-4*2.59613*64) > 1e-6 {
		t.Errorf("AVX-512 with two 512-bit FMA units: %+v", p)
	}
	avx2 := strings.Replace(zen4CPUInfo, " avx512f avx512dq", "", 1)
	if p, _ := readPeak(avx2, 2); p.FLOPsPerCycle != 32 || p.DatapathBits != 256 {
		t.Errorf("AVX2: %+v", p)
	}
	if _, err := readPeak("processor : 0\n", 2); err == nil {
		t.Error("cpuinfo without a clock and flags was accepted")
	}
}

// trace is an ONNX Runtime trace of three runs of two nodes: a MatMul of
// 30 µs and an Add of 10 µs, then (in the first run only) 100 µs more.
const trace = `[
{"cat":"Session","name":"model_run","ts":0,"dur":500},
{"cat":"Node","name":"mm_kernel_time","ts":10,"dur":130,"args":{"op_name":"MatMul"}},
{"cat":"Node","name":"add_kernel_time","ts":200,"dur":10,"args":{"op_name":"Add"}},
{"cat":"Session","name":"model_run","ts":1000,"dur":50},
{"cat":"Node","name":"mm_kernel_time","ts":1001,"dur":30,"args":{"op_name":"MatMul"}},
{"cat":"Node","name":"mm_fence_before","ts":1001,"dur":0,"args":{"op_name":"MatMul"}},
{"cat":"Node","name":"add_kernel_time","ts":1040,"dur":10,"args":{"op_name":"Add"}},
{"cat":"Session","name":"model_run","ts":2000,"dur":60},
{"cat":"Node","name":"mm_kernel_time","ts":2001,"dur":30,"args":{"op_name":"MatMul"}},
{"cat":"Node","name":"add_kernel_time","ts":2040,"dur":10,"args":{"op_name":"Add"}}
]`

func TestTraceTime(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("001-step.json", trace)
	write("001-step.graph.json", `{"name":"step","nodes":7,"op_types":{"MatMul":1,"Add":1}}`)
	write("002-init.json", `[{"cat":"Session","name":"model_run","ts":0,"dur":5}`) // never completed
	write("002-init.graph.json", `{"name":"init","nodes":3}`)
	row, err := readTraces(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(row.Graphs) != 1 || len(row.Skipped) != 1 || !strings.HasPrefix(row.Skipped[0], "init") {
		t.Fatalf("graphs %+v, skipped %v: want the step counted and init skipped", row.Graphs, row.Skipped)
	}
	g := row.Step
	if g.Runs != 2 || g.ONNXNodes != 7 || g.KernelsPerRun != 2 || math.Abs(g.MsPerRun-0.055) > 1e-12 || math.Abs(g.KernelMsPerRun-0.04) > 1e-12 {
		t.Errorf("step %+v: want 2 runs (the first left out), 7 nodes, 2 kernels, 0.055 ms per run, 0.04 in kernels", g)
	}
	if len(g.Ops) != 2 || g.Ops[0].Op != "MatMul" || math.Abs(g.Ops[0].Share-0.75) > 1e-12 || g.Ops[0].PerRun != 1 {
		t.Errorf("ops %+v: want MatMul first with 75 %% of the kernel time", g.Ops)
	}
	if n := row.Graphs[0].Nodes; len(n) != 2 || n[0].Node != "mm" || n[0].Op != "MatMul" || math.Abs(n[0].MsPerRun-0.03) > 1e-12 {
		t.Errorf("slowest nodes %+v: want mm (MatMul, 0.03 ms per run) first", n)
	}
	lines := profileAnalysis(rowProfile{Model: "x", Mode: "train", Ratio: 0.4, Step: g}, nil, 0.2)
	text := strings.Join(lines, "\n")
	for _, want := range []string{"products 75 %", "element-wise 25 %", "Top op: MatMul", "27 % of a run is outside the kernels", "cutting 60 %", "only 25 %"} {
		if !strings.Contains(text, want) {
			t.Errorf("analysis lacks %q:\n%s", want, text)
		}
	}
}

func TestProfileDoc(t *testing.T) {
	dir := t.TempDir()
	g := graphTime{Name: "step", Runs: 11, ONNXNodes: 40, KernelsPerRun: 30, MsPerRun: 2, KernelMsPerRun: 1.5,
		Ops: []opTime{{"Conv", 0.6, 0.9, 2}, {"Add", 0.4, 0.6, 28}}}
	layers, fwd, train := cnnFLOPs(convnet.SeedCNN(), cifarImage)
	peak, err := readPeak(zen4CPUInfo, 2)
	if err != nil {
		t.Fatal(err)
	}
	cnn := &cnnMachine{Batch: 250, Layers: layers, ForwardFLOPs: fwd, TrainFLOPs: train, StepGFLOP: train * 250 / 1e9, Formula: cnnFormula,
		Peak: peak, Throughput: 2000, GFLOPS: 2000 * train / 1e9, OfPeak: 2000 * train / 1e9 / peak.GFLOPS}
	row := rowProfile{Model: "cnn", Mode: "train", Ratio: 0.8, Fastest: "jax", Graphs: []graphTime{g}, Step: g}
	row.Close = profileAnalysis(row, cnn, 3)
	r := profileReport{Date: "2026-12-06T10:00:00Z", Commit: "abc", Machine: "linux/amd64, 2 CPUs", Load: 3, CNN: cnn, Rows: []rowProfile{row}}
	js, md := filepath.Join(dir, "p.json"), filepath.Join(dir, "p.md")
	if err := writeJSON(js, r); err != nil {
		t.Fatal(err)
	}
	if err := writeProfileDoc(js, md); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"## The CIFAR CNN against the machine", "### cnn train (0.80× the fastest peer, JAX jit)", "| Conv | 60 % |",
		"other programs were using the CPU", "What limits it", "commit abc"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(text, "NaN") || strings.Contains(text, "Inf") {
		t.Errorf("the page has a NaN or Inf:\n%s", text)
	}
}

func TestMeasureCore(t *testing.T) {
	m, err := measureCore()
	if err != nil {
		t.Skip(err)
	}
	if m.GHz < 0.5 || m.GHz > 8 {
		t.Errorf("clock %.2f GHz: not a CPU's", m.GHz)
	}
	for bits, f := range m.FLOPsPerCycle {
		// At least one FMA unit, at most four, each bits/32 lanes × 2 FLOPs.
		if lanes := float64(bits / 32); f < lanes || f > 4*2*lanes {
			t.Errorf("%d-bit FMA loop: %.1f FLOPs per cycle", bits, f)
		}
	}
}

// TestORTOptionsColumn: a report with --ort-options shows GoMLX with them
// and the gain, in the table and on the page.
func TestORTOptionsColumn(t *testing.T) {
	r := benchReport{Date: "d", Machine: "m", Rounds: 3, Steps: 20, ORTOptions: `{"intra_op_num_threads":1}`,
		Results: []benchResult{
			{Model: "vae", Mode: "train", Batch: 128, GoMLX: speed{PerS: 100, Unit: "images"}, Tuned: &speed{PerS: 150, Unit: "images"}},
			{Model: "vae", Mode: "eval", Batch: 128, GoMLX: speed{PerS: 100, Unit: "images"}},
		}}
	var text, page strings.Builder
	printBench(&text, r)
	benchMarkdown(&page, r)
	for name, out := range map[string]string{"table": text.String(), "page": page.String()} {
		for _, want := range []string{"1.50×", "n/a", `{"intra_op_num_threads":1}`} {
			if !strings.Contains(out, want) {
				t.Errorf("the %s lacks %q:\n%s", name, want, out)
			}
		}
	}
}

// TestPeerProfiles runs the peers' --profile on one small row: PyTorch's
// profiler table and XLA's optimized module, as bench --profile reads them.
// It needs the bench environment (klcourse bench setup).
func TestPeerProfiles(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the peers take a minute")
	}
	root, err := module.Root()
	if err != nil {
		t.Fatal(err)
	}
	peers, err := findPeers("", root)
	if err != nil {
		t.Skip(err)
	}
	var tp torchProfile
	if err := peers.profile("torch", "gan_post", "train", 2, "", &tp); err != nil {
		t.Fatal(err)
	}
	if len(tp.Top) == 0 || tp.EventsPerStep <= 0 || tp.Top[0].Share <= 0 || tp.Top[0].Share > 1 {
		t.Errorf("PyTorch's profile: %+v", tp)
	}
	var jp jaxProfile
	if err := peers.profile("jax", "gan_post", "train", 2, t.TempDir(), &jp); err != nil {
		t.Fatal(err)
	}
	if m := jp.StepModule; jp.Modules == 0 || m.EntryOps == 0 || m.Fusions == 0 || m.OpsInFusions < m.Fusions || m.ByOpcode["fusion"] != m.Fusions {
		t.Errorf("XLA's module: %+v", jp)
	}
}

// TestUpdateProfile: --profile --update replaces the profiled row, keeps the
// others and the CNN section, reads every row's ratio again from the current
// bench report, marks the new row (a † on the page), and refuses a report of
// another machine.
func TestUpdateProfile(t *testing.T) {
	dir := t.TempDir()
	g := graphTime{Name: "step", Runs: 11, ONNXNodes: 40, KernelsPerRun: 30, MsPerRun: 2, KernelMsPerRun: 1.5, Ops: []opTime{{"Gemm", 1, 1.5, 30}}}
	cnn := &cnnMachine{Batch: 250}
	old := profileReport{Date: "2026-12-06T10:00:00Z", Machine: "linux/amd64, 2 CPUs", CPU: "Test CPU", Load: 3, Backend: "onnx", CNN: cnn,
		Rows: []rowProfile{{Model: "rbm-ais", Mode: "eval", Ratio: 0.7, Graphs: []graphTime{g}, Step: g}, {Model: "vae", Mode: "train", Ratio: 0.6, Graphs: []graphTime{g}, Step: g}}}
	path := filepath.Join(dir, "bench-profile.json")
	if err := writeJSON(path, old); err != nil {
		t.Fatal(err)
	}
	g2 := g
	g2.MsPerRun = 1
	fresh := profileReport{Date: "2026-12-07T10:00:00Z", Machine: old.Machine, CPU: old.CPU, Load: 0.3, Backend: "onnx",
		Rows: []rowProfile{{Model: "rbm-ais", Mode: "eval", Graphs: []graphTime{g2}, Step: g2}}}
	ratios := &benchReport{Results: []benchResult{{Model: "rbm-ais", Mode: "eval", Ratio: 1.1, Fastest: "jax"}, {Model: "vae", Mode: "train", Ratio: 0.65, Fastest: "pytorch"}}}
	got, err := updateProfile(path, fresh, ratios)
	if err != nil {
		t.Fatal(err)
	}
	if got.Date != old.Date || got.CNN == nil || len(got.Rows) != 2 {
		t.Fatalf("updated: date %s, CNN %v, %d rows; want the earlier date and CNN, 2 rows", got.Date, got.CNN, len(got.Rows))
	}
	if r := got.Rows[0]; r.Step.MsPerRun != 1 || r.Measured == nil || r.Measured.Date != fresh.Date || r.Ratio != 1.1 {
		t.Errorf("the profiled row: %+v", r)
	}
	if r := got.Rows[1]; r.Measured != nil || r.Ratio != 0.65 || r.Fastest != "pytorch" {
		t.Errorf("the row not profiled again: measured %v, ratio %v (want 0.65 from the bench report)", r.Measured, r.Ratio)
	}
	if err := writeJSON(path, got); err != nil {
		t.Fatal(err)
	}
	md := filepath.Join(dir, "bench-profile.md")
	if err := writeProfileDoc(path, md); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(md)
	for _, want := range []string{"| rbm-ais eval † |", "† Profiled again on 2026-12-07T10:00:00Z", "(rbm-ais eval)"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	fresh.CPU = "Another CPU"
	if _, err := updateProfile(path, fresh, ratios); err == nil || !strings.Contains(err.Error(), "Another CPU") {
		t.Errorf("a profile of another machine: %v", err)
	}
}
