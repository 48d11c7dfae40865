package klloss

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Reduction is the reduction argument of torch.nn.functional.kl_div.
type Reduction int

const (
	// ReductionNone returns the pointwise terms, shaped like the input.
	ReductionNone Reduction = iota
	// ReductionSum returns the sum of all pointwise terms.
	ReductionSum
	// ReductionMean returns the sum of all pointwise terms divided by their
	// number: PyTorch's default, and not a KL (see TorchKLDiv).
	ReductionMean
	// ReductionBatchMean returns the sum of all pointwise terms divided by the
	// dimension of axis 0: the mean KL per example for inputs shaped
	// [batch, ...].
	ReductionBatchMean
)

// String returns the name PyTorch uses for r: "none", "sum", "mean" or
// "batchmean".
func (r Reduction) String() string {
	switch r {
	case ReductionNone:
		return "none"
	case ReductionSum:
		return "sum"
	case ReductionMean:
		return "mean"
	case ReductionBatchMean:
		return "batchmean"
	}
	return fmt.Sprintf("Reduction(%d)", int(r))
}

// TorchKLDiv returns torch.nn.functional.kl_div(input, target,
// reduction=reduction, log_target=logTarget) (PyTorch 1.13). The input is
// log Q, the model's log-probabilities; the target is P, or log P if logTarget
// is set. The pointwise terms are
//
//	ℓ = target·(log target − input)        logTarget false (xlogy: ℓ = 0 where target = 0)
//	ℓ = exp(target)·(target − input)       logTarget true
//
// which sum to KL(P‖Q) over the support. input and target are float, of equal
// shape and dtype, of any rank (a scalar included). The reductions:
//
//   - ReductionNone: ℓ itself, shaped like input.
//   - ReductionSum: Σ ℓ over all elements.
//   - ReductionMean (PyTorch's default): Σ ℓ / N, N the number of elements.
//   - ReductionBatchMean: Σ ℓ / n, n the dimension of axis 0 (Σ ℓ for a
//     scalar input, as PyTorch).
//
// ReductionMean is misleading: for inputs shaped [batch, K] it is the mean KL
// per example divided once more by K, so its value depends on the number of
// classes (or grid points) and is not the KL of anything; PyTorch warns about
// it and documents ReductionBatchMean as the one that "aligns with the KL
// math definition". For a one-dimensional input, as in seed 002 where the
// 1000 points of a grid are passed as a vector, mean and batchmean coincide
// and both are Σ ℓ / 1000: still not the KL of the two densities, which would
// need normalised P and Q and the grid spacing as weight.
//
// Zeros: with logTarget false, a target of exactly 0 contributes 0 with a zero
// gradient (double Where, see the package documentation), also where
// input = −Inf, where PyTorch returns NaN (0·∞); likewise with logTarget true
// for a target of −Inf. A negative target gives NaN, as in PyTorch. The
// gradient with respect to input is −target (−exp(target) with logTarget)
// times the reduction's factor.
func TorchKLDiv(input, target *Node, reduction Reduction, logTarget bool) *Node {
	const fn = "TorchKLDiv"
	if input == nil || target == nil {
		exceptions.Panicf("klloss.%s: input and target must not be nil", fn)
	}
	if !input.DType().IsFloat() || !input.Shape().Equal(target.Shape()) {
		exceptions.Panicf("klloss.%s: input and target must be float with the same shape and dtype, got %s and %s",
			fn, input.Shape(), target.Shape())
	}
	var pointwise *Node
	if logTarget {
		g := target.Graph()
		zero := Equal(target, Infinity(g, target.DType(), -1))
		safeTarget := Where(zero, ZerosLike(target), target)
		pointwise = weightedLogRatio(Exp(safeTarget), safeTarget, input, zero)
	} else {
		zero := isZero(target)
		pointwise = weightedLogRatio(target, safeLog(target, zero), input, zero)
	}
	switch reduction {
	case ReductionNone:
		return pointwise
	case ReductionSum:
		return ReduceAllSum(pointwise)
	case ReductionMean:
		return ReduceAllMean(pointwise)
	case ReductionBatchMean:
		if input.IsScalar() {
			return pointwise
		}
		return Div(ReduceAllSum(pointwise), ConvertDType(DimensionSize(input, 0), input.DType()))
	}
	exceptions.Panicf("klloss.%s: unknown reduction %s", fn, reduction)
	return nil
}
