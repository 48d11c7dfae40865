package grade

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// answerKeySolution writes a solution notebook whose questions each forbid
// the same references; the test fills each answer cell with another way of
// reaching them (or of not reaching them).
func answerKeySolution(t *testing.T, questions []string, forbid map[string][]string) string {
	t.Helper()
	cell := func(id, src string, meta map[string]any, tags ...string) map[string]any {
		md := map[string]any{}
		if meta != nil {
			md["klcourse"] = meta
		}
		if len(tags) > 0 {
			md["tags"] = tags
		}
		return map[string]any{"cell_type": "code", "id": id, "metadata": md, "source": src, "outputs": []any{}, "execution_count": nil}
	}
	cells := []any{
		cell("imports", "import (\n\t\"github.com/gomlx/gomlx/core/graph\"\n\t\"github.com/klcourse/klcourse/pkg/klloss\"\n)", nil),
		cell("locked", "// refTable is the self-check's reference, in a cell of the instructor's.\nvar refTable = []func(p, l *graph.Node) *graph.Node{klloss.ForwardKLFromLogits}\n\nvar _ = refTable", nil),
	}
	for _, q := range questions {
		src := "func " + q + "(p, l *graph.Node) *graph.Node {\n\t// BEGIN SOLUTION stub: return p\n\treturn graph.Neg(p)\n\t// END SOLUTION\n}"
		cells = append(cells,
			cell(q, src, map[string]any{"question": q, "points": 1, "forbid": forbid[q]}),
			cell(q+"-test", "%%\n_ = "+q, map[string]any{"question": q}, "selfcheck"))
	}
	nb := map[string]any{"cells": cells, "metadata": map[string]any{"kernelspec": map[string]any{"name": "gonb", "display_name": "Go (gonb)", "language": "go"}}, "nbformat": 4, "nbformat_minor": 5}
	data, _ := json.Marshal(nb)
	p := filepath.Join(t.TempDir(), "answerkey.ipynb")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAnswerKeyResolved checks that the answer-key check follows every way a
// student's answer can reach a forbidden reference, and blames only the
// question whose graded function reaches it.
func TestAnswerKeyResolved(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks a program against the course's packages (go list -export)")
	}
	root, _ := filepath.Abs("../..")
	ref := []string{"klloss.ForwardKLFromLogits", "klloss.KerasPerExample", "refTable"}
	// Each answer and the forbidden names it must be found to reach.
	cases := []struct {
		q, answer string
		want      []string
	}{
		{"direct", "func direct(p, l *graph.Node) *graph.Node { return klloss.ForwardKLFromLogits(p, l) }", []string{"klloss.ForwardKLFromLogits"}},
		{"renamed", "import kl \"github.com/klcourse/klcourse/pkg/klloss\"\n\nfunc renamed(p, l *graph.Node) *graph.Node { return kl.ForwardKLFromLogits(p, l) }", []string{"klloss.ForwardKLFromLogits"}},
		{"dot", "import . \"github.com/klcourse/klcourse/pkg/klloss\"\n\nfunc dot(p, l *graph.Node) *graph.Node { return ForwardKLFromLogits(p, l) }", []string{"klloss.ForwardKLFromLogits"}},
		// A function value kept in a variable of another cell of the student's.
		{"alias", "func alias(p, l *graph.Node) *graph.Node { return myKL(p, l) }", []string{"klloss.ForwardKLFromLogits"}},
		// A helper in another cell, called through a closure.
		{"helper", "func helper(p, l *graph.Node) *graph.Node { f := func() *graph.Node { return viaHelper(p, l) }; return f() }", []string{"klloss.ForwardKLFromLogits"}},
		// A method value of a type of the student's.
		{"method", "func method(p, l *graph.Node) *graph.Node { g := lossBox{}.loss; return g(p, l) }", []string{"klloss.ForwardKLFromLogits"}},
		// A variable set by an init function.
		{"init", "func init() { hook = klloss.ForwardKLFromLogits }\n\nfunc init_(p, l *graph.Node) *graph.Node { return hook(p, l) }", nil},
		// A function of the course's packages that calls the reference.
		{"pkgcall", "func pkgcall(p, l *graph.Node) *graph.Node { return klloss.Keras(p, l) }", []string{"klloss.KerasPerExample"}},
		// The instructor's reference variable, indexed.
		{"plain", "func plain(p, l *graph.Node) *graph.Node { return refTable[0](p, l) }", []string{"refTable"}},
		// The false positives of a text match: a local variable named like the
		// reference, the name in a string and a comment.
		{"shadow", "func shadow(p, l *graph.Node) *graph.Node {\n\trefTable := 2.0 // klloss.ForwardKLFromLogits\n\t_ = \"klloss.ForwardKLFromLogits\"\n\treturn graph.MulScalar(p, refTable)\n}", nil},
		// Question own: right, and must not lose its points because question
		// other (which does not forbid it) calls own's reference.
		{"own", "func own(p, l *graph.Node) *graph.Node { return graph.Neg(graph.ReduceSum(graph.Mul(p, graph.LogSoftmax(l)), -1)) }", nil},
		{"other", "func other(p, l *graph.Node) *graph.Node { return klloss.ForwardKLFromLogits(p, l) }", nil},
	}
	var qs []string
	forbid := map[string][]string{}
	sub := &Submitted{Cells: map[string]string{}}
	for _, c := range cases {
		name := c.q
		if name == "init" {
			name = "init_"
		}
		qs = append(qs, name)
		if c.q != "other" {
			forbid[name] = ref
		} else {
			forbid[name] = []string{"klloss.ReverseKLFromLogits"}
		}
		sub.Cells[name] = c.answer
		sub.Order = append(sub.Order, name)
	}
	// The student's extra cell, with the helpers.
	sub.Cells["extra"] = `var myKL = klloss.ForwardKLFromLogits

func viaHelper(p, l *graph.Node) *graph.Node { return myKL(p, l) }

type lossBox struct{}

func (lossBox) loss(p, l *graph.Node) *graph.Node { return klloss.ForwardKLFromLogits(p, l) }

var hook func(p, l *graph.Node) *graph.Node`
	sub.Order = append(sub.Order, "extra")
	spec, err := LoadSpec(answerKeySolution(t, qs, forbid))
	if err != nil {
		t.Fatal(err)
	}
	p, err := buildProgram(spec, sub, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := newWorkspace(root)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.remove()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, msgs, err := ws.build(ctx, p); err != nil || msgs != "" {
		t.Fatalf("the program does not build: %v\n%s", err, msgs)
	}
	start := time.Now()
	v, err := ws.resolveViolations(ctx, spec, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("resolved in %v", time.Since(start))
	for _, c := range cases {
		name := c.q
		want := c.want
		if name == "init" {
			name, want = "init_", []string{"klloss.ForwardKLFromLogits"}
		}
		got := v[name]
		slices.Sort(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: reaches %v, want %v", name, got, want)
		}
	}
}
