package references

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
	"github.com/klcourse/klcourse/pkg/graphx"
	"github.com/klcourse/klcourse/pkg/rbm"
)

// TestRBMReferenceMatchesTheLecture: the reference free energy is pkg/rbm's
// (the lecture's, in float64) on the check's first case.
func TestRBMReferenceMatchesTheLecture(t *testing.T) {
	b := useExpected(t, rbm.Exercise)
	c := rbm.FreeEnergyCases()[0]
	ev, err := graphx.Evaluate(b, rbm.FreeEnergyArgs(rbmFreeEnergy), c.Inputs...)
	if err != nil {
		t.Fatal(err)
	}
	v, w, bv, cv := c.Inputs[0].([][]float32), c.Inputs[1].([][]float32), c.Inputs[2].([]float32), c.Inputs[3].([]float32)
	p := &rbm.Params{Visible: len(w), Hidden: len(w[0])}
	for _, row := range w {
		for _, x := range row {
			p.W = append(p.W, float64(x))
		}
	}
	for _, x := range bv {
		p.B = append(p.B, float64(x))
	}
	for _, x := range cv {
		p.C = append(p.C, float64(x))
	}
	for n, row := range v {
		var x []float64
		for _, e := range row {
			x = append(x, float64(e))
		}
		if got, want := ev.Value[n], p.FreeEnergy(x); !near(got, want) {
			t.Errorf("visible vector %d: reference F = %g, rbm.Params.FreeEnergy %g", n, got, want)
		}
	}
}

// TestRBMChecks: a student's correct answers pass, the stub is "not done",
// and each known mistake — written the way a student would — gets its hint.
func TestRBMChecks(t *testing.T) {
	be := useExpected(t, rbm.Exercise)
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
		fn   rbm.FreeEnergyFn
		want string
	}{
		{"student's stable version", stableFE, "PASS"},
		{"stub", func(v, w, b, c *Node) *Node { return exercise.Todo(v) }, "not done yet"},
		{"naive softplus", naiveFE, "overflows"},
		{"sign", func(v, w, b, c *Node) *Node { return Neg(stableFE(v, w, b, c)) }, "sign is flipped"},
		{"no visible bias", func(v, w, b, c *Node) *Node { return stableFE(v, w, ZerosLike(b), c) }, "visible-bias term"},
	} {
		wants(t, "freeEnergy, "+tc.name, rbm.CheckFreeEnergy(be, tc.fn), tc.want)
	}
	meanFE := func(v, w, b, c *Node) *Node { return ReduceAllMean(stableFE(v, w, b, c)) }
	cd := func(v, vk, w, b, c *Node) *Node { return Sub(meanFE(v, w, b, c), meanFE(StopGradient(vk), w, b, c)) }
	for _, tc := range []struct {
		name string
		fn   rbm.CDLossFn
		want string
	}{
		{"student's version", cd, "PASS"},
		{"stub", func(v, vk, w, b, c *Node) *Node { return exercise.Todo(v) }, "not done yet"},
		{"chain minus data", func(v, vk, w, b, c *Node) *Node {
			return Sub(meanFE(StopGradient(vk), w, b, c), meanFE(v, w, b, c))
		}, "the whole loss is negated"},
		{"data plus chain", func(v, vk, w, b, c *Node) *Node {
			return Add(meanFE(v, w, b, c), meanFE(StopGradient(vk), w, b, c))
		}, "the negative phase is added"},
		{"no StopGradient", func(v, vk, w, b, c *Node) *Node { return Sub(meanFE(v, w, b, c), meanFE(vk, w, b, c)) }, "StopGradient"},
		{"rounded", func(v, vk, w, b, c *Node) *Node { return cd(v, Round(vk), w, b, c) }, "don't round it"},
		{"sum", func(v, vk, w, b, c *Node) *Node { return MulScalar(cd(v, vk, w, b, c), 3) }, "summed over the batch"},
	} {
		wants(t, "cdLoss, "+tc.name, rbm.CheckCDLoss(be, tc.fn), tc.want)
	}
	if rbm.CDLossDone(be, func(v, vk, w, b, c *Node) *Node { return exercise.Todo(v) }) || !rbm.CDLossDone(be, cd) {
		t.Error("CDLossDone does not tell the stub from an answer")
	}
}
