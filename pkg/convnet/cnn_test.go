package convnet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// testImages returns n random images of h×w×3 whose upper-left quarter is
// flat, so that pooling windows hold ties.
func testImages(rng *rand.Rand, n, h, w int) *tensors.Tensor {
	data := make([]float32, n*h*w*3)
	for i := range data {
		data[i] = rng.Float32()
	}
	for img := range n {
		for r := range h / 2 {
			for c := range w / 2 {
				for ch := range 3 {
					data[((img*h+r)*w+c)*3+ch] = 0.5
				}
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(data, n, h, w, 3)
}

// logitsAndGradients evaluates build on images (dropout off) and returns the
// logits and the gradient of Σ logits·weights with respect to every variable.
func logitsAndGradients(t *testing.T, b namedBackend, store *model.Store, build func(*model.Scope, *Node) *Node, images, weights *tensors.Tensor) [][]float32 {
	t.Helper()
	exec, err := model.NewExec(b.Backend, store, func(scope *model.Scope, x, w *Node) []*Node {
		logits := build(scope, x)
		loss := ReduceAllSum(Mul(logits, w))
		return append([]*Node{logits}, scope.BuildTrainableVariablesGradientsGraph(loss)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	outputs, err := exec.Call(images, weights)
	if err != nil {
		t.Fatal(err)
	}
	var flat [][]float32
	for _, o := range outputs {
		flat = append(flat, tensors.MustCopyFlatData[float32](o))
	}
	return flat
}

// closeTo reports the worst relative difference between got and want, relative
// to the largest magnitude in want.
func closeTo(got, want []float32) float64 {
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	worst := 0.0
	for i := range got {
		worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
	}
	if scale == 0 {
		return worst
	}
	return worst / scale
}

// TestCNNFormulationsAgree checks that the matrix-product formulation computes the
// same function, with the same gradients, as the network built from GoMLX's
// standard layers, on images with flat regions (pooling windows of equal
// values; TestMaxOfWindow checks where their gradient goes) and with odd
// sizes, where pooling drops a row.
func TestCNNFormulationsAgree(t *testing.T) {
	backends := testBackends(t)
	for _, size := range [][2]int{{32, 32}, {29, 34}} {
		for _, b := range backends {
			t.Run(fmt.Sprintf("%s/%dx%d", b.Name, size[0], size[1]), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(size[0])))
				cnn := SeedCNN()
				images := testImages(rng, 3, size[0], size[1])
				w := make([]float32, 3*cnn.Classes)
				for i := range w {
					w[i] = float32(rng.NormFloat64())
				}
				weights := tensors.FromFlatDataAndDimensions(w, 3, cnn.Classes)
				store := model.NewStore()
				store.SetParam(model.ParamInitialSeed, int64(7))
				want := logitsAndGradients(t, b, store, cnn.LayersLogits, images, weights)
				got := logitsAndGradients(t, b, store, cnn.matmulLogits, images, weights)
				if len(got) != len(want) || len(want) != 9 {
					t.Fatalf("got %d outputs, want %d (logits and 8 gradients)", len(got), len(want))
				}
				names := []string{"logits", "conv1 kernel", "conv1 bias", "conv2 kernel", "conv2 bias", "dense1 weights", "dense1 bias", "dense2 weights", "dense2 bias"}
				for i := range want {
					if d := closeTo(got[i], want[i]); d > 2e-5 {
						t.Errorf("%s differ: worst difference %.2g of the largest magnitude", names[i], d)
					}
				}
			})
		}
	}
}
