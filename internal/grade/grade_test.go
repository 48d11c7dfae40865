package grade

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klcourse/klcourse/internal/assign"
	"github.com/klcourse/klcourse/internal/notebook"
)

// The made-up class of exercise 02: one submission per way a submission can
// be right, wrong, broken or dishonest, with the points each must get.
const (
	solution02 = "../../solutions/02_cifar10_kl_losses.ipynb"
	exercise02 = "../../exercises/02_cifar10_kl_losses.ipynb"
	exercise03 = "../../exercises/03_reverse_kl_fit.ipynb"
	// sleepMarker is the argument of a process an endless-loop submission
	// starts: it must not outlive the grading.
	sleepMarker = "3607"
)

func TestGradeBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a dozen submissions (minutes)")
	}
	root, _ := filepath.Abs("../..")
	sol, err := notebook.Read(solution02)
	if err != nil {
		t.Fatal(err)
	}
	answers := assign.Answers(sol)
	stubs := assign.Stubs(sol)
	dir := t.TempDir()
	subs := filepath.Join(dir, "submitted")
	write := func(student string, data []byte) {
		p := filepath.Join(subs, student, "02_cifar10_kl_losses", "02_cifar10_kl_losses.ipynb")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// filled returns exercise 02 with the given answers (nil: the solution's)
	// and edit applied to its cells.
	filled := func(kl, rev string, edit func(nb *notebook.Notebook)) []byte {
		nb, err := notebook.Read(exercise02)
		if err != nil {
			t.Fatal(err)
		}
		a := []string{answers[0], answers[1]}
		if kl != "" {
			a[0] = kl
		}
		if rev != "" {
			a[1] = rev
		}
		if err := assign.Fill(nb, a, stubs); err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(nb)
		}
		data, err := nb.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	cell := func(nb *notebook.Notebook, id string) *notebook.Cell {
		for _, c := range nb.Cells {
			if c.ID() == id {
				return c
			}
		}
		t.Fatalf("no cell %s", id)
		return nil
	}
	// Each test cell runs in a process of its own, so one submission can
	// carry a different fault in each of its two answers.
	const (
		crossEntropy = "\treturn graph.Neg(graph.ReduceSum(graph.Mul(p, graph.LogSoftmax(logits)), -1))"
		panics       = "\tpanic(\"I give up\")"
		endless      = "\texec.Command(\"sleep\", \"" + sleepMarker + "\").Start()\n\tfor {\n\t}"
		exits        = "\tfmt.Println(\"Exercise 1 (KL loss): PASS\")\n\tos.Exit(0)\n\treturn nil"
		memory       = "\tblock := make([]byte, 64<<30)\n\tblock[1<<20] = 1\n\treturn exercise.Todo(logits)"
		callsRef     = "\treturn klloss.ReverseKLFromLogits(klloss.ClipTarget(p, epsilon), logits)"
		compileError = "\treturn graph.Sum(p, logits"
		todo         = "\treturn exercise.Todo(logits)"
	)
	write("correct", filled("", "", nil))
	write("crossentropy_callsref", filled(crossEntropy, callsRef, nil))
	write("meanclasses_compileerror", filled(strings.Replace(answers[0], "graph.ReduceSum(", "graph.ReduceMean(", 1), compileError, nil))
	write("axis1", filled(strings.Replace(answers[0], "), -1)", "), 1)", 1), "", nil))
	write("todo", mustRead(t, exercise02))
	write("panics_endless", filled(panics, endless, nil))
	write("exits_memory", filled(exits, memory, nil))
	write("editedcheck", filled(todo, "", func(nb *notebook.Notebook) {
		cell(nb, "c15").Source = "%%\nfmt.Println(\"Exercise 1 (KL loss): PASS\")"
		// And a forged helper: redefines the reverse KL check's epsilon.
		nb.Cells = append(nb.Cells, notebook.NewCell("code", "var epsilon = 0.5"))
	}))
	write("deletedcheck", filled("", "", func(nb *notebook.Notebook) {
		var kept []*notebook.Cell
		for _, c := range nb.Cells {
			if c.ID() != "c15" {
				kept = append(kept, c)
			}
		}
		nb.Cells = kept
	}))
	write("badjson", []byte(`{"cells": [`))
	write("notnotebook", []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj\n"))
	write("empty", nil)
	write("otherassignment", mustRead(t, exercise03))

	spec, err := LoadSpec(solution02)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Root: root, Timeout: 30 * time.Second, Total: 5 * time.Minute, Memory: 4 << 30,
		Env: []string{"GOMLX_BACKEND=go", "KLCOURSE_QUICK=1"}}
	ctx := context.Background()
	ref, err := BuildReference(ctx, spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	found, err := Discover([]string{subs}, "")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")

	// Interrupted after the first result: the finished ones are saved.
	ictx, cancel := context.WithCancel(ctx)
	var log bytes.Buffer
	_, err = Batch(ictx, spec, ref, found, opts, 2, out, false, cancelOnWrite{&log, cancel})
	if err == nil {
		t.Fatal("an interrupted batch reports no error")
	}
	saved, _ := filepath.Glob(filepath.Join(out, "results", "*.json"))
	if len(saved) == 0 || len(saved) == len(found) {
		t.Fatalf("after the interruption, %d of %d results are saved; want some", len(saved), len(found))
	}
	// Resumed: the saved results are kept, the others graded.
	log.Reset()
	results, err := Batch(ctx, spec, ref, found, opts, 2, out, false, &log)
	if err != nil {
		t.Fatal(err)
	}
	if kept := strings.Count(log.String(), "kept from an earlier run"); kept != len(saved) {
		t.Errorf("the resumed batch kept %d results, want %d:\n%s", kept, len(saved), log.String())
	}
	if _, _, err := WriteOutputs(spec, out, OutputOptions{}); err != nil {
		t.Fatal(err)
	}

	want := map[string]struct {
		kl, rev float64
		status  string
		note    string
	}{
		"correct":                  {4, 4, StatusOK, ""},
		"crossentropy_callsref":    {1.33, 0, StatusOK, ""}, // Cross-entropy is right on one-hot targets only.
		"meanclasses_compileerror": {0, 0, StatusCompileError, ""},
		"axis1":                    {3.33, 4, StatusOK, ""}, // Passes the self-check, fails a hidden test.
		"todo":                     {0, 0, StatusOK, ""},
		"panics_endless":           {0, 0, StatusFailedToRun, ""},
		"exits_memory":             {0, 0, StatusFailedToRun, ""},
		"editedcheck":              {0, 4, StatusOK, "was edited"},
		"deletedcheck":             {4, 4, StatusOK, "was deleted"},
		"badjson":                  {0, 0, StatusNotNotebook, ""},
		"notnotebook":              {0, 0, StatusNotNotebook, ""},
		"empty":                    {0, 0, StatusEmpty, ""},
		"otherassignment":          {0, 0, StatusWrongAssign, ""},
	}
	if len(results) != len(want) {
		t.Errorf("%d results for %d submissions", len(results), len(want))
	}
	for _, r := range results {
		w, ok := want[r.Student]
		if !ok {
			t.Errorf("unexpected student %q", r.Student)
			continue
		}
		if r.Questions[0].Points != w.kl || r.Questions[1].Points != w.rev || r.Status != w.status {
			t.Errorf("%s: kl_loss %v, reverse_kl %v, status %q; want %v, %v, %q\n%s\n%+v\nnotes: %v",
				r.Student, r.Questions[0].Points, r.Questions[1].Points, r.Status, w.kl, w.rev, w.status, r.Message, r.Questions[0], r.Notes)
		}
		t.Logf("%-26s kl_loss %4.2f  reverse_kl %4.2f  %-15s %s", r.Student, r.Questions[0].Points, r.Questions[1].Points, r.Status, strings.ReplaceAll(firstLines(r.Message+" "+r.Questions[0].Reason+" "+r.Questions[1].Reason, 3), "\n", " | "))
		if w.note != "" && !strings.Contains(strings.Join(r.Notes, "\n"), w.note) {
			t.Errorf("%s: the notes do not say %q: %v", r.Student, w.note, r.Notes)
		}
	}
	csv, err := os.ReadFile(filepath.Join(out, "grades.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(csv), "student,id,email,section,kl_loss,reverse_kl,discussion,points_before_penalty,late_penalty,total,max,status,submitted_at,late_by\n") || !strings.Contains(string(csv), "\ncorrect,,,,4.00,4.00,0.00,8.00,0%,8.00,11.00,ok,") {
		t.Errorf("grades.csv:\n%s", csv)
	}
	page, err := os.ReadFile(filepath.Join(out, "feedback", "axis1.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "targets and logits shaped [2, 2, 3]") || strings.Contains(string(page), "0.1, -1, 2") {
		t.Errorf("axis1's feedback should name the hidden test and not show its inputs:\n%s", page)
	}
	// Nothing the submissions started is still running.
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if cmd, err := os.ReadFile(p); err == nil && bytes.Equal(cmd, []byte("sleep\x00"+sleepMarker+"\x00")) {
			t.Errorf("a process started by a submission outlived the grading: %s", p)
		}
	}
	tmp, _ := filepath.Glob(filepath.Join(os.TempDir(), "klcourse-grade-*"))
	if len(tmp) > 0 {
		t.Logf("temporary folders present (maybe another grader's): %v", tmp)
	}
}

// cancelOnWrite cancels a batch as soon as it reports its first result.
type cancelOnWrite struct {
	w      *bytes.Buffer
	cancel context.CancelFunc
}

func (c cancelOnWrite) Write(p []byte) (int, error) {
	c.cancel()
	return c.w.Write(p)
}

func mustRead(t *testing.T, path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
