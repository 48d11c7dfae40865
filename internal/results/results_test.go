package results

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeNotebook writes a notebook with a Markdown cell (the heading) and code
// cells.
func writeNotebook(t *testing.T, path, heading string, code ...string) {
	t.Helper()
	cells := []map[string]any{{"cell_type": "markdown", "metadata": map[string]any{}, "source": heading + "\n\nSome text."}}
	for _, c := range code {
		cells = append(cells, map[string]any{"cell_type": "code", "metadata": map[string]any{}, "source": c, "outputs": []any{}, "execution_count": nil})
	}
	data, err := json.Marshal(map[string]any{"cells": cells, "metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(data))
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkout is a small course: lecture 1 records nothing, lecture 2 (a
// solution) records but has no results file, lecture 7 records two tables
// (the file holds them in key order, the notebook records "steps" first; one
// call names the notebook by a constant), an
// exercise that is no lecture.
func checkout(t *testing.T) string {
	root := t.TempDir()
	writeNotebook(t, filepath.Join(root, "notebooks", "01_kl.ipynb"), "# Lecture 1 — The KL divergence", `fmt.Println("hi")`)
	writeNotebook(t, filepath.Join(root, "solutions", "02_cifar.ipynb"), "# Lecture 2 — A classifier",
		`%%`+"\n"+`course.Record("02_cifar", "acc", tab)`)
	writeNotebook(t, filepath.Join(root, "solutions", "03_fit.ipynb"), "# Exercise 3 — The reverse KL", `course.Record("03_fit", "x", tab)`)
	writeNotebook(t, filepath.Join(root, "notebooks", "07_diffusion.ipynb"), "# Lecture 7 — Diffusion models",
		`must(course.Record("07_diffusion", "steps", tab))`, `must(course.Record( "07_diffusion", "bound", bound))`,
		`course.Record(lecture, "gan", tab)`) // the notebook named by a constant
	writeFile(t, filepath.Join(root, "notebooks", "results", "07_diffusion.json"), `{
 "bound": {"title": "The bound", "header": ["data", "KL bound"], "rows": [["8-ring", "1.3413"], ["a|b", "2"]],
           "recorded": "full mode, 2026-12-06, 1000 held-out points"},
 "old": {"title": "Gone", "header": ["x"], "rows": [["1"]], "recorded": "full mode, 2026-12-01"},
 "steps": {"title": "\nSampling with fewer steps", "header": ["steps", "modes", "time"], "rows": [["1000", "8/8"]],
           "recorded": "full mode, 2026-12-05", "machine": "linux/amd64, 2 CPUs", "commit": "abc1234"}
}
`)
	return root
}

func TestGenerateFromRecordedResults(t *testing.T) {
	root := checkout(t)
	page, err := Generate(root, BenchJSON)
	if err != nil {
		t.Fatal(err)
	}
	text := string(page)
	for _, want := range []string{
		"### Lecture 1: The KL divergence",
		"[`notebooks/01_kl.ipynb`](../notebooks/01_kl.ipynb): not recorded yet. Its cells do not call `course.Record` yet",
		"### Lecture 2: A classifier\n\n[`solutions/02_cifar.ipynb`](../solutions/02_cifar.ipynb): not recorded yet: run `KLCOURSE_RECORD=1 go run ./cmd/klcourse run --timeout 3h solutions/02_cifar.ipynb`.",
		"recorded in [`notebooks/results/07_diffusion.json`](../notebooks/results/07_diffusion.json)",
		// Two tables from two runs: both dates, the one machine and commit
		// recorded, and that the other table recorded none.
		"Date: 2026-12-01; 2026-12-05; 2026-12-06. Machine: linux/amd64, 2 CPUs (some tables: not recorded). Commit: abc1234 (some tables: not recorded).",
		"**The bound** (1000 held-out points)\n\n| data | KL bound |\n| --- | ---: |\n| 8-ring | 1.3413 |\n| a\\|b | 2 |\n",
		"**Sampling with fewer steps**\n\n| steps | modes | time |\n| ---: | ---: | --- |\n| 1000 | 8/8 |  |\n",
		"Not recorded yet: run `go run ./cmd/klcourse bench --compare --json docs/bench.json`",
		// A table the notebook records that the file lacks, and one it no
		// longer records.
		"Not recorded yet: the table(s) `gan` that its cells record; run the command above.",
		"**Gone** — stale: the notebook no longer records `old`; remove it from the file",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Exercise 3") || strings.Contains(text, "03_fit") {
		t.Errorf("an exercise is on the page as a lecture:\n%s", text)
	}
	// Lecture order, and the notebook's order of tables (steps before bound).
	order := []string{"Lecture 1:", "Lecture 2:", "Lecture 7:", "Sampling with fewer steps", "The bound", "Gone", "## Speed"}
	last := -1
	for _, s := range order {
		i := strings.Index(text, s)
		if i < last {
			t.Errorf("%q is out of order on the page", s)
		}
		last = i
	}
}

func TestCheckFailsWhenStale(t *testing.T) {
	root := checkout(t)
	if err := Check(root, BenchJSON); !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Check without a page: got %v, want it stale and missing", err)
	}
	if err := Write(root, BenchJSON); err != nil {
		t.Fatal(err)
	}
	if err := Check(root, BenchJSON); err != nil {
		t.Errorf("Check right after Write: %v", err)
	}
	// A new run records another value: the committed page is stale.
	path := filepath.Join(root, "notebooks", "results", "07_diffusion.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, strings.Replace(string(data), "1.3413", "1.2000", 1))
	err = Check(root, BenchJSON)
	if !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "1.3413") || !strings.Contains(err.Error(), "1.2000") {
		t.Errorf("Check after a new recording: got %v, want stale, naming the old and new line", err)
	}
	// A hand edit of the page is stale too.
	if err := Write(root, BenchJSON); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(root, Page)
	data, _ = os.ReadFile(page)
	writeFile(t, page, strings.Replace(string(data), "1.2000", "1.1", 1))
	if err := Check(root, BenchJSON); !errors.Is(err, ErrStale) {
		t.Errorf("Check after a hand edit: got %v, want stale", err)
	}
}

func TestBadResultsFileIsNamed(t *testing.T) {
	root := checkout(t)
	writeFile(t, filepath.Join(root, "notebooks", "results", "07_diffusion.json"), `[1, 2]`)
	if _, err := Generate(root, BenchJSON); err == nil || !strings.Contains(err.Error(), "07_diffusion.json") || !strings.Contains(err.Error(), "JSON object of tables") {
		t.Errorf("a results file that is a list: got %v, want an error naming the file and what was expected", err)
	}
	writeFile(t, filepath.Join(root, "notebooks", "results", "07_diffusion.json"), `{"steps": {"title": "x", "rows": [["1"]]}}`)
	if _, err := Generate(root, BenchJSON); err == nil || !strings.Contains(err.Error(), `"steps" has no header`) {
		t.Errorf("a table without header: got %v", err)
	}
}

func TestTwoNotebooksOneLecture(t *testing.T) {
	root := checkout(t)
	writeNotebook(t, filepath.Join(root, "notebooks", "02_other.ipynb"), "# Lecture 2 — Another")
	if _, err := Lectures(root); err == nil || !strings.Contains(err.Error(), "lecture 2") {
		t.Errorf("two notebooks claim lecture 2: got %v", err)
	}
}

// The bench JSON as `klcourse bench --compare` writes it, with a second peer
// (jax) and a second ratio, as a later bench may add.
const benchJSON = `{
  "date": "2026-12-01T10:00:00Z",
  "backend": "backend: onnx, ONNX Runtime 1.30.0 on CPU (2 cores)",
  "machine": "linux/amd64, 2 CPUs",
  "load_average": 3.8,
  "steps": 20,
  "rounds": 3,
  "pytorch": "1.13.1 (/home/someone/.venv/bin/python3)",
  "jax": "0.4.30",
  "results": [
    {"model": "cnn", "mode": "train", "batch": 250,
     "gomlx": {"per_s": 1836.4, "unit": "images", "ms_per_step": 136, "first_step_s": 0.4},
     "pytorch": {"per_s": 1119.2, "unit": "images", "ms_per_step": 223, "first_step_s": 0.2, "torch_threads": 2},
     "ratio": 1.6408},
    {"model": "hmc", "mode": "sample", "batch": 1,
     "gomlx": {"per_s": 193237, "unit": "trajectories", "ms_per_step": 0.005, "first_step_s": 0.1},
     "jax": {"per_s": 2416, "unit": "trajectories"},
     "ratio_jax": 79.98}
  ]
}
`

func TestBenchTable(t *testing.T) {
	root := checkout(t)
	writeFile(t, filepath.Join(root, BenchJSON), benchJSON)
	page, err := Generate(root, BenchJSON)
	if err != nil {
		t.Fatal(err)
	}
	text := string(page)
	for _, want := range []string{
		"`klcourse bench`, recorded in [`docs/bench.json`](bench.json); to measure again: `go run ./cmd/klcourse bench --compare --json docs/bench.json`, then `go run ./cmd/klcourse results`.",
		"Date: 2026-12-01T10:00:00Z. Machine: linux/amd64, 2 CPUs, load average 3.8 when the measurement started (other programs were using the CPU). Commit: not recorded.",
		"GoMLX: backend: onnx, ONNX Runtime 1.30.0 on CPU (2 cores). jax: 0.4.30. pytorch: 1.13.1. Each figure is the median of 3 rounds, each the median of 20 steps.",
		"| model | mode | batch | unit | GoMLX | jax | pytorch | ratio | ratio_jax |\n| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
		"| cnn | train | 250 | images | 1836 |  | 1119 | 1.64 |  |",
		"| hmc | sample | 1 | trajectories | 193237 | 2416 |  |  | 79.98 |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "/home/someone") {
		t.Errorf("the page shows a path of the measuring machine:\n%s", text)
	}
}

func TestBadBenchIsNamed(t *testing.T) {
	root := checkout(t)
	for _, bad := range []string{`{"results": []}`, `{"results": [{"model": "cnn", "mode": "train"}]}`, `not json`} {
		writeFile(t, filepath.Join(root, BenchJSON), bad)
		if _, err := Generate(root, BenchJSON); err == nil || !strings.Contains(err.Error(), "bench.json") {
			t.Errorf("bench JSON %s: got %v, want an error naming the file", bad, err)
		}
	}
}
