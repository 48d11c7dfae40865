package diffusion

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
)

// Denoiser is the network ε_θ(x_t, t) that predicts the noise in x_t: a
// multilayer perceptron on the point and a sinusoidal embedding of the step,
//
//	e(t) = (sin(ω_1 t), …, sin(ω_K t), cos(ω_1 t), …, cos(ω_K t)),  ω_k = 10000^(−(k−1)/K),
//	h_0 = (x_t, e(t)),  h_l = SiLU(W_l h_{l−1} + b_l) for l = 1 … Layers,  ε_θ = W h_L + b,
//
// with Hidden units per layer and K = Frequencies (the embedding of the
// Transformer, as DDPM uses it). SiLU(x) = x·sigmoid(x).
type Denoiser struct {
	Dim         int // of the data: 2 for points in the plane
	Hidden      int
	Layers      int
	Frequencies int
}

// SmallDenoiser is the lecture's network: 2-D data, 3 hidden layers of 128
// units, 16 frequencies (a 32-dimensional time embedding).
func SmallDenoiser() Denoiser { return Denoiser{Dim: 2, Hidden: 128, Layers: 3, Frequencies: 16} }

func (d Denoiser) validate() error {
	if d.Dim < 1 || d.Hidden < 1 || d.Layers < 1 || d.Frequencies < 1 {
		return fmt.Errorf("diffusion: denoiser %+v: want every size ≥ 1", d)
	}
	return nil
}

// Params returns the number of weights of the network.
func (d Denoiser) Params() int {
	in := d.Dim + 2*d.Frequencies
	n := (in + 1) * d.Hidden
	n += (d.Layers - 1) * (d.Hidden + 1) * d.Hidden
	return n + (d.Hidden+1)*d.Dim
}

// TimeEmbedding returns e(t), [batch, 2·Frequencies], for the steps t
// ([batch], any float or integer dtype), in dtype of x's.
func (d Denoiser) TimeEmbedding(t *graph.Node, like *graph.Node) *graph.Node {
	g := t.Graph()
	freqs := make([]float64, d.Frequencies)
	for k := range freqs {
		freqs[k] = math.Pow(10000, -float64(k)/float64(d.Frequencies))
	}
	tf := graph.ConvertDType(t, like.DType())
	if tf.Rank() == 1 {
		tf = graph.InsertAxes(tf, -1)
	}
	arg := graph.Mul(tf, graph.ConvertDType(graph.InsertAxes(graph.Const(g, freqs), 0), like.DType())) // [batch, K]
	return graph.Concatenate([]*graph.Node{graph.Sin(arg), graph.Cos(arg)}, -1)
}

// Eps returns ε_θ(x, t), [batch, Dim], for points x [batch, Dim] and steps t
// [batch]. Its weights live in scope "denoiser".
func (d Denoiser) Eps(scope *model.Scope, x, t *graph.Node) *graph.Node {
	if x.Rank() != 2 || x.Shape().Dimensions[1] != d.Dim {
		panic(fmt.Errorf("diffusion: the denoiser takes points shaped [batch, %d], got %s", d.Dim, x.Shape()))
	}
	scope = scope.In("denoiser")
	h := graph.Concatenate([]*graph.Node{x, d.TimeEmbedding(t, x)}, -1)
	for l := range d.Layers {
		h = activation.Swish(layers.Dense(scope.In("hidden%d", l), h, true, d.Hidden))
	}
	return layers.Dense(scope.In("output"), h, true, d.Dim)
}

// qSample returns √ᾱ_t x0 + √(1 − ᾱ_t) eps for steps t [batch].
func qSample(sqrtAB, sqrt1mAB []float64, x0, t, eps *graph.Node) *graph.Node {
	return graph.Add(graph.Mul(Lookup(sqrtAB, t, x0), x0), graph.Mul(Lookup(sqrt1mAB, t, x0), eps))
}

// Lookup returns table[t_i] for the integer steps t ([batch], int32), shaped
// [batch, 1] in like's dtype, so that it multiplies points shaped [batch, d]
// row by row: how a graph reads a schedule (Beta, Alpha, AlphaBar, indexed by
// the step itself) at the steps of a batch.
func Lookup(table []float64, t, like *graph.Node) *graph.Node {
	g := like.Graph()
	c := graph.ConvertDType(graph.Const(g, table), like.DType())
	idx := graph.InsertAxes(t, -1) // [batch, 1]
	return graph.InsertAxes(graph.Gather(c, idx), -1)
}
