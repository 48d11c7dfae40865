package vae

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// VAE is the network of the lecture's variational autoencoder (after the
// course notes' Keras program), for images flattened to Inputs values in
// [0, 1]:
//
//	encoder: x → Dense(Hidden, relu) → mean = Dense(Latent), logVar = Dense(Latent)
//	decoder: z → Dense(Hidden, relu) → Dense(Inputs, sigmoid)
//
// It models q(z|x) = N(mean, diag(exp(logVar))) and Bernoulli pixels
// p(x|z), and is trained on
//
//	loss = Inputs·BCE(x, decoder(z)) + KL·KL(q(z|x) ‖ N(0, I)),  z = mean + exp(logVar/2)·ε,  ε ~ N(0, I),
//
// averaged over the batch, where BCE is the binary cross-entropy averaged over
// the pixels (so Inputs·BCE is its sum) and, per example,
//
//	KL(q(z|x) ‖ N(0, I)) = −½ Σ_k (1 + logVar_k − mean_k² − exp(logVar_k)).
//
// With KL = 1 the loss is the negative evidence lower bound (ELBO).
type VAE struct {
	Inputs, Hidden, Latent int
	KL                     float64 // coefficient c of the KL term
}

// SeedVAE returns the lecture's VAE: 784 inputs (28×28 MNIST), 256 hidden
// units, a 2-dimensional latent space and KL coefficient 1; the lecture's
// sweep also tries 0, 0.02, 2 and 20.
func SeedVAE() VAE {
	return VAE{Inputs: 784, Hidden: 256, Latent: 2, KL: 1}
}

// Encode returns the mean and the log-variance, both [batch, Latent], of
// q(z|x) for x [batch, Inputs]. Its variables live in scope "encoder".
func (v VAE) Encode(scope *model.Scope, x *Node) (mean, logVar *Node) {
	v.check(x, v.Inputs, "x")
	scope = scope.In("encoder").WithInitializer(initializer.GlorotUniformFn(scope))
	h := activation.Relu(layers.Dense(scope.In("hidden"), x, true, v.Hidden))
	mean = layers.Dense(scope.In("mean"), h, true, v.Latent)
	logVar = layers.Dense(scope.In("log_var"), h, true, v.Latent)
	return mean, logVar
}

// DecodeLogits returns the logits [batch, Inputs] of the pixel probabilities
// of p(x|z) for z [batch, Latent]; Sigmoid turns them into the decoded image.
// Its variables live in scope "decoder".
func (v VAE) DecodeLogits(scope *model.Scope, z *Node) *Node {
	v.check(z, v.Latent, "z")
	scope = scope.In("decoder").WithInitializer(initializer.GlorotUniformFn(scope))
	h := activation.Relu(layers.Dense(scope.In("hidden"), z, true, v.Hidden))
	return layers.Dense(scope.In("output"), h, true, v.Inputs)
}

// A Pass holds one pass of a batch through the VAE.
type Pass struct {
	Mean, LogVar *Node // of q(z|x), [batch, Latent]
	Z            *Node // the sample mean + exp(logVar/2)·ε, [batch, Latent]
	Logits       *Node // of p(x|z), [batch, Inputs]; Sigmoid gives the decoded images
	// Batch means of the two terms of the loss: the reconstruction term
	// Inputs·BCE = −log p(x|z), and KL(q(z|x) ‖ N(0, I)).
	Reconstruction, KL *Node
}

// Pass encodes x [batch, Inputs], samples z with the reparameterisation
// trick (ε from the store's random number generator, so that the gradient
// flows through the mean and the log-variance), decodes z and computes the
// two terms of the loss.
func (v VAE) Pass(scope *model.Scope, x *Node) Pass {
	var p Pass
	p.Mean, p.LogVar = v.Encode(scope, x)
	eps := scope.RandomNormal(x.Graph(), shapes.Make(x.DType(), p.Mean.Shape().Dimensions...))
	p.Z = Reparameterise(p.Mean, p.LogVar, eps)
	p.Logits = v.DecodeLogits(scope, p.Z)
	p.Reconstruction = ReduceAllMean(BernoulliNLL(x, p.Logits))
	p.KL = ReduceAllMean(KLToStandardNormal(p.Mean, p.LogVar))
	return p
}

func (v VAE) check(x *Node, width int, name string) {
	if s := x.Shape(); s.Rank() != 2 || s.Dimensions[1] != width || !s.DType.IsFloat() {
		panic(fmt.Errorf("vae.VAE: %s must be float [batch, %d], got %s", name, width, s))
	}
}
