package vae

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/klcourse/klcourse/pkg/fit"
	"github.com/klcourse/klcourse/pkg/models"
)

// BernoulliNLL returns, for each row of the targets x [batch, d] (values in
// [0, 1]) and the decoder's logits ℓ [batch, d], the negative log-likelihood
// −log p(x|z) = Σ_i softplus(ℓ_i) − x_i·ℓ_i = Σ_i −x_i log σ(ℓ_i) − (1 − x_i) log(1 − σ(ℓ_i)),
// in nats: 784 times Keras's binary_crossentropy, PyTorch's
// binary_cross_entropy_with_logits(reduction="sum") per row. For grey-level
// targets (x_i not 0 or 1) it is a cross-entropy, not the log-likelihood of
// any distribution over the images.
func BernoulliNLL(x, logits *Node) *Node {
	return models.BinaryCrossEntropySum(x, logits)
}

// KLToStandardNormal returns, for each row of mean and logVar [batch, d],
// KL(N(mean, diag(exp(logVar))) ‖ N(0, I)) = ½ Σ_k (mean_k² + exp(logVar_k) − 1 − logVar_k)
// in nats.
func KLToStandardNormal(mean, logVar *Node) *Node {
	return models.KLToStandardNormal(mean, logVar)
}

// Reparameterise returns z = mean + exp(logVar/2)·eps: with eps ~ N(0, I),
// a sample of N(mean, diag(exp(logVar))) through which gradients flow to
// mean and logVar. eps may have more leading axes than mean (k samples per
// row: eps [k, batch, d] with mean [batch, d]).
func Reparameterise(mean, logVar, eps *Node) *Node {
	sd := Exp(MulScalar(logVar, 0.5))
	for eps.Rank() > mean.Rank() {
		mean, sd = InsertAxes(mean, 0), InsertAxes(sd, 0)
	}
	if eps.Rank() != mean.Rank() {
		panic(fmt.Errorf("vae.Reparameterise: eps %s has fewer axes than mean %s", eps.Shape(), mean.Shape()))
	}
	mean = BroadcastToDims(mean, eps.Shape().Dimensions...)
	sd = BroadcastToDims(sd, eps.Shape().Dimensions...)
	return Add(mean, Mul(sd, eps))
}

// LogMeanExp returns log((1/n) Σ_j exp(x_j)) over axis (of size n) of x,
// computed as m + log((1/n) Σ_j exp(x_j − m)) with m the maximum over the
// axis, so that it neither overflows nor underflows: for x = (−1000, −1000)
// it is −1000, where the naive formula gives log 0 = −∞.
func LogMeanExp(x *Node, axis int) *Node {
	m := StopGradient(ReduceAndKeep(x, ReduceMax, axis))
	lme := Log(ReduceMean(Exp(Sub(x, BroadcastToDims(m, x.Shape().Dimensions...))), axis))
	return Add(lme, Squeeze(m, axis))
}

var halfLog2Pi = 0.5 * math.Log(2*math.Pi)

// LogStandardNormal returns log N(z; 0, I) summed over the last axis of z:
// −½ Σ_k z_k² − (d/2) log 2π.
func LogStandardNormal(z *Node) *Node {
	d := z.Shape().Dimensions[z.Rank()-1]
	return AddScalar(MulScalar(ReduceSum(Square(z), -1), -0.5), -float64(d)*halfLog2Pi)
}

// LogDiagonalNormal returns log N(z; mean, diag(exp(logVar))) summed over the
// last axis, given eps = (z − mean)/exp(logVar/2) (as Reparameterise took
// it): −½ Σ_k (eps_k² + logVar_k) − (d/2) log 2π. logVar [batch, d] is
// broadcast over eps's leading axes.
func LogDiagonalNormal(eps, logVar *Node) *Node {
	d := eps.Shape().Dimensions[eps.Rank()-1]
	sumLogVar := ReduceSum(logVar, -1)
	for sumLogVar.Rank() < eps.Rank()-1 {
		sumLogVar = InsertAxes(sumLogVar, 0)
	}
	sumLogVar = BroadcastToDims(sumLogVar, eps.Shape().Dimensions[:eps.Rank()-1]...)
	return AddScalar(MulScalar(Add(ReduceSum(Square(eps), -1), sumLogVar), -0.5), -float64(d)*halfLog2Pi)
}

// Binarise returns a Bernoulli sample of x (values in [0, 1]): 1 where a
// uniform draw from the scope's random number generator is below x_i, else
// 0 — dynamic binarisation, a new sample each time the graph runs. Binary
// x is returned unchanged.
func Binarise(scope *model.Scope, x *Node) *Node {
	u := scope.RandomUniform(x.Graph(), shapes.Make(x.DType(), x.Shape().Dimensions...))
	return ConvertDType(LessThan(u, x), x.DType())
}

// TermNames are the names of the terms Terms returns, in order.
var TermNames = []string{"loss", "reconstruction", "kl"}

// Terms returns the training graph of v for fit.NewGenerative: the batch
// means of loss = reconstruction + c·KL, of the reconstruction term
// BernoulliNLL and of KL(q(z|x) ‖ N(0, I)), with c = v.KL, for one
// reparameterised sample z per image. With binarise, each batch is first
// binarised afresh (Binarise), and the loss with c = 1 is then −ELBO of
// the binary images.
func Terms(v models.VAE, binarise bool) fit.TermsFn {
	return func(scope *model.Scope, x *Node) []*Node {
		if binarise {
			x = Binarise(scope, x)
		}
		p := v.Pass(scope, x)
		return []*Node{Add(p.Reconstruction, MulScalar(p.KL, v.KL)), p.Reconstruction, p.KL}
	}
}
