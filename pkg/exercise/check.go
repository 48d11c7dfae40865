package exercise

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/gomlx/compute"

	"github.com/klcourse/klcourse/pkg/klloss"
)

// Mistake is a known wrong answer to an exercise and the hint for a student
// whose function behaves like it.
type Mistake[F klloss.GraphFn] struct {
	Fn   F
	Hint string
}

// Case is one set of fixed inputs for Check, as klloss.Evaluate takes them.
type Case struct {
	Name   string
	Inputs []any
	// WRT lists the inputs whose gradients are compared, by index: for a
	// loss, the predictions (what training differentiates), not the
	// targets. Nil means every float input.
	WRT []int
}

// Tolerances of Check: values and gradients match when they differ by at most
// Atol + Rtol·|reference|, loose enough for float32 and for mathematically
// equal formulas that round differently.
const (
	Rtol = 1e-4
	Atol = 1e-6
)

// Result is the outcome of Check.
type Result struct {
	Passed bool
	// NotDone reports that the student's function still returns the stub.
	NotDone bool
	// Report is what Check printed.
	Report string
}

// Output receives the reports of Check; the notebook's stdout by default.
var Output io.Writer = os.Stdout

// Check evaluates student and reference on every case, on backend, and
// compares their values and their gradients with respect to every input. It
// prints a report to Output and returns it: PASS when everything matches;
// otherwise, for the first case that differs, both values, the largest
// gradient difference, and the hint of the first mistake that matches the
// student's function (student and mistake compared the same way).
func Check[F klloss.GraphFn](backend compute.Backend, name string, student, reference F, mistakes []Mistake[F], cases ...Case) Result {
	r := check(backend, name, student, reference, mistakes, cases)
	fmt.Fprintln(Output, r.Report)
	return r
}

func check[F klloss.GraphFn](backend compute.Backend, name string, student, reference F, mistakes []Mistake[F], cases []Case) Result {
	if len(cases) == 0 {
		return Result{Report: fmt.Sprintf("%s: no test cases given", name)}
	}
	for _, c := range cases {
		want, err := klloss.EvaluateWRT(backend, reference, c.WRT, c.Inputs...)
		if err != nil {
			return Result{Report: fmt.Sprintf("%s: the reference fails on %s (a bug in the exercise, please report it): %v", name, c.Name, err)}
		}
		if hasNaN(want) {
			return Result{Report: fmt.Sprintf("%s: the reference gives NaN on %s (a bug in the exercise, please report it)", name, c.Name)}
		}
		before := todoBuilt.Load()
		got, err := klloss.EvaluateWRT(backend, student, c.WRT, c.Inputs...)
		if todoBuilt.Load() != before {
			return Result{NotDone: true, Report: fmt.Sprintf("%s: not done yet — replace the TODO stub with your code, then run this check again.", name)}
		}
		if err != nil {
			return Result{Report: fmt.Sprintf("%s: FAIL on %s: your function does not run:\n  %v", name, c.Name, err)}
		}
		if diff := compare(got, want); diff != "" {
			var b strings.Builder
			fmt.Fprintf(&b, "%s: FAIL on %s: %s", name, c.Name, diff)
			if hint := matchMistake(backend, mistakes, got, c); hint != "" {
				fmt.Fprintf(&b, "\n  Hint: %s", hint)
			} else if hasNaN(got) {
				fmt.Fprintf(&b, "\n  Hint: NaN comes from log 0 or 0/0: look at the entries that are zero.")
			}
			return Result{Report: b.String()}
		}
	}
	return Result{Passed: true, Report: fmt.Sprintf("%s: PASS — value and gradient match the reference on %d test case(s).", name, len(cases))}
}

// matchMistake returns the hint of the first mistake that gives the student's
// values and gradients on case c, or "".
func matchMistake[F klloss.GraphFn](backend compute.Backend, mistakes []Mistake[F], got *klloss.Evaluation, c Case) string {
	for _, m := range mistakes {
		ev, err := klloss.EvaluateWRT(backend, m.Fn, c.WRT, c.Inputs...)
		if err == nil && compare(got, ev) == "" {
			return m.Hint
		}
	}
	return ""
}

// compare returns "" when got matches want within the tolerances, and
// otherwise a description of the first difference.
func compare(got, want *klloss.Evaluation) string {
	if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
		return fmt.Sprintf("your result has shape %v, the reference %v", got.Shape, want.Shape)
	}
	if i := firstDifference(got.Value, want.Value); i >= 0 {
		return fmt.Sprintf("value %s, want %s", brief(got.Value), brief(want.Value))
	}
	for k := range want.Gradients {
		if want.Gradients[k] == nil {
			continue
		}
		if k >= len(got.Gradients) || got.Gradients[k] == nil {
			return fmt.Sprintf("the value matches, but your result has no gradient with respect to input %d", k+1)
		}
		if i := firstDifference(got.Gradients[k], want.Gradients[k]); i >= 0 {
			return fmt.Sprintf("the value matches, but the gradient with respect to input %d differs: element %d is %.6g, want %.6g",
				k+1, i, got.Gradients[k][i], want.Gradients[k][i])
		}
	}
	return ""
}

// firstDifference returns the index of the first element of got that is not
// within the tolerances of want, or -1. Equal infinities, and NaN against NaN,
// match: a known mistake (log of a negative number) may give NaN where the
// student's answer does, and must still be recognised. A reference never
// gives NaN on its cases (the checks test that), so a NaN never passes.
func firstDifference(got, want []float64) int {
	if len(got) != len(want) {
		return 0
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.IsInf(w, 0) && g == w || math.IsNaN(w) && math.IsNaN(g) {
			continue // equal infinities match; so does NaN, which a known mistake may give
		}
		if !(math.Abs(g-w) <= Atol+Rtol*math.Abs(w)) {
			return i
		}
	}
	return -1
}

func hasNaN(ev *klloss.Evaluation) bool {
	for _, v := range ev.Value {
		if math.IsNaN(v) {
			return true
		}
	}
	for _, g := range ev.Gradients {
		for _, v := range g {
			if math.IsNaN(v) {
				return true
			}
		}
	}
	return false
}

// brief formats a few values for a report.
func brief(v []float64) string {
	const most = 4
	parts := make([]string, 0, most+1)
	for i, x := range v {
		if i == most {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprintf("%.6g", x))
	}
	if len(v) == 1 {
		return parts[0]
	}
	return "[" + strings.Join(parts, " ") + "]"
}
