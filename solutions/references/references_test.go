package references

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	"github.com/klcourse/klcourse/internal/testbackends"
	"github.com/klcourse/klcourse/pkg/exercise"
)

// useExpected computes the expected values of the exercise called name, writes
// them where the checks look for them (a temporary directory named by
// exercise.ExercisesDirEnv) and silences the checks' output. It returns the
// backend.
func useExpected(t *testing.T, name string) compute.Backend {
	t.Helper()
	b := testbackends.Go(t)
	checks, err := Exercises[name](b)
	if err != nil {
		t.Fatal(err)
	}
	data, err := exercise.MarshalExpected("solutions/"+name+".ipynb", checks)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name+exercise.ChecksSuffix), data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(exercise.ExercisesDirEnv, dir)
	old := exercise.Output
	exercise.Output = &strings.Builder{}
	t.Cleanup(func() { exercise.Output = old })
	return b
}

// wants asserts that the report contains want (PASS, not done, or a hint).
func wants(t *testing.T, what string, r exercise.Result, want string) {
	t.Helper()
	if !strings.Contains(r.Report, want) {
		t.Errorf("%s: report lacks %q:\n%s", what, want, r.Report)
	}
	if want == "PASS" && !r.Passed {
		t.Errorf("%s: not passed:\n%s", what, r.Report)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-5*(1+math.Abs(b)) }
