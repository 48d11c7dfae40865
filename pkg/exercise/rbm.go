package exercise

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
)

// The self-checks of exercise 4 (solutions/04_rbm_cd.ipynb): the free energy
// of a binary–binary RBM and the contrastive-divergence loss. Their
// references are unexported, so that the student's graded cell cannot call
// them.

// FreeEnergyFn is the student's free energy: F(v) [batch] of the visible
// states v [batch, V] for weights w [V, H], visible biases b [V] and hidden
// biases c [H].
type FreeEnergyFn = func(v, w, b, c *Node) *Node

// CDLossFn is the student's CD loss: mean F(v) − mean F(vk) for the data v
// and the end vk of the Gibbs chain, both [batch, V].
type CDLossFn = func(v, vk, w, b, c *Node) *Node

// rbmFreeEnergy is the reference: −b·v − Σ_j softplus(c_j + (vW)_j), with
// the softplus max(x, 0) + log1p(e^−|x|) (the gradient is exact away from
// x = 0, where the test inputs never are).
func rbmFreeEnergy(v, w, b, c *Node) *Node {
	x := Add(MatMul(v, w), InsertAxes(c, 0))
	softplus := Add(Max(x, ZerosLike(x)), Log1p(Exp(Neg(Abs(x)))))
	return Neg(Add(ReduceSum(Mul(v, InsertAxes(b, 0)), -1), ReduceSum(softplus, -1)))
}

// rbmCDLoss is the reference CD loss, the chain's end held constant.
func rbmCDLoss(v, vk, w, b, c *Node) *Node {
	return Sub(ReduceAllMean(rbmFreeEnergy(v, w, b, c)), ReduceAllMean(rbmFreeEnergy(StopGradient(vk), w, b, c)))
}

// rbmChainEnd is one Gibbs step from v with the hidden units sampled by the
// uniform noise u [batch, H] and the visible units left as probabilities,
// p(v = 1 | h): it depends on w and b, so that a loss that does not hold it
// constant gets a different gradient.
func rbmChainEnd(v, u, w, b, c *Node) *Node {
	h := ConvertDType(LessThan(u, Sigmoid(Add(MatMul(v, w), InsertAxes(c, 0)))), v.DType())
	return Sigmoid(Add(MatMul(h, Transpose(w, 0, 1)), InsertAxes(b, 0)))
}

func freeEnergyArgs(f FreeEnergyFn) func([]*Node) *Node {
	return func(x []*Node) *Node { return f(x[0], x[1], x[2], x[3]) }
}

// cdLossArgs evaluates a CD loss on inputs v, u, w, b, c, with the chain's
// end computed from them in the graph.
func cdLossArgs(f CDLossFn) func([]*Node) *Node {
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

const softplusHint = "softplus written as log(1 + exp(x)) overflows: exp(x) is +Inf in float32 once x > 88. " +
	"Use max(x, 0) + log1p(exp(−|x|)), which is the same function and never overflows."

// CheckFreeEnergy checks the student's free energy of a binary–binary RBM,
// value and gradient with respect to v, w, b and c, and prints PASS or what
// differs, with a hint for the common mistakes.
func CheckFreeEnergy(backend compute.Backend, student FreeEnergyFn) Result {
	moderate, large := rbmCases()
	naive := func(v, w, b, c *Node) *Node {
		x := Add(MatMul(v, w), InsertAxes(c, 0))
		return Neg(Add(ReduceSum(Mul(v, InsertAxes(b, 0)), -1), ReduceSum(Log(OnePlus(Exp(x))), -1)))
	}
	mistakes := []Mistake[func([]*Node) *Node]{
		{Fn: freeEnergyArgs(func(v, w, b, c *Node) *Node { return Neg(rbmFreeEnergy(v, w, b, c)) }),
			Hint: "the sign is flipped: F(v) = −b·v − Σ_j softplus(c_j + (vW)_j). Low free energy means high probability, p(v) ∝ exp(−F(v))."},
		{Fn: freeEnergyArgs(func(v, w, b, c *Node) *Node {
			return Sub(rbmFreeEnergy(v, w, b, c), Neg(ReduceSum(Mul(v, InsertAxes(b, 0)), -1)))
		}), Hint: "the visible-bias term −b·v is missing."},
		{Fn: freeEnergyArgs(func(v, w, b, c *Node) *Node {
			x := Add(MatMul(v, w), InsertAxes(c, 0))
			return Neg(Add(ReduceSum(Mul(v, InsertAxes(b, 0)), -1), ReduceSum(Sigmoid(x), -1)))
		}), Hint: "σ(c + vW) is p(h = 1 | v), the probability of the hidden units; the free energy sums the hidden units out: Σ_j log(1 + exp(c_j + (vW)_j))."},
		{Fn: freeEnergyArgs(naive), Hint: softplusHint},
	}
	return Check(backend, "freeEnergy", freeEnergyArgs(student), freeEnergyArgs(rbmFreeEnergy), mistakes,
		Case{Name: "a 5×3 RBM, 3 visible vectors", Inputs: moderate},
		Case{Name: "large weights (hidden inputs up to ~100)", Inputs: large})
}

// CheckCDLoss checks the student's CD loss: its value, and its gradient with
// respect to w, b and c when vk comes out of a Gibbs step that depends on
// them. It prints PASS or what differs, with hints.
func CheckCDLoss(backend compute.Backend, student CDLossFn) Result {
	moderate, large := rbmCases()
	u := [][]float32{{0.2, 0.9, 0.5}, {0.7, 0.1, 0.4}, {0.45, 0.6, 0.05}}
	withNoise := func(in []any) []any { return []any{in[0], u, in[1], in[2], in[3]} }
	mistakes := []Mistake[func([]*Node) *Node]{
		{Fn: cdLossArgs(func(v, vk, w, b, c *Node) *Node { return Neg(rbmCDLoss(v, vk, w, b, c)) }),
			Hint: "the sign of the negative phase: the loss is mean F(data) − mean F(chain). Minimising it lowers the free energy of the data and raises it where the chain went."},
		{Fn: cdLossArgs(func(v, vk, w, b, c *Node) *Node {
			return Sub(ReduceAllMean(rbmFreeEnergy(v, w, b, c)), ReduceAllMean(rbmFreeEnergy(vk, w, b, c)))
		}), Hint: "the value is right, but the gradient flows back through the chain: vk depends on W and b, and CD treats it as a fixed sample. Use graph.StopGradient(vk)."},
		{Fn: cdLossArgs(func(v, vk, w, b, c *Node) *Node {
			return rbmCDLoss(v, ConvertDType(GreaterThan(vk, Scalar(vk.Graph(), vk.DType(), 0.5)), vk.DType()), w, b, c)
		}), Hint: "vk is already what the chain gives — the probabilities p(v = 1 | h) of its last step (Hinton's recipe: use probabilities, not samples, at the last visible update). Use it as it is; don't round it to 0/1."},
		{Fn: cdLossArgs(func(v, vk, w, b, c *Node) *Node {
			return Sub(ReduceAllSum(rbmFreeEnergy(v, w, b, c)), ReduceAllSum(rbmFreeEnergy(StopGradient(vk), w, b, c)))
		}), Hint: "you summed over the batch; take the mean (graph.ReduceAllMean), so that the learning rate does not depend on the batch size."},
	}
	return Check(backend, "cdLoss", cdLossArgs(student), cdLossArgs(rbmCDLoss), mistakes,
		Case{Name: "a 5×3 RBM, a batch of 3", Inputs: withNoise(moderate), WRT: []int{2, 3, 4}},
		Case{Name: "large weights", Inputs: withNoise(large), WRT: []int{2, 3, 4}})
}
