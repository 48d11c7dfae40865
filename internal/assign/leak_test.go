package assign

import (
	"testing"

	"github.com/klcourse/klcourse/internal/notebook"
)

// The answer of exercise 8's first task, and the self-check cell that once
// showed it with other names and layout.
const (
	actionAnswer = `	kinetic := graph.ZerosLike(phi)
	for _, axis := range []int{1, 2} {
		neighbours := graph.Add(phi4.Roll(phi, axis, 1), phi4.Roll(phi, axis, -1))
		kinetic = graph.Add(kinetic, graph.Mul(phi, graph.Sub(graph.MulScalar(phi, 2), neighbours)))
	}
	phi2 := graph.Square(phi)
	potential := graph.Add(graph.MulScalar(phi2, m2), graph.MulScalar(graph.Square(phi2), lambda))
	return graph.ReduceSum(graph.Add(kinetic, potential), 1, 2)`
	actionSelfCheck = `lattice := func(phi *graph.Node, kineticWeight, quartic float64, power int) *graph.Node {
	kin := graph.ZerosLike(phi)
	for _, axis := range []int{1, 2} {
		kin = graph.Add(kin, graph.Mul(phi, graph.Sub(graph.MulScalar(phi, 2), graph.Add(phi4.Roll(phi, axis, 1), phi4.Roll(phi, axis, -1)))))
	}
	phiP := graph.Square(phi)
	if power == 4 {
		phiP = graph.Square(phiP)
	}
	pot := graph.Add(graph.MulScalar(graph.Square(phi), m2), graph.MulScalar(phiP, quartic))
	return graph.ReduceSum(graph.Add(graph.MulScalar(kin, kineticWeight), pot), 1, 2)
}`
	essAnswer = `	w := graph.Exp(graph.Sub(logW, graph.StopGradient(graph.ReduceAllMax(logW))))
	n := float64(logW.Shape().Dimensions[0])
	return graph.Div(graph.Square(graph.ReduceAllSum(w)), graph.MulScalar(graph.ReduceAllSum(graph.Square(w)), n))`
)

func TestShowsAnswer(t *testing.T) {
	renamed := `weights := graph.Exp(graph.Sub(lw, graph.StopGradient(graph.ReduceAllMax(lw))))
	size := float64(lw.Shape().Dimensions[0])
	return graph.Div(graph.Square(graph.ReduceAllSum(weights)), graph.MulScalar(graph.ReduceAllSum(graph.Square(weights)), size))`
	for _, tc := range []struct {
		name, answer, text string
		want               bool
	}{
		{"the answer itself", essAnswer, essAnswer, true},
		{"renamed", essAnswer, renamed, true},
		{"in printed text", essAnswer, "hint: the reference is\n" + renamed + "\n", true},
		{"rewritten in a self-check", actionAnswer, actionSelfCheck, true},
		{"a check against expected values", essAnswer, `r := exercise.CheckValues(b, "ess", ess, expected)
fmt.Println(r)`, false},
		{"another function", actionAnswer, essAnswer, false},
		{"too short to tell", "return x", "return x", false},
	} {
		if got := ShowsAnswer(tc.answer, tc.text); got != tc.want {
			t.Errorf("%s: ShowsAnswer = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAnswerCode(t *testing.T) {
	nb, err := notebook.Parse([]byte(`{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`))
	if err != nil {
		t.Fatal(err)
	}
	nb.Cells = append(nb.Cells,
		notebook.NewCell("markdown", "<!-- BEGIN SOLUTION -->\nprose\n<!-- END SOLUTION -->"),
		notebook.NewCell("code", "func ess(logW *graph.Node) *graph.Node {\n\t// BEGIN SOLUTION stub: return exercise.Todo(logW)\n"+essAnswer+"\n\t// END SOLUTION\n}"),
		notebook.NewCell("code", "%%\n// BEGIN SOLUTION\nanswer := 42\n// END SOLUTION\nfmt.Println(answer)"))
	got, err := AnswerCode(nb)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != essAnswer || got[1] != "answer := 42" {
		t.Errorf("AnswerCode = %q", got)
	}
}
