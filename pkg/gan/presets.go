package gan

// PostConfig is the blog post's experiment with the divergence d and the
// generator loss l: the generator maps 10 uniform noise coordinates through
// one dense layer to 2 and a sigmoid; the critic is 2–32–32–1 with leaky
// ReLU (slope 0.01, JAX's default) and no output activation (the post's
// critic ends in a sigmoid: one of its mistakes); Adam with learning rates
// 5·10⁻⁴ (critic) and 10⁻⁴ (generator), batch 64. The post trains 7000
// steps.
func PostConfig(d Divergence, l GeneratorLoss, data [][2]float64, seed uint64) Config {
	return Config{
		Divergence: d, GeneratorLoss: l,
		Generator:     Net{Output: "sigmoid"},
		Discriminator: Net{Hidden: []int{32, 32}, Activation: "leaky_relu"},
		NoiseDim:      10, Noise: Uniform, Batch: 64,
		LRDiscriminator: 5e-4, LRGenerator: 1e-4,
		Seed: seed, Data: data,
	}
}

// MixtureConfig is the course's MLP GAN for the 8-ring and the 25-grid: a
// generator 2–128–128–2 (ReLU) from two standard normal noise coordinates,
// a critic (2·pack)–128–128–1 (leaky ReLU, slope 0.2), initial weights from
// N(0, 0.02²) with zero biases (PacGAN's initialisation), Adam with learning
// rate 10⁻³ and β₁ = 0.5 for both players, batch 128 (packs). PacGAN's own
// networks are larger (a 4×400 ReLU generator with batch normalisation, a
// 3×200 maxout critic with 5 pieces), train with learning rate 10⁻⁴ and
// β₁ = 0.8 for 400 epochs of 100 000 points at batch 100 (400 000 steps);
// these are sized for two CPU cores.
func MixtureConfig(d Divergence, l GeneratorLoss, pack int, data [][2]float64, seed uint64) Config {
	return Config{
		Divergence: d, GeneratorLoss: l, Pack: pack,
		Generator:     Net{Hidden: []int{128, 128}, Activation: "relu"},
		Discriminator: Net{Hidden: []int{128, 128}, Activation: "leaky_relu", LeakySlope: 0.2},
		NoiseDim:      2, Noise: Normal, Batch: 128,
		LRDiscriminator: 1e-3, LRGenerator: 1e-3, Beta1: 0.5, InitStd: 0.02,
		Seed: seed, Data: data,
	}
}
