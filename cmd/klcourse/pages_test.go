package main

import (
	"encoding/json"
	"fmt"
	"image"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klcourse/klcourse/internal/assign"
	"github.com/klcourse/klcourse/internal/browser"
	"github.com/klcourse/klcourse/internal/notebook"
	"github.com/klcourse/klcourse/pkg/course"
	"github.com/klcourse/klcourse/pkg/datasets"
	"github.com/klcourse/klcourse/pkg/plots"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// The classes of defects that pageDefects finds in a rendered page: what a
// student reading it would be misled or put off by.
const (
	defectTable     = "raw Markdown table"
	defectAspect    = "image out of its data's shape"
	defectPath      = "path of the machine that ran it"
	defectReference = "reference code in an exercise"
)

// A pageDefect is one defect of a page, of one of the classes above.
type pageDefect struct{ Class, Detail string }

func (d pageDefect) String() string { return d.Class + ": " + d.Detail }

// pageContent is what pageDefects reads of a loaded page.
type pageContent struct {
	Markdown []string // the text of each rendered Markdown cell
	Cells    []struct {
		Input, Output string // a code cell's code and the text of its outputs
	}
	Images []struct {
		Src    string
		W, H   float64 // as shown, in CSS pixels
		NW, NH float64 // the image's own size in pixels
		Boxes  string  // plots.ImagesAttr: where its raster images are, and their shape
	}
}

const pageContentJS = `(() => {
  const text = e => e ? e.textContent : "";
  return {
    Markdown: Array.from(document.querySelectorAll(".jp-MarkdownCell .jp-RenderedMarkdown")).map(text),
    Cells: Array.from(document.querySelectorAll(".jp-CodeCell")).map(c => ({
      Input: text(c.querySelector(".jp-InputArea-editor")),
      Output: Array.from(c.querySelectorAll(".jp-OutputArea-output")).map(text).join("\n"),
    })),
    Images: Array.from(document.images).map(i => {
      const r = i.getBoundingClientRect();
      return {Src: i.src.slice(0, 50), W: r.width, H: r.height, NW: i.naturalWidth, NH: i.naturalHeight,
        Boxes: i.getAttribute("` + plots.ImagesAttr + `") || ""};
    }),
  };
})()`

// tableDelimiter is the line under a Markdown table's header ("| --- | :-: |"):
// rendered, a table shows no such line.
var tableDelimiter = regexp.MustCompile(`(?m)^[ \t>]*\|?[ \t]*:?-{3,}:?[ \t]*\|([ \t]*:?-{3,}:?[ \t]*\|?)*[ \t]*$`)

// aspectTolerance is how far (relatively) an image's shape on the page may
// differ from its data's: whole CSS pixels and a figure's rounding.
const aspectTolerance = 0.02

// pageDefects reads the page loaded in b (rel: its path in the site or build
// folder, such as "exercises/08_lattice_action.html") and returns its
// defects:
//   - raw Markdown table syntax (a delimiter row) in a Markdown cell's
//     rendered text or in printed output;
//   - an image shown in another shape than its pixels', or a raster image in
//     a figure (plots.ImagesAttr) drawn in another shape than its data's;
//   - any of local (paths of the machine that ran the notebook) in an output;
//   - in an exercise, a code cell or an output that shows the code of an
//     answer of its solution (solutions/NAME.ipynb under root, found by the
//     assign markers: assign.AnswerCode, assign.ShowsAnswer).
func pageDefects(b *browser.Browser, rel, root string, local []string) ([]pageDefect, error) {
	var page pageContent
	if err := b.Eval(pageContentJS, &page); err != nil {
		return nil, err
	}
	var defects []pageDefect
	add := func(class, format string, args ...any) {
		defects = append(defects, pageDefect{class, fmt.Sprintf(format, args...)})
	}
	for i, md := range page.Markdown {
		if m := tableDelimiter.FindStringIndex(md); m != nil {
			add(defectTable, "Markdown cell %d: …%s…", i+1, excerpt(md, m[0], m[1]))
		}
	}
	for i, c := range page.Cells {
		if m := tableDelimiter.FindStringIndex(c.Output); m != nil {
			add(defectTable, "output of code cell %d: …%s…", i+1, excerpt(c.Output, m[0], m[1]))
		}
	}
	for _, img := range page.Images {
		if img.W > 0 && img.H > 0 && img.NW > 0 && img.NH > 0 {
			if shown, own := img.W/img.H, img.NW/img.NH; math.Abs(shown/own-1) > aspectTolerance {
				add(defectAspect, "image %s… is %.0f×%.0f pixels, shown %.0f×%.0f (%.3f:1 instead of %.3f:1)", img.Src, img.NW, img.NH, img.W, img.H, shown, own)
			}
		}
		if img.Boxes == "" {
			continue
		}
		var boxes []struct{ X, Y, W, H, Aspect float64 }
		if err := json.Unmarshal([]byte(img.Boxes), &boxes); err != nil {
			add(defectAspect, "image %s…: %s=%q is not what pkg/plots writes: %v", img.Src, plots.ImagesAttr, img.Boxes, err)
			continue
		}
		for k, box := range boxes {
			if box.H <= 0 || box.Aspect <= 0 {
				continue
			}
			shown := box.W * img.W / (box.H * img.H)
			if math.Abs(shown/box.Aspect-1) > aspectTolerance {
				add(defectAspect, "figure %s…: its raster image %d (%.3f:1 in pixels) is drawn %.3f:1, %.0f×%.0f CSS pixels", img.Src, k+1, box.Aspect, shown, box.W*img.W, box.H*img.H)
			}
		}
	}
	var paths []*regexp.Regexp
	for _, l := range local {
		l = filepath.Clean(l)
		if len(l) > 1 && filepath.IsAbs(l) {
			// The path itself, or a path inside it: not /rootless for /root.
			paths = append(paths, regexp.MustCompile(regexp.QuoteMeta(l)+`(?:[/\\"'\s:.,;)]|$)`))
		}
	}
	for i, c := range page.Cells {
		for _, p := range paths {
			if m := p.FindStringIndex(c.Output); m != nil {
				add(defectPath, "output of code cell %d: …%s…", i+1, excerpt(c.Output, m[0], m[1]))
				break
			}
		}
	}
	kind, name, _ := strings.Cut(filepath.ToSlash(rel), "/")
	if kind == "exercises" {
		sol := filepath.Join(root, "solutions", strings.TrimSuffix(name, ".html")+".ipynb")
		nb, err := notebook.Read(sol)
		if err != nil {
			return nil, fmt.Errorf("%s: the exercise's solution: %w", rel, err)
		}
		answers, err := assign.AnswerCode(nb)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sol, err)
		}
		for i, c := range page.Cells {
			for _, a := range answers {
				where := ""
				switch {
				case assign.ShowsAnswer(a, c.Input):
					where = "code cell"
				case assign.ShowsAnswer(a, c.Output):
					where = "output of code cell"
				}
				if where != "" {
					first, _, _ := strings.Cut(strings.TrimSpace(a), "\n")
					add(defectReference, "%s %d shows the code of an answer of %s (%q…)", where, i+1, filepath.Base(sol), first)
				}
			}
		}
	}
	return defects, nil
}

func excerpt(s string, from, to int) string {
	return strings.ReplaceAll(s[max(0, from-60):min(len(s), to+60)], "\n", "⏎")
}

// machinePaths are the folders of this machine that a rendered page must
// not show: the checkout, the home folder, the temporary folder, the
// course's data, tools and runs, and the lab's install.
func machinePaths(root string) []string {
	paths := []string{root, os.TempDir(), "/opt/klcourse"}
	if home, err := os.UserHomeDir(); err == nil {
		paths = append(paths, home)
	}
	if dir, err := datasets.Root(); err == nil {
		paths = append(paths, dir)
	}
	if dir, err := course.Home(); err == nil {
		paths = append(paths, dir)
	}
	if dir, err := course.RunDir(""); err == nil {
		paths = append(paths, filepath.Dir(filepath.Clean(dir)))
	}
	for _, p := range paths {
		if resolved, err := filepath.EvalSymlinks(p); err == nil && resolved != p {
			paths = append(paths, resolved)
		}
	}
	return paths
}

// TestRenderedPages checks every page that `klcourse run` rendered into
// $KLCOURSE_PAGES (klcourse test: the quick-mode pages of the whole course)
// in headless Chromium for the defects pageDefects finds. A relative
// $KLCOURSE_PAGES is relative to the module's root, where klcourse test
// runs (go test runs this test in cmd/klcourse).
func TestRenderedPages(t *testing.T) {
	dir := os.Getenv(PagesEnv)
	if dir == "" {
		t.Skipf("%s not set: no rendered pages to check", PagesEnv)
	}
	browser.Need(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	var pages []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".html") {
			rel, _ := filepath.Rel(dir, path)
			pages = append(pages, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) == 0 {
		t.Fatalf("no rendered pages (*.html) in %s", dir)
	}
	sort.Strings(pages)
	checkPages(t, dir, pages, root, machinePaths(root))
}

// checkPages opens each page of dir (from disk) and reports its defects.
func checkPages(t *testing.T, dir string, pages []string, root string, local []string) {
	t.Helper()
	b, err := browser.Start(browser.Options{Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, p := range pages {
		u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, p))}).String()
		if err := b.Load(u); err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		defects, err := pageDefects(b, p, root, local)
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		for _, d := range defects {
			t.Errorf("%s: %s", p, d)
		}
	}
}

// TestPageDefects proves that pageDefects finds each class of defect: one
// small page per class, each with its defect, and a page that has none.
func TestPageDefects(t *testing.T) {
	browser.Need(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "checkout")
	// A solution whose answer a self-check could show.
	fixtureNotebook(t, root, "solutions", "09_ess.ipynb", root,
		"code:func ess(logW *graph.Node) *graph.Node {\n\t// BEGIN SOLUTION stub: return exercise.Todo(logW)\n"+
			"\tw := graph.Exp(graph.Sub(logW, graph.StopGradient(graph.ReduceAllMax(logW))))\n"+
			"\tn := float64(logW.Shape().Dimensions[0])\n"+
			"\treturn graph.Div(graph.Square(graph.ReduceAllSum(w)), graph.MulScalar(graph.ReduceAllSum(graph.Square(w)), n))\n"+
			"\t// END SOLUTION\n}")
	// A figure as pkg/plots shows it: a 280×84 mosaic, kept in shape.
	wide := imageGridHTML(t, 280, 84)
	png1x1 := `<img width="40" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="/>`
	pages := map[string]struct {
		body string
		want string // the class of its defect; "" for none
	}{
		"notebooks/01_clean.html": {markdownCell("<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>") +
			codeCell("fmt.Println(\"runs in the runs folder's quick/notebooks/04_rbm\")", "<pre>loaded from the runs folder's quick/notebooks/04_rbm\n| a | b |</pre>") +
			codeCell("must.M(f.Show())", wide), ""},
		"notebooks/02_table.html":         {markdownCell("<ul><li><p>HMC:</p><p>| | ⟨|M|⟩ | χ₂ |\n| --- | --- | --- |\n| HMC | 0.0872 | 0.7480 |</p></li></ul>"), defectTable},
		"notebooks/03_printed_table.html": {codeCell("fmt.Println(table)", "<pre>| method | nats |\n|:---|---:|\n| CD-1 | -144.61 |</pre>"), defectTable},
		"notebooks/04_stretched.html":     {codeCell("must.M(f.Show())", strings.Replace(wide, `<img width=`, `<img style="height: 400px" width=`, 1)), defectAspect},
		"notebooks/05_tile.html":          {codeCell("must.M(f.Show())", imageGridStretchedHTML(t)), defectAspect},
		"notebooks/06_css.html":           {codeCell("must.M(f.Show())", strings.Replace(png1x1, `width="40"`, `width="40" height="10"`, 1)), defectAspect},
		"notebooks/07_root.html":          {codeCell("%%\nfmt.Println(backend.MustNew())", "<pre>backend: onnx, ONNX Runtime 1.30.0 ("+filepath.Join(root, "lib", "libonnxruntime.so")+") on CPU</pre>"), defectPath},
		"notebooks/08_home.html":          {codeCell("%%\nrun()", "<pre>CD-1: loaded the trained RBM from "+filepath.Join(filepath.Dir(root), "home", ".cache", "klcourse", "runs", "CD-1")+"</pre>"), defectPath},
		"exercises/09_ess.html": {codeCell("%%\n// The reference, inside the check.\nreference := func(lw *graph.Node) *graph.Node {\n"+
			"\tweights := graph.Exp(graph.Sub(lw, graph.StopGradient(graph.ReduceAllMax(lw))))\n"+
			"\tsize := float64(lw.Shape().Dimensions[0])\n"+
			"\treturn graph.Div(graph.Square(graph.ReduceAllSum(weights)), graph.MulScalar(graph.ReduceAllSum(graph.Square(weights)), size))\n}\n"+
			"exercise.Check(b, \"ess\", ess, reference, nil)", "<pre>ess: ok</pre>"), defectReference},
	}
	// The eighth page's path is its own home: a machine path too.
	local := []string{root, filepath.Join(filepath.Dir(root), "home")}
	for name, p := range pages {
		path := filepath.Join(dir, "site", filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		html := "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + name + "</title></head><body><main>" + p.body + "</main></body></html>"
		if err := os.WriteFile(path, []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := browser.Start(browser.Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for name, p := range pages {
		u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, "site", name))}).String()
		if err := b.Load(u); err != nil {
			t.Fatal(err)
		}
		defects, err := pageDefects(b, name, root, local)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var classes []string
		for _, d := range defects {
			classes = append(classes, d.Class)
		}
		switch {
		case p.want == "" && len(defects) > 0:
			t.Errorf("%s has no defect, found %q", name, defects)
		case p.want != "" && (len(defects) == 0 || strings.Join(classes, "") != strings.Repeat(p.want, len(classes))):
			t.Errorf("%s has a defect of class %q, found %q", name, p.want, defects)
		default:
			t.Logf("%s: %q", name, defects)
		}
	}
}

func markdownCell(html string) string {
	return `<div class="jp-Cell jp-MarkdownCell jp-Notebook-cell"><div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput">` + html + `</div></div>`
}

func codeCell(code, output string) string {
	return `<div class="jp-Cell jp-CodeCell jp-Notebook-cell"><div class="jp-InputArea jp-Cell-inputArea"><div class="jp-CodeMirrorEditor jp-Editor jp-InputArea-editor"><pre>` +
		strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(code) +
		`</pre></div></div><div class="jp-OutputArea jp-Cell-outputArea"><div class="jp-RenderedText jp-OutputArea-output">` + output + `</div></div></div>`
}

// imageGridHTML is the <img> of plots.ImageGrid's figure of one w×h image.
func imageGridHTML(t *testing.T, w, h int) string {
	t.Helper()
	f, err := plots.ImageGrid([]image.Image{image.NewGray(image.Rect(0, 0, w, h))}, []string{"test digits"}, 1, 12*vg.Centimeter)
	if err != nil {
		t.Fatal(err)
	}
	html, err := f.HTML()
	if err != nil {
		t.Fatal(err)
	}
	return html
}

// imageGridStretchedHTML is a figure as ImageGrid once drew them: a 280×84
// mosaic on the data area of a plot in a square tile.
func imageGridStretchedHTML(t *testing.T) string {
	t.Helper()
	p := plot.New()
	p.Add(plotter.NewImage(image.NewGray(image.Rect(0, 0, 280, 84)), 0, 0, 280, 84))
	p.HideAxes()
	html, err := plots.Tiles(1, 12*vg.Centimeter, 12*vg.Centimeter, p).HTML()
	if err != nil {
		t.Fatal(err)
	}
	return html
}
