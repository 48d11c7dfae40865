package exercise

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/gomlx/compute"

	"github.com/klcourse/klcourse/internal/verdict"
	"github.com/klcourse/klcourse/pkg/graphx"
)

// Mistake is a known wrong answer to an exercise and the hint for a student
// whose function behaves like it.
type Mistake[F graphx.GraphFn] struct {
	Fn   F
	Hint string
}

// Case is one set of fixed inputs for Check, as graphx.Evaluate takes them.
type Case struct {
	Name   string
	Inputs []any
	// WRT lists the inputs whose gradients are compared, by index: for a
	// loss, the predictions (what training differentiates), not the
	// targets. Nil means every float input.
	WRT []int
	// Hint, when set, says what this case tests; it is shown when the
	// student's function fails this case and matches no known mistake
	// (e.g. "logits of ±200: log(softmax(z)) underflows, use LogSoftmax").
	Hint string
}

// Tolerances of Check: values and gradients match when they differ by at most
// Atol + Rtol·|reference|, loose enough for float32 and for mathematically
// equal formulas that round differently.
const (
	Rtol = verdict.Rtol
	Atol = verdict.Atol
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
//
// Under `klcourse grade` or `klcourse validate`, Check also writes the
// student's evaluation of every case to the grader (see internal/verdict); the
// grader, not this function, decides what passed. When the environment sets
// KLCOURSE_STRICT_CHECKS=1 (`klcourse run` does for solutions), a failing
// check ends the program with an error, so that the cell fails.
func Check[F graphx.GraphFn](backend compute.Backend, name string, student, reference F, mistakes []Mistake[F], cases ...Case) Result {
	if grader != nil {
		record(backend, name, student, cases)
	}
	return finish(name, check(backend, name, student, reference, mistakes, cases))
}

// Done reports whether fn is written, i.e. does not build the exercise's
// stub (Todo), judged by evaluating it on c. Training cells use it to skip
// training an exercise whose TODO is still there.
func Done[F graphx.GraphFn](backend compute.Backend, fn F, c Case) bool {
	before := todoBuilt.Load()
	_, _ = evaluate(backend, fn, c)
	return todoBuilt.Load() == before
}

func check[F graphx.GraphFn](backend compute.Backend, name string, student, reference F, mistakes []Mistake[F], cases []Case) Result {
	if len(cases) == 0 {
		return Result{Report: fmt.Sprintf("%s: no test cases given", name)}
	}
	want := make([]*graphx.Evaluation, len(cases))
	for i, c := range cases {
		ev, err := evaluate(backend, reference, c)
		if err != nil {
			return Result{Report: fmt.Sprintf("%s: the reference fails on %s (a bug in the exercise, please report it): %v", name, c.Name, err)}
		}
		if hasNaN(ev) {
			return Result{Report: fmt.Sprintf("%s: the reference gives NaN on %s (a bug in the exercise, please report it)", name, c.Name)}
		}
		want[i] = ev
	}
	known := make([]expectedMistake, len(mistakes))
	for k, m := range mistakes {
		known[k].hint = m.Hint
		for _, c := range cases {
			ev, err := evaluate(backend, m.Fn, c)
			if err != nil {
				ev = nil
			}
			known[k].cases = append(known[k].cases, ev)
		}
	}
	return compareCases(backend, name, student, want, known, cases)
}

// evaluate is the one way every check evaluates a function: its value on
// the case's inputs and its gradients with respect to the inputs the case
// compares (graphx.EvaluateWRT).
func evaluate[F graphx.GraphFn](backend compute.Backend, fn F, c Case) (*graphx.Evaluation, error) {
	return graphx.EvaluateWRT(backend, fn, c.WRT, c.Inputs...)
}

// expectedMistake is a known mistake's hint and its evaluation of each case
// (nil where it does not run).
type expectedMistake struct {
	hint  string
	cases []*graphx.Evaluation
}

// compareCases evaluates student on each case and compares it with want, the
// reference's evaluations; on the first case that differs it names the
// known mistake the student's evaluation matches, if any.
func compareCases[F graphx.GraphFn](backend compute.Backend, name string, student F, want []*graphx.Evaluation, mistakes []expectedMistake, cases []Case) Result {
	for i, c := range cases {
		before := todoBuilt.Load()
		got, err := evaluate(backend, student, c)
		if todoBuilt.Load() != before {
			return Result{NotDone: true, Report: fmt.Sprintf("%s: not done yet — replace the TODO stub with your code, then run this check again.", name)}
		}
		if err != nil {
			return Result{Report: fmt.Sprintf("%s: FAIL on %s: your function does not run:\n  %v", name, c.Name, err)}
		}
		if diff := compare(got, want[i]); diff != "" {
			var b strings.Builder
			fmt.Fprintf(&b, "%s: FAIL on %s: %s", name, c.Name, diff)
			if hint := matchMistake(mistakes, i, got); hint != "" {
				fmt.Fprintf(&b, "\n  Hint: %s", hint)
			} else if hint := relation(got, want[i]); hint != "" {
				fmt.Fprintf(&b, "\n  Hint: %s", hint)
			} else if c.Hint != "" {
				fmt.Fprintf(&b, "\n  Hint: %s", c.Hint)
			} else if hasNaN(got) {
				fmt.Fprintf(&b, "\n  Hint: NaN comes from log 0 or 0/0: look at the entries that are zero.")
			}
			return Result{Report: b.String()}
		}
	}
	return Result{Passed: true, Report: fmt.Sprintf("%s: PASS — value and gradient match the reference on %d test case(s).", name, len(cases))}
}

// matchMistake returns the hint of the first mistake that gives the student's
// values and gradients on case i, or "".
func matchMistake(mistakes []expectedMistake, i int, got *graphx.Evaluation) string {
	for _, m := range mistakes {
		if ev := m.cases[i]; ev != nil && compare(got, ev) == "" {
			return m.hint
		}
	}
	// A mistake whose gradients the student's match, with values that differ
	// by a constant (a term that does not depend on the inputs
	// differentiated, such as the target's entropy), is the same mistake.
	for _, m := range mistakes {
		if ev := m.cases[i]; ev != nil && sameGradients(got, ev) && constantOffset(got.Value, ev.Value) {
			return m.hint
		}
	}
	return ""
}

func sameGradients(got, want *graphx.Evaluation) bool {
	if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) || len(want.Gradients) == 0 {
		return false
	}
	some := false
	for k := range want.Gradients {
		if want.Gradients[k] == nil {
			continue
		}
		if k >= len(got.Gradients) || verdict.FirstDifference(got.Gradients[k], want.Gradients[k]) >= 0 {
			return false
		}
		some = true
	}
	return some
}

// constantOffset reports whether got − want is the same finite number for
// every element.
func constantOffset(got, want []float64) bool {
	if len(got) != len(want) || len(got) == 0 {
		return false
	}
	d := got[0] - want[0]
	for i := range got {
		e := got[i] - want[i]
		if math.IsNaN(e) || math.IsInf(e, 0) || math.Abs(e-d) > verdict.Atol+verdict.Rtol*math.Abs(d) {
			return false
		}
	}
	return true
}

// relation describes how the student's values relate to the reference's when
// they differ by a constant factor or a constant offset, the signature of
// common mistakes (a mean where a sum is meant, a log in another base, a
// missing or extra term), or "".
func relation(got, want *graphx.Evaluation) string {
	g, w := got.Value, want.Value
	if len(g) != len(w) || len(g) == 0 {
		return ""
	}
	ratio, ok := math.NaN(), true
	for i := range g {
		if math.Abs(w[i]) < 1e-6 {
			if math.Abs(g[i]) > 1e-6 {
				ok = false
			}
			continue
		}
		r := g[i] / w[i]
		if math.IsNaN(ratio) {
			ratio = r
		} else if math.Abs(r-ratio) > 1e-3*math.Abs(ratio) {
			ok = false
		}
	}
	// With one value, any two numbers have a ratio and an offset: only the
	// telling ones (simple fractions, ln 2) are reported.
	single := len(g) == 1
	lnTwo := math.Abs(ratio-math.Ln2) < 1e-3 || math.Abs(ratio-1/math.Ln2) < 1e-3
	if ok && !math.IsNaN(ratio) && !math.IsInf(ratio, 0) && math.Abs(ratio-1) > 1e-3 &&
		(!single || lnTwo || !strings.Contains(fraction(ratio), ".")) {
		s := fmt.Sprintf("your value is exactly %s times the reference", fraction(ratio))
		switch {
		case lnTwo:
			return s + ": a logarithm in another base (log₂ instead of the natural log, or the reverse)?"
		case ratio < 0:
			return s + ": check the sign."
		case ratio < 1:
			return s + ": a mean where a sum is meant (over the classes, or the samples)?"
		default:
			return s + ": a sum where a mean is meant?"
		}
	}
	if constantOffset(g, w) && (!single || math.Abs(math.Abs(g[0]-w[0])-math.Ln2) < 1e-4) {
		d := g[0] - w[0]
		s := fmt.Sprintf("your value is the reference plus a constant %.6g", d)
		if math.Abs(math.Abs(d)-math.Ln2) < 1e-4 {
			return fmt.Sprintf("your value is the reference %+.4f, exactly %sln 2: a factor 2 (or ½) inside a logarithm, or a term of log 2 too many?", d, map[bool]string{true: "+", false: "−"}[d > 0])
		}
		if sameGradients(got, want) {
			return s + ", with the right gradient: a term that does not depend on the inputs is missing or extra."
		}
		return s + "."
	}
	return ""
}

// fraction writes simple ratios as fractions (⅓ reads better than 0.333333).
func fraction(r float64) string {
	for d := 2; d <= 12; d++ {
		for n := -12; n <= 12; n++ {
			if n != 0 && n%d != 0 && math.Abs(r-float64(n)/float64(d)) < 1e-4 {
				return fmt.Sprintf("%d/%d", n, d)
			}
		}
	}
	return fmt.Sprintf("%.6g", r)
}

// compare returns "" when got matches want within the tolerances, and
// otherwise a description of the first difference.
func compare(got, want *graphx.Evaluation) string {
	return verdict.Compare(got.Shape, got.Value, got.Gradients, want.Shape, want.Value, want.Gradients)
}

func hasNaN(ev *graphx.Evaluation) bool {
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
