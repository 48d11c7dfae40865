package convnet

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// CNN is the convolutional image classifier of seed 000:
//
//	Conv2D(Filters1, 3×3, tanh) → MaxPool 2×2 → Dropout(Dropout1)
//	→ Conv2D(Filters2, 3×3, relu) → MaxPool 2×2 → Dropout(Dropout2)
//	→ Flatten → Dense(Hidden, exp) → Dense(Classes)
//
// with Keras's conventions: "valid" convolutions (no padding), pooling that
// drops an odd last row or column, channels-last images, and Flatten in
// (row, column, channel) order. The last layer returns logits; the seed's
// softmax belongs to the loss (softmax cross-entropy, which is the KL
// divergence to one-hot labels) or to graph.Softmax when probabilities are
// wanted.
type CNN struct {
	Filters1, Filters2 int     // channels of the two convolutions
	Hidden             int     // units of the dense layer with exponential activation
	Classes            int     // number of classes
	Dropout1, Dropout2 float64 // dropout rates after each pooling
}

// SeedCNN returns the network of seed 000: 32 and 128 filters, 64 hidden
// units, 10 classes, dropout 0.4 and 0.7.
func SeedCNN() CNN {
	return CNN{Filters1: 32, Filters2: 128, Hidden: 64, Classes: 10, Dropout1: 0.4, Dropout2: 0.7}
}

// Variables, shared by both formulations so that a checkpoint of one loads
// into the other: conv1/conv/{weights,biases} and conv2/conv/{weights,biases}
// with kernels shaped [3, 3, in, out] as in GoMLX's layers.Convolution, and
// dense1/dense/... and dense2/dense/... as in layers.Dense.
const (
	scopeConv1  = "conv1"
	scopeConv2  = "conv2"
	scopeDense1 = "dense1"
	scopeDense2 = "dense2"
)

// Logits builds the network on images shaped [batch, height, width,
// channels], with values in [0, 1], and returns logits [batch, Classes].
// Dropout is active only in training graphs (train.Trainer's).
//
// It builds one of two formulations of the same function, whichever the
// backend runs faster; the tests check that they give the same outputs and
// gradients. GoMLX's standard layers (see LayersLogits) are used on XLA,
// which compiles them well, and on ONNX Runtime for graphs that are not
// training graphs (model.Store.IsTraining), since its own convolution and
// pooling are fast forward but slow to differentiate. Training graphs on ONNX
// Runtime and every graph on the pure-Go backend use a form that is two
// (ONNX Runtime) to eight (pure Go) times faster to train. It:
//
//   - computes each 3×3 convolution as matrix products, one per position in
//     the pooling window (and, in the first layer, per phase, see below): the
//     nine shifted input slices are stacked along the channel axis
//     ("im2col") and multiplied by the kernel reshaped to [out, 9·in], so
//     that the gradients are matrix products too (GoMLX writes the kernel
//     gradient of a convolution as another convolution, which ONNX Runtime
//     runs with a 13×13 kernel over 250 channels, slowly; the pure-Go
//     backend's convolution is a plain loop);
//   - keeps activations channels-first, [channels, batch·positions], so that
//     the stacked slices are contiguous blocks;
//   - splits each convolution's output positions by their place in the 2×2
//     pooling window, so max-pooling is an element-wise maximum of four
//     matrices instead of a window reduction, whose gradient ONNX Runtime
//     computes with a slow scatter;
//   - splits the first pooling's output by row and column parity, so that
//     the second convolution reads contiguous slices too;
//   - pools before adding the bias and applying tanh or relu, which commute
//     with the maximum because they are increasing, so they run on a quarter
//     of the values;
//   - computes the maximum, relu and dropout as products with 0/1 masks,
//     whose gradients are products too, instead of with Where, which ONNX
//     Runtime runs on one core;
//   - skips the last row and column of the first pooling's output when the
//     second pooling drops them (on 32×32 images: row 14 of 15), since no
//     output depends on them.
//
// Ties inside a pooling window go to the first position in row-major order,
// as in GoMLX's, Keras's and PyTorch's max-pooling.
func (c CNN) Logits(scope *model.Scope, images *Node) *Node {
	g := images.Graph()
	switch name := g.Backend().Name(); {
	case strings.HasPrefix(name, "xla"), strings.HasPrefix(name, "onnx") && !scope.IsTraining(g):
		return c.LayersLogits(scope, images)
	}
	return c.matmulLogits(scope, images)
}

// matmulLogits is the formulation of Logits built from matrix products.
func (c CNN) matmulLogits(scope *model.Scope, images *Node) *Node {
	c.check(images)
	scope = scope.WithInitializer(initializer.GlorotUniformFn(scope))
	g := images.Graph()
	dims := images.Shape().Dimensions
	n, h, w, in := dims[0], dims[1], dims[2], dims[3]
	dtype := images.DType()

	// Sizes: conv1 → pool1 (p1h × p1w) → conv2 → pool2 (p2h × p2w). Only
	// q = p2+1 phase rows (and columns) of pool1 are needed per parity.
	p1h, p1w := (h-2)/2, (w-2)/2
	p2h, p2w := (p1h-2)/2, (p1w-2)/2
	qh, qw := p2h+1, p2w+1

	// Input channels-first and split by row and column modulo 4:
	// x[c, n, i, a, j, b] is pixel (4i+a, 4j+b) of channel c of image n.
	x := TransposeAllAxes(fitRows(fitCols(images, 4*(qw+1)), 4*(qh+1)), 3, 0, 1, 2)
	x = Reshape(x, in, n, qh+1, 4, qw+1, 4)
	shifted1 := memo(func(r, s int) *Node { // pixels (4i+r, 4j+s) for i < qh, j < qw
		part := Slice(x, AxisRange(), AxisRange(), AxisRange(r/4, r/4+qh), AxisElem(r%4), AxisRange(s/4, s/4+qw), AxisElem(s%4))
		return Reshape(part, in, n*qh*qw)
	})

	conv1 := scope.In(scopeConv1).In("conv")
	k1 := kernelRows(conv1, g, dtype, in, c.Filters1)
	b1 := Reshape(conv1.VariableWithShape("biases", shapes.Make(dtype, c.Filters1)).NodeValue(g), c.Filters1, 1)

	// Pooled first layer, one block per row and column parity (pr, pc) of
	// the pooled position: phase[pr][pc] is [Filters1, batch, qh, qw].
	var phase [2][2]*Node
	for pr := range 2 {
		for pc := range 2 {
			var window [4]*Node
			for di := range 2 {
				for dj := range 2 {
					// Convolution output (2·(2I+pr)+di, 2·(2J+pc)+dj) reads
					// input rows 4I + 2pr+di+ki and columns 4J + 2pc+dj+kj.
					window[2*di+dj] = convRows(k1, func(ki, kj int) *Node {
						return shifted1(2*pr+di+ki, 2*pc+dj+kj)
					})
				}
			}
			a := Tanh(Add(maxOfWindow(window), b1))
			a = dropout(scope, a, c.Dropout1)
			phase[pr][pc] = Reshape(a, c.Filters1, n, qh, qw)
		}
	}

	shifted2 := memo(func(r, s int) *Node { // pool1 positions (2i+r, 2j+s) for i < p2h, j < p2w
		part := Slice(phase[r%2][s%2], AxisRange(), AxisRange(), AxisRange(r/2, r/2+p2h), AxisRange(s/2, s/2+p2w))
		return Reshape(part, c.Filters1, n*p2h*p2w)
	})
	conv2 := scope.In(scopeConv2).In("conv")
	k2 := kernelRows(conv2, g, dtype, c.Filters1, c.Filters2)
	b2 := Reshape(conv2.VariableWithShape("biases", shapes.Make(dtype, c.Filters2)).NodeValue(g), c.Filters2, 1)
	var window [4]*Node
	for di := range 2 {
		for dj := range 2 {
			window[2*di+dj] = convRows(k2, func(ki, kj int) *Node { return shifted2(di+ki, dj+kj) })
		}
	}
	a := relu(Add(maxOfWindow(window), b2))
	a = dropout(scope, a, c.Dropout2)

	// Back to [batch, p2h, p2w, Filters2] for a Keras-ordered Flatten.
	flat := Reshape(TransposeAllAxes(Reshape(a, c.Filters2, n, p2h*p2w), 1, 2, 0), n, p2h*p2w*c.Filters2)
	return c.head(scope, flat)
}

// LayersLogits builds the same network as Logits from GoMLX's standard
// layers, in the order the seed states it. It is the reference the tests
// compare Logits with, and what Logits uses on XLA.
func (c CNN) LayersLogits(scope *model.Scope, images *Node) *Node {
	c.check(images)
	scope = scope.WithInitializer(initializer.GlorotUniformFn(scope))
	x := layers.Convolution(scope.In(scopeConv1), images).Channels(c.Filters1).KernelSize(3).Done()
	x = MaxPool(Tanh(x)).Window(2).Done()
	x = layers.DropoutStatic(scope, x, c.Dropout1)
	x = layers.Convolution(scope.In(scopeConv2), x).Channels(c.Filters2).KernelSize(3).Done()
	x = MaxPool(activation.Relu(x)).Window(2).Done()
	x = layers.DropoutStatic(scope, x, c.Dropout2)
	x = Reshape(x, x.Shape().Dimensions[0], -1)
	return c.head(scope, x)
}

// head is Dense(Hidden, exp) → Dense(Classes).
func (c CNN) head(scope *model.Scope, flat *Node) *Node {
	hidden := Exp(layers.Dense(scope.In(scopeDense1), flat, true, c.Hidden))
	return layers.Dense(scope.In(scopeDense2), hidden, true, c.Classes)
}

// check panics, as graph builders do, when images cannot feed the network.
func (c CNN) check(images *Node) {
	s := images.Shape()
	if s.Rank() != 4 || !s.DType.IsFloat() {
		panic(fmt.Errorf("convnet.CNN: images must be float [batch, height, width, channels], got %s", s))
	}
	if h, w := s.Dimensions[1], s.Dimensions[2]; h < 10 || w < 10 {
		panic(fmt.Errorf("convnet.CNN: images must be at least 10×10 for two 3×3 convolutions and two 2×2 poolings, got %d×%d", h, w))
	}
	if c.Filters1 <= 0 || c.Filters2 <= 0 || c.Hidden <= 0 || c.Classes <= 0 {
		panic(fmt.Errorf("convnet.CNN: all sizes must be positive, got %+v", c))
	}
}

// kernelRows returns the 3×3 kernel of scope as [out, 9·in], its columns
// ordered (kernel row, kernel column, input channel), the order convRows
// stacks the shifted inputs in.
func kernelRows(scope *model.Scope, g *Graph, dtype dtypes.DType, in, out int) *Node {
	kernel := scope.VariableWithShape("weights", shapes.Make(dtype, 3, 3, in, out)).NodeValue(g)
	return Transpose(Reshape(kernel, 9*in, out), 0, 1)
}

// convRows computes one 3×3 convolution as a matrix product: shifted(ki, kj)
// returns the input [in, positions] seen through kernel tap (ki, kj), and the
// result is [out, positions].
func convRows(kernel *Node, shifted func(ki, kj int) *Node) *Node {
	taps := make([]*Node, 0, 9)
	for ki := range 3 {
		for kj := range 3 {
			taps = append(taps, shifted(ki, kj))
		}
	}
	return MatMul(kernel, Concatenate(taps, 0))
}

// maxOfWindow is the maximum of the four positions of a 2×2 pooling window,
// given in row-major order. Its gradient goes to the first position that
// holds the maximum.
func maxOfWindow(w [4]*Node) *Node {
	return firstMax(firstMax(w[0], w[1]), firstMax(w[2], w[3]))
}

// firstMax is max(a, b) with its gradient going to a when a = b, computed as
// a·m + b·(1−m) with the constant mask m = [a ≥ b]: exact, since one term
// is multiplied by 1 and the other by 0, and its gradient is two products,
// where a Where-based maximum costs ONNX Runtime three single-threaded
// Where operations.
func firstMax(a, b *Node) *Node {
	m := StopGradient(ConvertDType(GreaterOrEqual(a, b), a.DType()))
	return Add(Mul(a, m), Mul(b, OneMinus(m)))
}

// fitRows slices or zero-pads axis 1 of x to rows; the rows added or removed
// are never read by the convolutions that follow.
func fitRows(x *Node, rows int) *Node { return fitAxis(x, 1, rows) }

// fitCols is fitRows for axis 2.
func fitCols(x *Node, cols int) *Node { return fitAxis(x, 2, cols) }

func fitAxis(x *Node, axis, size int) *Node {
	d := x.Shape().Dimensions[axis]
	switch {
	case d > size:
		return SliceAxis(x, axis, AxisRange(0, size))
	case d < size:
		pad := make([]PadAxis, x.Rank())
		pad[axis].End = size - d
		return Pad(x, ScalarZero(x.Graph(), x.DType()), pad...)
	}
	return x
}

// memo caches f: each shifted slice is built once, however many convolution
// windows read it, so that its gradient is summed before it is padded back.
func memo(f func(r, s int) *Node) func(r, s int) *Node {
	cache := map[[2]int]*Node{}
	return func(r, s int) *Node {
		key := [2]int{r, s}
		if v, ok := cache[key]; ok {
			return v
		}
		v := f(r, s)
		cache[key] = v
		return v
	}
}
