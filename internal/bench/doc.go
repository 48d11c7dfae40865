package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/klcourse/klcourse/internal/safefile"
)

// peerTitle is a peer's column title.
var peerTitle = map[string]string{"pytorch": "PyTorch eager", "pytorch-compile": "PyTorch compiled", "jax": "JAX jit"}

// xlaCPUNote is what the bench found out about GoMLX's XLA backend on the
// CPU (issue 29): go-xla needs a PJRT plugin, a shared library exporting
// GetPjrtApi, and JAX's CPU wheel has none.
const xlaCPUNote = `GoMLX's XLA backend needs a PJRT plugin: a shared library that exports
GetPjrtApi. JAX's own CPU backend is not such a plugin: in the jaxlib wheel the
bench environment pins, none of the 31 shared libraries exports GetPjrtApi
(nm -D --defined-only on each); XLA's CPU client is linked into
jaxlib/libjax_common.so and reached only through jaxlib's Python bindings. The
PJRT plugins that JAX publishes on PyPI are for accelerators (jax-cuda12-pjrt,
jax-cuda13-pjrt, jax-rocm*-pjrt, jax-oneapi-pjrt). The PyPI packages that do
carry a CPU PJRT library are side packages of single projects (a LAMMPS plugin,
a molecular-dynamics backend), not something a course should depend on. So the
table has no GoMLX-on-XLA-CPU column, and GoMLX runs on ONNX Runtime on CPUs.`

// cellNote says where a cell's time goes (issue 29's investigation).
const cellNote = `Where a cell's time goes: GoNB writes the cell (with the notebook's earlier
declarations) into a main.go, runs goimports on it (about 10 ms), then go build,
then the program. The program itself is quick: the graph cell's program starts
the backend (dlopen of ONNX Runtime), builds, compiles and runs its graph in well
under 0.1 s. Nearly all the rest is go build, and in it the link: the packages
are in Go's build cache, and only the cell's main package is compiled, but a
binary that imports GoMLX and the course's cgo backends was linked by gcc
(cgo makes the go command link externally) and carried DWARF. The kernel that
klcourse setup installs sets GOFLAGS='-ldflags=-linkmode=internal -s -w': Go's
own linker, no DWARF and no symbol table (a panic still shows file:line, from
the program's line tables). It cuts the graph cell's CPU time by more than half
and a plot cell's by about a quarter; the cell's program is the same code and
runs as fast. What is left is the go command's own work (loading and hashing
every package of the build, a few hundred ms) and the internal link.`

// printBench prints the report as a table.
func printBench(w io.Writer, r benchReport) {
	for _, line := range reportHeader(r) {
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "model\tmode\tbatch\tunit\tGoMLX per s\tms/step\tfirst step\t"
	if r.ORTOptions != "" {
		head += "with options per s\tgain\t"
	}
	if len(r.Versions) > 0 {
		for _, p := range peerNames {
			head += peerTitle[p] + "\t"
		}
		head += "ratio\t"
	}
	fmt.Fprintln(tw, head)
	for _, x := range r.Results {
		row := fmt.Sprintf("%s\t%s\t%d\t%s\t%s\t%.1f\t%.2f s\t", x.Model, x.Mode, x.Batch, x.GoMLX.Unit, perS(x.GoMLX.PerS), x.GoMLX.MsPerStep, x.GoMLX.FirstStepS)
		if r.ORTOptions != "" {
			row += tunedCells(x, "\t") + "\t"
		}
		if len(r.Versions) > 0 && x.Model == cellModel {
			row += strings.Repeat("\t", len(peerNames)+1) // no peer runs a GoNB cell
		} else if len(r.Versions) > 0 {
			row += peerCells(x, "\t", false) + "\t" + ratioCell(x) + "\t"
		}
		fmt.Fprintln(tw, row)
	}
	tw.Flush()
	if notes := peerErrors(r); len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
}

// tunedCells are GoMLX's throughput with --ort-options and its gain over
// GoMLX as it is.
func tunedCells(x benchResult, sep string) string {
	if x.Tuned == nil || x.GoMLX.PerS <= 0 {
		return "n/a" + sep + "—"
	}
	return perS(x.Tuned.PerS) + sep + fmt.Sprintf("%.2f×", x.Tuned.PerS/x.GoMLX.PerS)
}

// reportHeader says what was measured, on what, and under which load.
func reportHeader(r benchReport) []string {
	var lines []string
	if r.Backend != "" {
		lines = append(lines, "GoMLX "+r.Backend)
	}
	if len(r.Versions) > 0 {
		lines = append(lines, fmt.Sprintf("peers: %s; %d threads each", versionLine(r.Versions), r.Threads))
	}
	if r.ORTOptions != "" {
		lines = append(lines, fmt.Sprintf("GoMLX also with the ONNX Runtime session options %s, alternating with GoMLX as it is in every round (\"with options\"; gain: its throughput over GoMLX's)", r.ORTOptions))
	}
	machine := r.Machine
	if r.CPU != "" {
		machine += " (" + r.CPU + ")"
	}
	lines = append(lines, fmt.Sprintf("%s, %s; each figure is the median of %d rounds, each the median of %d steps after the first and 2 warm-up steps",
		r.Date, machine, r.Rounds, r.Steps))
	if r.Load > 0.5 {
		lines = append(lines, fmt.Sprintf("the load average was %.1f when the measurement started: other programs were using the CPU, and the figures are not those of a quiet machine", r.Load))
		if len(r.Versions) > 0 {
			lines = append(lines, "under load PyTorch loses far more than GoMLX and JAX (its OpenMP threads wait for each other, and a thread that lost its core holds up the rest), so these ratios flatter GoMLX: only a quiet machine's count")
		}
	} else {
		lines = append(lines, fmt.Sprintf("the load average was %.1f when the measurement started (a quiet machine)", r.Load))
	}
	return lines
}

func perS(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// peerCells are the peers' throughputs, "n/a" where one has none; in
// Markdown the fastest is bold.
func peerCells(x benchResult, sep string, markdown bool) string {
	var cells []string
	for _, name := range peerNames {
		cell := "n/a"
		for _, p := range x.Peers {
			if p.Peer == name && p.Speed != nil {
				cell = perS(p.Speed.PerS)
				if markdown && name == x.Fastest {
					cell = "**" + cell + "**"
				}
			}
		}
		cells = append(cells, cell)
	}
	return strings.Join(cells, sep)
}

func ratioCell(x benchResult) string {
	if x.Ratio == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", x.Ratio)
}

// peerErrors lists why a peer has no figure in a row.
func peerErrors(r benchReport) []string {
	var notes []string
	for _, x := range r.Results {
		for _, p := range x.Peers {
			if p.Error != "" {
				notes = append(notes, fmt.Sprintf("%s %s, %s: %s", x.Model, x.Mode, peerTitle[p.Peer], p.Error))
			}
		}
	}
	return notes
}

// writeBenchDoc writes the Markdown page of the JSON report at jsonPath.
func writeBenchDoc(jsonPath, docPath string) error {
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		return fmt.Errorf("--doc reads the results of `klcourse bench --compare --json FILE`: %w", err)
	}
	var r benchReport
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("%s: not the JSON of klcourse bench: %v", jsonPath, err)
	}
	if len(r.Results) == 0 {
		return fmt.Errorf("%s: no results to write", jsonPath)
	}
	var b strings.Builder
	benchMarkdown(&b, r)
	if err := safefile.WriteBytes(docPath, []byte(b.String())); err != nil {
		return err
	}
	fmt.Printf("wrote %s from %s\n", docPath, jsonPath)
	return nil
}

// remeasuredNotes say when and under which load the rows marked † were
// measured again (`bench --update`), one line per measurement, each
// beginning "† " and then again ("Measured again", "Profiled again"): row(i)
// is the i-th of n rows' label and its mark (nil when it was not measured
// again).
func remeasuredNotes(again string, n int, row func(i int) (string, *remeasured)) []string {
	var when []remeasured
	rowsOf := map[remeasured][]string{}
	for i := range n {
		label, m := row(i)
		if m == nil {
			continue
		}
		if _, ok := rowsOf[*m]; !ok {
			when = append(when, *m)
		}
		rowsOf[*m] = append(rowsOf[*m], label)
	}
	var notes []string
	for _, m := range when {
		quiet := "a quiet machine"
		if m.Load > 0.5 {
			quiet = "not a quiet machine: its figures are noisy"
		}
		notes = append(notes, fmt.Sprintf("† %s on %s (%s), with the same settings and peers; the load average was %.1f when that measurement started (%s).",
			again, m.Date, strings.Join(rowsOf[m], ", "), m.Load, quiet))
	}
	return notes
}

// dagger marks a row measured again.
func dagger(m *remeasured) string {
	if m != nil {
		return " †"
	}
	return ""
}

// benchMarkdown is the page docs/bench.md: the report's tables and notes.
func benchMarkdown(w io.Writer, r benchReport) {
	fmt.Fprintln(w, "# Speed: GoMLX against PyTorch and JAX, and the cells a student waits on")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "<!-- Generated by `go run ./cmd/klcourse bench --doc docs/bench.md` from the JSON of")
	fmt.Fprintln(w, "     `go run ./cmd/klcourse bench --compare --json FILE`; do not edit by hand. -->")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Measured by `klcourse bench --compare` (the peers installed by `klcourse bench setup`")
	fmt.Fprintln(w, "from `python/bench.lock`; their code is `python/bench/`). Each row times the code its")
	fmt.Fprintln(w, "lecture runs; the peers compute the same thing with the same shapes, dtypes and batch, on")
	fmt.Fprintln(w, "the same threads, alternating with GoMLX round by round. Ratio: GoMLX's throughput over the")
	fmt.Fprintln(w, "fastest peer's (in bold); above 1 GoMLX is faster. Where each row's time goes, and the")
	fmt.Fprintln(w, "CIFAR CNN against the CPU's peak: [bench-profile.md](bench-profile.md) (`klcourse bench --profile`).")
	fmt.Fprintln(w)
	for _, line := range reportHeader(r) {
		fmt.Fprintf(w, "- %s\n", line)
	}
	var models, cells []benchResult
	for _, x := range r.Results {
		if x.Model == cellModel {
			cells = append(cells, x)
		} else {
			models = append(models, x)
		}
	}
	if len(models) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "## Models")
		fmt.Fprintln(w)
		head, rule := "| model | mode | batch | unit | GoMLX /s | first step |", "|---|---|--:|---|--:|--:|"
		if r.ORTOptions != "" {
			head += " with options /s | gain |"
			rule += "--:|--:|"
		}
		if len(r.Versions) > 0 {
			for _, p := range peerNames {
				head += " " + peerTitle[p] + " /s |"
				rule += "--:|"
			}
			head += " ratio |"
			rule += "--:|"
		}
		fmt.Fprintln(w, head)
		fmt.Fprintln(w, rule)
		for _, x := range models {
			row := fmt.Sprintf("| %s | %s | %d | %s | %s | %.2f s |", x.Model+dagger(x.Measured), x.Mode, x.Batch, x.GoMLX.Unit, perS(x.GoMLX.PerS), x.GoMLX.FirstStepS)
			if r.ORTOptions != "" {
				row += " " + tunedCells(x, " | ") + " |"
			}
			if len(r.Versions) > 0 {
				row += " " + peerCells(x, " | ", true) + " | " + ratioCell(x) + " |"
			}
			fmt.Fprintln(w, row)
		}
		if notes := remeasuredNotes("Measured again", len(models), func(i int) (string, *remeasured) {
			return models[i].Model + " " + models[i].Mode, models[i].Measured
		}); len(notes) > 0 {
			fmt.Fprintln(w)
			for _, n := range notes {
				fmt.Fprintln(w, n)
			}
		}
		var missing []string
		for _, m := range benchModels {
			if !slices.ContainsFunc(models, func(x benchResult) bool { return x.Model == m.name }) {
				missing = append(missing, m.name)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintln(w)
			fmt.Fprintf(w, "Not measured in this run: %s.\n", strings.Join(missing, ", "))
		}
		if notes := peerErrors(r); len(notes) > 0 {
			fmt.Fprintln(w)
			fmt.Fprintln(w, "Where a peer has no figure:")
			fmt.Fprintln(w)
			for _, n := range notes {
				fmt.Fprintf(w, "- %s\n", n)
			}
		}
	}
	if len(cells) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "## GoNB cells")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "A cell executed in a running GoNB kernel, from the execute request to the reply, as")
		fmt.Fprintln(w, "Jupyter shows it (`python/bench/cells.py`): a print, a bar chart, and a small GoMLX graph on")
		fmt.Fprintln(w, "the course's backend. GoNB builds and runs every cell as a new program; CPU is the time of")
		fmt.Fprintln(w, "the kernel's children (go build, the linker, the cell's program), steadier than the wall")
		fmt.Fprintln(w, "time on a busy machine. The first execution follows the kernel's start.")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| cell | median | CPU | first |")
		fmt.Fprintln(w, "|---|--:|--:|--:|")
		for _, x := range cells {
			fmt.Fprintf(w, "| %s%s | %.2f s | %.2f s | %.2f s |\n", x.Mode, dagger(x.Measured), x.GoMLX.MsPerStep/1e3, x.GoMLX.CPUMsPerStep/1e3, x.GoMLX.FirstStepS)
		}
		if notes := remeasuredNotes("Measured again", len(cells), func(i int) (string, *remeasured) {
			return "the " + cells[i].Mode + " cell", cells[i].Measured
		}); len(notes) > 0 {
			fmt.Fprintln(w)
			for _, n := range notes {
				fmt.Fprintln(w, n)
			}
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, cellNote)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## GoMLX on XLA on the CPU")
	fmt.Fprintln(w)
	fmt.Fprintln(w, xlaCPUNote)
}
