package exercise

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
)

// TestExpectedRoundTrip writes the expected values of a check as `klcourse
// assign` does, and checks answers against the file: the reference passes, a
// known mistake (one that gives NaN among them) gets its hint, the stub is
// not done, and a file that does not fit the check says so.
func TestExpectedRoundTrip(t *testing.T) {
	Output = &strings.Builder{}
	b := goBackend(t)
	type fn = func(x *graph.Node) *graph.Node
	logMean := fn(func(x *graph.Node) *graph.Node { return graph.ReduceAllMean(graph.Log(x)) })
	mistakes := []Mistake[fn]{
		{Fn: func(x *graph.Node) *graph.Node { return graph.ReduceAllMean(graph.Log(graph.Neg(x))) }, Hint: "sign inside the log"},
		{Fn: func(x *graph.Node) *graph.Node { return graph.ReduceAllSum(graph.Log(x)) }, Hint: "a sum, not a mean"},
	}
	cases := []Case{
		{Name: "positive", Inputs: []any{[]float64{0.5, 2, 3}}},
		{Name: "float32", Inputs: []any{[]float32{1.5, 0.25}}},
	}
	exp, err := Expect(b, "logMean", logMean, mistakes, cases...)
	if err != nil {
		t.Fatal(err)
	}
	data, err := MarshalExpected("solutions/99_test.ipynb", []Expected{exp})
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) || !strings.Contains(string(data), `"NaN"`) || strings.Count(string(data), "\n") != 3 {
		t.Errorf("the file is not one check per line of valid JSON with NaN as a string:\n%s", data)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "99_test"+ChecksSuffix), data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(ExercisesDirEnv, dir)
	for _, tc := range []struct {
		name    string
		student fn
		want    string
	}{
		{"reference", func(x *graph.Node) *graph.Node { return graph.ReduceMean(graph.Log(x), 0) }, "PASS — value and gradient match the reference on 2 test case(s)"},
		{"NaN mistake", mistakes[0].Fn, "Hint: sign inside the log"},
		{"sum", func(x *graph.Node) *graph.Node { return graph.ReduceSum(graph.Log(x), 0) }, "Hint: a sum, not a mean"},
		{"stub", func(x *graph.Node) *graph.Node { return Todo(x) }, "not done yet"},
		{"unknown", func(x *graph.Node) *graph.Node { return graph.ReduceAllMean(graph.Sqrt(x)) }, "FAIL on positive"},
	} {
		r := CheckExpected(b, "99_test", "logMean", tc.student, cases...)
		if !strings.Contains(r.Report, tc.want) || r.Passed != strings.Contains(tc.want, "PASS") {
			t.Errorf("%s: report lacks %q:\n%s", tc.name, tc.want, r.Report)
		}
	}
	renamed := []Case{cases[0], {Name: "other", Inputs: cases[1].Inputs}}
	if r := CheckExpected(b, "99_test", "logMean", logMean, renamed...); r.Passed || !strings.Contains(r.Report, "out of date") {
		t.Errorf("a renamed case: %s", r.Report)
	}
	if r := CheckExpected(b, "99_test", "other", logMean, cases...); r.Passed || !strings.Contains(r.Report, `no expected values for a check called "other"`) {
		t.Errorf("an unknown check: %s", r.Report)
	}
	if r := CheckExpected(b, "98_missing", "logMean", logMean, cases...); r.Passed || !strings.Contains(r.Report, "98_missing.checks.json") {
		t.Errorf("a missing file: %s", r.Report)
	}
}

// TestExpectedPath: without the override, the file is looked for in the
// exercises/ directory of the course this package belongs to.
func TestExpectedPath(t *testing.T) {
	t.Setenv(ExercisesDirEnv, "")
	p := ExpectedPath("04_rbm_cd")
	want, _ := filepath.Abs(filepath.Join("..", "..", "exercises", "04_rbm_cd"+ChecksSuffix))
	if got, _ := filepath.Abs(p); got != want {
		t.Errorf("ExpectedPath = %s, want %s", got, want)
	}
}
