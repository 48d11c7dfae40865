// Package toy2d holds the two-dimensional toy distributions on which GANs,
// diffusion models and flows are usually tested, with their exact densities,
// their entropy, and the metrics that measure how many of their modes a
// generator covers.
//
// # The targets
//
// Every target is a mixture.Bivariate, so that samples (Sample), exact
// log-densities (LogPDF, LogGrid), moments and affine maps come from
// pkg/mixture:
//
//   - Ring8: 8 equally weighted isotropic Gaussians with means
//     (cos 2πi/8, sin 2πi/8), i = 0…7, on the circle of radius 1, standard
//     deviation σ = 0.01 — the "2D-ring" of PacGAN (Lin et al. 2018, the
//     configuration of its Table 1, synthetic_data_experiments/2DRing in the
//     authors' code), which follows VEEGAN (Srivastava et al. 2017).
//     Some widely copied code for this benchmark (from the unrolled-GAN
//     experiments) places the means at linspace(0, 2π, 8), whose first and
//     last angles coincide: that ring has only 7 distinct modes. Ring uses
//     2πi/k.
//   - Grid25: 25 equally weighted isotropic Gaussians with means
//     (−4 + 2i, −4 + 2j), i, j = 0…4, σ = 0.05 — PacGAN's "2D-grid".
//   - TwoClusters: the blog post's mixture
//     0.75·N((0.5, 2), diag(4, 1.5)) + 0.25·N((9, 9), diag(1, 3))
//     (mixture.TwoClusters). The post rescales its data to [0, 1] by the
//     overall minimum and maximum of a sample, one scale for both axes:
//     MinMax finds them, Rescale maps points, and RescaleMixture gives the
//     exact density of the rescaled data.
//
// # Entropy
//
// The differential entropy H(p) = −∫ p log p has no closed form for a
// mixture. EntropyMC estimates it as the mean of −log p(X) over samples of p,
// with its standard error. EntropySeparated gives the closed-form upper bound
//
//	H(p) ≤ Σᵢ wᵢ (−log wᵢ + ½ log((2πe)² det Σᵢ)),
//
// which is exact in the limit of separated components: for Ring8 and Grid25
// the two agree to far below the Monte Carlo error.
//
// # Mode coverage (VEEGAN, PacGAN)
//
// Coverage assigns each generated point to the component nearest in
// Mahalanobis distance, √((x−μᵢ)ᵀ Σᵢ⁻¹ (x−μᵢ)) (for isotropic components the
// distance in units of σ), and calls it a high-quality sample when that
// distance is below 3. It reports, as PacGAN's code does: the number of
// modes with at least one high-quality sample (Covered), the share of
// high-quality samples (HighQuality), and the KL divergence from the
// histogram h of high-quality samples over the modes to the mixture weights
// w, KL(h ‖ w) = Σᵢ hᵢ log(hᵢ/wᵢ), which for equal weights is the KL to the
// uniform histogram, log K − H(h) (PacGAN's "reverse KL").
//
// # Two-sample distance
//
// EnergyDistance is the (squared) energy distance of Székely and Rizzo,
//
//	E(P, Q) = 2 E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖,  X, X′ ~ P, Y, Y′ ~ Q,
//
// which is ≥ 0 and zero exactly when P = Q; estimated from two sample sets
// with unbiased within-sample means (U-statistics), so that its expectation
// is exactly E(P, Q) and it can come out slightly negative when P = Q.
package toy2d
