package flow

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/phi4"
)

// actionGraph is the action of theory t as graph code: for φ shaped [batch, L, L] it
// returns S for each configuration, shaped [batch]. It is the same formula as
// phi4.Theory.Action, written with the lattice shifts, so that GoMLX can differentiate it
// (the flow's reverse-KL loss needs ∂S/∂φ through the samples).
func actionGraph(t phi4.Theory, phi *Node) *Node {
	dims := phi.Shape().Dimensions
	if len(dims) != 3 || dims[1] != t.L || dims[2] != t.L {
		panic(fmt.Sprintf("flow: actionGraph: φ has shape %s, want [batch, %d, %d]", phi.Shape(), t.L, t.L))
	}
	kinetic := ZerosLike(phi)
	for _, axis := range []int{1, 2} {
		lap := Sub(MulScalar(phi, 2), Add(phi4.Roll(phi, axis, 1), phi4.Roll(phi, axis, -1)))
		kinetic = Add(kinetic, Mul(phi, lap))
	}
	phi2 := Square(phi)
	density := Add(kinetic, Add(MulScalar(phi2, t.M2), MulScalar(Square(phi2), t.Lambda)))
	return ReduceSum(density, 1, 2)
}

// It is unexported on purpose: the exercise of lecture 8 asks students to
// write it.
