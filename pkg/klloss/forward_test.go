package klloss

import (
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/graphx"
)

func TestForwardKL(t *testing.T) {
	for _, c := range mustReference(t).Forward {
		for _, dtype := range floatDTypes {
			t.Run(c.Name+"/"+dtype.String(), func(t *testing.T) {
				ev := evaluate(t, dtype, ForwardKL, c.P, c.Q)
				compare(t, "ForwardKL", ev.Value, c.PerExample.data, tolerance(dtype))
				if !slices.Equal(ev.Shape, c.PerExample.dims) {
					t.Errorf("ForwardKL shape %v, want %v", ev.Shape, c.PerExample.dims)
				}
				assertFinite(t, "∂/∂p", ev.Gradients[0])
				assertFinite(t, "∂/∂q", ev.Gradients[1])
				for j, p := range c.P.data {
					if p == 0 && (ev.Gradients[0][j] != 0 || ev.Gradients[1][j] != 0) {
						t.Errorf("at p[%d] = 0: ∂/∂p = %g and ∂/∂q = %g, want exactly 0",
							j, ev.Gradients[0][j], ev.Gradients[1][j])
					}
				}
			})
		}
	}
}

func TestForwardKLGradient(t *testing.T) {
	fn := func(xs []*Node) *Node { return ForwardKL(xs[0], xs[1]) }
	for _, c := range mustReference(t).Forward {
		t.Run(c.Name, func(t *testing.T) {
			wrt := []int{1} // q: where p = 0, q does not enter the value, so it is smooth everywhere.
			if !slices.Contains(c.P.data, 0) {
				wrt = append(wrt, 0)
			}
			checkGradient(t, fn, []array{c.P, c.Q}, wrt...)
		})
	}
}

func TestForwardKLFromLogits(t *testing.T) {
	for _, c := range mustReference(t).ForwardLogits {
		for _, dtype := range floatDTypes {
			t.Run(c.Name+"/"+dtype.String(), func(t *testing.T) {
				ev := evaluate(t, dtype, ForwardKLFromLogits, c.P, c.Logits)
				compare(t, "ForwardKLFromLogits", ev.Value, c.PerExample.data, tolerance(dtype))
				compare(t, "∂/∂logits", ev.Gradients[1], c.GradLogits.data, tolerance(dtype))
				assertFinite(t, "∂/∂p", ev.Gradients[0])
				for j, p := range c.P.data {
					if p == 0 && ev.Gradients[0][j] != 0 {
						t.Errorf("at p[%d] = 0: ∂/∂p = %g, want exactly 0", j, ev.Gradients[0][j])
					}
				}
			})
		}
	}
}

func TestForwardKLFromLogitsGradient(t *testing.T) {
	fn := func(xs []*Node) *Node { return ForwardKLFromLogits(xs[0], xs[1]) }
	for _, c := range mustReference(t).ForwardLogits {
		t.Run(c.Name, func(t *testing.T) {
			checkGradient(t, fn, []array{c.P, c.Logits}, 1)
		})
	}
}

// TestForwardKLMatchesFromLogits checks the two forms against each other on the
// same Q, away from underflow.
func TestForwardKLMatchesFromLogits(t *testing.T) {
	p := newArray([]int{2, 3}, 0.2, 0.3, 0.5, 0, 1, 0)
	logits := newArray([]int{2, 3}, 0.5, -1, 2, 3, 0.1, -2)
	fromLogits := evaluate(t, dtypeF64, ForwardKLFromLogits, p, logits)
	fromProbs := evaluate(t, dtypeF64, func(p, logits *Node) *Node {
		return ForwardKL(p, Softmax(logits, -1))
	}, p, logits)
	compare(t, "ForwardKL(p, softmax(logits))", fromProbs.Value, fromLogits.Value, 1e-14)
	compare(t, "∂/∂logits", fromProbs.Gradients[1], fromLogits.Gradients[1], 1e-14)
}

func TestForwardKLPanics(t *testing.T) {
	p := newArray([]int{2, 3}, 0.2, 0.3, 0.5, 0, 1, 0)
	q := newArray([]int{3, 2}, 0.2, 0.8, 0.5, 0.5, 1, 0)
	_, err := graphx.Evaluate(testBackend(), ForwardKL, p.tensor(dtypeF64), q.tensor(dtypeF64))
	wantError(t, "ForwardKL of shapes [2 3] and [3 2]", err, "klloss.ForwardKL", "same shape", "[2, 3]", "[3, 2]")
	_, err = graphx.Evaluate(testBackend(), ForwardKL, p.tensor(dtypeF64), p.tensor(dtypeF32))
	wantError(t, "ForwardKL of float64 and float32", err, "klloss.ForwardKL", "Float64", "Float32")
	_, err = graphx.Evaluate(testBackend(), ForwardKLFromLogits, []int32{0, 1}, []int32{1, 0})
	wantError(t, "ForwardKLFromLogits of int32 inputs", err, "klloss.ForwardKLFromLogits", "must be float")
	_, err = graphx.Evaluate(testBackend(), ForwardKL, 0.5, 0.5)
	wantError(t, "ForwardKL of scalars", err, "klloss.ForwardKL", "rank ≥ 1")
}
