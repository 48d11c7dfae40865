package klloss

import (
	"math"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/graphx"
)

// parseReduction returns the Reduction PyTorch calls name.
func parseReduction(t *testing.T, name string) Reduction {
	t.Helper()
	for _, r := range []Reduction{ReductionNone, ReductionSum, ReductionMean, ReductionBatchMean} {
		if r.String() == name {
			return r
		}
	}
	t.Fatalf("reference.json: unknown reduction %q", name)
	return 0
}

func torchFn(reduction Reduction, logTarget bool) func(input, target *Node) *Node {
	return func(input, target *Node) *Node { return TorchKLDiv(input, target, reduction, logTarget) }
}

func TestTorchKLDiv(t *testing.T) {
	for _, c := range mustReference(t).Torch {
		reduction := parseReduction(t, c.Reduction)
		fn := torchFn(reduction, c.LogTarget)
		name := c.Name + "/" + c.Reduction
		if c.LogTarget {
			name += "/log_target"
		}
		for _, dtype := range floatDTypes {
			t.Run(name+"/"+dtype.String(), func(t *testing.T) {
				ev := evaluate(t, dtype, fn, c.Input, c.Target)
				compare(t, "TorchKLDiv", ev.Value, c.Value.data, tolerance(dtype))
				if !slices.Equal(ev.Shape, c.Shape) && !(len(ev.Shape) == 0 && len(c.Shape) == 0) {
					t.Errorf("TorchKLDiv shape %v, want %v", ev.Shape, c.Shape)
				}
				compare(t, "∂/∂input", ev.Gradients[0], c.GradInput.data, tolerance(dtype))
				assertFinite(t, "∂/∂target", ev.Gradients[1])
				for j, v := range c.Target.data {
					if v == 0 && !c.LogTarget && ev.Gradients[1][j] != 0 {
						t.Errorf("at target[%d] = 0: ∂/∂target = %g, want exactly 0", j, ev.Gradients[1][j])
					}
				}
			})
		}
	}
}

func TestTorchKLDivGradient(t *testing.T) {
	for _, c := range mustReference(t).Torch {
		fn := torchFn(parseReduction(t, c.Reduction), c.LogTarget)
		t.Run(c.Name+"/"+c.Reduction, func(t *testing.T) {
			wrt := []int{0}
			if c.LogTarget || !slices.Contains(c.Target.data, 0) {
				wrt = append(wrt, 1)
			}
			checkGradient(t, func(xs []*Node) *Node { return fn(xs[0], xs[1]) }, []array{c.Input, c.Target}, wrt...)
		})
	}
}

// TestTorchKLDivZeroTarget checks the documented difference from PyTorch: a
// zero target contributes 0 even where input = log q = −Inf (PyTorch: NaN).
func TestTorchKLDivZeroTarget(t *testing.T) {
	input := []float64{math.Inf(-1), math.Log(0.5), math.Log(0.5)}
	ev, err := graphx.Evaluate(testBackend(), torchFn(ReductionSum, false), input, []float64{0, 0.5, 0.5})
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "kl_div(log [0, ½, ½], [0, ½, ½])", ev.Value, []float64{0}, 1e-15)
	ev, err = graphx.Evaluate(testBackend(), torchFn(ReductionSum, true), input, []float64{math.Inf(-1), math.Log(0.5), math.Log(0.5)})
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "kl_div(log [0, ½, ½], log [0, ½, ½], log_target)", ev.Value, []float64{0}, 1e-15)
	assertFinite(t, "∂/∂target", ev.Gradients[1])
}

// TestTorchKLDivSeed002 recomputes seed 002's number: a grid of 1000 points on
// [−15, 15], the unnormalised target N(−5, 1) + N(10, 1) and a standard normal
// model, with kl_div's default reduction ("mean").
func TestTorchKLDivSeed002(t *testing.T) {
	ref := mustReference(t).Seed002
	const n = 1000
	x := make([]float64, n)
	px := make([]float64, n)
	logQ := make([]float64, n)
	logNormal := func(x, mu float64) float64 { return -0.5*(x-mu)*(x-mu) - 0.5*math.Log(2*math.Pi) }
	for i := range x {
		x[i] = -15 + 30*float64(i)/(n-1)
		px[i] = math.Exp(logNormal(x[i], -5)) + math.Exp(logNormal(x[i], 10))
		logQ[i] = logNormal(x[i], 0)
	}
	fn := torchFn(ReductionMean, false)
	ev := evaluate(t, dtypeF64, fn, array{data: logQ, dims: []int{n}}, array{data: px, dims: []int{n}})
	compare(t, "seed 002, float64", ev.Value, []float64{ref["float64"]}, 1e-12)
	ev = evaluate(t, dtypeF32, fn, array{data: logQ, dims: []int{n}}, array{data: px, dims: []int{n}})
	compare(t, "seed 002, float32", ev.Value, []float64{ref["float32"]}, 1e-6)
	// For a vector, batchmean divides by the same 1000.
	batchMean := evaluate(t, dtypeF64, torchFn(ReductionBatchMean, false), array{data: logQ, dims: []int{n}}, array{data: px, dims: []int{n}})
	compare(t, "seed 002, batchmean", batchMean.Value, []float64{ref["float64"]}, 1e-12)
}

func TestTorchKLDivPanics(t *testing.T) {
	_, err := graphx.Evaluate(testBackend(), torchFn(ReductionMean, false), []float64{0, 1}, []float32{0, 1})
	wantError(t, "TorchKLDiv of float64 and float32", err, "klloss.TorchKLDiv", "Float64", "Float32")
	_, err = graphx.Evaluate(testBackend(), torchFn(Reduction(7), false), []float64{0, 1}, []float64{0, 1})
	wantError(t, "TorchKLDiv with Reduction(7)", err, "klloss.TorchKLDiv", "Reduction(7)")
}
