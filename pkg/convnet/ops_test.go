package convnet

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// valueAndSlope evaluates f and its derivative at each of xs.
func valueAndSlope(t *testing.T, b namedBackend, f func(*Node) *Node, xs []float32) (values, slopes []float32) {
	t.Helper()
	out := MustExecOnceN(b.Backend, func(x *Node) []*Node {
		y := f(x)
		return []*Node{y, Gradient(ReduceAllSum(y), x)[0]}
	}, xs)
	return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
}

func TestRelu(t *testing.T) {
	xs := []float32{-2, -1e-30, 0, 1e-30, 3}
	wantValues := []float32{0, 0, 0, 1e-30, 3}
	wantSlopes := []float32{0, 0, 1, 1, 1} // GoMLX's activation.Relu has slope 1 at 0
	for _, b := range testBackends(t) {
		values, slopes := valueAndSlope(t, b, relu, xs)
		for i := range xs {
			if values[i] != wantValues[i] || slopes[i] != wantSlopes[i] {
				t.Errorf("%s: relu(%g) = %g with slope %g, want %g with slope %g", b.Name, xs[i], values[i], slopes[i], wantValues[i], wantSlopes[i])
			}
		}
	}
}

// TestMaxOfWindow checks the value and that the gradient goes to the first
// of tied maxima, in row-major window order, as MaxPool's does.
func TestMaxOfWindow(t *testing.T) {
	windows := [][4]float32{
		{1, 2, 3, 4}, {4, 3, 2, 1}, {2, 5, 5, 1}, {7, 7, 7, 7}, {-3, -1, -1, -2}, {0, 0, 1, 1},
	}
	wantMax := []float32{4, 4, 5, 7, -1, 1}
	wantFirst := []int{3, 0, 1, 0, 1, 2}
	for _, b := range testBackends(t) {
		var cols [4][]float32
		for _, w := range windows {
			for k := range 4 {
				cols[k] = append(cols[k], w[k])
			}
		}
		out := MustExecOnceN(b.Backend, func(a, b, c, d *Node) []*Node {
			m := maxOfWindow([4]*Node{a, b, c, d})
			return append([]*Node{m}, Gradient(ReduceAllSum(m), a, b, c, d)...)
		}, cols[0], cols[1], cols[2], cols[3])
		maxes := tensors.MustCopyFlatData[float32](out[0])
		for i := range windows {
			if maxes[i] != wantMax[i] {
				t.Errorf("%s: max of %v = %g, want %g", b.Name, windows[i], maxes[i], wantMax[i])
			}
			for k := range 4 {
				want := float32(0)
				if k == wantFirst[i] {
					want = 1
				}
				if got := tensors.MustCopyFlatData[float32](out[1+k])[i]; got != want {
					t.Errorf("%s: gradient of max of %v with respect to position %d = %g, want %g", b.Name, windows[i], k, got, want)
				}
			}
		}
	}
}
