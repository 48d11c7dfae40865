// Package verdict is the machine-readable side of the exercises' self-checks:
// the records a self-check writes for `klcourse grade` and `klcourse
// validate`, and the comparison that decides whether a student's value and
// gradients match the reference's.
//
// When a notebook's program runs under the grader, pkg/exercise writes one
// Record per test case to the file descriptor named by FDEnv, each carrying
// the secret of NonceEnv. A record holds the student's *evaluation* (value and
// gradients), not a verdict: the grader compares it with the evaluation of the
// instructor's solution, recorded the same way in a run of its own, with
// Compare. Printing "PASS", exiting early or replacing the self-check's
// reference therefore earns nothing: only values the grader itself finds equal
// to the solution's count.
package verdict

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Environment variables through which the grader talks to a notebook's
// program. pkg/exercise reads and unsets them when it is initialised, before
// any of the student's code runs.
const (
	FDEnv    = "KLCOURSE_GRADE_FD"
	NonceEnv = "KLCOURSE_GRADE_NONCE"
	// StrictEnv set to 1 makes a failing self-check end its cell's program
	// with an error (klcourse run sets it for solutions).
	StrictEnv = "KLCOURSE_STRICT_CHECKS"
)

// Tolerances: values and gradients match when they differ by at most
// Atol + Rtol·|reference|, loose enough for float32 and for mathematically
// equal formulas that round differently.
const (
	Rtol = 1e-4
	Atol = 1e-6
)

// Status of a record.
const (
	Evaluated = "evaluated" // The function ran; Value, Shape and Gradients hold its evaluation.
	NotDone   = "not-done"  // The function is still the exercise's stub.
	Error     = "error"     // The function does not build or run; Error says why.
)

// Record is one test case of one self-check, as evaluated in a notebook's
// program.
type Record struct {
	Nonce     string   `json:"nonce"`
	Check     string   `json:"check"`
	Case      string   `json:"case"`
	Status    string   `json:"status"`
	Shape     []int    `json:"shape,omitempty"`
	Value     Floats   `json:"value,omitempty"`
	Gradients []Floats `json:"gradients,omitempty"`
	Error     string   `json:"error,omitempty"`
	// Report is what the self-check printed for this check (set on the last
	// case it evaluated): advice for the student, never trusted for a score.
	Report string `json:"report,omitempty"`
}

// Key identifies a test case within a notebook: the check's name and the case's.
func (r Record) Key() string { return r.Check + "\x00" + r.Case }

// Compare returns "" when got matches want within the tolerances, and
// otherwise a description of the first difference.
func Compare(gotShape []int, gotValue []float64, gotGrads [][]float64, wantShape []int, wantValue []float64, wantGrads [][]float64) string {
	if fmt.Sprint(gotShape) != fmt.Sprint(wantShape) {
		return fmt.Sprintf("your result has shape %v, the reference %v", gotShape, wantShape)
	}
	if i := FirstDifference(gotValue, wantValue); i >= 0 {
		return fmt.Sprintf("value %s, want %s", Brief(gotValue), Brief(wantValue))
	}
	for k := range wantGrads {
		if wantGrads[k] == nil {
			continue
		}
		if k >= len(gotGrads) || gotGrads[k] == nil {
			return fmt.Sprintf("the value matches, but your result has no gradient with respect to input %d", k+1)
		}
		if i := FirstDifference(gotGrads[k], wantGrads[k]); i >= 0 {
			if i >= len(gotGrads[k]) || i >= len(wantGrads[k]) {
				return fmt.Sprintf("the value matches, but the gradient with respect to input %d has %d elements, want %d",
					k+1, len(gotGrads[k]), len(wantGrads[k]))
			}
			return fmt.Sprintf("the value matches, but the gradient with respect to input %d differs: element %d is %.6g, want %.6g",
				k+1, i, gotGrads[k][i], wantGrads[k][i])
		}
	}
	return ""
}

// FirstDifference returns the index of the first element of got that is not
// within the tolerances of want, or -1; 0 when the lengths differ.
func FirstDifference(got, want []float64) int {
	if len(got) != len(want) {
		return 0
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.IsInf(w, 0) && g == w {
			continue
		}
		if !(math.Abs(g-w) <= Atol+Rtol*math.Abs(w)) {
			return i
		}
	}
	return -1
}

// Brief formats a few values for a report.
func Brief(v []float64) string {
	const most = 4
	s := ""
	for i, x := range v {
		if i == most {
			s += " …"
			break
		}
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%.6g", x)
	}
	if len(v) == 1 {
		return s
	}
	return "[" + s + "]"
}

// Floats are numbers that survive JSON with their infinities and NaNs, which
// are written as the strings "+Inf", "-Inf" and "NaN".
type Floats []float64

// MarshalJSON implements json.Marshaler.
func (f Floats) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("null"), nil
	}
	b := []byte{'['}
	for i, x := range f {
		if i > 0 {
			b = append(b, ',')
		}
		switch {
		case math.IsNaN(x):
			b = append(b, `"NaN"`...)
		case math.IsInf(x, 1):
			b = append(b, `"+Inf"`...)
		case math.IsInf(x, -1):
			b = append(b, `"-Inf"`...)
		default:
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
		}
	}
	return append(b, ']'), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Floats) UnmarshalJSON(data []byte) error {
	var raw []any
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw == nil {
		*f = nil
		return nil
	}
	out := make(Floats, len(raw))
	for i, v := range raw {
		switch x := v.(type) {
		case float64:
			out[i] = x
		case string:
			y, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return fmt.Errorf("element %d: %q is not a number", i, x)
			}
			out[i] = y
		default:
			return fmt.Errorf("element %d: %v is not a number", i, v)
		}
	}
	*f = out
	return nil
}

// Grads converts gradients to Floats.
func Grads(g [][]float64) []Floats {
	if g == nil {
		return nil
	}
	out := make([]Floats, len(g))
	for i, x := range g {
		out[i] = Floats(x)
	}
	return out
}

// Plain converts Floats gradients back to plain slices.
func Plain(g []Floats) [][]float64 {
	if g == nil {
		return nil
	}
	out := make([][]float64, len(g))
	for i, x := range g {
		out[i] = []float64(x)
	}
	return out
}
