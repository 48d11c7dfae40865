package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/module"
)

// assignLayout returns a temporary copy of the module's layout for assign:
// go.mod and empty solutions/ and exercises/.
func assignLayout(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module "+module.Path+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"solutions", "exercises"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestAssign generates an exercise in a copy of the module layout and checks
// that --check notices an exercise that is out of date or orphaned.
func TestAssign(t *testing.T) {
	root := assignLayout(t)
	writeNotebook(t, filepath.Join(root, "solutions"), "ex.ipynb", "%%\n// BEGIN SOLUTION stub: fmt.Println(\"todo\")\nfmt.Println(42)\n// END SOLUTION")

	out, code := klcourse(t, root, nil, "assign", "--check")
	if code != 1 || !strings.Contains(out, "exercises/ex.ipynb is out of date") {
		t.Errorf("assign --check before generating: exit %d:\n%s", code, out)
	}
	out, code = klcourse(t, root, nil, "assign")
	if code != 0 || !strings.Contains(out, "wrote exercises/ex.ipynb") {
		t.Errorf("assign: exit %d:\n%s", code, out)
	}
	data, _ := os.ReadFile(filepath.Join(root, "exercises", "ex.ipynb"))
	if !strings.Contains(string(data), `"// TODO: write your code here.\n",`) || strings.Contains(string(data), "42") {
		t.Errorf("generated exercise:\n%s", data)
	}
	if out, code = klcourse(t, root, nil, "assign", "--check"); code != 0 {
		t.Errorf("assign --check after generating: exit %d:\n%s", code, out)
	}
	writeNotebook(t, filepath.Join(root, "exercises"), "orphan.ipynb", "%%\nfmt.Println(1)")
	out, code = klcourse(t, filepath.Join(root, "solutions"), nil, "assign", "--check")
	if code != 1 || !strings.Contains(out, "exercises/orphan.ipynb has no solution") {
		t.Errorf("assign --check with an orphan exercise: exit %d:\n%s", code, out)
	}
}

// TestAssignExpectedValues: for a solution with references
// (solutions/references), assign writes the expected values of its
// self-checks beside the exercise, and --check notices when they are stale
// or orphaned.
func TestAssignExpectedValues(t *testing.T) {
	root := assignLayout(t)
	writeNotebook(t, filepath.Join(root, "solutions"), "04_rbm_cd.ipynb", "%%\n// BEGIN SOLUTION stub: fmt.Println(\"todo\")\nfmt.Println(42)\n// END SOLUTION")
	out, code := klcourse(t, root, nil, "assign")
	if code != 0 || !strings.Contains(out, "wrote exercises/04_rbm_cd.checks.json") {
		t.Fatalf("assign: exit %d:\n%s", code, out)
	}
	checks := filepath.Join(root, "exercises", "04_rbm_cd.checks.json")
	data, _ := os.ReadFile(checks)
	if !strings.Contains(string(data), `"check":"freeEnergy"`) || !strings.Contains(string(data), `"solution":"solutions/04_rbm_cd.ipynb"`) {
		t.Errorf("expected values:\n%.400s", data)
	}
	if out, code = klcourse(t, root, nil, "assign", "--check"); code != 0 {
		t.Errorf("assign --check after generating: exit %d:\n%s", code, out)
	}
	if err := os.WriteFile(checks, []byte(strings.Replace(string(data), "-2.7", "-2.8", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code = klcourse(t, root, nil, "assign", "--check"); code != 1 || !strings.Contains(out, "exercises/04_rbm_cd.checks.json is out of date") {
		t.Errorf("assign --check with edited expected values: exit %d:\n%s", code, out)
	}
	if err := os.WriteFile(filepath.Join(root, "exercises", "07_gone.checks.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code = klcourse(t, root, nil, "assign", "--check"); code != 1 || !strings.Contains(out, "exercises/07_gone.checks.json has no solution") {
		t.Errorf("assign --check with orphaned expected values: exit %d:\n%s", code, out)
	}
}
