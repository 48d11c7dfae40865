package grade

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		"submitted/alice/ps2/02_cifar10_kl_losses.ipynb",
		"submitted/bob/ps2/02_cifar10_kl_losses.ipynb",
		"lms/smithjohn_12345_67890_02_cifar10_kl_losses.ipynb",
		"lms/doejane_LATE_4321_02_cifar10_kl_losses.ipynb",
		"lms/notes.txt",
		"lms/.DS_Store",
	}
	for _, f := range files {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	subs, err := Discover([]string{filepath.Join(dir, "submitted"), filepath.Join(dir, "lms")}, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range subs {
		got = append(got, s.Student)
	}
	want := "alice bob doejane notes smithjohn"
	if strings.Join(got, " ") != want {
		t.Errorf("students %q, want %q", strings.Join(got, " "), want)
	}
	// One file named in nbgrader's layout keeps its student.
	one, err := Discover([]string{filepath.Join(dir, files[1])}, "")
	if err != nil || one[0].Student != "bob" {
		t.Errorf("one file: %v %v", one, err)
	}
}

func TestBuildProgram(t *testing.T) {
	spec, err := LoadSpec(solution02)
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.Questions) != 2 || len(spec.Written) != 1 || spec.MaxPoints() != 11 {
		t.Fatalf("questions %+v, written %+v", spec.Questions, spec.Written)
	}
	if w := spec.Written[0]; w.ID != "discussion" || w.Points != 3 || w.Scheme == "" || !strings.Contains(w.Prompt, "*Your answer here.*") || !strings.Contains(w.Model, "Mode seeking") {
		t.Errorf("the written question: %+v", w)
	}
	sub := &Submitted{Cells: map[string]string{
		"c12":   "func klLoss(p, logits *graph.Node) *graph.Node {\n\tf := klloss.ForwardKLFromLogits\n\treturn f(p, logits)\n}",
		"extra": "var epsilon = 0.5\n\nfunc helper() string { return strings.ToUpper(\"x\") }",
	}, Order: []string{"c12", "extra"}}
	p, err := buildProgram(spec, sub, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if !p.studentFiles["cell-c12.go"] || !p.studentFiles["cell-extra.go"] || p.studentFiles["cell-c15.go"] {
		t.Errorf("the student's cells are %v, want c12 and extra", p.studentFiles)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "redefines `epsilon`") {
		t.Errorf("notes %v", p.Notes)
	}
	if !strings.Contains(p.Main, `"strings"`) || !strings.Contains(p.Main, "//line cell-c12.go:1") {
		t.Errorf("program lacks the std import or the line directive:\n%s", p.Main[:min(len(p.Main), 600)])
	}
	hidden := 0
	for _, tc := range p.Tests {
		if tc.Hidden {
			hidden++
		}
	}
	if len(p.Tests) != 4 || hidden != 2 {
		t.Errorf("tests %+v", p.Tests)
	}
	// A student's cell that does not parse is named.
	sub.Cells["c12"] = "func klLoss(p, logits *graph.Node) *graph.Node {"
	if _, err := buildProgram(spec, sub, nil, nil, true); err == nil || !strings.Contains(err.Error(), "cell-c12.go:1") {
		t.Errorf("parse error: %v", err)
	}
}
