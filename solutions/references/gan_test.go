package references

import (
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/klcourse/klcourse/pkg/exercise"
	. "github.com/klcourse/klcourse/pkg/gan"
	"github.com/klcourse/klcourse/pkg/graphx"
)

// TestGANReferencesMatchTheLecture: the critic's reference loss is minus the
// bound of gan.Divergence.BoundTerms (the lecture's, in float64), and the
// minimax generator loss minus its second term, on every case.
func TestGANReferencesMatchTheLecture(t *testing.T) {
	b := useExpected(t, Exercise)
	for _, d := range []Divergence{ForwardKL, ReverseKL} {
		for _, c := range ExerciseCases(d, true) {
			ev, err := graphx.Evaluate(b, criticLoss(d), c.Inputs...)
			if err != nil {
				t.Fatal(err)
			}
			_, fake, bound := d.BoundTerms(c.Inputs[0].([]float64), c.Inputs[1].([]float64))
			if !near(ev.Value[0], -bound) {
				t.Errorf("%s, %s: critic loss %g, −bound %g", d.Name, c.Name, ev.Value[0], -bound)
			}
			g, err := graphx.Evaluate(b, minimaxLoss(d), c.Inputs[1])
			if err != nil {
				t.Fatal(err)
			}
			if !near(g.Value[0], -fake) {
				t.Errorf("%s, %s: generator loss %g, −E_Q[f*(g_f(v))] %g", d.Name, c.Name, g.Value[0], -fake)
			}
		}
	}
}

// The answers a student may write, by hand from the formulas (not from the
// package's unexported losses), and the hint each wrong one must get.
func TestExerciseChecks(t *testing.T) {
	b := useExpected(t, Exercise)
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
		{"f for f* (reverse)", ReverseKL, func(r, f *Node) *Node { return Neg(Sub(ReduceAllMean(g(r)), ReduceAllMean(Neg(Log(g(f)))))) }, "NaN for every input: it takes the logarithm of a negative number"},
		{"log(t) in f* (reverse)", ReverseKL, func(r, f *Node) *Node {
			return Neg(Sub(ReduceAllMean(g(r)), ReduceAllMean(SubScalar(Neg(Log(g(f))), 1))))
		}, "the minus sign inside f*'s logarithm is missing"},
		{"no g_f", ReverseKL, func(r, f *Node) *Node { return Neg(Sub(ReduceAllMean(r), ReduceAllMean(fstar(f)))) }, "activation g_f is missing"},
		{"real and fake swapped", ReverseKL, func(r, f *Node) *Node { return rklD(f, r) }, "data and generated samples are swapped"},
		{"sum", ForwardKL, func(r, f *Node) *Node { return Neg(Sub(ReduceAllSum(r), ReduceAllSum(Exp(AddScalar(f, -1))))) }, "summed"},
		{"stub", ForwardKL, func(r, f *Node) *Node { return exercise.Todo(r) }, "not done yet"},
	} {
		res := CheckDiscriminatorLoss(b, "dLoss"+map[string]string{ForwardKL.Name: "ForwardKL", ReverseKL.Name: "ReverseKL"}[c.d.Name], c.d, c.fn)
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
		{"f for f* (reverse)", ReverseKL, func(f *Node) *Node { return Neg(ReduceAllMean(Neg(Log(g(f))))) }, "f and f* are swapped"},
		{"stub", ReverseKL, func(f *Node) *Node { return exercise.Todo(f) }, "not done yet"},
		{"no g_f", ReverseKL, func(f *Node) *Node { return Neg(ReduceAllMean(fstar(f))) }, "activation g_f is missing"},
	} {
		res := CheckGeneratorLoss(b, "gLoss"+map[string]string{ForwardKL.Name: "ForwardKL", ReverseKL.Name: "ReverseKL"}[c.d.Name], c.d, c.fn)
		if !strings.Contains(res.Report, c.want) || res.Passed != (c.want == "PASS") {
			t.Errorf("generator, %s: want %q, got:\n%s", c.name, c.want, res.Report)
		}
	}
	for _, c := range []struct {
		name string
		fn   gfn
		want string
	}{
		{"alternative", func(f *Node) *Node { return Neg(ReduceAllMean(f)) }, "PASS"},
		{"minimax", fklG, "minimax loss"},
		{"sign", func(f *Node) *Node { return ReduceAllMean(f) }, "sign is flipped"},
	} {
		res := CheckGeneratorLoss(b, "gLossAlternative", ForwardKL, c.fn)
		if !strings.Contains(res.Report, c.want) || res.Passed != (c.want == "PASS") {
			t.Errorf("alternative generator loss, %s: want %q, got:\n%s", c.name, c.want, res.Report)
		}
	}
	if !LossesDone(b, fklD, fklG) || LossesDone(b, fklD, func(f *Node) *Node { return exercise.Todo(f) }) {
		t.Error("LossesDone does not tell the stubs from answers")
	}
	if r := CheckGeneratorLoss(b, "gLoss", GAN, fklG); r.Passed || !strings.Contains(r.Report, "not GAN") {
		t.Errorf("GAN is not part of the exercise: %s", r.Report)
	}
}
