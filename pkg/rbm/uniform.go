package rbm

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/klcourse/klcourse/internal/rng"
)

// The in-graph generator of uniforms is SplitMix64 (Steele, Lea & Flood,
// "Fast splittable pseudorandom number generators", OOPSLA 2014; Vigna's
// splitmix64.c): the i-th word of the stream with key k is
//
//	z = k + (i+1)·γ,  γ = 0x9e3779b97f4a7c15
//	z = (z ⊕ (z ≫ 30)) · 0xbf58476d1ce4e5b9
//	z = (z ⊕ (z ≫ 27)) · 0x94d049bb133111eb
//	word = z ⊕ (z ≫ 31)
//
// Each word is a function of its index alone, so a graph computes a whole
// tensor of words at once, and the same numbers come out on every backend.
const (
	splitMixGamma = 0x9e3779b97f4a7c15
	splitMixMul1  = 0xbf58476d1ce4e5b9
	splitMixMul2  = 0x94d049bb133111eb
)

// uniformState returns the state of the uniforms stream selected by seed and
// stream: a [2]uint64 tensor (key, index of the next word), with the key
// drawn from internal/rng, the course's seeded generator.
func uniformState(seed, stream uint64) *tensors.Tensor {
	return tensors.FromValue([]uint64{rng.New(seed, stream).Uint64(), 0})
}

// uniforms returns float32 numbers uniform on [0, 1), shaped dims, and the
// state after them. Each 64-bit SplitMix64 word gives two numbers of 24 random
// bits (its top and bottom 24 bits): every float32 multiple of 2⁻²⁴ in [0, 1)
// has the same probability, as with a float32 uniform from any generator, for
// half the words and without the clamp below 1 that a 32-bit conversion needs.
// The first half of the numbers (in row-major order) come from the words' top
// bits, the second half from their bottom bits.
//
// No gradient flows through the numbers. state is uniformState's [2]uint64.
func uniforms(state *graph.Node, dims ...int) (newState, u *graph.Node) {
	g := state.Graph()
	n := 1
	for _, d := range dims {
		n *= d
	}
	words := (n + 1) / 2
	key := graph.Reshape(graph.Slice(state, graph.AxisElem(0)))
	next := graph.Reshape(graph.Slice(state, graph.AxisElem(1)))
	index := graph.Add(graph.Iota(g, shapes.Make(dtypes.Uint64, words), 0), graph.Add(next, graph.Const(g, uint64(1))))
	z := graph.Add(graph.Mul(index, graph.Const(g, uint64(splitMixGamma))), key)
	z = graph.Mul(graph.BitwiseXor(z, graph.BitwiseShiftRightLogicalScalar(z, 30)), graph.Const(g, uint64(splitMixMul1)))
	z = graph.Mul(graph.BitwiseXor(z, graph.BitwiseShiftRightLogicalScalar(z, 27)), graph.Const(g, uint64(splitMixMul2)))
	z = graph.BitwiseXor(z, graph.BitwiseShiftRightLogicalScalar(z, 31))
	top := graph.BitwiseShiftRightLogicalScalar(z, 40)
	bottom := graph.BitwiseAnd(z, graph.Const(g, uint64(1<<24-1)))
	bits := graph.Concatenate([]*graph.Node{top, bottom}, 0)
	if 2*words != n {
		bits = graph.Slice(bits, graph.AxisRange(0, n))
	}
	u = graph.MulScalar(graph.ConvertDType(bits, dtypes.Float32), 1.0/(1<<24))
	u = graph.StopGradient(graph.Reshape(u, dims...))
	newState = graph.Stack([]*graph.Node{key, graph.Add(next, graph.Const(g, uint64(words)))}, 0)
	return newState, u
}
