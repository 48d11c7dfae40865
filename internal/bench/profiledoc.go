package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/klcourse/klcourse/internal/safefile"
)

// opClass sorts ONNX op types into the kinds of work the analysis weighs.
func opClass(op string) string {
	switch op {
	case "Conv", "ConvTranspose", "FusedConv", "MatMul", "Gemm", "FusedGemm", "FusedMatMul", "Einsum", "MatMulInteger":
		return "products"
	case "Transpose", "Reshape", "Slice", "Concat", "Gather", "GatherElements", "GatherND", "ScatterND", "ScatterElements",
		"Expand", "Pad", "Squeeze", "Unsqueeze", "Identity", "Tile", "Split", "Flatten", "Shape", "ConstantOfShape", "Range", "Size":
		return "data movement"
	case "ReduceSum", "ReduceMax", "ReduceMin", "ReduceMean", "ReduceProd", "ReduceLogSumExp", "ReduceL2", "ArgMax", "ArgMin",
		"Softmax", "LogSoftmax", "CumSum", "MaxPool", "AveragePool":
		return "reductions"
	case "BitShift", "BitwiseXor", "BitwiseAnd", "BitwiseOr", "BitwiseNot":
		return "integer bit ops"
	}
	return "element-wise"
}

// classShares sums a graph's op shares by class, largest first.
func classShares(g graphTime) []opTime {
	by := map[string]*opTime{}
	for _, o := range g.Ops {
		c := opClass(o.Op)
		if by[c] == nil {
			by[c] = &opTime{Op: c}
		}
		by[c].Share += o.Share
		by[c].MsPerRun += o.MsPerRun
		by[c].PerRun += o.PerRun
	}
	var out []opTime
	for _, t := range by {
		out = append(out, *t)
	}
	sortOps(out)
	return out
}

func pct(x float64) string { return fmt.Sprintf("%.0f %%", 100*x) }

// profileAnalysis is what the numbers of one row say, in sentences built
// from them by fixed rules (no sentence holds a number that was not
// computed here from the row's measurements):
//   - the shares of matrix products, element-wise work, data movement,
//     reductions and the random generator's integer ops;
//   - the time of a run outside the kernels (the executor's own work);
//   - how many kernels ONNX Runtime launches against XLA's fused ops;
//   - whether the time outside the matrix products is enough to close the
//     gap to the fastest peer, or the products themselves must get faster.
func profileAnalysis(r rowProfile, cnn *cnnMachine, load float64) []string {
	s := r.Step
	if s.MsPerRun <= 0 || len(s.Ops) == 0 {
		return nil
	}
	var lines []string
	classes := classShares(s)
	var parts []string
	share := map[string]opTime{}
	for _, c := range classes {
		share[c.Op] = c
		parts = append(parts, fmt.Sprintf("%s %s (%.0f kernels)", c.Op, pct(c.Share), c.PerRun))
	}
	lines = append(lines, "Kernel time by kind: "+strings.Join(parts, ", ")+".")
	top := s.Ops[0]
	lines = append(lines, fmt.Sprintf("Top op: %s, %s of the kernel time, %.0f per run at %.0f µs each.",
		top.Op, pct(top.Share), top.PerRun, 1e3*top.MsPerRun/max(top.PerRun, 1)))
	// Under load a run also holds the time it lost its cores, which the
	// nodes' medians leave out: the time outside the kernels is then not
	// ONNX Runtime's, and every other rule uses the kernel time only.
	outside := 1 - s.KernelMsPerRun/s.MsPerRun
	if load <= 1 && outside > 0.05 {
		lines = append(lines, fmt.Sprintf("%s of a run is outside the kernels (ONNX Runtime's executor between %d kernels: %.1f µs per kernel).",
			pct(outside), s.KernelsPerRun, 1e3*(s.MsPerRun-s.KernelMsPerRun)/float64(max(s.KernelsPerRun, 1))))
	}
	if r.JAX != nil {
		j := r.JAX.StepModule
		lines = append(lines, fmt.Sprintf("ONNX Runtime runs %d kernels per run of the step's graphs (GoMLX built %d ONNX nodes); XLA's step module runs %d ops, %d of them fusions holding %d ops.",
			s.KernelsPerRun, s.ONNXNodes, j.EntryOps, j.Fusions, j.OpsInFusions))
	}
	small := share["element-wise"].Share + share["data movement"].Share + share["integer bit ops"].Share
	if n := share["element-wise"].PerRun + share["data movement"].PerRun + share["integer bit ops"].PerRun; n > 0 && small > 0 {
		lines = append(lines, fmt.Sprintf("Element-wise, data-movement and bit kernels: %.0f per run, %s of the kernel time: what fusing them into a few loops (as XLA does) could save at most, with ONNX Runtime's time between kernels.",
			n, pct(small)))
	}
	if r.Ratio > 0 && r.Ratio < 1 {
		need := 1 - r.Ratio // the part of the step to cut to reach 1.0×
		rest := 1 - share["products"].Share
		if rest >= need {
			lines = append(lines, fmt.Sprintf("At %.2f×, reaching 1.0× means cutting %s of the step; everything but the matrix products is %s of the kernel time, so fusing and cheaper non-product work could close the gap without faster products.",
				r.Ratio, pct(need), pct(rest)))
		} else {
			lines = append(lines, fmt.Sprintf("At %.2f×, reaching 1.0× means cutting %s of the step; everything but the matrix products is only %s of the kernel time, so the products themselves must get faster too.",
				r.Ratio, pct(need), pct(rest)))
		}
	}
	if r.Model == "cnn" && r.Mode == "train" && cnn != nil && cnn.Throughput > 0 && share["products"].MsPerRun > 0 {
		// The bench's step time, split as the kernel time splits.
		stepMs := 1e3 * float64(cnn.Batch) / cnn.Throughput
		frac := share["products"].Share
		g := cnn.StepGFLOP / (frac * stepMs / 1e3)
		line := fmt.Sprintf("The matrix-product kernels are %s of the kernel time; if the bench's %.0f ms step splits the same way, they take %.0f ms for the step's %.2f GFLOP: %.0f GFLOP/s, %s of the computed peak",
			pct(frac), stepMs, frac*stepMs, cnn.StepGFLOP, g, pct(g/cnn.Peak.GFLOPS))
		if cnn.Measured != nil && cnn.Measured.GFLOPS > 0 {
			line += fmt.Sprintf(", %s of the measured one", pct(g/cnn.Measured.GFLOPS))
		}
		lines = append(lines, line+fmt.Sprintf("; the other %s of the kernel time does none of the counted FLOPs.", pct(1-frac)))
	}
	if bits := share["integer bit ops"]; bits.Share > 0.05 {
		lines = append(lines, fmt.Sprintf("The in-graph random generator (its integer bit ops: on ONNX Runtime compute-onnx's SplitMix64, or pkg/rbm's for AIS) takes %s in %.0f kernels; PyTorch draws its random numbers in one op each, and XLA fuses JAX's Threefry into its loops.", pct(bits.Share), bits.PerRun))
	}
	return lines
}

// printProfile prints the report's summary.
func printProfile(w io.Writer, r profileReport) {
	fmt.Fprintf(w, "%s, commit %s, %s (%s), load %.1f at the start\n", r.Date, r.Commit, r.Machine, r.CPU, r.Load)
	for _, row := range r.Rows {
		fmt.Fprintf(w, "\n%s %s (ratio %s): %.2f ms per step under the profiler, %d kernels\n", row.Model, row.Mode, ratioText(row.Ratio), row.Step.MsPerRun, row.Step.KernelsPerRun)
		for i, o := range row.Step.Ops {
			if i == 5 {
				break
			}
			fmt.Fprintf(w, "  %-16s %5.1f %%  %6.2f ms  %4.0f/run\n", o.Op, 100*o.Share, o.MsPerRun, o.PerRun)
		}
	}
	if c := r.CNN; c != nil {
		fmt.Fprintf(w, "\nCNN train step: %.2f GFLOP (%.1f MFLOP per image); peak %.0f GFLOP/s; GoMLX %.0f GFLOP/s = %s of it\n",
			c.StepGFLOP, c.TrainFLOPs/1e6, c.Peak.GFLOPS, c.GFLOPS, pct(c.OfPeak))
	}
}

func ratioText(r float64) string {
	if r == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", r)
}

// writeProfileDoc writes docs/bench-profile.md from the JSON of --profile.
func writeProfileDoc(jsonPath, docPath string) error {
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		return fmt.Errorf("--profile --doc reads the results of `klcourse bench --profile --json FILE`: %w", err)
	}
	var r profileReport
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("%s: not the JSON of klcourse bench --profile: %v", jsonPath, err)
	}
	for i := range r.Rows { // the rules as they are now
		r.Rows[i].Close = profileAnalysis(r.Rows[i], r.CNN, r.Load)
	}
	if len(r.Rows) == 0 && r.CNN == nil {
		return fmt.Errorf("%s: no profiles to write", jsonPath)
	}
	var b strings.Builder
	profileMarkdown(&b, r)
	if err := safefile.WriteBytes(docPath, []byte(b.String())); err != nil {
		return err
	}
	fmt.Printf("wrote %s from %s\n", docPath, jsonPath)
	return nil
}

func profileMarkdown(w io.Writer, r profileReport) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("# Where the time goes: ONNX Runtime profiles of the bench rows, and the CNN against the CPU")
	p("")
	p("<!-- Generated by `go run ./cmd/klcourse bench --profile --doc docs/bench-profile.md` from the JSON of")
	p("     `go run ./cmd/klcourse bench --profile --json docs/bench-profile.json`; do not edit by hand. -->")
	p("")
	p("Measured by `klcourse bench --profile`: each row's Go benchmark runs once more with")
	p("`%s=DIR` (pkg/backend/onnxruntime), so that ONNX Runtime's profiler times every", "KLCOURSE_ORT_PROFILE")
	p("node of the graphs a step runs; the traces are summed by op type over the runs after the")
	p("first. The peers report what they run for the same step: PyTorch's profiler (self CPU time")
	p("per op) and the step's module as XLA optimized it for JAX (ops and fusions). The profiler")
	p("adds a little time per node, so a profiled step is slower than the bench's: read the")
	p("shares, not the milliseconds. Ratios are the bench's (GoMLX over the fastest peer).")
	p("")
	p("- %s, commit %s", r.Date, r.Commit)
	machineLine := r.Machine
	if r.CPU != "" {
		machineLine += " (" + r.CPU + ")"
	}
	p("- %s; the load average was %.1f at the start%s", machineLine, r.Load, loadNote(r.Load))
	if r.Backend != "" {
		p("- GoMLX %s", r.Backend)
	}
	if len(r.Versions) > 0 {
		p("- peers: %s", versionLine(r.Versions))
	}
	if r.Ratios != "" {
		p("- ratios and the CNN's throughput from %s", r.Ratios)
	}
	if c := r.CNN; c != nil {
		cnnMarkdown(w, c, r)
	}
	if len(r.Rows) > 0 {
		p("")
		p("## The rows")
		p("")
		p("Per row: the time of one run of the step's graphs under the profiler, the kernels a run")
		p("launches (nodes that ONNX Runtime ran, after its fusions), the ONNX nodes GoMLX built, XLA's")
		p("ops for JAX's step (fusions in brackets), and the top three op types with their share of")
		p("the kernel time.")
		p("")
		p("| row | ratio | ms per run, profiled | kernels | ONNX nodes | XLA ops (fusions) | top ops |")
		p("|---|--:|--:|--:|--:|--:|---|")
		for _, row := range r.Rows {
			xla := "—"
			if row.JAX != nil {
				xla = fmt.Sprintf("%d (%d)", row.JAX.StepModule.EntryOps, row.JAX.StepModule.Fusions)
			}
			var tops []string
			for i, o := range row.Step.Ops {
				if i == 3 {
					break
				}
				tops = append(tops, fmt.Sprintf("%s %s", o.Op, pct(o.Share)))
			}
			p("| %s %s%s | %s | %.2f | %d | %d | %s | %s |", row.Model, row.Mode, dagger(row.Measured), ratioText(row.Ratio), row.Step.MsPerRun,
				row.Step.KernelsPerRun, row.Step.ONNXNodes, xla, strings.Join(tops, ", "))
		}
		if notes := remeasuredNotes("Profiled again", len(r.Rows), func(i int) (string, *remeasured) {
			return r.Rows[i].Model + " " + r.Rows[i].Mode, r.Rows[i].Measured
		}); len(notes) > 0 {
			p("")
			for _, n := range notes {
				p(n)
			}
		}
		for _, row := range r.Rows {
			rowMarkdown(w, row)
		}
	}
	p("")
	p("## Reading it")
	p("")
	p(profileNote)
	p("")
	p("## Analysis (hand-written)")
	p("")
	p(profileAnalysisNote)
}

func loadNote(load float64) string {
	if load > 0.5 {
		return ": other programs were using the CPU; shares hold, milliseconds are slower than on a quiet machine"
	}
	return " (a quiet machine)"
}

func cnnMarkdown(w io.Writer, c *cnnMachine, r profileReport) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("## The CIFAR CNN against the machine")
	p("")
	p("FLOPs of the network of pkg/convnet (convnet.SeedCNN) on a 32×32×3 image, counted from its")
	p("layer shapes (internal/bench/flops.go): %s.", c.Formula)
	p("")
	p("| layer | shape | forward FLOPs per image |")
	p("|---|---|--:|")
	for _, l := range c.Layers {
		p("| %s | %s | %.0f |", l.Layer, l.Shape, l.Forward)
	}
	p("")
	p("Forward %.2f MFLOP per image; a training step %.2f MFLOP per image (%.2f× the forward), %.2f GFLOP per batch of %d.",
		c.ForwardFLOPs/1e6, c.TrainFLOPs/1e6, c.TrainFLOPs/c.ForwardFLOPs, c.StepGFLOP, c.Batch)
	if t := c.TorchCheck; t != nil && t.Batch > 0 {
		p("PyTorch's FlopCounterMode on the same network (python/bench/models/cnn.py) counts %.0f forward and %.0f for a training step at batch %d: %s and %s of this count.",
			t.Forward, t.TrainStep, t.Batch, pct(t.Forward/(c.ForwardFLOPs*float64(t.Batch))), pct(t.TrainStep/(c.TrainFLOPs*float64(t.Batch))))
	}
	pk := c.Peak
	p("")
	p("FP32 peak: %d cores × %.0f MHz × %d FLOPs per cycle (%s, %d-bit registers, %d-bit datapath, %d FMA units) = **%.0f GFLOP/s**; with the register width as datapath, %.0f GFLOP/s. Assumptions:",
		pk.Cores, pk.MHz, pk.FLOPsPerCycle, pk.Vector, pk.VectorBits, pk.DatapathBits, pk.FMAUnits, pk.GFLOPS, pk.ISAGFLOPS)
	p("")
	for _, a := range peakAssumptions(pk) {
		p("- %s", a)
	}
	m := c.Measured
	if m != nil {
		var widths []string
		for _, bits := range []int{256, 512} {
			if f, ok := m.FLOPsPerCycle[bits]; ok {
				widths = append(widths, fmt.Sprintf("%d-bit %.1f", bits, f))
			}
		}
		p("")
		p("Measured on one core (internal/bench/peak_amd64.s; thread CPU time, best of 5; load %.1f): a chain of dependent one-cycle additions runs at %.2f GHz, and loops of 12 independent FP32 FMAs give %s FLOPs per cycle; %d cores at that clock: **%.0f GFLOP/s**. (A clock above the nominal one is a boost clock, which all cores may not hold at once.)",
			m.Load, m.GHz, strings.Join(widths, ", "), pk.Cores, m.GFLOPS)
	} else if c.MeasureErr != "" {
		p("")
		p("The core was not measured: %s.", c.MeasureErr)
	}
	if c.Throughput > 0 {
		p("")
		head, rule := "| training step | images/s | GFLOP/s | of the peak | of the register-width peak |", "|---|--:|--:|--:|--:|"
		if m != nil {
			head, rule = head+" of the measured peak |", rule+"--:|"
		}
		p("%s", head)
		p("%s", rule)
		row := func(name string, perS, g float64, bold bool) {
			cells := []string{pct(g / pk.GFLOPS), pct(g / pk.ISAGFLOPS)}
			if m != nil {
				cells = append(cells, pct(g/m.GFLOPS))
			}
			if bold {
				for i := range cells {
					cells[i] = "**" + cells[i] + "**"
				}
			}
			p("| %s | %.0f | %.1f | %s |", name, perS, g, strings.Join(cells, " | "))
		}
		row("GoMLX (ONNX Runtime)", c.Throughput, c.GFLOPS, true)
		for _, x := range c.Peers {
			row(peerTitle[x.Peer], x.PerS, x.GFLOPS, false)
		}
		p("")
		p("(images/s from the bench JSON named above.)")
		stepMs := 1e3 * float64(c.Batch) / c.Throughput
		goal := func(peak float64) string {
			return fmt.Sprintf("%.0f ms", c.StepGFLOP/(cnnGoal*peak)*1e3)
		}
		line := fmt.Sprintf("The issue's goal, %s of the peak, means a training step of %s against the computed peak", pct(cnnGoal), goal(pk.GFLOPS))
		if m != nil && m.GFLOPS > 0 {
			line += " and " + goal(m.GFLOPS) + " against the measured one"
		}
		p("")
		p("%s; GoMLX's step takes %.0f ms.", line, stepMs)
	}
	if g := c.Gemm; g != nil {
		best := max(g.TorchGFLOPS, g.JAXGFLOPS)
		p("")
		p("A ceiling measured on the same cores: a %d×%d FP32 matrix product (median of %d) ran at %.0f GFLOP/s in PyTorch and %.0f GFLOP/s in JAX, %s of the computed peak, with the load average at %.1f.",
			g.N, g.N, g.Reps, g.TorchGFLOPS, g.JAXGFLOPS, pct(best/pk.GFLOPS), c.GemmLoad)
		if c.GemmLoad > 1 {
			p("Other programs had the cores: this is not the machine's ceiling, and it is not compared with the bench's throughput.")
		} else {
			p("GoMLX's CNN step reaches %s of the faster of the two.", pct(c.GFLOPS/best))
		}
	}
	for _, row := range r.Rows {
		if row.Model == "cnn" && row.Mode == "train" {
			p("")
			p("What limits it, from the cnn train profile below:")
			p("")
			for _, l := range row.Close {
				p("- %s", l)
			}
		}
	}
}

func rowMarkdown(w io.Writer, row rowProfile) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	head := fmt.Sprintf("### %s %s", row.Model, row.Mode)
	if row.Ratio > 0 {
		head += fmt.Sprintf(" (%.2f× the fastest peer, %s)", row.Ratio, peerTitle[row.Fastest])
	}
	p("%s", head)
	p("")
	p("| op | share | ms per run | per run |")
	p("|---|--:|--:|--:|")
	for i, o := range row.Step.Ops {
		if i == 8 {
			break
		}
		p("| %s | %s | %.3f | %.0f |", o.Op, pct(o.Share), o.MsPerRun, o.PerRun)
	}
	if rest := len(row.Step.Ops) - 8; rest > 0 {
		var share float64
		for _, o := range row.Step.Ops[8:] {
			share += o.Share
		}
		p("| %d other op types | %s | | |", rest, pct(share))
	}
	p("")
	var graphs []string
	for _, g := range row.Graphs {
		graphs = append(graphs, fmt.Sprintf("%s (%.2f ms, %d nodes → %d kernels)", g.Name, g.MsPerRun, g.ONNXNodes, g.KernelsPerRun))
	}
	p("Graphs of the step: %s.", strings.Join(graphs, ", "))
	for _, g := range row.Graphs {
		if len(g.Nodes) == 0 {
			continue
		}
		p("")
		p("Slowest nodes of %s:", g.Name)
		p("")
		p("| node | op | share | ms/run | inputs → output |")
		p("|---|---|--:|--:|---|")
		for i, n := range g.Nodes {
			if i == 5 {
				break
			}
			p("| %s | %s | %s | %.3f | %s → %s |", n.Node, n.Op, pct(n.Share), n.MsPerRun, n.Inputs, n.Output)
		}
	}
	p("")
	if len(row.Skipped) > 0 {
		p("Not counted: %s.", strings.Join(row.Skipped, "; "))
	}
	if t := row.Torch; t != nil {
		var tops []string
		for i, o := range t.Top {
			if i == 5 {
				break
			}
			tops = append(tops, fmt.Sprintf("%s %s (%.0f/step)", o.Op, pct(o.Share), o.CallsPerStep))
		}
		p("%s: %.0f op events per step; by self CPU time: %s.", peerTitle[reverseFramework(t.Framework)], t.EventsPerStep, strings.Join(tops, ", "))
	}
	if j := row.JAX; j != nil {
		var ops []string
		for op, n := range j.StepModule.ByOpcode {
			ops = append(ops, fmt.Sprintf("%s %d", op, n))
		}
		slices.SortFunc(ops, func(a, b string) int {
			return strings.Compare(a, b)
		})
		p("JAX jit: XLA's step module runs %d ops (%s), %d fusions holding %d ops.", j.StepModule.EntryOps, strings.Join(ops, ", "), j.StepModule.Fusions, j.StepModule.OpsInFusions)
	}
	for _, e := range row.PeerErr {
		p("Peer not profiled: %s.", e)
	}
	if len(row.Close) > 0 {
		p("")
		p("What the numbers say (sentences computed from them by the rules of internal/bench/profiledoc.go):")
		p("")
		for _, l := range row.Close {
			p("- %s", l)
		}
	}
}

// cnnGoal is issue 29's goal for the CNN's training step: this fraction of
// the CPU's FP32 peak.
const cnnGoal = 0.4

// profileNote is the page's hand-written part: how the tables were made and
// what they can and cannot say. It holds no measured number.
const profileNote = `Shares are of the kernel time: the sum over the nodes' "_kernel_time" events of
ONNX Runtime's trace, per run, the first run left out. "Outside the kernels" is a run's
time (its "model_run" event) less that sum: ONNX Runtime's executor, allocation and
the hand-over between nodes. A GoMLX step may run several graphs (a GAN's two
players); the step sums the graphs whose traces are complete, each counted once.
The op types are ONNX Runtime's after its graph optimizations (a "FusedConv" or
"FusedMatMul" is its fusion), so the kernels per step can be fewer than the nodes
GoMLX built. XLA's count is of the instructions of its step module's entry
computation and of its while loops' bodies, each counted once: a fusion is one loop
over memory however many ops it holds, which is what ONNX Runtime, running one
kernel per node, does not do. A bench step may run a graph more than once (the
diffusion sampler runs its denoising graph once per noise level): the tables are
per run of each graph, and the step sums one run of each. The sentences under each
row are computed by fixed rules from its numbers; they say where time could be
saved, not that it will be.

To profile any program on the course's backend (a lecture's training, a test):
set KLCOURSE_ORT_PROFILE to a folder before it starts; every graph's first
runs are traced there (NNN-NAME.json, viewable in chrome://tracing or Perfetto,
and NNN-NAME.graph.json with the graph's op types). KLCOURSE_ORT_SESSION_OPTIONS
(a JSON object, e.g. {"intra_op_num_threads":1}) runs every graph with the ONNX
Runtime session options given, to measure what they change. Both are off unless
set, and leave nothing behind then (pkg/backend/onnxruntime).`

// profileAnalysisNote is the page's hand-written analysis of the profiles of
// 2026-12-06 (docs/bench-profile.json of that day). It holds no measured
// number: each point names the table or line it reads; rerun the profile
// and check it when the graphs change.
const profileAnalysisNote = `Written from the tables above when they were measured (2026-12-06); each point
names what it reads, and none holds a number of its own.

- Fusion is the common difference. In the rows below 1.0×, the rows table shows
  ONNX Runtime launching more kernels per run than XLA's step module has ops, and
  XLA's fusions holding most of its ops; the exceptions are rbm and rbm-pcd (about
  as many, many of XLA's being copies) and diffusion sample (XLA's module is the
  whole sampler, GoMLX's graph one noise level). ONNX Runtime's CPU optimizer
  fuses a few fixed patterns (MatMul with Add into Gemm or FusedMatMul, QuickGelu,
  Conv with its activation) and runs every other node as a kernel of its own that
  reads and writes a whole tensor; it has no general element-wise fusion. So the
  way to fewer kernels is fewer nodes in GoMLX's graphs: the rows whose sentences
  find the non-product kernels larger than the gap are the ones a leaner
  formulation could bring to 1.0×.
- Small graphs (gan_post, gan_mlp, diffusion train): even their top ops take
  microseconds to tens of microseconds per kernel (the "Top op" lines), so their
  time goes per kernel, not per FLOP, and the number of kernels is the lever.
- gan_mlp's and gan_post's Sign kernels: GoMLX differentiates Max, and so
  pkg/gan's ReLU and leaky ReLU (Max(x, 0), Max(x, αx)) and maxout's ReduceMax,
  through NonNegativeIndicator, Sign(Sign(x − y) + 1): four kernels for each
  Max's gradient. pkg/convnet and graphx.StableSoftplus compute a ReLU as
  x·[x ≥ 0] instead, whose gradient is one product. Since this profile, pkg/gan's
  ReLU and leaky ReLU do too (commit 98924a3: same values and gradients; its
  message gives the alternating-round measurement, made under load); maxout's
  ReduceMax still differentiates through Sign. Rerun the profile to see the rows
  without them.
- iwae and the VAE: a dense layer's bias reaches ONNX Runtime already broadcast to
  the whole batch (an Expand node: GoMLX broadcasts explicitly), and ONNX Runtime
  folds it into Gemm as a full-size C (iwae's slowest nodes: Gemm with a C as large
  as its output, and the Expand op in its table). And BernoulliNLL's graphx.Softplus
  computes its custom-gradient form, (v − x) + x, in evaluation graphs too: extra
  passes over [k·batch, 784] that an evaluation-only form would save, at the price
  of last-bit changes in the bound (lecture 5's numbers would need a rerun).
- cnn eval: the two convolutions run in ONNX Runtime's NCHWc layout, with
  ReorderInput and ReorderOutput around them and the bias Add, MaxPool and the
  activations as kernels of their own (its table and slowest nodes); XLA's module
  is a handful of fusions (its JAX line), and PyTorch
  runs oneDNN's convolution (its aten::mkldnn_convolution). The larger
  convolution alone is about half the kernel time, so this row needs a faster
  convolution as well as fewer kernels around it.
- rbm-ais: this row was profiled again (†) after pkg/rbm's AIS changed in two
  ways. The hidden units' log-ratio softplus(βx) − softplus(β'x) is now computed
  as log1p(σ(βx)(e^{−δ} − 1)) in float32 (Goldberg's log1p, a tanh form of
  expm1: exact to a few units in the last place, with nothing to cancel; the
  softplus difference itself where |δ| ≥ ½), reusing the σ(βx) that the Gibbs
  sweep samples h with, and summed in float64: the float64 Log and Exp of the
  earlier profile are gone. And all the uniforms of a call come from one
  in-graph SplitMix64 evaluation, two 24-bit numbers per 64-bit word, instead
  of one call of GoMLX's generator per temperature and layer (on ONNX Runtime,
  compute-onnx's SplitMix64, a whole 64-bit word per 32-bit number). The peers compute the same
  formula (with their own expm1 and log1p). Fewer kernels per run (the rows
  table against the earlier profile's) did not make the step faster (the bench
  table's † row): what is left around the products (Gemm) is a few dozen small
  element-wise kernels per temperature (Mul, Add, Cast, Log in its table), each
  reading and writing a [chains, hidden] tensor, which XLA fuses into its loop
  body (its JAX line). Closing the gap needs those chains fused: fewer nodes than
  an exact, cancellation-free log-ratio needs in ONNX's op set, or a fused
  kernel.
- cnn train, above 1.0×: its kernel time is mostly the matrix products of the
  im2col formulation (the CNN section's "What limits it"), so it is bound by the
  products' speed, not by kernel count; the CNN section sets that speed against
  the machine's peak.`
