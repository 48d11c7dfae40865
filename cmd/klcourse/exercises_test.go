package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/assign"
	"github.com/klcourse/klcourse/internal/notebook"
)

// selfCheckTag marks the cells of an exercise that check the student's work.
const selfCheckTag = "selfcheck"

// selfCheckNotebook returns the exercise generated from the solution at
// path, filled with answers and cut down to what its self-checks need: the
// cells that declare things and the self-check cells (no data loading, no
// training). It also returns how many self-checks it has.
func selfCheckNotebook(t *testing.T, path string, answers []string) (*notebook.Notebook, int) {
	t.Helper()
	sol, err := notebook.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	stubs := assign.Stubs(sol)
	if answers == nil {
		answers = assign.Answers(sol)
	}
	ex, err := assign.Generate(sol, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := assign.Fill(ex, answers, stubs); err != nil {
		t.Fatal(err)
	}
	checks := 0
	var kept []*notebook.Cell
	for _, c := range ex.Cells {
		isCheck := slices.Contains(c.Tags(), selfCheckTag)
		if isCheck {
			checks++
		}
		if c.Type == "code" && (isCheck || !strings.HasPrefix(strings.TrimSpace(c.Source), "%%")) {
			kept = append(kept, c)
		}
	}
	ex.Cells = kept
	return ex, checks
}

// runSelfChecks executes nb from a directory directly under the module root
// (its first cell finds the module as the notebook's parent directory) and
// returns the text the self-check cells printed.
func runSelfChecks(t *testing.T, nb *notebook.Notebook) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(root, ".selfcheck-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := nb.Write(filepath.Join(dir, "exercise.ipynb")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	text, code := klcourse(t, dir, nil, "run", "--quick", "--timeout", "5m", "--out", out, "exercise.ipynb")
	if code != 0 {
		t.Fatalf("the self-check notebook failed:\n%s", text)
	}
	// Under the module root, the executed copy keeps its path below it.
	executed, err := os.ReadFile(filepath.Join(out, filepath.Base(dir), "exercise.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	return string(executed)
}

// TestSelfChecksPassWithReferenceAnswers fills every exercise with its
// solution's answers and runs its self-checks: each must print PASS.
func TestSelfChecksPassWithReferenceAnswers(t *testing.T) {
	needKernel(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	solutions, _ := filepath.Glob(filepath.Join(root, "solutions", "*.ipynb"))
	for _, path := range solutions {
		t.Run(filepath.Base(path), func(t *testing.T) {
			nb, checks := selfCheckNotebook(t, path, nil)
			if checks == 0 {
				t.Fatalf("%s has no cell tagged %q", path, selfCheckTag)
			}
			text := runSelfChecks(t, nb)
			executed, err := notebook.Parse([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			// Every self-check cell passes each check it makes (a cell may
			// make several), and none fails or says the question is not done.
			passed := 0
			for _, c := range executed.Cells {
				if !slices.Contains(c.Tags(), selfCheckTag) {
					continue
				}
				out := c.OutputText()
				if strings.Contains(out, ": PASS") && !strings.Contains(out, ": FAIL") && !strings.Contains(out, "not done yet") {
					passed++
				} else {
					t.Errorf("a self-check cell does not pass with the reference answers; it printed:\n%s", out)
				}
			}
			if passed != checks {
				t.Errorf("%d of %d self-check cells pass with the reference answers; executed notebook:\n%s", passed, checks, text)
			}
		})
	}
}

// TestSelfCheckCatchesSwappedLosses answers the CIFAR-10 exercise with its
// two losses swapped — the forward KL where the reverse is asked for and
// the other way round — and expects both self-checks to fail and say so.
func TestSelfCheckCatchesSwappedLosses(t *testing.T) {
	needKernel(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "solutions", "02_cifar10_kl_losses.ipynb")
	sol, err := notebook.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	answers := assign.Answers(sol)
	if len(answers) != 2 {
		t.Fatalf("%s has %d answers, want 2 (the two losses)", path, len(answers))
	}
	nb, _ := selfCheckNotebook(t, path, []string{answers[1], answers[0]})
	text := runSelfChecks(t, nb)
	for _, want := range []string{
		"Exercise 1 (KL loss): FAIL",
		"Hint: this is the reverse KL, KL(Q‖P)",
		"Exercise 2 (reverse KL loss): FAIL",
		"Hint: this is the forward KL, KL(P‖Q)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the self-checks of swapped losses do not print %q; executed notebook:\n%s", want, text)
		}
	}
}
