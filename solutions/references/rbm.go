package references

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
	"github.com/klcourse/klcourse/pkg/graphx"
	"github.com/klcourse/klcourse/pkg/rbm"
)

// Exercise 4 (solutions/04_rbm_cd.ipynb): the free energy of a binary–binary
// RBM and the contrastive-divergence loss.

// rbmFreeEnergy is the reference: −b·v − Σ_j softplus(c_j + (vW)_j), with
// graphx.Softplus, max(x, 0) + log1p(e^−|x|) with its exact gradient σ(x).
func rbmFreeEnergy(v, w, b, c *Node) *Node {
	x := Add(MatMul(v, w), InsertAxes(c, 0))
	return Neg(Add(ReduceSum(Mul(v, InsertAxes(b, 0)), -1), ReduceSum(graphx.Softplus(x), -1)))
}

// rbmCDLoss is the reference CD loss: mean F(v) − mean F(vk), vk held
// constant.
func rbmCDLoss(v, vk, w, b, c *Node) *Node {
	return Sub(ReduceAllMean(rbmFreeEnergy(v, w, b, c)), ReduceAllMean(rbmFreeEnergy(StopGradient(vk), w, b, c)))
}

const softplusHint = "softplus written as log(1 + exp(x)) overflows: exp(x) is +Inf in float32 once x > 88. " +
	"Use max(x, 0) + log1p(exp(−|x|)), which is the same function and never overflows."

func freeEnergyMistakes() []exercise.Mistake[func([]*Node) *Node] {
	args := rbm.FreeEnergyArgs
	return []exercise.Mistake[func([]*Node) *Node]{
		{Fn: args(func(v, w, b, c *Node) *Node { return Neg(rbmFreeEnergy(v, w, b, c)) }),
			Hint: "the sign is flipped: F(v) = −b·v − Σ_j softplus(c_j + (vW)_j). Low free energy means high probability, p(v) ∝ exp(−F(v))."},
		{Fn: args(func(v, w, b, c *Node) *Node {
			return Sub(rbmFreeEnergy(v, w, b, c), Neg(ReduceSum(Mul(v, InsertAxes(b, 0)), -1)))
		}), Hint: "the visible-bias term −b·v is missing."},
		{Fn: args(func(v, w, b, c *Node) *Node {
			x := Add(MatMul(v, w), InsertAxes(c, 0))
			return Neg(Add(ReduceSum(Mul(v, InsertAxes(b, 0)), -1), ReduceSum(Sigmoid(x), -1)))
		}), Hint: "σ(c + vW) is p(h = 1 | v), the probability of the hidden units; the free energy sums the hidden units out: Σ_j log(1 + exp(c_j + (vW)_j))."},
		{Fn: args(func(v, w, b, c *Node) *Node {
			x := Add(MatMul(v, w), InsertAxes(c, 0))
			return Neg(Add(ReduceSum(Mul(v, InsertAxes(b, 0)), -1), ReduceSum(Log(OnePlus(Exp(x))), -1)))
		}), Hint: softplusHint},
	}
}

func cdLossMistakes() []exercise.Mistake[func([]*Node) *Node] {
	args := rbm.CDLossArgs
	meanF := func(v, w, b, c *Node) *Node { return ReduceAllMean(rbmFreeEnergy(v, w, b, c)) }
	return []exercise.Mistake[func([]*Node) *Node]{
		{Fn: args(func(v, vk, w, b, c *Node) *Node { return Neg(rbmCDLoss(v, vk, w, b, c)) }),
			Hint: "the whole loss is negated: you wrote mean F(chain) − mean F(data). The loss is mean F(data) − mean F(chain): minimising it lowers the free energy of the data and raises it where the chain went."},
		{Fn: args(func(v, vk, w, b, c *Node) *Node {
			return Add(meanF(v, w, b, c), meanF(StopGradient(vk), w, b, c))
		}), Hint: "the negative phase is added: you wrote mean F(data) + mean F(chain). It is subtracted, mean F(data) − mean F(chain) — the chain's free energy is pushed up, not down."},
		{Fn: args(func(v, vk, w, b, c *Node) *Node {
			return Sub(meanF(v, w, b, c), meanF(vk, w, b, c))
		}), Hint: "the value is right, but the gradient flows back through the chain: vk depends on W and b, and CD treats it as a fixed sample. Use graph.StopGradient(vk)."},
		{Fn: args(func(v, vk, w, b, c *Node) *Node {
			return rbmCDLoss(v, ConvertDType(GreaterThan(vk, Scalar(vk.Graph(), vk.DType(), 0.5)), vk.DType()), w, b, c)
		}), Hint: "vk is already what the chain gives — the probabilities p(v = 1 | h) of its last step (Hinton's recipe: use probabilities, not samples, at the last visible update). Use it as it is; don't round it to 0/1."},
		{Fn: args(func(v, vk, w, b, c *Node) *Node {
			return Sub(ReduceAllSum(rbmFreeEnergy(v, w, b, c)), ReduceAllSum(rbmFreeEnergy(StopGradient(vk), w, b, c)))
		}), Hint: "you summed over the batch; take the mean (graph.ReduceAllMean), so that the learning rate does not depend on the batch size."},
	}
}

// RBM returns the expected values of exercise 4's checks, freeEnergy and
// cdLoss.
func RBM(backend compute.Backend) ([]exercise.Expected, error) {
	return all(
		func() (exercise.Expected, error) {
			return exercise.Expect(backend, "freeEnergy", rbm.FreeEnergyArgs(rbmFreeEnergy), freeEnergyMistakes(), rbm.FreeEnergyCases()...)
		},
		func() (exercise.Expected, error) {
			return exercise.Expect(backend, "cdLoss", rbm.CDLossArgs(rbmCDLoss), cdLossMistakes(), rbm.CDLossCases()...)
		})
}
