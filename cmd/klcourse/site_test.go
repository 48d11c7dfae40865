package main

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klcourse/klcourse/internal/browser"
	"github.com/klcourse/klcourse/internal/notebook"
	"github.com/klcourse/klcourse/pkg/runs"
)

// fixtureNotebook writes a course notebook of the given cells ("md:" or
// "code:" prefixed) to dir/kind/name, starting with the course's go.work cell
// pointed at this module.
func fixtureNotebook(t *testing.T, dir, kind, name, root string, cells ...string) {
	t.Helper()
	nb, err := notebook.Parse([]byte(`{"cells": [], "metadata": {"kernelspec": {"display_name": "Go (gonb)", "language": "go", "name": "gonb"}}, "nbformat": 4, "nbformat_minor": 5}`))
	if err != nil {
		t.Fatal(err)
	}
	nb.Cells = append(nb.Cells, notebook.NewCell("code", fmt.Sprintf("!*rm -f go.work && go work init && go work use . %q\n%%goworkfix\n%%noautoget", root)))
	for _, c := range cells {
		typ, src, _ := strings.Cut(c, ":")
		nb.Cells = append(nb.Cells, notebook.NewCell(map[string]string{"md": "markdown", "code": "code"}[typ], src))
	}
	if err := os.MkdirAll(filepath.Join(dir, kind), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := nb.Write(filepath.Join(dir, kind, name)); err != nil {
		t.Fatal(err)
	}
}

const fixtureFigure = `code:%%
p := must.M1(plots.Curves("KL(P‖Q) falls", "step", "KL(P‖Q), nats", plots.Curve{X: []float64{0, 1, 2}, Y: []float64{3, 1, 0.5}}))
must.M(plots.Single(p).Show())`

// TestSite builds the instructors' site of three small course notebooks
// (a lecture with formulas, a table of formulas and a figure; an exercise and
// its solution, whose answers are Markdown lists; a second lecture), copies
// it to another folder and checks it in a headless browser (checkSite).
func TestSite(t *testing.T) {
	needKernel(t)
	browser.Need(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fixtureNotebook(t, dir, "notebooks", "01_alpha.ipynb", root,
		"md:# Lecture 1 — Alpha\n\nThe KL divergence $D_{KL}(P\\,\\|\\,Q) = \\sum_i p_i \\log\\frac{p_i}{q_i}$ of **two** distributions.\n\n$$\\int p(x)\\,\\log\\frac{p(x)}{q(x)}\\,dx \\ge 0$$",
		"md:| objective | on the grid | approximates |\n|---|---|---|\n| forward KL (`gaussfit.ForwardKL`) | $\\sum_i p_i\\,(\\log p_i - \\log q_i)\\,\\Delta x$ | $D_{KL}(P\\,\\|\\,Q) = \\int p\\log\\frac pq$ |\n| $-$cosine (`gaussfit.NegCosine`) | $-\\sum_i q_i p_i \\big/ \\sqrt{\\sum_i q_i^2 \\sum_i p_i^2}$ | $-\\langle q, p\\rangle / (\\lVert q\\rVert\\,\\lVert p\\rVert)$ |",
		"code:import (\n\t\"github.com/janpfeifer/must\"\n\t\"github.com/klcourse/klcourse/pkg/plots\"\n)",
		fixtureFigure,
		"code:%%\nfmt.Println(\"temp dir:\", os.TempDir())")
	fixtureNotebook(t, dir, "notebooks", "02_beta.ipynb", root, "md:# Lecture 2 — Beta\n\nA second lecture, with $x^2$.", "code:%%\nfmt.Println(\"beta\")")
	answer := "md:# Exercise 1 — Alpha\n\nWhy?\n\n<!-- BEGIN SOLUTION -->\n\n* **Both learn**, from the same `weights`.\n* $q_y \\to 1$.\n\n<!-- END SOLUTION -->"
	fixtureNotebook(t, dir, "solutions", "01_alpha.ipynb", root, answer, "code:%%\nfmt.Println(\"solution\")")
	fixtureNotebook(t, dir, "exercises", "01_alpha.ipynb", root, "md:# Exercise 1 — Alpha\n\nWhy?\n\n*Your answer here.*", "code:%%\nfmt.Println(\"exercise\")")

	out := filepath.Join(dir, "site")
	text, code := klcourse(t, root, nil, "site", "--instructors", "--quick", "--timeout", "300s", "--out", out,
		filepath.Join(dir, "notebooks"), filepath.Join(dir, "exercises"), filepath.Join(dir, "solutions"))
	if code != 0 {
		t.Fatalf("klcourse site: exit %d:\n%s", code, text)
	}
	// Elsewhere, as on a web server or another machine.
	published := filepath.Join(t.TempDir(), "published")
	copyTree(t, out, published)
	// The screenshots, and the site they show, stay in build/site-test.
	shots := filepath.Join(root, "build", "site-test")
	os.RemoveAll(shots)
	copyTree(t, out, filepath.Join(shots, "site"))
	checkSite(t, published, shots, []string{"notebooks/01_alpha.html", "exercises/01_alpha.html", "solutions/01_alpha.html", "notebooks/02_beta.html"}, dir, root)
	// The table of formulas stays readable: no formula broken over lines.
	checkTables(t, published, "notebooks/01_alpha.html", shots)
}

// TestBuiltSite checks a site built by `klcourse site` (the real course) in
// the browser: KLCOURSE_SITE=path/to/site go test ./cmd/klcourse -run TestBuiltSite.
func TestBuiltSite(t *testing.T) {
	dir := os.Getenv("KLCOURSE_SITE")
	if dir == "" {
		t.Skip("KLCOURSE_SITE not set: no built site to check")
	}
	browser.Need(t)
	root, _ := moduleRoot()
	published := filepath.Join(t.TempDir(), "published")
	copyTree(t, dir, published)
	var pages []string
	filepath.WalkDir(published, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".html") && !strings.Contains(path, "mathjax") &&
			filepath.Base(path) != "index.html" && filepath.Base(path) != "references.html" {
			rel, _ := filepath.Rel(published, path)
			pages = append(pages, filepath.ToSlash(rel))
		}
		return nil
	})
	// The index's order: by number, then lecture, exercise, solution.
	kind := map[string]int{"notebooks": 0, "exercises": 1, "solutions": 2}
	sort.SliceStable(pages, func(i, j int) bool {
		ki, ni, _ := strings.Cut(pages[i], "/")
		kj, nj, _ := strings.Cut(pages[j], "/")
		if ni[:2] != nj[:2] {
			return ni[:2] < nj[:2]
		}
		return kind[ki] < kind[kj]
	})
	home, _ := os.UserHomeDir()
	checkSite(t, published, filepath.Join(root, "build", "site-check"), pages, home, root, "/tmp/")
	for _, p := range pages {
		if strings.HasPrefix(p, "notebooks/03_") {
			checkTables(t, published, p, filepath.Join(root, "build", "site-check"))
		}
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkSite serves the site over HTTP and opens the index and every page it
// links to in headless Chromium; it expects exactly the pages want (relative
// to the site), each loading with no failed request, no request outside the
// site, no JavaScript error, its own title, every formula typeset by MathJax
// (no raw TeX left in the text, no MathJax error), Markdown rendered (no
// literal ** or backticks), figures of non-zero size and navigation links
// that lead to pages of the site. No file of the site may contain any of
// local (paths of the machine that built it). Screenshots of the index and of
// the first page go to shots.
func checkSite(t *testing.T, site, shots string, want []string, local ...string) {
	t.Helper()
	err := filepath.WalkDir(site, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") || strings.Contains(path, string(filepath.Separator)+"mathjax"+string(filepath.Separator)) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, l := range local {
			if l != "" && strings.Contains(string(data), l) {
				i := strings.Index(string(data), l)
				t.Errorf("%s shows the local path %s: …%s…", path, l, string(data)[max(0, i-80):min(len(data), i+80)])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := countMathJax(t, site); n != 1 {
		t.Errorf("the site holds %d copies of MathJax.js, want 1", n)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(site)))
	defer srv.Close()
	b, err := browser.Start(browser.Options{Timeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	index := srv.URL + "/index.html"
	checkPage(t, b, srv.URL, index, "klcourse")
	if err := b.Screenshot(filepath.Join(shots, "index.png")); err != nil {
		t.Error(err)
	}
	var links []string
	if err := b.Eval(`Array.from(document.querySelectorAll("a[href]")).map(a => a.href)`, &links); err != nil {
		t.Fatal(err)
	}
	var pages []string
	for _, l := range links {
		if !strings.HasPrefix(l, srv.URL+"/") {
			continue
		}
		rel := strings.TrimPrefix(l, srv.URL+"/")
		if strings.HasSuffix(rel, ".html") && rel != "index.html" && rel != "references.html" {
			pages = append(pages, rel)
		}
	}
	if strings.Join(pages, " ") != strings.Join(want, " ") {
		t.Errorf("the index links to %q, want %q", pages, want)
	}
	checkPage(t, b, srv.URL, srv.URL+"/references.html", "References")
	for i, p := range pages {
		checkPage(t, b, srv.URL, srv.URL+"/"+p, "")
		if i == 0 {
			if err := b.Screenshot(filepath.Join(shots, "lecture.png")); err != nil {
				t.Error(err)
			}
		}
		// Navigation: previous and next follow the index's order.
		var nav struct{ Prev, Next, Index string }
		if err := b.Eval(`({Prev: (document.querySelector("nav a.prev") || {}).href || "", Next: (document.querySelector("nav a.next") || {}).href || "", Index: (document.querySelector("nav a.index") || {}).href || ""})`, &nav); err != nil {
			t.Error(err)
			continue
		}
		wantPrev, wantNext := "", ""
		if i > 0 {
			wantPrev = srv.URL + "/" + pages[i-1]
		}
		if i+1 < len(pages) {
			wantNext = srv.URL + "/" + pages[i+1]
		}
		if nav.Prev != wantPrev || nav.Next != wantNext || nav.Index != index {
			t.Errorf("%s: navigation prev %q next %q index %q, want %q, %q, %q", p, nav.Prev, nav.Next, nav.Index, wantPrev, wantNext, index)
		}
	}
	// Opened from disk, too.
	fileURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(site) + "/"}).String()
	checkPage(t, b, fileURL, fileURL+"index.html", "klcourse")
	if len(pages) > 0 {
		checkPage(t, b, fileURL, fileURL+pages[0], "")
	}
}

func countMathJax(t *testing.T, site string) int {
	n := 0
	filepath.WalkDir(site, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "MathJax.js" {
			n++
		}
		return nil
	})
	return n
}

var rawTeX = regexp.MustCompile(`\$\$|\$[^$\n]*[\\^_{}][^$\n]*\$|\\[(\[]|\\(?:frac|sum|int|log|mathcal|mathbb|langle|lVert|Delta|sqrt)\b`)

// checkPage loads url and checks it as checkSite describes. Every request
// must start with base.
func checkPage(t *testing.T, b *browser.Browser, base, url, wantTitle string) {
	t.Helper()
	if err := b.Load(url); err != nil {
		t.Errorf("%v", err)
		return
	}
	// Wait for MathJax to finish typesetting what it queued at load.
	if err := b.Eval(`new Promise(resolve => { if (!window.MathJax || !MathJax.Hub) { resolve(false); return; } MathJax.Hub.Queue(() => resolve(true)); })`, nil); err != nil {
		t.Errorf("%s: %v", url, err)
	}
	var page struct {
		Title   string
		MathJax bool
		Jax     int
		Errors  int
		Text    string
		Images  []struct {
			Src      string
			W, H, NW float64
		}
	}
	err := b.Eval(`(() => {
  const texts = [];
  const blocks = document.querySelectorAll(".jp-RenderedMarkdown, .jp-MarkdownOutput, main");
  for (const el of blocks) {
    const c = el.cloneNode(true);
    c.querySelectorAll("code, pre, script, .MathJax_Preview, .MathJax_CHTML, .MathJax").forEach(e => e.remove());
    texts.push(c.textContent);
  }
  return {
    Title: document.title,
    MathJax: !!(window.MathJax && MathJax.Hub),
    Jax: window.MathJax && MathJax.Hub ? MathJax.Hub.getAllJax().length : 0,
    Errors: document.querySelectorAll(".MathJax_Error, merror, .mjx-merror").length,
    Text: texts.join("\n"),
    Images: Array.from(document.images).map(i => ({Src: i.src.slice(0, 60), W: i.getBoundingClientRect().width, H: i.getBoundingClientRect().height, NW: i.naturalWidth})),
  };
})()`, &page)
	if err != nil {
		t.Errorf("%s: %v", url, err)
		return
	}
	for _, f := range b.FailedRequests() {
		t.Errorf("%s: request failed: %s", url, f)
	}
	for _, r := range b.Requests() {
		if !strings.HasPrefix(r, base) && !strings.HasPrefix(r, "data:") {
			t.Errorf("%s: request outside the site: %s", url, r)
		}
	}
	for _, e := range b.Exceptions() {
		t.Errorf("%s: JavaScript error: %s", url, e)
	}
	if page.Title == "" || page.Title == "Notebook" || !strings.Contains(page.Title, wantTitle) {
		t.Errorf("%s: title %q", url, page.Title)
	}
	if !page.MathJax {
		t.Errorf("%s: MathJax did not load", url)
	}
	if page.Errors > 0 {
		t.Errorf("%s: %d MathJax errors", url, page.Errors)
	}
	if m := rawTeX.FindString(page.Text); m != "" {
		i := strings.Index(page.Text, m)
		t.Errorf("%s: raw TeX left in the text (%d formulas typeset): …%s…", url, page.Jax, page.Text[max(0, i-60):min(len(page.Text), i+60)])
	}
	for _, lit := range []string{"**", "`", "<!--"} {
		if i := strings.Index(page.Text, lit); i >= 0 {
			t.Errorf("%s: Markdown not rendered, %q in the text: …%s…", url, lit, page.Text[max(0, i-60):min(len(page.Text), i+60)])
		}
	}
	for _, img := range page.Images {
		if img.W <= 0 || img.H <= 0 || img.NW <= 0 {
			t.Errorf("%s: figure %s… has size %gx%g (natural width %g)", url, img.Src, img.W, img.H, img.NW)
		}
	}
}

// checkTables loads page at 800, 1280 and 1920 px and checks that no formula
// in a table is broken over several lines and that tables fit the page.
func checkTables(t *testing.T, site, page, shots string) {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(site)))
	defer srv.Close()
	for _, width := range []int{800, 1280, 1920} {
		b, err := browser.Start(browser.Options{Width: width, Height: 900, Timeout: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Load(srv.URL + "/" + page); err != nil {
			t.Error(err)
		}
		if err := b.Eval(`new Promise(resolve => MathJax.Hub.Queue(() => resolve(true)))`, nil); err != nil {
			t.Errorf("%s at %d px: waiting for MathJax: %v", page, width, err)
		}
		var res struct {
			Tables, Broken, Overflow int
			Example                  string
		}
		err = b.Eval(`(() => {
  let broken = 0, overflow = 0, example = "";
  const tables = document.querySelectorAll(".jp-RenderedMarkdown table");
  for (const tb of tables) {
    const box = tb.closest(".jp-RenderedMarkdown").getBoundingClientRect();
    if (tb.getBoundingClientRect().width > box.width + 1) overflow++;
    for (const m of tb.querySelectorAll(".MathJax_CHTML")) {
      const lh = parseFloat(getComputedStyle(m.closest("td, th")).lineHeight) || 20;
      if (m.getClientRects().length > 1) { broken++; example = example || m.textContent; }
    }
  }
  return {Tables: tables.length, Broken: broken, Overflow: overflow, Example: example};
})()`, &res)
		if err != nil {
			t.Error(err)
		}
		if res.Tables == 0 {
			t.Errorf("%s at %d px: no table", page, width)
		}
		if res.Broken > 0 || res.Overflow > 0 {
			t.Errorf("%s at %d px: %d formulas in tables broken over lines (e.g. %q), %d tables wider than the page", page, width, res.Broken, res.Example, res.Overflow)
		}
		if shots != "" {
			b.Screenshot(filepath.Join(shots, fmt.Sprintf("tables-%d.png", width)))
		}
		b.Close()
	}
}

// TestLocalPathsNameSharedStores checks that a page rendered with shared run
// stores names them by the variable, not by the machine's paths.
func TestLocalPathsNameSharedStores(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	t.Setenv(runs.StoresEnv, a+string(os.PathListSeparator)+b)
	paths := localPaths(t.TempDir(), t.TempDir())
	for i, dir := range []string{a, b} {
		if want := fmt.Sprintf("$%s[%d]", runs.StoresEnv, i); paths[dir] != want {
			t.Errorf("localPaths()[%q] = %q, want %q", dir, paths[dir], want)
		}
	}
}
