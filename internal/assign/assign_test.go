package assign

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/notebook"
)

// cell is a cell of a test notebook.
type cell struct {
	typ, source string
	tags        []string
}

func build(t *testing.T, cells ...cell) *notebook.Notebook {
	t.Helper()
	var raw []map[string]any
	for _, c := range cells {
		md := map[string]any{}
		if c.tags != nil {
			md["tags"] = c.tags
		}
		m := map[string]any{"cell_type": c.typ, "metadata": md, "source": c.source}
		if c.typ == "code" {
			m["outputs"], m["execution_count"] = []any{}, nil
		}
		raw = append(raw, m)
	}
	data, _ := json.Marshal(map[string]any{"cells": raw, "metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5})
	nb, err := notebook.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return nb
}

func TestGenerate(t *testing.T) {
	sol := build(t,
		cell{typ: "markdown", source: "# Exercise\nWhy?\n\n<!-- BEGIN SOLUTION -->\n\n* **Because.**\n\n<!-- END SOLUTION -->"},
		cell{typ: "code", source: "func kl(p, q *graph.Node) *graph.Node {\n\t// BEGIN SOLUTION stub: return exercise.Todo(q)\n\treturn klloss.ForwardKL(p, q)\n\t// END SOLUTION\n}"},
		cell{typ: "code", source: "%%\nx := 1\n// BEGIN HIDDEN\nfmt.Println(\"instructor only\")\n// END HIDDEN\nfmt.Println(x)"},
		cell{typ: "code", source: "%%\nfmt.Println(\"grading\")", tags: []string{"hidden"}},
		cell{typ: "code", source: "%%\n// BEGIN SOLUTION\nanswer := 42\n// END SOLUTION\nfmt.Println(\"done\")", tags: []string{"other"}},
	)
	ex, err := Generate(sol, "solutions/x.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ex.Cells {
		got = append(got, c.Source)
	}
	want := []string{
		"# Exercise\nWhy?\n\n*Your answer here.*",
		"func kl(p, q *graph.Node) *graph.Node {\n\t// TODO: write your code here.\n\treturn exercise.Todo(q)\n}",
		"%%\nx := 1\nfmt.Println(x)",
		"%%\n// TODO: write your code here.\nfmt.Println(\"done\")",
	}
	if strings.Join(got, "\n----\n") != strings.Join(want, "\n----\n") {
		t.Errorf("exercise cells:\n%s\nwant:\n%s", strings.Join(got, "\n----\n"), strings.Join(want, "\n----\n"))
	}
	data, _ := ex.Marshal()
	if !strings.Contains(string(data), `"generated_from": "solutions/x.ipynb"`) {
		t.Errorf("exercise does not say where it comes from:\n%s", data)
	}
	if len(ex.Cells[3].Tags()) != 1 || ex.Cells[3].Tags()[0] != "other" {
		t.Errorf("tags of a kept cell: %q", ex.Cells[3].Tags())
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, tc := range []struct {
		cells []cell
		want  string
	}{
		{[]cell{{typ: "code", source: "x := 1"}}, "solutions/x.ipynb has no solution region"},
		{[]cell{{typ: "markdown", source: "hi"}, {typ: "code", source: "a\n// BEGIN SOLUTION\nb"}}, `solutions/x.ipynb, cell 2: line 2: "// BEGIN SOLUTION" without "// END SOLUTION"`},
		{[]cell{{typ: "code", source: "// END SOLUTION"}}, `cell 1: line 1: "// END SOLUTION" without its BEGIN`},
		{[]cell{{typ: "code", source: "// BEGIN SOLUTION\n// BEGIN HIDDEN\n// END HIDDEN\n// END SOLUTION"}}, "line 2: \"// BEGIN HIDDEN\" inside the region opened at line 1: regions do not nest"},
		{[]cell{{typ: "markdown", source: "<!-- BEGIN SOLUTION -->\nno end"}}, `"<!-- BEGIN SOLUTION -->" without "<!-- END SOLUTION -->"`},
		{[]cell{{typ: "markdown", source: "Why?\n\n<!-- BEGIN SOLUTION -->\n* **glued**\n\n<!-- END SOLUTION -->"}}, `cell 1: line 3: "<!-- BEGIN SOLUTION -->" needs a blank line above and below it`},
		{[]cell{{typ: "markdown", source: "<!-- BEGIN SOLUTION -->\n\nanswer\n<!-- END SOLUTION -->"}}, `cell 1: line 4: "<!-- END SOLUTION -->" needs a blank line above and below it`},
	} {
		_, err := Generate(build(t, tc.cells...), "solutions/x.ipynb")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Generate error = %v, want one containing %q", err, tc.want)
		}
	}
}

func TestAnswersFill(t *testing.T) {
	solCells := []cell{
		{typ: "code", source: "func kl(p, q *graph.Node) *graph.Node {\n\t// BEGIN SOLUTION stub: return exercise.Todo(q)\n\treturn klloss.ForwardKL(p, q)\n\t// END SOLUTION\n}"},
		{typ: "code", source: "%%\n// BEGIN SOLUTION\nanswer := 42\nfmt.Println(answer)\n// END SOLUTION"},
	}
	sol := build(t, solCells...)
	answers, stubs := Answers(sol), Stubs(sol)
	if len(answers) != 2 || answers[0] != "\treturn klloss.ForwardKL(p, q)" || answers[1] != "answer := 42\nfmt.Println(answer)" {
		t.Fatalf("Answers = %q", answers)
	}
	if len(stubs) != 2 || !stubs[0] || stubs[1] {
		t.Fatalf("Stubs = %v", stubs)
	}
	ex, err := Generate(build(t, solCells...), "solutions/x.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if err := Fill(ex, answers, stubs); err != nil {
		t.Fatal(err)
	}
	// Filled with the reference answers, the exercise is the solution without markers.
	if got, want := ex.Cells[0].Source, "func kl(p, q *graph.Node) *graph.Node {\n\treturn klloss.ForwardKL(p, q)\n}"; got != want {
		t.Errorf("filled cell 1:\n%s\nwant:\n%s", got, want)
	}
	if got, want := ex.Cells[1].Source, "%%\nanswer := 42\nfmt.Println(answer)"; got != want {
		t.Errorf("filled cell 2:\n%s\nwant:\n%s", got, want)
	}
	if err := Fill(ex, answers, stubs); err == nil || !strings.Contains(err.Error(), "0 TODOs for 2 answers") {
		t.Errorf("filling a filled exercise: %v", err)
	}
}
