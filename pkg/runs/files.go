package runs

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klcourse/klcourse/internal/safefile"
)

// WriteJSON writes v as JSON to the file name of a run's folder dir (a
// TrainFn's dir): for what a training produces besides a checkpoint, such
// as samples or a history, that a later cell reads back with ReadJSON.
func WriteJSON(dir, name string, v any) error {
	return safefile.WriteJSON(filepath.Join(dir, filepath.FromSlash(name)), v)
}

// ReadJSON reads the file name of the run into v, as WriteJSON wrote it.
func (r *Run) ReadJSON(name string, v any) error {
	if err := safefile.ReadJSON(r.File(name), v); err != nil {
		return fmt.Errorf("run %s of %s: %w", r.Card.Name, r.Card.Notebook, err)
	}
	return nil
}

// WriteFloats writes xs to the file name of a run's folder dir, one number
// a line, NaN and ±Inf included (a diverging training's losses, which JSON
// cannot hold); ReadFloats reads them back exactly.
func WriteFloats(dir, name string, xs []float64) error {
	var b strings.Builder
	for _, x := range xs {
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		b.WriteByte('\n')
	}
	return safefile.WriteBytes(filepath.Join(dir, filepath.FromSlash(name)), []byte(b.String()))
}

// ReadFloats reads the file name of the run, as WriteFloats wrote it.
func (r *Run) ReadFloats(name string) ([]float64, error) {
	b, err := os.ReadFile(r.File(name))
	if err != nil {
		return nil, fmt.Errorf("run %s of %s: %w", r.Card.Name, r.Card.Notebook, err)
	}
	var xs []float64
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if line == "" && len(b) <= 1 {
			break
		}
		x, err := strconv.ParseFloat(line, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: want a number, got %q", r.File(name), i+1, line)
		}
		xs = append(xs, x)
	}
	return xs, nil
}

// Metrics are a run's final metrics on its card. JSON has no NaN or
// infinity, which a diverging training can end with: they are written as
// the strings "NaN", "+Inf" and "-Inf" and read back as numbers.
type Metrics map[string]float64

// MarshalJSON writes the metrics, non-finite ones as strings.
func (m Metrics) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			out[k] = strconv.FormatFloat(v, 'g', -1, 64)
		} else {
			out[k] = v
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = make(Metrics, len(raw))
	for k, r := range raw {
		var v float64
		if err := json.Unmarshal(r, &v); err != nil {
			var s string
			if json.Unmarshal(r, &s) != nil {
				return fmt.Errorf("metric %q: want a number, got %s", k, r)
			}
			if v, err = strconv.ParseFloat(s, 64); err != nil || !(math.IsNaN(v) || math.IsInf(v, 0)) {
				return fmt.Errorf("metric %q: want a number, NaN or ±Inf, got %s", k, r)
			}
		}
		(*m)[k] = v
	}
	return nil
}
