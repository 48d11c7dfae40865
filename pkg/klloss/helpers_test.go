package klloss

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/klcourse/klcourse/pkg/graphx"
)

// testBackend is the pure-Go backend, whatever GOMLX_BACKEND says: the
// reference tolerances below are set for it.
var testBackend = sync.OnceValue(func() compute.Backend {
	backend, err := compute.NewWithConfig("go")
	if err != nil {
		panic(err)
	}
	return backend
})

// floatDTypes are the dtypes every value test runs in.
var floatDTypes = []dtypes.DType{dtypes.Float32, dtypes.Float64}

// array is a numeric array of any rank read from reference.json, where it is a
// number or nested lists of numbers.
type array struct {
	data []float64
	dims []int
}

func (a *array) UnmarshalJSON(b []byte) error {
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	a.data, a.dims = nil, nil
	return a.flatten(raw, 0)
}

func (a *array) flatten(v any, depth int) error {
	switch v := v.(type) {
	case float64:
		if depth != len(a.dims) {
			return fmt.Errorf("ragged array: a number at depth %d, expected depth %d", depth, len(a.dims))
		}
		a.data = append(a.data, v)
	case []any:
		if depth == len(a.dims) && len(a.data) == 0 {
			a.dims = append(a.dims, len(v))
		} else if depth >= len(a.dims) || a.dims[depth] != len(v) {
			return fmt.Errorf("ragged array: a list of %d at depth %d", len(v), depth)
		}
		for _, e := range v {
			if err := a.flatten(e, depth+1); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unexpected %T in a numeric array", v)
	}
	return nil
}

// tensor returns a as a tensor of the given float dtype.
func (a array) tensor(dtype dtypes.DType) *tensors.Tensor {
	switch dtype {
	case dtypes.Float64:
		return tensors.FromFlatDataAndDimensions(append([]float64{}, a.data...), a.dims...)
	case dtypes.Float32:
		data := make([]float32, len(a.data))
		for i, v := range a.data {
			data[i] = float32(v)
		}
		return tensors.FromFlatDataAndDimensions(data, a.dims...)
	}
	panic(fmt.Sprintf("array.tensor: unsupported dtype %s", dtype))
}

// newArray returns an array with the given dimensions and data.
func newArray(dims []int, data ...float64) array {
	return array{data: data, dims: dims}
}

type reference struct {
	Versions map[string]string `json:"versions"`
	Forward  []struct {
		Name       string `json:"name"`
		P          array  `json:"p"`
		Q          array  `json:"q"`
		PerExample array  `json:"perExample"`
	} `json:"forward"`
	ForwardLogits []struct {
		Name       string `json:"name"`
		P          array  `json:"p"`
		Logits     array  `json:"logits"`
		PerExample array  `json:"perExample"`
		GradLogits array  `json:"gradLogits"`
	} `json:"forwardLogits"`
	Reverse []struct {
		Name       string  `json:"name"`
		P          array   `json:"p"`
		Q          array   `json:"q"`
		Remedy     string  `json:"remedy"`
		Epsilon    float64 `json:"epsilon"`
		PerExample array   `json:"perExample"`
	} `json:"reverse"`
	ReverseLogits []struct {
		Name       string  `json:"name"`
		P          array   `json:"p"`
		Logits     array   `json:"logits"`
		Remedy     string  `json:"remedy"`
		Epsilon    float64 `json:"epsilon"`
		PerExample array   `json:"perExample"`
		GradLogits array   `json:"gradLogits"`
	} `json:"reverseLogits"`
	Keras []struct {
		Name       string  `json:"name"`
		DType      string  `json:"dtype"`
		YTrue      array   `json:"yTrue"`
		YPred      array   `json:"yPred"`
		PerExample array   `json:"perExample"`
		Loss       float64 `json:"loss"`
	} `json:"keras"`
	Torch []struct {
		Name      string `json:"name"`
		LogTarget bool   `json:"logTarget"`
		Reduction string `json:"reduction"`
		Input     array  `json:"input"`
		Target    array  `json:"target"`
		Shape     []int  `json:"shape"`
		Value     array  `json:"value"`
		GradInput array  `json:"gradInput"`
	} `json:"torch"`
	Seed002 map[string]float64 `json:"seed002"`
}

var loadReference = sync.OnceValues(func() (*reference, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "reference.json"))
	if err != nil {
		return nil, err
	}
	ref := &reference{}
	if err := json.Unmarshal(b, ref); err != nil {
		return nil, fmt.Errorf("testdata/reference.json: %w", err)
	}
	return ref, nil
})

func mustReference(t *testing.T) *reference {
	t.Helper()
	ref, err := loadReference()
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// tolerance returns the relative tolerance for comparing a dtype's results to
// float64 reference values.
func tolerance(dtype dtypes.DType) float64 {
	if dtype == dtypes.Float32 {
		return 2e-6
	}
	return 1e-12
}

// closeTo reports whether got and want agree to rel·max(1, |want|); equal
// infinities agree.
func closeTo(got, want, rel float64) bool {
	if math.IsInf(want, 0) || math.IsNaN(want) {
		return got == want || (math.IsNaN(got) && math.IsNaN(want))
	}
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}

// compare fails t unless got and want have the same length and agree elementwise.
func compare(t *testing.T, what string, got, want []float64, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values %v, want %d values %v", what, len(got), got, len(want), want)
	}
	for i := range got {
		if !closeTo(got[i], want[i], rel) {
			t.Errorf("%s[%d] = %.17g, want %.17g (relative tolerance %g)\n  got  %v\n  want %v",
				what, i, got[i], want[i], rel, got, want)
			return
		}
	}
}

// assertFinite fails t if any value is NaN or infinite.
func assertFinite(t *testing.T, what string, values []float64) {
	t.Helper()
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s[%d] = %g, want a finite value; all: %v", what, i, v, values)
			return
		}
	}
}

// evaluate runs Evaluate on the test backend with the arrays as tensors of dtype.
func evaluate[F graphx.GraphFn](t *testing.T, dtype dtypes.DType, fn F, inputs ...array) *graphx.Evaluation {
	t.Helper()
	args := make([]any, len(inputs))
	for i, a := range inputs {
		args[i] = a.tensor(dtype)
	}
	ev, err := graphx.Evaluate(testBackend(), fn, args...)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// checkGradient compares the gradient that graph.Gradient gives for the sum of
// fn's output with central finite differences, in float64, with respect to the
// inputs listed in wrt. Every element of those inputs must lie where fn is
// smooth in a neighbourhood of a few steps (not on a clipping bound, not at a
// zero that a log guards). All gradients, of every input, must be finite.
func checkGradient(t *testing.T, fn func([]*Node) *Node, inputs []array, wrt ...int) {
	t.Helper()
	exec, err := NewExec(testBackend(), func(xs []*Node) []*Node {
		total := ReduceAllSum(fn(xs))
		return append([]*Node{total}, Gradient(total, xs...)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	run := func(in []array) []array {
		args := make([]any, len(in))
		for i, a := range in {
			args[i] = a.tensor(dtypes.Float64)
		}
		results, err := exec.Call(args...)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]array, len(results))
		for i, r := range results {
			out[i] = array{data: tensors.MustCopyFlatData[float64](r), dims: r.Shape().Dimensions}
			r.FinalizeAll()
		}
		return out
	}
	base := run(inputs)
	for i := range inputs {
		assertFinite(t, fmt.Sprintf("gradient with respect to input %d", i), base[1+i].data)
	}
	scale := math.Max(1, math.Abs(base[0].data[0]))
	for _, i := range wrt {
		analytic := base[1+i].data
		for j, x := range inputs[i].data {
			h := 1e-6 * math.Max(1, math.Abs(x))
			perturbed := func(v float64) float64 {
				in := append([]array{}, inputs...)
				in[i] = array{data: append([]float64{}, inputs[i].data...), dims: inputs[i].dims}
				in[i].data[j] = v
				return run(in)[0].data[0]
			}
			numeric := (perturbed(x+h) - perturbed(x-h)) / (2 * h)
			// Central differences: truncation O(h²), rounding O(1e-16·|f|/h).
			tol := 1e-6*math.Abs(numeric) + 1e-14*scale/h + 1e-7
			if math.Abs(numeric-analytic[j]) > tol {
				t.Errorf("∂/∂input%d[%d] = %.10g by graph.Gradient, %.10g by finite differences (tolerance %.2g)",
					i, j, analytic[j], numeric, tol)
			}
		}
	}
}

const (
	dtypeF32 = dtypes.Float32
	dtypeF64 = dtypes.Float64
)

// wantError fails t unless err is an error whose message contains every one
// of the substrings.
func wantError(t *testing.T, what string, err error, substrings ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one mentioning %q", what, substrings)
		return
	}
	for _, s := range substrings {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s: error %q does not mention %q", what, firstLine(err.Error()), s)
		}
	}
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
