// Package convnet holds the convolutional image classifier of the CIFAR-10
// exercise (solutions/02_cifar10_kl_losses.ipynb), [CNN], as a GoMLX graph
// builder: a small struct holding its sizes, a constructor that returns the
// summer-school notebook's configuration ([SeedCNN]), and [CNN.Logits],
// which builds the network inside a [model.Scope]. Variables are created on
// first use with Keras's default initialisation (Glorot-uniform weights,
// zero biases), so that training starts where the original's did.
//
// The CNN is written so that it runs fast on ONNX Runtime and on the pure-Go
// backend, which have no efficient convolution gradients: see [CNN.Logits]
// for how, and [CNN.LayersLogits] for the same network built from GoMLX's
// standard layers, which the tests compare it with.
package convnet
