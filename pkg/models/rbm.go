package models

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train"
)

// RBM is a binary-binary restricted Boltzmann machine with Visible units v
// and Hidden units h, weights W [Visible, Hidden], visible biases b and
// hidden biases c. Its energy and free energy are
//
//	E(v, h) = −b·v − c·h − v·W·h,
//	F(v) = −log Σ_h exp(−E(v, h)) = −b·v − Σ_j softplus(c_j + (v·W)_j),
//
// and its conditionals factorise into p(h_j = 1 | v) = σ(c_j + (v·W)_j) and
// p(v_i = 1 | h) = σ(b_i + (W·h)_i). The variables live in scope "rbm":
// "weights", "visible_bias" and "hidden_bias".
type RBM struct {
	Visible, Hidden int
}

// SeedRBM returns the RBM of seed 001: 784 visible units (28×28 binarised
// MNIST) and 500 hidden units.
func SeedRBM() RBM {
	return RBM{Visible: 784, Hidden: 500}
}

// params returns W, b and c, creating them as the seed does: W from
// N(0, 0.01²), zero biases.
func (r RBM) params(scope *model.Scope, g *Graph, dtype dtypes.DType) (w, b, c *Node) {
	scope = scope.In("rbm")
	w = scope.WithInitializer(initializer.RandomNormalFn(scope, 0.01)).
		VariableWithShape("weights", shapes.Make(dtype, r.Visible, r.Hidden)).NodeValue(g)
	b = scope.WithInitializer(initializer.Zero).VariableWithShape("visible_bias", shapes.Make(dtype, r.Visible)).NodeValue(g)
	c = scope.WithInitializer(initializer.Zero).VariableWithShape("hidden_bias", shapes.Make(dtype, r.Hidden)).NodeValue(g)
	return w, b, c
}

// FreeEnergy returns F(v) [batch] for visible states v [batch, Visible].
func (r RBM) FreeEnergy(scope *model.Scope, v *Node) *Node {
	r.check(v)
	w, b, c := r.params(scope, v.Graph(), v.DType())
	return r.freeEnergy(v, hiddenInput(v, w, c), b)
}

// freeEnergy is F(v) given the hidden units' input c + v·W.
func (r RBM) freeEnergy(v, hiddenIn, b *Node) *Node {
	return Neg(Add(ReduceSum(Mul(v, InsertAxes(b, 0)), -1), ReduceSum(softplus(hiddenIn), -1)))
}

// hiddenInput is c + v·W, [batch, Hidden].
func hiddenInput(v, w, c *Node) *Node {
	return Add(MatMul(v, w), InsertAxes(c, 0))
}

// Reconstruct runs one step of Gibbs sampling from v: it samples h ~ p(h|v)
// and returns p(v = 1 | h), [batch, Visible].
func (r RBM) Reconstruct(scope *model.Scope, v *Node) *Node {
	r.check(v)
	w, b, c := r.params(scope, v.Graph(), v.DType())
	h := bernoulli(scope, Sigmoid(hiddenInput(v, w, c)))
	return Sigmoid(Add(MatMul(h, Transpose(w, 0, 1)), InsertAxes(b, 0)))
}

// ContrastiveDivergence returns the CD-k loss for the visible states v
// [batch, Visible]: mean F(v) − mean F(v_k), where v_k is the end of a Gibbs
// chain of k steps started at v (h ~ p(h|v), then v ~ p(v|h), k times) and
// is held constant. Its gradient with respect to W, b and c is the CD-k
// estimate of the gradient of the negative log-likelihood of v. It also
// returns p(v = 1 | h) of the chain's last step, the reconstruction that
// v_k was sampled from.
func (r RBM) ContrastiveDivergence(scope *model.Scope, v *Node, k int) (loss, reconstruction *Node) {
	r.check(v)
	if k < 1 {
		panic(fmt.Errorf("models.RBM: contrastive divergence needs k >= 1 Gibbs steps, got %d", k))
	}
	w, b, c := r.params(scope, v.Graph(), v.DType())
	wT, bRow := StopGradient(Transpose(w, 0, 1)), InsertAxes(StopGradient(b), 0)
	in0 := hiddenInput(v, w, c) // shared by the first sample and F(v)
	vk, in := v, in0
	for step := range k {
		if step > 0 {
			in = hiddenInput(vk, w, c)
		}
		h := bernoulli(scope, Sigmoid(StopGradient(in)))
		reconstruction = Sigmoid(Add(MatMul(h, wT), bRow))
		vk = StopGradient(bernoulli(scope, reconstruction))
	}
	loss = Sub(ReduceAllMean(r.freeEnergy(v, in0, b)), ReduceAllMean(r.freeEnergy(vk, hiddenInput(vk, w, c), b)))
	return loss, reconstruction
}

// Train is a model function for train.Trainer, to be used with no loss
// function (pass nil) and the seed's optimizer, SGD with learning rate 0.1.
// Its input is a batch of images [batch, Visible] with intensities in
// [0, 1]; as in the seed, each step binarises them by sampling
// v ~ Bernoulli(intensity) and adds the CD-1 loss to the trainer's loss. It
// returns the reconstruction p(v = 1 | h) of the Gibbs step, for metrics.
func (r RBM) Train(scope *model.Scope, images *Node) *Node {
	v := StopGradient(bernoulli(scope, images))
	loss, reconstruction := r.ContrastiveDivergence(scope, v, 1)
	train.AddMainLoss(loss)
	return reconstruction
}

// bernoulli samples 0/1 values with the probabilities p, using the store's
// random number generator.
func bernoulli(scope *model.Scope, p *Node) *Node {
	u := scope.RandomUniform(p.Graph(), p.Shape())
	return ConvertDType(LessThan(u, p), p.DType())
}

func (r RBM) check(v *Node) {
	if s := v.Shape(); s.Rank() != 2 || s.Dimensions[1] != r.Visible || !s.DType.IsFloat() {
		panic(fmt.Errorf("models.RBM: visible states must be float [batch, %d], got %s", r.Visible, s))
	}
}
