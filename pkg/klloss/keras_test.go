package klloss

import (
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/graphx"
)

func TestKeras(t *testing.T) {
	for _, c := range mustReference(t).Keras {
		dtype, ok := map[string]dtypes.DType{"float32": dtypes.Float32, "float64": dtypes.Float64}[c.DType]
		if !ok {
			t.Fatalf("reference.json: unknown dtype %q", c.DType)
		}
		t.Run(c.Name+"/"+dtype.String(), func(t *testing.T) {
			// The float32 references come from numpy in float32, so both sides
			// round; 1e-6 allows for different operation orders.
			rel := 1e-6
			if dtype == dtypes.Float64 {
				rel = 1e-12
			}
			perExample := evaluate(t, dtype, KerasPerExample, c.YTrue, c.YPred)
			compare(t, "KerasPerExample", perExample.Value, c.PerExample.data, rel)
			loss := evaluate(t, dtype, Keras, c.YTrue, c.YPred)
			compare(t, "Keras", loss.Value, []float64{c.Loss}, rel)
			assertFinite(t, "∂/∂yTrue", loss.Gradients[0])
			assertFinite(t, "∂/∂yPred", loss.Gradients[1])
			for j, y := range c.YPred.data {
				if (y < KerasEpsilon || y > 1) && loss.Gradients[1][j] != 0 {
					t.Errorf("yPred[%d] = %g is clipped, but ∂/∂yPred = %g, want 0", j, y, loss.Gradients[1][j])
				}
			}
		})
	}
}

// TestKerasSeed000 recomputes seed 000's number by hand from the clipped arrays
// (y_true → [[1e-7, 1], [1, 0.2]], y_pred → [[0.16, 0.4], [0.14, 1]]).
func TestKerasSeed000(t *testing.T) {
	yTrue := newArray([]int{2, 2}, -0.4, 1, 3, 0.2)
	yPred := newArray([]int{2, 2}, 0.16, 0.4, 0.14, 2.1)
	row0 := 1e-7*math.Log(1e-7/0.16) + 1*math.Log(1/0.4)
	row1 := 1*math.Log(1/0.14) + 0.2*math.Log(0.2/1)
	want := (row0 + row1) / 2
	for _, dtype := range floatDTypes {
		ev := evaluate(t, dtype, Keras, yTrue, yPred)
		if !closeTo(ev.Value[0], want, tolerance(dtype)) {
			t.Errorf("%s: Keras(seed 000) = %.10g, want %.10g", dtype, ev.Value[0], want)
		}
	}
	if math.Abs(want-1.2802572886) > 1e-10 {
		t.Errorf("seed 000 by hand = %.12g, want 1.2802572886", want)
	}
}

func TestKerasGradient(t *testing.T) {
	fn := func(xs []*Node) *Node { return Keras(xs[0], xs[1]) }
	// Seed 000: y_true has entries on the clipping bound (1), so only y_pred
	// (inside (ε, 1), and 2.1 well above it) is differentiated.
	checkGradient(t, fn, []array{
		newArray([]int{2, 2}, -0.4, 1, 3, 0.2),
		newArray([]int{2, 2}, 0.16, 0.4, 0.14, 2.1),
	}, 1)
	checkGradient(t, fn, []array{
		newArray([]int{2, 3}, 0.3, 0.6, 0.1, 0.25, 0.25, 0.5),
		newArray([]int{2, 3}, 0.5, 0.4, 0.1, 0.2, 0.7, 0.1),
	}, 0, 1)
}

// TestKerasConvertsYTrue checks that integer one-hot labels are converted to
// y_pred's dtype, as in Keras.
func TestKerasConvertsYTrue(t *testing.T) {
	ev, err := graphx.Evaluate(testBackend(), KerasPerExample, [][]int32{{0, 1}, {1, 0}}, [][]float32{{0.25, 0.75}, {0.5, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	// Σ y·log(y/q) with y ∈ {ε, 1}: log(1/0.75) + ε·log(ε/0.25), and log 2 + ε·log(2ε).
	want := []float64{math.Log(1/0.75) + 1e-7*math.Log(1e-7/0.25), math.Log(2) + 1e-7*math.Log(2e-7)}
	compare(t, "KerasPerExample(int32 one-hot, float32)", ev.Value, want, 1e-6)
	if ev.Gradients[0] != nil {
		t.Errorf("gradient with respect to int32 labels = %v, want nil", ev.Gradients[0])
	}
	_, err = graphx.Evaluate(testBackend(), KerasPerExample, [][]float32{{0, 1}}, [][]float32{{0.25, 0.75}, {0.5, 0.5}})
	wantError(t, "Keras of shapes [1 2] and [2 2]", err, "klloss.KerasPerExample", "[1, 2]", "[2, 2]")
}
