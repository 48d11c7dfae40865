// Package graphx holds the small graph primitives that several of the
// course's models share, each written once, and Evaluate, which runs a graph
// function once and returns its value and gradients as Go slices (what the
// lectures print and the exercises' self-checks compare):
//
//   - [Softplus], log(1 + eˣ) without overflow and with its exact derivative
//     σ(x); [StableSoftplus], its value for graphs that are not
//     differentiated through it; [Softplus64], the same in Go float64;
//   - [Bernoulli], 0/1 samples with given probabilities, from a scope's
//     random number generator;
//   - [LogSumExp] and [LogMeanExp] along an axis, with the maximum taken out
//     so that neither overflows nor underflows;
//   - [LogStandardNormal] and [LogDiagonalNormal], the log-density of a
//     normal distribution with a diagonal covariance.
//
// Each is written so that it runs on every backend the course uses (ONNX
// Runtime lacks IsFinite, which GoMLX's Softplus needs), and the tests
// compare each with its definition in float64.
package graphx
