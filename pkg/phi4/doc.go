// Package phi4 is the scalar φ⁴ field theory on a two-dimensional periodic
// lattice: its action and force, a Hybrid Monte Carlo sampler, and the
// observables with autocorrelation-aware errors.
//
// A configuration is a real number φ_x on each site x of an L×L lattice with
// periodic boundaries, stored row-major in a []float64 of length V = L².
// Its Euclidean action is
//
//	S[φ] = Σ_x [ Σ_μ φ_x (2φ_x − φ_{x+μ} − φ_{x−μ}) + m² φ_x² + λ φ_x⁴ ],
//
// μ running over the two lattice directions. The kinetic term is the lattice
// Laplacian; summed over x it equals Σ_x Σ_μ (φ_{x+μ} − φ_x)², the squared
// forward difference counted once per link (equivalently φ_x(φ_x − φ_{x+μ})
// counted twice). The gradient is
//
//	∂S/∂φ_x = 2 Σ_μ (2φ_x − φ_{x+μ} − φ_{x−μ}) + 2m² φ_x + 4λ φ_x³.
//
// The Boltzmann weight p(φ) = e^{−S[φ]}/Z has an unknown normalisation Z.
// With m² < 0 the on-site potential m²φ² + λφ⁴ has two minima ±√(−m²/2λ);
// whether the field sits in one of them (the broken phase, ⟨|M|⟩ ≠ 0 in the
// infinite volume) or fluctuates between them (the symmetric phase) depends on
// m², λ and the hopping term 4φ_x² − 2Σ_μ φ_xφ_{x+μ}. The action is even in φ
// (a Z₂ symmetry), so ⟨M⟩ = 0 in any finite volume; in the broken phase a
// local sampler tunnels between the two vacua only rarely.
//
// The conventions follow the flow-based sampling tutorial of Albergo et al.
// (arXiv:2101.08176), whose parameters L = 8, m² = −4, λ = 8 the course uses.
package phi4
