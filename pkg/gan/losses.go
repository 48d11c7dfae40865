package gan

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
)

// GeneratorLoss chooses what the generator minimises.
type GeneratorLoss int

const (
	// Minimax is the generator's side of the min–max game,
	// −E_Q[f*(g_f(v(G(z))))]: the part of the bound that depends on the
	// generator. Against the optimal critic its gradient is the gradient of
	// D_f(P‖Q_θ) (the envelope theorem), so the generator descends the
	// divergence it is named after. For the GAN it is E_Q[log(1 − D)], which
	// saturates: where D confidently rejects the samples, D ≈ 0, its
	// gradient vanishes.
	Minimax GeneratorLoss = iota
	// NonSaturating is Nowozin et al.'s alternative, −E_Q[g_f(v(G(z)))]; for
	// the GAN it is Goodfellow's −E_Q[log D], strong where D ≈ 0. Against the
	// optimal critic it has the same fixed point as Minimax for the GAN, but
	// not the same gradient: for other divergences it descends another one
	// (for the forward KL, the reverse KL).
	NonSaturating
)

func (l GeneratorLoss) String() string {
	switch l {
	case Minimax:
		return "minimax"
	case NonSaturating:
		return "non-saturating"
	}
	return fmt.Sprintf("GeneratorLoss(%d)", int(l))
}

// discriminatorLoss is the critic's loss, the negated variational bound
// −(E_P[g_f(v)] − E_Q[f*(g_f(v))]), from the raw outputs on data (vReal)
// and on generated points (vFake), each of any shape.
func discriminatorLoss(d Divergence, vReal, vFake *Node) *Node {
	return Neg(Sub(ReduceAllMean(d.Activation(vReal)), ReduceAllMean(d.fake(vFake))))
}

// generatorLoss is the generator's loss of the given kind from the critic's
// raw outputs on generated points.
func generatorLoss(d Divergence, kind GeneratorLoss, vFake *Node) *Node {
	if kind == NonSaturating {
		return Neg(ReduceAllMean(d.Activation(vFake)))
	}
	return Neg(ReduceAllMean(d.fake(vFake)))
}
