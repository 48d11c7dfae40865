package vae

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/klcourse/klcourse/pkg/fit"
	"github.com/klcourse/klcourse/pkg/graphx"
)

// BernoulliNLL returns, for each row of the targets x [batch, d] (values in
// [0, 1]) and the decoder's logits ℓ [batch, d], the negative log-likelihood
// −log p(x|z) = Σ_i softplus(ℓ_i) − x_i·ℓ_i = Σ_i −x_i log σ(ℓ_i) − (1 − x_i) log(1 − σ(ℓ_i)),
// in nats: 784 times Keras's binary_crossentropy, PyTorch's
// binary_cross_entropy_with_logits(reduction="sum") per row. For grey-level
// targets (x_i not 0 or 1) it is a cross-entropy, not the log-likelihood of
// any distribution over the images.
//
// It is computed as Σ_i softplus(ℓ_i) − x_i·ℓ_i, which is exact and cannot
// overflow, with softplus's exact derivative σ (graphx.Softplus).
func BernoulliNLL(x, logits *Node) *Node {
	return ReduceSum(Sub(graphx.Softplus(logits), Mul(x, logits)), -1)
}

// KLToStandardNormal returns, for each row of mean and logVar [batch, d],
// KL(N(mean, diag(exp(logVar))) ‖ N(0, I)) = ½ Σ_k (mean_k² + exp(logVar_k) − 1 − logVar_k)
// in nats.
func KLToStandardNormal(mean, logVar *Node) *Node {
	return MulScalar(ReduceSum(Sub(Add(Square(mean), Exp(logVar)), OnePlus(logVar)), -1), 0.5)
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

// TermNames are the names of the terms Terms returns, in order.
var TermNames = []string{"loss", "reconstruction", "kl"}

// Terms returns the training graph of v for fit.NewGenerative: the batch
// means of loss = reconstruction + c·KL, of the reconstruction term
// BernoulliNLL and of KL(q(z|x) ‖ N(0, I)), with c = v.KL, for one
// reparameterised sample z per image (VAE.Pass). With binarise, each batch
// is first binarised afresh (dynamic binarisation: each pixel a Bernoulli
// sample of its grey level, graphx.Bernoulli), and the loss with c = 1 is
// then −ELBO of the binary images. It is the VAE's one training graph: the
// lecture's runs (NewRun), the exercise's and the benchmark's all train it
// with pkg/fit.
func Terms(v VAE, binarise bool) fit.TermsFn {
	return func(scope *model.Scope, x *Node) []*Node {
		if binarise {
			x = graphx.Bernoulli(scope, x)
		}
		p := v.Pass(scope, x)
		return []*Node{Add(p.Reconstruction, MulScalar(p.KL, v.KL)), p.Reconstruction, p.KL}
	}
}
