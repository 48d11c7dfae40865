package grade

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// answerNotebook writes a notebook with the given code cells (id → source).
func answerNotebook(t *testing.T, dir, name string, cells map[string]string) string {
	t.Helper()
	var list []any
	for id, src := range cells {
		list = append(list, map[string]any{"cell_type": "code", "id": id, "metadata": map[string]any{}, "source": src, "outputs": []any{}, "execution_count": nil})
	}
	data, _ := json.Marshal(map[string]any{"cells": list, "metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5})
	p := filepath.Join(dir, name+".ipynb")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSimilarity(t *testing.T) {
	root, _ := filepath.Abs("../..")
	spec, err := LoadSpec(solution02)
	if err != nil {
		t.Fatal(err)
	}
	head := "// klLoss returns KL(P‖Q) for each example.\nfunc klLoss(p, logits *graph.Node) *graph.Node {\n"
	answers := map[string]string{
		// The solution's answer with other names, comments and layout.
		"alice": head + "\t// my own work!\n\tlq := graph.LogSoftmax(logits)\n\tpos := graph.GreaterThan(p,\n\t\tgraph.ZerosLike(p))\n\tlp := graph.Log(graph.Where(pos, p, graph.OnesLike(p)))\n\treturn graph.ReduceSum(graph.Mul(p, graph.Sub(lp, lq)), -1)\n}",
		// Their own, different.
		"bob": head + "\tq := graph.Softmax(logits)\n\tterms := graph.Mul(p, graph.Log(graph.Div(graph.Add(p, graph.Scalar(p.Graph(), p.DType(), 1e-12)), q)))\n\treturn graph.ReduceSum(terms, 1)\n}",
		// Carol's, and Dave's copy of it with names changed.
		"carol": head + "\tsm := graph.Softmax(logits)\n\tmask := graph.ConvertDType(graph.GreaterThan(p, graph.ZerosLike(p)), p.DType())\n\tsafe := graph.Add(p, graph.Sub(graph.OnesLike(mask), mask))\n\treturn graph.ReduceSum(graph.Mul(mask, graph.Mul(p, graph.Log(graph.Div(safe, sm)))), -1)\n}",
		"dave":  head + "\tprobs := graph.Softmax(logits) // softmax\n\tm := graph.ConvertDType(graph.GreaterThan(p, graph.ZerosLike(p)), p.DType())\n\tsafeP := graph.Add(p, graph.Sub(graph.OnesLike(m), m))\n\n\treturn graph.ReduceSum(graph.Mul(m, graph.Mul(p, graph.Log(graph.Div(safeP, probs)))), -1)\n}",
		// The course's reference, copied from pkg/klloss.
		"eve": head + "\tz := isZero(p)\n\treturn graph.ReduceSum(weightedLogRatio(p, safeLog(p, z), graph.LogSoftmax(logits, -1), z), -1)\n}",
		// The stub as handed out.
		"frank": spec.Cells[cellIndex(spec, "c12")].Stub,
	}
	var all []*Result
	dir := t.TempDir()
	for _, s := range []string{"alice", "bob", "carol", "dave", "eve", "frank"} {
		all = append(all, &Result{Student: s, File: answerNotebook(t, dir, s, map[string]string{"c12": answers[s]})})
	}
	rep := SimilarityOf(spec, all, root)
	var got []string
	for _, p := range rep.Pairs {
		if p.Question == "kl_loss" {
			got = append(got, p.A+"~"+p.B)
		}
	}
	want := map[string]bool{"solution~alice": true, "carol~dave": true, "pkg/klloss.ForwardKLFromLogits~eve": true}
	for _, g := range got {
		switch {
		case want[g]:
			delete(want, g)
		case strings.HasPrefix(g, "pkg/klloss.") && strings.HasSuffix(g, "~eve"):
			// ForwardKL's body is ForwardKLFromLogits's: alike too.
		default:
			t.Errorf("flagged %s, which is not alike", g)
		}
	}
	for w := range want {
		t.Errorf("did not flag %s (flagged: %v)", w, got)
	}
	for _, p := range rep.Pairs {
		t.Logf("%s: %s ~ %s %.0f%% (%d shared)", p.Question, p.A, p.B, p.Percent, p.Shared)
		if p.A == "carol" && (len(p.LinesA) == 0 || !strings.Contains(p.TextB, "safeP")) {
			t.Errorf("the pair carries no lines or texts: %+v", p)
		}
	}
}

func cellIndex(spec *Spec, id string) int {
	for i, c := range spec.Cells {
		if c.ID == id {
			return i
		}
	}
	return -1
}
