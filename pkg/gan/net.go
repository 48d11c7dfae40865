package gan

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/internal/rng"
)

// Net describes a fully connected network: dense layers of the Hidden widths
// with an activation after each, then a dense output layer, then the output
// activation.
type Net struct {
	// Hidden lists the widths of the hidden layers; none gives one dense
	// layer (an affine map).
	Hidden []int
	// Activation is the hidden layers' activation: "relu", "leaky_relu"
	// (slope LeakySlope, 0.01 when 0, as JAX's and PyTorch's default), "tanh",
	// or "maxout" (Maxout pieces per unit; the layer computes Maxout·width
	// affine units and keeps the largest of each group).
	Activation string
	LeakySlope float64
	Maxout     int
	// Output is the output activation: "" (none) or "sigmoid".
	Output string
}

func (n Net) validate(name string) error {
	for _, h := range n.Hidden {
		if h < 1 {
			return fmt.Errorf("gan: %s: hidden widths must be ≥ 1, got %v", name, n.Hidden)
		}
	}
	switch n.Activation {
	case "relu", "leaky_relu", "tanh":
	case "maxout":
		if n.Maxout < 2 {
			return fmt.Errorf("gan: %s: maxout needs Maxout ≥ 2 pieces, got %d", name, n.Maxout)
		}
	case "":
		if len(n.Hidden) > 0 {
			return fmt.Errorf("gan: %s: hidden layers %v need an Activation (relu, leaky_relu, tanh or maxout)", name, n.Hidden)
		}
	default:
		return fmt.Errorf("gan: %s: unknown activation %q (want relu, leaky_relu, tanh or maxout)", name, n.Activation)
	}
	if n.Output != "" && n.Output != "sigmoid" {
		return fmt.Errorf("gan: %s: unknown output activation %q (want \"\" or \"sigmoid\")", name, n.Output)
	}
	return nil
}

// shapes returns the [in, out] dimensions of each dense layer's weight
// matrix for the given input and output widths.
func (n Net) shapes(in, out int) [][2]int {
	var s [][2]int
	for _, h := range n.Hidden {
		units := h
		if n.Activation == "maxout" {
			units = h * n.Maxout
		}
		s = append(s, [2]int{in, units})
		in = h
	}
	return append(s, [2]int{in, out})
}

// params holds a network's weights: for each layer a weight matrix [in, out]
// in row-major order and a bias [out].
type params struct {
	Shapes [][2]int
	W, B   [][]float32
}

// initParams draws initial weights: N(0, std²) weights and zero biases when
// std > 0 (PacGAN's initialisation, std 0.02); otherwise Glorot-normal
// weights, N(0, 2/(in + out)), and N(0, 0.01²) biases, JAX stax's Dense.
func initParams(shapes [][2]int, std float64, r *rng.Source) params {
	p := params{Shapes: shapes}
	for _, s := range shapes {
		w, b := make([]float32, s[0]*s[1]), make([]float32, s[1])
		ws, bs := std, 0.0
		if std <= 0 {
			ws, bs = math.Sqrt(2/float64(s[0]+s[1])), 0.01
		}
		for i := range w {
			w[i] = float32(ws * r.Normal())
		}
		for i := range b {
			b[i] = float32(bs * r.Normal())
		}
		p.W, p.B = append(p.W, w), append(p.B, b)
	}
	return p
}

// flat returns the weights as one vector: W₀, b₀, W₁, b₁, … in row-major
// order. A step's graph takes each player's weights as one such vector (one
// input instead of two per layer, which matters for small networks, where
// the time per step is mostly the cost of moving inputs).
func (p params) flat() []float32 {
	var v []float32
	for i := range p.Shapes {
		v = append(append(v, p.W[i]...), p.B[i]...)
	}
	return v
}

// size returns the number of weights.
func (p params) size() int {
	n := 0
	for _, s := range p.Shapes {
		n += s[0]*s[1] + s[1]
	}
	return n
}

// unflatten splits a weight vector node into W₀, b₀, W₁, b₁, … nodes.
func (p params) unflatten(theta *Node) []*Node {
	var ws []*Node
	off := 0
	for _, s := range p.Shapes {
		w := Reshape(Slice(theta, AxisRange(off, off+s[0]*s[1])), s[0], s[1])
		off += s[0] * s[1]
		b := Slice(theta, AxisRange(off, off+s[1]))
		off += s[1]
		ws = append(ws, w, b)
	}
	return ws
}

// forward applies the network to x [batch, in], with its weights given as
// nodes W₀, b₀, W₁, b₁, … in ws.
func (n Net) forward(x *Node, ws []*Node) *Node {
	layers := len(ws) / 2
	for l := range layers {
		w, b := ws[2*l], ws[2*l+1]
		x = Add(MatMul(x, w), InsertAxes(b, 0))
		if l == layers-1 {
			break
		}
		switch n.Activation {
		case "relu":
			// max(x, 0) as x·[x ≥ 0]: the same values, and a gradient that is
			// one product, where Max's costs ONNX Runtime four kernels (GoMLX
			// differentiates Max through Sign(Sign(x − y) + 1)).
			x = Mul(x, nonNegative(x))
		case "leaky_relu":
			slope := n.LeakySlope
			if slope == 0 {
				slope = 0.01
			}
			// max(x, slope·x), for a slope in [0, 1], as
			// x·([x ≥ 0] + slope·[x < 0]), as for relu.
			pos := nonNegative(x)
			x = Mul(x, Add(pos, MulScalar(OneMinus(pos), slope)))
		case "tanh":
			x = Tanh(x)
		case "maxout":
			dims := x.Shape().Dimensions
			x = ReduceMax(Reshape(x, dims[0], dims[1]/n.Maxout, n.Maxout), 2)
		}
	}
	if n.Output == "sigmoid" {
		x = Sigmoid(x)
	}
	return x
}

// nonNegative is [x ≥ 0] as 0/1 values of x's dtype; no gradient flows
// through it.
func nonNegative(x *Node) *Node {
	return ConvertDType(GreaterOrEqual(x, ZerosLike(x)), x.DType())
}
