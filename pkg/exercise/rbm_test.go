package exercise

import (
	"io"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
)

// TestRBMChecks: the references pass, the stub is "not done", and each known
// mistake — written the way a student would — gets its hint.
func TestRBMChecks(t *testing.T) {
	Output = io.Discard
	be := goBackend(t)
	stableFE := func(v, w, b, c *Node) *Node {
		x := Add(MatMul(v, w), InsertAxes(c, 0))
		sp := Add(Max(x, ZerosLike(x)), Log1p(Exp(Neg(Abs(x)))))
		return Sub(Neg(ReduceSum(Mul(v, InsertAxes(b, 0)), -1)), ReduceSum(sp, -1))
	}
	naiveFE := func(v, w, b, c *Node) *Node {
		x := Add(MatMul(v, w), InsertAxes(c, 0))
		return Sub(Neg(ReduceSum(Mul(v, InsertAxes(b, 0)), -1)), ReduceSum(Log(AddScalar(Exp(x), 1)), -1))
	}
	for _, tc := range []struct {
		name string
		fn   FreeEnergyFn
		want string
	}{
		{"student's stable version", stableFE, "PASS"},
		{"stub", func(v, w, b, c *Node) *Node { return Todo(v) }, "not done yet"},
		{"naive softplus", naiveFE, "overflows"},
		{"sign", func(v, w, b, c *Node) *Node { return Neg(stableFE(v, w, b, c)) }, "sign is flipped"},
		{"no visible bias", func(v, w, b, c *Node) *Node { return stableFE(v, w, ZerosLike(b), c) }, "visible-bias term"},
	} {
		if r := CheckFreeEnergy(be, tc.fn); !strings.Contains(r.Report, tc.want) {
			t.Errorf("freeEnergy, %s: report lacks %q:\n%s", tc.name, tc.want, r.Report)
		}
	}
	cd := func(v, vk, w, b, c *Node) *Node {
		return Sub(ReduceAllMean(stableFE(v, w, b, c)), ReduceAllMean(stableFE(StopGradient(vk), w, b, c)))
	}
	for _, tc := range []struct {
		name string
		fn   CDLossFn
		want string
	}{
		{"student's version", cd, "PASS"},
		{"stub", func(v, vk, w, b, c *Node) *Node { return Todo(v) }, "not done yet"},
		{"negated", func(v, vk, w, b, c *Node) *Node { return Neg(cd(v, vk, w, b, c)) }, "sign of the negative phase"},
		{"no StopGradient", func(v, vk, w, b, c *Node) *Node {
			return Sub(ReduceAllMean(stableFE(v, w, b, c)), ReduceAllMean(stableFE(vk, w, b, c)))
		}, "StopGradient"},
		{"rounded", func(v, vk, w, b, c *Node) *Node {
			return cd(v, Round(vk), w, b, c)
		}, "don't round it"},
		{"sum", func(v, vk, w, b, c *Node) *Node { return MulScalar(cd(v, vk, w, b, c), 3) }, "summed over the batch"},
	} {
		if r := CheckCDLoss(be, tc.fn); !strings.Contains(r.Report, tc.want) {
			t.Errorf("cdLoss, %s: report lacks %q:\n%s", tc.name, tc.want, r.Report)
		}
	}
}
