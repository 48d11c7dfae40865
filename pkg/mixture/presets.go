package mixture

// Bimodal is the one-dimensional target of the Gaussian-fitting lecture (seed
// 002): the normalised mixture ½ N(−5, 1) + ½ N(10, 1).
//
// The seed itself plots and fits P(x) = N(x; −5, 1) + N(x; 10, 1), the sum of
// the two densities without weights. That curve is 2·Bimodal().PDF(x) and
// integrates to 2, not 1, so it is not a probability density, and divergences
// computed from it are wrong: with p = Bimodal(),
//
//	∫ 2p log(2p/q) dx = 2 KL(p ‖ q) + 2 log 2,   ∫ q log(q/(2p)) dx = KL(q ‖ p) − log 2.
//
// The course therefore uses the normalised mixture.
// The seed's grid is Linspace(−15, 15, 1000).
func Bimodal() Univariate {
	return Univariate{Components: []Component{
		{Weight: 0.5, Mean: -5, StdDev: 1},
		{Weight: 0.5, Mean: 10, StdDev: 1},
	}}
}

// TwoClusters is the two-dimensional data distribution of the
// forward/reverse-KL and GAN lecture (seed 003):
//
//	0.75 · N((0.5, 2), diag(4, 1.5)) + 0.25 · N((9, 9), diag(1, 3)).
//
// Its mean is (2.625, 3.75) and its covariance [[16.796875, 11.15625],
// [11.15625, 11.0625]]: the parameters of the lecture's maximum-likelihood
// Gaussian (MomentMatched). The components are uncorrelated, the mixture is
// not: its correlation, 0.82, comes from the distance between the means. The seed draws
// exactly 75 % and 25 % of each batch from the two components and then
// rescales all data to [0, 1] by its overall minimum and maximum; Sample
// draws each point's component at random, and Affine gives the exact density
// of rescaled data.
func TwoClusters() Bivariate {
	return Bivariate{Components: []Component2{
		{Weight: 0.75, Mean: [2]float64{0.5, 2}, Cov: [2][2]float64{{4, 0}, {0, 1.5}}},
		{Weight: 0.25, Mean: [2]float64{9, 9}, Cov: [2][2]float64{{1, 0}, {0, 3}}},
	}}
}
