package rbm

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
)

// The self-checks of exercise 4 (solutions/04_rbm_cd.ipynb): the free energy
// of a binary–binary RBM and the contrastive-divergence loss. They compare
// with the expected values in exercises/04_rbm_cd.checks.json; the
// references and the known mistakes are the solution's
// (solutions/references), not shipped with the course.

// Exercise is the name of exercise 4's notebook and expected values.
const Exercise = "04_rbm_cd"

// FreeEnergyFn is the student's free energy: F(v) [batch] of the visible
// states v [batch, V] for weights w [V, H], visible biases b [V] and hidden
// biases c [H].
type FreeEnergyFn = func(v, w, b, c *Node) *Node

// CDLossFn is the student's CD loss: mean F(v) − mean F(vk) for the data v
// and the end vk of the Gibbs chain, both [batch, V].
type CDLossFn = func(v, vk, w, b, c *Node) *Node

// rbmChainEnd is one Gibbs step from v with the hidden units sampled by the
// uniform noise u [batch, H] and the visible units left as probabilities,
// p(v = 1 | h): it depends on w and b, so that a loss that does not hold it
// constant gets a different gradient.
func rbmChainEnd(v, u, w, b, c *Node) *Node {
	h := ConvertDType(LessThan(u, Sigmoid(Add(MatMul(v, w), InsertAxes(c, 0)))), v.DType())
	return Sigmoid(Add(MatMul(h, Transpose(w, 0, 1)), InsertAxes(b, 0)))
}

// FreeEnergyArgs adapts a free energy to the inputs of FreeEnergyCases:
// v, w, b, c.
func FreeEnergyArgs(f FreeEnergyFn) func([]*Node) *Node {
	return func(x []*Node) *Node { return f(x[0], x[1], x[2], x[3]) }
}

// CDLossArgs adapts a CD loss to the inputs of CDLossCases: v, u, w, b, c,
// with the chain's end computed from them in the graph (one Gibbs step whose
// hidden units are sampled by the uniform noise u).
func CDLossArgs(f CDLossFn) func([]*Node) *Node {
	return func(x []*Node) *Node {
		v, u, w, b, c := x[0], x[1], x[2], x[3], x[4]
		return f(v, rbmChainEnd(v, u, w, b, c), w, b, c)
	}
}

// rbmCases are the fixed inputs: a moderate RBM (V = 5, H = 3) and one whose
// hidden inputs reach about 107, where e^x overflows float32.
func rbmCases() (moderate, large []any) {
	v := [][]float32{{1, 0, 1, 1, 0}, {0, 1, 1, 0, 1}, {1, 1, 0, 0, 0}}
	w := [][]float32{{0.3, -0.7, 0.2}, {-0.4, 0.5, 0.9}, {0.8, 0.1, -0.6}, {-0.2, 0.6, 0.4}, {0.5, -0.3, 0.7}}
	b := []float32{0.1, -0.2, 0.3, -0.4, 0.25}
	c := []float32{-0.15, 0.35, 0.05}
	big := make([][]float32, len(w))
	for i := range w {
		big[i] = make([]float32, len(w[i]))
		for j := range w[i] {
			big[i][j] = 40 * w[i][j]
		}
	}
	return []any{v, w, b, c}, []any{v, big, b, []float32{9.5, 95.5, -3.5}}
}

// FreeEnergyCases are the inputs of the free-energy check (v, w, b, c),
// compared on the value and the gradient with respect to all four.
func FreeEnergyCases() []exercise.Case {
	moderate, large := rbmCases()
	return []exercise.Case{
		{Name: "a 5×3 RBM, 3 visible vectors", Inputs: moderate},
		{Name: "large weights (hidden inputs up to ~100)", Inputs: large},
	}
}

// CDLossCases are the inputs of the CD-loss check (v, u, w, b, c; see
// CDLossArgs), compared on the value and the gradient with respect to w, b
// and c.
func CDLossCases() []exercise.Case {
	moderate, large := rbmCases()
	u := [][]float32{{0.2, 0.9, 0.5}, {0.7, 0.1, 0.4}, {0.45, 0.6, 0.05}}
	withNoise := func(in []any) []any { return []any{in[0], u, in[1], in[2], in[3]} }
	return []exercise.Case{
		{Name: "a 5×3 RBM, a batch of 3", Inputs: withNoise(moderate), WRT: []int{2, 3, 4}},
		{Name: "large weights", Inputs: withNoise(large), WRT: []int{2, 3, 4}},
	}
}

// CheckFreeEnergy checks the student's free energy of a binary–binary RBM,
// value and gradient with respect to v, w, b and c, against the expected
// values, and prints PASS or what differs, with a hint for the common
// mistakes.
func CheckFreeEnergy(backend compute.Backend, student FreeEnergyFn) exercise.Result {
	return exercise.CheckExpected(backend, Exercise, "freeEnergy", FreeEnergyArgs(student), FreeEnergyCases()...)
}

// CheckCDLoss checks the student's CD loss: its value, and its gradient with
// respect to w, b and c when vk comes out of a Gibbs step that depends on
// them. It prints PASS or what differs, with hints.
func CheckCDLoss(backend compute.Backend, student CDLossFn) exercise.Result {
	return exercise.CheckExpected(backend, Exercise, "cdLoss", CDLossArgs(student), CDLossCases()...)
}

// CDLossDone reports whether the student's CD loss (and the free energy it
// calls) is written: the training cell of exercise 4 trains only then.
func CDLossDone(backend compute.Backend, student CDLossFn) bool {
	return exercise.Done(backend, CDLossArgs(student), CDLossCases()[0])
}
