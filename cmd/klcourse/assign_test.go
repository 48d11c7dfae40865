package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAssign generates an exercise in a copy of the module layout and checks
// that --check notices an exercise that is out of date or orphaned.
func TestAssign(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module "+modulePath+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"solutions", "exercises"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
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
