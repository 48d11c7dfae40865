package gan

import (
	"io"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
)

// The answers a student may write, by hand from the formulas (not from the
// package's unexported losses), and the hint each wrong one must get.
func TestExerciseChecks(t *testing.T) {
	exercise.Output = io.Discard
	b := goBackend(t)
	// Forward KL: g_f(v) = v, f*(t) = exp(t − 1), f(u) = u log u.
	fklD := func(r, f *Node) *Node { return Neg(Sub(ReduceAllMean(r), ReduceAllMean(Exp(AddScalar(f, -1))))) }
	fklG := func(f *Node) *Node { return Neg(ReduceAllMean(Exp(AddScalar(f, -1)))) }
	// Reverse KL: g_f(v) = −exp(−v), f*(t) = −1 − log(−t), f(u) = −log u.
	g := func(v *Node) *Node { return Neg(Exp(Neg(v))) }
	fstar := func(t *Node) *Node { return SubScalar(Neg(Log(Neg(t))), 1) }
	rklD := func(r, f *Node) *Node { return Neg(Sub(ReduceAllMean(g(r)), ReduceAllMean(fstar(g(f))))) }
	rklG := func(f *Node) *Node { return Neg(ReduceAllMean(fstar(g(f)))) }

	type dfn = func(r, f *Node) *Node
	for _, c := range []struct {
		name string
		d    Divergence
		fn   dfn
		want string
	}{
		{"forward KL", ForwardKL, fklD, "PASS"},
		{"reverse KL", ReverseKL, rklD, "PASS"},
		{"forward written for reverse", ReverseKL, fklD, "forward and reverse are swapped"},
		{"reverse written for forward", ForwardKL, rklD, "forward and reverse are swapped"},
		{"sign", ForwardKL, func(r, f *Node) *Node { return Neg(fklD(r, f)) }, "sign is flipped"},
		{"f for f* (forward)", ForwardKL, func(r, f *Node) *Node { return Neg(Sub(ReduceAllMean(r), ReduceAllMean(Mul(f, Log(f))))) }, "f and f* are swapped"},
		{"f for f* (reverse)", ReverseKL, func(r, f *Node) *Node { return Neg(Sub(ReduceAllMean(g(r)), ReduceAllMean(Neg(Log(g(f)))))) }, "f and f* are swapped"},
		{"no g_f", ReverseKL, func(r, f *Node) *Node { return Neg(Sub(ReduceAllMean(r), ReduceAllMean(fstar(f)))) }, "activation g_f is missing"},
		{"real and fake swapped", ReverseKL, func(r, f *Node) *Node { return rklD(f, r) }, "data and generated samples are swapped"},
		{"sum", ForwardKL, func(r, f *Node) *Node { return Neg(Sub(ReduceAllSum(r), ReduceAllSum(Exp(AddScalar(f, -1))))) }, "summed"},
		{"stub", ForwardKL, func(r, f *Node) *Node { return exercise.Todo(r) }, "not done yet"},
	} {
		res := CheckDiscriminatorLoss(b, "dLoss", c.d, c.fn)
		if !strings.Contains(res.Report, c.want) || res.Passed != (c.want == "PASS") {
			t.Errorf("critic, %s: want %q, got:\n%s", c.name, c.want, res.Report)
		}
	}
	type gfn = func(f *Node) *Node
	for _, c := range []struct {
		name string
		d    Divergence
		fn   gfn
		want string
	}{
		{"forward KL", ForwardKL, fklG, "PASS"},
		{"reverse KL", ReverseKL, rklG, "PASS"},
		{"swapped", ForwardKL, rklG, "forward and reverse are swapped"},
		{"sign", ReverseKL, func(f *Node) *Node { return Neg(rklG(f)) }, "sign of the generator's objective"},
		{"non-saturating", ForwardKL, func(f *Node) *Node { return Neg(ReduceAllMean(f)) }, "non-saturating"},
		{"f for f*", ForwardKL, func(f *Node) *Node { return Neg(ReduceAllMean(Mul(f, Log(f)))) }, "f and f* are swapped"},
		{"no g_f", ReverseKL, func(f *Node) *Node { return Neg(ReduceAllMean(fstar(f))) }, "activation g_f is missing"},
	} {
		res := CheckGeneratorLoss(b, "gLoss", c.d, c.fn)
		if !strings.Contains(res.Report, c.want) || res.Passed != (c.want == "PASS") {
			t.Errorf("generator, %s: want %q, got:\n%s", c.name, c.want, res.Report)
		}
	}
	if r := CheckGeneratorLoss(b, "gLoss", GAN, fklG); r.Passed || !strings.Contains(r.Report, "not GAN") {
		t.Errorf("GAN is not part of the exercise: %s", r.Report)
	}
}
