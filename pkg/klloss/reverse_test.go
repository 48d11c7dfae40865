package klloss

import (
	"math"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/graphx"
)

// withRemedy returns fn with the target remedy the reference names applied.
func withRemedy(t *testing.T, fn PairFn, remedy string, epsilon float64) PairFn {
	t.Helper()
	switch remedy {
	case "none":
		return fn
	case "clip":
		return WithClippedTarget(fn, epsilon)
	case "smooth":
		return WithSmoothedTarget(fn, epsilon)
	}
	t.Fatalf("unknown remedy %q in reference.json", remedy)
	return nil
}

func TestReverseKL(t *testing.T) {
	for _, c := range mustReference(t).Reverse {
		fn := withRemedy(t, ReverseKL, c.Remedy, c.Epsilon)
		for _, dtype := range floatDTypes {
			t.Run(c.Name+"/"+dtype.String(), func(t *testing.T) {
				ev := evaluate(t, dtype, fn, c.P, c.Q)
				compare(t, "ReverseKL", ev.Value, c.PerExample.data, tolerance(dtype))
				assertFinite(t, "∂/∂p", ev.Gradients[0])
				assertFinite(t, "∂/∂q", ev.Gradients[1])
				for j, q := range c.Q.data {
					if q == 0 && ev.Gradients[1][j] != 0 {
						t.Errorf("at q[%d] = 0: ∂/∂q = %g, want exactly 0", j, ev.Gradients[1][j])
					}
				}
			})
		}
	}
}

func TestReverseKLGradient(t *testing.T) {
	for _, c := range mustReference(t).Reverse {
		fn := withRemedy(t, ReverseKL, c.Remedy, c.Epsilon)
		t.Run(c.Name, func(t *testing.T) {
			// The reverse KL is not differentiable in q at q = 0, nor, with
			// clipping, in p at the clipped entries p = 0; elsewhere it is
			// smooth (where q = 0, p does not enter the value).
			var wrt []int
			if !slices.Contains(c.Q.data, 0) {
				wrt = append(wrt, 1)
			}
			if c.Remedy != "clip" {
				wrt = append(wrt, 0)
			}
			checkGradient(t, func(xs []*Node) *Node { return fn(xs[0], xs[1]) }, []array{c.P, c.Q}, wrt...)
		})
	}
}

func TestReverseKLFromLogits(t *testing.T) {
	for _, c := range mustReference(t).ReverseLogits {
		fn := withRemedy(t, ReverseKLFromLogits, c.Remedy, c.Epsilon)
		for _, dtype := range floatDTypes {
			t.Run(c.Name+"/"+dtype.String(), func(t *testing.T) {
				ev := evaluate(t, dtype, fn, c.P, c.Logits)
				compare(t, "ReverseKLFromLogits", ev.Value, c.PerExample.data, tolerance(dtype))
				compare(t, "∂/∂logits", ev.Gradients[1], c.GradLogits.data, tolerance(dtype))
				assertFinite(t, "∂/∂p", ev.Gradients[0])
			})
		}
	}
}

func TestReverseKLFromLogitsGradient(t *testing.T) {
	for _, c := range mustReference(t).ReverseLogits {
		fn := withRemedy(t, ReverseKLFromLogits, c.Remedy, c.Epsilon)
		t.Run(c.Name, func(t *testing.T) {
			checkGradient(t, func(xs []*Node) *Node { return fn(xs[0], xs[1]) }, []array{c.P, c.Logits}, 1)
		})
	}
}

// TestReverseKLOneHotIsInfinite checks the documented failure that the remedies
// exist for: against a one-hot target the exact reverse KL is +Inf, and the
// gradient through a softmax is NaN.
func TestReverseKLOneHotIsInfinite(t *testing.T) {
	p := newArray([]int{1, 3}, 0, 1, 0)
	logits := newArray([]int{1, 3}, 1, 2, 3)
	for _, dtype := range floatDTypes {
		ev := evaluate(t, dtype, ReverseKLFromLogits, p, logits)
		if !math.IsInf(ev.Value[0], 1) {
			t.Errorf("%s: ReverseKLFromLogits(one-hot, logits) = %g, want +Inf", dtype, ev.Value[0])
		}
		if !slices.ContainsFunc(ev.Gradients[1], math.IsNaN) {
			t.Errorf("%s: ∂/∂logits = %v, want NaN entries (documented)", dtype, ev.Gradients[1])
		}
	}
}

// TestClipTargetBound checks the bound ClipTarget documents for a one-hot
// target: L = −H(Q) + (1 − q_t)·log(1/ε).
func TestClipTargetBound(t *testing.T) {
	const epsilon = 1e-4
	p := newArray([]int{3, 4}, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0)
	q := newArray([]int{3, 4}, 0.1, 0.2, 0.3, 0.4, 0.97, 0.01, 0.01, 0.01, 0.25, 0.25, 0.25, 0.25)
	ev := evaluate(t, dtypeF64, WithClippedTarget(ReverseKL, epsilon), p, q)
	for row := range 3 {
		var entropy, qTrue float64
		for k := range 4 {
			qk := q.data[4*row+k]
			entropy -= qk * math.Log(qk)
			if p.data[4*row+k] == 1 {
				qTrue = qk
			}
		}
		want := -entropy + (1-qTrue)*math.Log(1/epsilon)
		if !closeTo(ev.Value[row], want, 1e-12) {
			t.Errorf("row %d: clipped reverse KL = %.15g, want −H(Q) + (1 − q_t)·log(1/ε) = %.15g", row, ev.Value[row], want)
		}
	}
}

// TestSmoothTarget checks that smoothing keeps a distribution a distribution and
// that the smoothed reverse KL vanishes at Q = P'.
func TestSmoothTarget(t *testing.T) {
	const epsilon = 0.1
	p := newArray([]int{2, 4}, 0, 0, 1, 0, 0.5, 0.5, 0, 0)
	ev := evaluate(t, dtypeF64, func(p *Node) *Node { return SmoothTarget(p, epsilon) }, p)
	want := []float64{0.025, 0.025, 0.925, 0.025, 0.475, 0.475, 0.025, 0.025}
	compare(t, "SmoothTarget", ev.Value, want, 1e-15)
	compare(t, "∂SmoothTarget/∂p", ev.Gradients[0], slices.Repeat([]float64{1 - epsilon}, 8), 1e-15)
	kl := evaluate(t, dtypeF64, func(p *Node) *Node {
		smoothed := SmoothTarget(p, epsilon)
		return ReverseKL(smoothed, smoothed)
	}, p)
	compare(t, "KL(P'‖P')", kl.Value, []float64{0, 0}, 1e-15)
}

func TestTargetPanics(t *testing.T) {
	for _, epsilon := range []float64{0, 1, -0.1, math.NaN()} {
		_, err := graphx.Evaluate(testBackend(), func(p *Node) *Node { return ClipTarget(p, epsilon) }, []float64{0, 1})
		wantError(t, "ClipTarget with ε out of range", err, "klloss.ClipTarget", "epsilon")
		_, err = graphx.Evaluate(testBackend(), func(p *Node) *Node { return SmoothTarget(p, epsilon) }, []float64{0, 1})
		wantError(t, "SmoothTarget with ε out of range", err, "klloss.SmoothTarget", "epsilon")
	}
	for _, wrap := range []func(PairFn, float64) PairFn{WithClippedTarget, WithSmoothedTarget} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("WithClippedTarget/WithSmoothedTarget with ε = 2: no panic")
				}
			}()
			wrap(ReverseKL, 2)
		}()
	}
}

// TestClipTarget checks the values and the documented gradient: it passes
// where ε ≤ p ≤ 1, bounds included (as TensorFlow's clip_by_value), and is 0
// where p was clipped.
func TestClipTarget(t *testing.T) {
	const epsilon = 0.01
	p := newArray([]int{6}, -1, 0, epsilon, 0.5, 1, 3)
	for _, dtype := range floatDTypes {
		ev := evaluate(t, dtype, func(p *Node) *Node { return ClipTarget(p, epsilon) }, p)
		compare(t, "ClipTarget", ev.Value, []float64{epsilon, epsilon, epsilon, 0.5, 1, 1}, tolerance(dtype))
		compare(t, "∂ClipTarget/∂p", ev.Gradients[0], []float64{0, 0, 1, 1, 1, 0}, 0)
	}
}

// TestReverseKLFromLogitsUnderflow checks the documented treatment of softmax
// underflow: where q_k = 0 in floating point the term is 0, also where p_k = 0.
func TestReverseKLFromLogitsUnderflow(t *testing.T) {
	p := newArray([]int{2, 3}, 0, 1, 0, 0.5, 0.5, 0)
	logits := newArray([]int{2, 3}, -1000, 1000, -1000, 0, 0, -1000)
	for _, dtype := range floatDTypes {
		ev := evaluate(t, dtype, ReverseKLFromLogits, p, logits)
		compare(t, "ReverseKLFromLogits", ev.Value, []float64{0, 0}, tolerance(dtype))
		assertFinite(t, "∂/∂p", ev.Gradients[0])
		assertFinite(t, "∂/∂logits", ev.Gradients[1])
	}
}
