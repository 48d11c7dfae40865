package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klcourse/klcourse/internal/notebook"
)

// A page as nbconvert's lab template writes it, with Debian's local URLs.
const nbconvertPage = `<!DOCTYPE html>
<html>
<head><meta charset="utf-8" />
<title>Notebook</title><script src="file:///usr/share/javascript/requirejs/require.min.js"></script>
<style>body{}</style>
    <!-- Load mathjax -->
    <script src="file:///usr/share/javascript/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"> </script>
</head>
<body class="jp-Notebook" data-jp-theme-light="true">
<pre>saved in LOCALRUNS/quick/notebooks/x and LOCALTMP/gonb_1/main.go</pre>
</body>
</html>
`

func fixture(t *testing.T, dir, kind, name, markdown string) Page {
	t.Helper()
	nb, err := notebook.Parse([]byte(`{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`))
	if err != nil {
		t.Fatal(err)
	}
	nb.Cells = append(nb.Cells, notebook.NewCell("markdown", markdown))
	src := filepath.Join(dir, kind, name+".ipynb")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := nb.Write(src); err != nil {
		t.Fatal(err)
	}
	page := strings.NewReplacer("LOCALRUNS", filepath.Join(dir, "runs"), "LOCALTMP", filepath.Join(dir, "tmp")).Replace(nbconvertPage)
	html := filepath.Join(dir, "build", kind, name+".html")
	os.MkdirAll(filepath.Dir(html), 0o755)
	if err := os.WriteFile(html, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	return Page{Kind: kind, Source: src, HTML: html, Status: "ok", OK: true, Elapsed: 95 * time.Second}
}

func fakeMathJax(t *testing.T) string {
	dir := t.TempDir()
	for _, part := range mathJaxParts {
		p := filepath.Join(dir, filepath.FromSlash(part))
		if !strings.HasSuffix(part, ".js") {
			p = filepath.Join(p, "x.js")
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("//"), 0o644)
	}
	return dir
}

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	pages := []Page{
		fixture(t, dir, Solution, "02_beta", "# Exercise 2 — Beta\n\nWrite the **loss**."),
		fixture(t, dir, Lecture, "10_gamma", "# Lecture 10 — Gamma\n\nThe course trains on:\n\n| a | b |\n\nGamma teaches $x^2$ and `code`. More follows."),
		fixture(t, dir, Lecture, "01_alpha", "# Lecture 1 — Alpha\n\nAlpha first."),
		fixture(t, dir, Exercise, "02_beta", "# Exercise 2 — Beta\n\nWrite the loss."),
	}
	out := filepath.Join(dir, "site")
	opts := Options{Out: out, MathJax: fakeMathJax(t), Mode: "quick", Built: time.Now(),
		Paths: map[string]string{filepath.Join(dir, "runs"): "$KLCOURSE_RUNS", filepath.Join(dir, "tmp"): "$TMPDIR"}}
	if err := Build(pages, opts); err == nil || !strings.Contains(err.Error(), "instructors' site only") {
		t.Errorf("students' site with a solution: error %v", err)
	}
	opts.Instructors = true
	if err := Build(pages, opts); err != nil {
		t.Fatal(err)
	}
	read := func(rel string) string {
		data, err := os.ReadFile(filepath.Join(out, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	index := read("index.html")
	// Lecture order by number, lecture before exercise before solution.
	a, b, s, g := strings.Index(index, "notebooks/01_alpha.html"), strings.Index(index, "exercises/02_beta.html"), strings.Index(index, "solutions/02_beta.html"), strings.Index(index, "notebooks/10_gamma.html")
	if !(a >= 0 && a < b && b < s && s < g) {
		t.Errorf("index order: alpha %d, beta exercise %d, solution %d, gamma %d", a, b, s, g)
	}
	for _, want := range []string{"Lecture 10 — Gamma", "Gamma teaches $x^2$ and <code>code</code>.", "1 min 35 s", "quick mode", "references.html", "mathjax/MathJax.js"} {
		if !strings.Contains(index, want) {
			t.Errorf("index lacks %q", want)
		}
	}
	beta := read("exercises/02_beta.html")
	for _, want := range []string{
		"<title>Exercise 2 — Beta · klcourse</title>",
		`<script src="../mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe">`,
		`<a class="prev" rel="prev" href="../notebooks/01_alpha.html">← Lecture 1 — Alpha</a>`,
		`<a class="next" rel="next" href="../solutions/02_beta.html">Exercise 2 — Beta →</a>`,
		`href="../index.html"`, `href="../exercises/02_beta.ipynb"`,
		"saved in $KLCOURSE_RUNS/quick/notebooks/x and $TMPDIR/gonb_1/main.go",
	} {
		if !strings.Contains(beta, want) {
			t.Errorf("exercise page lacks %q:\n%s", want, beta)
		}
	}
	for _, bad := range []string{"file://", "require.min.js", dir} {
		if strings.Contains(beta, bad) {
			t.Errorf("exercise page still has %q", bad)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "mathjax", "MathJax.js")); err != nil {
		t.Error(err)
	}
	refs := read("references.html")
	for _, want := range []string{"ML for LFT in a Nutshell", "Morten Hjorth-Jensen", "KL Divergence", "Forward and Reverse KL divergence with JAX", "Divergence types, usage in neural networks"} {
		if !strings.Contains(refs, want) {
			t.Errorf("references lack %q", want)
		}
	}
	// A page that loads a script from elsewhere is refused.
	os.WriteFile(pages[0].HTML, []byte(strings.Replace(nbconvertPage, "<style>", `<script src="https://cdn.example.org/x.js"></script><style>`, 1)), 0o644)
	if err := Build(pages, opts); err == nil || !strings.Contains(err.Error(), "https://cdn.example.org/x.js") {
		t.Errorf("a page with an outside script: error %v", err)
	}
	// A folder that holds something else is not emptied.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "thesis.tex"), nil, 0o644)
	opts.Out = other
	if err := Build(pages[1:], opts); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("building into a folder with other files: %v", err)
	}
}
