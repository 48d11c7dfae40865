// Package models builds the networks the course trains, as GoMLX graph
// builders that notebooks and the course tool share:
//
//   - [CNN], the CIFAR-10 classifier of the first exercise (seed 000);
//   - [VAE], the variational autoencoder on MNIST with a two-dimensional
//     latent space (seed 004);
//   - [RBM], the binary-binary restricted Boltzmann machine trained with
//     contrastive divergence (seed 001).
//
// Each model is a small struct holding its sizes, with a constructor that
// returns the seed's configuration, and methods that build the graph inside
// a [model.Scope]. Variables are created on first use with Keras's default
// initialisation (Glorot-uniform weights, zero biases) where the seed used
// Keras, so that training starts where the seed's did.
//
// The CNN is written so that it runs fast on ONNX Runtime and on the pure-Go
// backend, which have no efficient convolution gradients: see [CNN.Logits]
// for how, and [CNN.LayersLogits] for the same network built from GoMLX's
// standard layers, which the tests compare it with.
package models
