package klloss_test

import (
	"fmt"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	"github.com/klcourse/klcourse/pkg/graphx"
	"github.com/klcourse/klcourse/pkg/klloss"
)

// Seed 000's arrays under the Keras convention: neither row is a
// distribution, and the clipping to [1e-7, 1] decides the result.
func ExampleKeras() {
	backend, err := compute.NewWithConfig("go")
	if err != nil {
		panic(err)
	}
	yTrue := [][]float64{{-0.4, 1}, {3, 0.2}}
	yPred := [][]float64{{0.16, 0.4}, {0.14, 2.1}}
	ev, err := graphx.Evaluate(backend, klloss.Keras, yTrue, yPred)
	if err != nil {
		panic(err)
	}
	fmt.Printf("Keras KLDivergence: %.4f\n", ev.Value[0])
	fmt.Printf("gradient with respect to y_pred: %.4f\n", ev.Gradients[1])
	// Output:
	// Keras KLDivergence: 1.2803
	// gradient with respect to y_pred: [-0.0000 -1.2500 -3.5714 0.0000]
}

// The forward KL from logits stays finite for logits of magnitude 1e3.
func ExampleForwardKLFromLogits() {
	backend, err := compute.NewWithConfig("go")
	if err != nil {
		panic(err)
	}
	p := [][]float32{{0.2, 0.3, 0.5}, {1, 0, 0}}
	logits := [][]float32{{1000, -1000, 0}, {500, 1000, -1000}}
	ev, err := graphx.Evaluate(backend, klloss.ForwardKLFromLogits, p, logits)
	if err != nil {
		panic(err)
	}
	fmt.Printf("KL per example: %.2f\n", ev.Value)
	fmt.Printf("gradient with respect to the logits: %.1f\n", ev.Gradients[1])
	// Output:
	// KL per example: [1098.97 500.00]
	// gradient with respect to the logits: [0.8 -0.3 -0.5 -1.0 1.0 0.0]
}
