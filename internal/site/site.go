// Package site turns executed notebooks into a static web site that an
// instructor can publish: an index (the table of contents, in lecture order),
// one page per notebook with its title and previous/next/index navigation, a
// references page naming the course's sources, and one copy of MathJax that
// every page loads from the site itself.
//
// The pages are nbconvert's HTML (written by internal/nbrun), rewritten so
// that they request nothing from outside the site: MathJax is the site's copy
// (Debian's libjs-mathjax 2.7), require.js (only used by Jupyter widgets,
// which the course has none of) is dropped, figures are embedded as data URLs
// already, and any other script, style sheet or image outside the site is an
// error. Paths of the machine that built the site (its temporary folders,
// home, data and runs cache, the checkout) are replaced by neutral names.
package site

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/klcourse/klcourse/internal/notebook"
	"github.com/klcourse/klcourse/internal/safefile"
)

// Kinds of notebooks, in the order a row of the index lists them.
const (
	Lecture  = "notebooks"
	Exercise = "exercises"
	Solution = "solutions"
)

// Page is one rendered notebook.
type Page struct {
	Kind   string // Lecture, Exercise or Solution: the folder of the notebook
	Source string // the notebook as committed (no outputs), offered for download
	// Executed and HTML are the executed notebook and its page (internal/nbrun's output).
	Executed, HTML string
	// Status of the render ("ok", "FAILED at cell 7", ...) and how long it took.
	Status  string
	OK      bool
	Elapsed time.Duration
}

// DefaultMathJax is where Debian's libjs-mathjax installs MathJax 2.7.
const DefaultMathJax = "/usr/share/javascript/mathjax"

// Options configure Build.
type Options struct {
	Out     string // the site's folder; created, and emptied of an earlier site
	MathJax string // MathJax 2.7's folder; DefaultMathJax when empty
	// Instructors builds the instructors' site (with solutions); without it,
	// solutions are refused.
	Instructors bool
	Mode        string    // "quick" or "full": said on the index
	Built       time.Time // when the notebooks ran
	// Paths maps local paths of the building machine to what pages show
	// instead (e.g. the home folder to "~"); longer paths are replaced first.
	Paths map[string]string
}

// entry is a page of the site with what the index and the navigation need.
type entry struct {
	Page
	Number   int    // the NN of NN_name.ipynb
	Name     string // NN_name
	Title    string // the notebook's first heading
	Teaches  string // its first paragraph, as HTML
	Href     string // the page, relative to the site's root
	Download string // the committed notebook in the site, relative to the root
}

var numbered = regexp.MustCompile(`^(\d+)_`)

// Build writes the site for pages into opts.Out.
func Build(pages []Page, opts Options) error {
	if opts.MathJax == "" {
		opts.MathJax = DefaultMathJax
	}
	if _, err := os.Stat(filepath.Join(opts.MathJax, "MathJax.js")); err != nil {
		return fmt.Errorf("MathJax 2.7 not found in %s (Debian/Ubuntu: apt-get install libjs-mathjax; or give the folder of an unpacked MathJax 2.7 with --mathjax)", opts.MathJax)
	}
	var entries []*entry
	for _, p := range pages {
		if p.Kind == Solution && !opts.Instructors {
			return fmt.Errorf("%s: solutions belong in the instructors' site only", p.Source)
		}
		e, err := newEntry(p)
		if err != nil {
			return err
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return errors.New("no notebooks to publish")
	}
	kindOrder := map[string]int{Lecture: 0, Exercise: 1, Solution: 2}
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].Number != entries[j].Number {
			return entries[i].Number < entries[j].Number
		}
		return kindOrder[entries[i].Kind] < kindOrder[entries[j].Kind]
	})
	if err := prepareOut(opts.Out); err != nil {
		return err
	}
	if err := copyMathJax(opts.MathJax, filepath.Join(opts.Out, "mathjax")); err != nil {
		return fmt.Errorf("copying MathJax: %w", err)
	}
	if err := safefile.WriteBytes(filepath.Join(opts.Out, "klcourse.css"), []byte(styleSheet)); err != nil {
		return err
	}
	scrub := newScrubber(opts.Paths)
	for i, e := range entries {
		var prev, next *entry
		if i > 0 {
			prev = entries[i-1]
		}
		if i+1 < len(entries) {
			next = entries[i+1]
		}
		if err := writePage(opts.Out, e, prev, next, scrub); err != nil {
			return err
		}
	}
	if err := writeIndex(opts, entries, scrub); err != nil {
		return err
	}
	return writeReferences(opts.Out)
}

func newEntry(p Page) (*entry, error) {
	base := strings.TrimSuffix(filepath.Base(p.Source), ".ipynb")
	m := numbered.FindStringSubmatch(base)
	if m == nil {
		return nil, fmt.Errorf("%s: a course notebook is named NN_name.ipynb (its number orders the site)", p.Source)
	}
	n, _ := strconv.Atoi(m[1])
	nb, err := notebook.Read(p.Source)
	if err != nil {
		return nil, err
	}
	title, teaches := describe(nb)
	if title == "" {
		title = base
	}
	return &entry{
		Page: p, Number: n, Name: base, Title: title, Teaches: teaches,
		Href:     p.Kind + "/" + base + ".html",
		Download: p.Kind + "/" + base + ".ipynb",
	}, nil
}

var heading = regexp.MustCompile(`^#\s+(.+?)\s*#*\s*$`)

// describe returns a notebook's title (its first level-1 heading) and what
// it teaches: the first paragraph after the title that is prose (not a
// table, list, formula or an introduction to one that ends with a colon), cut
// at a sentence end near 300 characters, as HTML.
func describe(nb *notebook.Notebook) (title, teaches string) {
	for _, c := range nb.Cells {
		if c.Type != "markdown" {
			continue
		}
		for _, para := range strings.Split(c.Source, "\n\n") {
			para = strings.TrimSpace(para)
			if para == "" {
				continue
			}
			if title == "" {
				if m := heading.FindStringSubmatch(strings.SplitN(para, "\n", 2)[0]); m != nil {
					title = m[1]
					rest := strings.TrimSpace(strings.TrimPrefix(para, strings.SplitN(para, "\n", 2)[0]))
					if rest == "" {
						continue
					}
					para = rest
				}
			}
			if strings.HasSuffix(para, ":") || strings.ContainsAny(para[:1], "#|*-$<!>`0123456789") {
				continue
			}
			return title, inlineMarkdown(firstSentences(para, 300))
		}
	}
	return title, ""
}

var sentenceEnd = regexp.MustCompile(`[.!?](\s|$)`)

func firstSentences(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= limit {
		return s
	}
	end := 0
	for _, loc := range sentenceEnd.FindAllStringIndex(s, -1) {
		if loc[0]+1 > limit && end > 0 {
			break
		}
		end = loc[0] + 1
	}
	if end == 0 {
		end = limit
		return s[:end] + "…"
	}
	return s[:end]
}

var (
	mdCode   = regexp.MustCompile("`([^`]+)`")
	mdStrong = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	mdEm     = regexp.MustCompile(`\*([^*]+)\*`)
	mdLink   = regexp.MustCompile(`\[([^\]]+)\]\([^)]+\)`)
)

// inlineMarkdown renders the inline Markdown of a short paragraph (code,
// strong, emphasis; links keep their text); math is left for MathJax.
func inlineMarkdown(s string) string {
	s = mdLink.ReplaceAllString(s, "$1")
	s = html.EscapeString(s)
	s = mdCode.ReplaceAllString(s, "<code>$1</code>")
	s = mdStrong.ReplaceAllString(s, "<strong>$1</strong>")
	s = mdEm.ReplaceAllString(s, "<em>$1</em>")
	return s
}

// prepareOut creates the site's folder; an earlier site there (recognised by
// its klcourse.css) is removed first, anything else is refused.
func prepareOut(out string) error {
	entries, err := os.ReadDir(out)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(out, 0o755)
	}
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(out, "klcourse.css")); err != nil {
		return fmt.Errorf("%s is not empty and holds no earlier site: choose an empty or new folder", out)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(out, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// mathJaxParts are what the pages' configuration (TeX-AMS_CHTML-full, with
// the Safe extension) loads: the CommonHTML output with its TeX web fonts, the
// fast preview, the TeX input and the extensions.
var mathJaxParts = []string{
	"MathJax.js",
	"config/TeX-AMS_CHTML-full.js",
	"config/Safe.js",
	"extensions",
	"jax/input/TeX",
	"jax/output/CommonHTML",
	"jax/output/PreviewHTML",
	"jax/element",
	"fonts/HTML-CSS/TeX/woff",
}

// copyMathJax copies the parts of MathJax the pages need, following symbolic
// links (Debian links the fonts in from fonts-mathjax).
func copyMathJax(from, to string) error {
	for _, part := range mathJaxParts {
		src := filepath.Join(from, filepath.FromSlash(part))
		err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(from, path)
			dst := filepath.Join(to, rel)
			info, err := os.Stat(path) // follows links
			if err != nil {
				return err
			}
			if info.IsDir() {
				if d.Type()&fs.ModeSymlink != 0 {
					return copyMathJaxDir(path, dst)
				}
				return os.MkdirAll(dst, 0o755)
			}
			return copyFile(path, dst)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// copyMathJaxDir copies a linked folder (WalkDir does not enter links).
func copyMathJaxDir(from, to string) error {
	return filepath.WalkDir(from+string(filepath.Separator), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		return copyFile(path, dst)
	})
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}

// scrubber replaces local paths of the building machine in page text.
type scrubber struct{ r *strings.Replacer }

func newScrubber(paths map[string]string) scrubber {
	var keys []string
	for k := range paths {
		if len(k) > 1 { // never "/" alone
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	var pairs []string
	for _, k := range keys {
		pairs = append(pairs, k, paths[k])
		// HTML escapes some characters of paths; replace the escaped form too.
		if esc := html.EscapeString(k); esc != k {
			pairs = append(pairs, esc, html.EscapeString(paths[k]))
		}
	}
	return scrubber{strings.NewReplacer(pairs...)}
}

func (s scrubber) apply(text string) string { return s.r.Replace(text) }

var (
	titleTag      = regexp.MustCompile(`(?s)<title>.*?</title>`)
	requireScript = regexp.MustCompile(`<script src="[^"]*require(?:\.min)?\.js"></script>\s*`)
	mathJaxScript = regexp.MustCompile(`<script src="[^"]*?(?:MathJax\.js|latest\.js)\?config=([^"]*)">`)
	bodyOpen      = regexp.MustCompile(`<body[^>]*>`)
	// Resources a page loads (not links it offers): scripts, style sheets,
	// images, frames.
	loaded = regexp.MustCompile(`<(?:script|img|iframe|source|link)\b[^>]*?\b(?:src|href)="([^"]*)"`)
)

func writePage(out string, e, prev, next *entry, scrub scrubber) error {
	data, err := os.ReadFile(e.HTML)
	if err != nil {
		return fmt.Errorf("%s: the rendered page is missing: %w", e.Source, err)
	}
	page := string(data)
	page = titleTag.ReplaceAllLiteralString(page, "<title>"+html.EscapeString(e.Title)+" · klcourse</title>")
	page = requireScript.ReplaceAllString(page, "")
	if !mathJaxScript.MatchString(page) {
		return fmt.Errorf("%s: the page does not load MathJax where nbconvert's templates do; cannot point it at the site's copy", e.HTML)
	}
	page = mathJaxScript.ReplaceAllString(page, `<script src="../mathjax/MathJax.js?config=$1">`)
	page = strings.Replace(page, "</head>", noFavicon+"\n"+`<link rel="stylesheet" href="../klcourse.css">`+"\n</head>", 1)
	nav := navigation("../", e, prev, next)
	loc := bodyOpen.FindStringIndex(page)
	if loc == nil {
		return fmt.Errorf("%s: no <body>", e.HTML)
	}
	page = page[:loc[1]] + "\n" + nav + page[loc[1]:]
	page = strings.Replace(page, "</body>", nav+"\n</body>", 1)
	page = scrub.apply(page)
	if err := checkLocal(page); err != nil {
		return fmt.Errorf("%s: %w", e.HTML, err)
	}
	path := filepath.Join(out, filepath.FromSlash(e.Href))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := safefile.WriteBytes(path, []byte(page)); err != nil {
		return err
	}
	src, err := os.ReadFile(e.Source)
	if err != nil {
		return err
	}
	return safefile.WriteBytes(filepath.Join(out, filepath.FromSlash(e.Download)), src)
}

// checkLocal reports resources that a page would load from outside the site.
func checkLocal(page string) error {
	var outside []string
	for _, m := range loaded.FindAllStringSubmatch(page, -1) {
		u := m[1]
		if strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "#") {
			continue
		}
		if strings.Contains(u, "://") || strings.HasPrefix(u, "//") || strings.HasPrefix(u, "/") {
			outside = append(outside, u)
		}
	}
	if len(outside) > 0 {
		return fmt.Errorf("the page loads from outside the site: %s", strings.Join(outside, ", "))
	}
	return nil
}

func kindName(kind string) string {
	switch kind {
	case Lecture:
		return "lecture"
	case Exercise:
		return "exercise"
	default:
		return "solution"
	}
}

func navigation(root string, e, prev, next *entry) string {
	var b strings.Builder
	b.WriteString(`<nav class="klcourse-nav">`)
	if prev != nil {
		fmt.Fprintf(&b, `<a class="prev" rel="prev" href="%s%s">← %s</a>`, root, prev.Href, html.EscapeString(prev.Title))
	} else {
		b.WriteString(`<span class="prev"></span>`)
	}
	fmt.Fprintf(&b, `<a class="index" href="%sindex.html">Index</a> <a class="references" href="%sreferences.html">References</a> <a class="download" href="%s%s" download>Download the %s (.ipynb)</a>`,
		root, root, root, e.Download, kindName(e.Kind))
	if next != nil {
		fmt.Fprintf(&b, `<a class="next" rel="next" href="%s%s">%s →</a>`, root, next.Href, html.EscapeString(next.Title))
	} else {
		b.WriteString(`<span class="next"></span>`)
	}
	b.WriteString(`</nav>`)
	return b.String()
}

func writeIndex(opts Options, entries []*entry, scrub scrubber) error {
	type row struct {
		number  int
		title   string
		teaches string
		cells   map[string]*entry
	}
	var rows []*row
	for _, e := range entries {
		if len(rows) == 0 || rows[len(rows)-1].number != e.Number {
			rows = append(rows, &row{number: e.Number, cells: map[string]*entry{}})
		}
		r := rows[len(rows)-1]
		r.cells[e.Kind] = e
		if r.title == "" || e.Kind == Lecture {
			r.title, r.teaches = e.Title, e.Teaches
		}
	}
	kinds := []string{Lecture, Exercise}
	if opts.Instructors {
		kinds = append(kinds, Solution)
	}
	var b bytes.Buffer
	audience := "students' edition"
	if opts.Instructors {
		audience = "instructors' edition, with solutions"
	}
	fmt.Fprintf(&b, pageHead, "klcourse — divergences and generative models, in Go", "")
	b.WriteString(`<nav class="klcourse-nav"><span class="prev"></span><a class="index" href="index.html">Index</a> <a class="references" href="references.html">References</a><span class="next"></span></nav>` + "\n")
	fmt.Fprintf(&b, `<main><h1>Divergences and generative models, in Go</h1>
<p>A course on the Kullback–Leibler divergence and the generative models built on it, in Jupyter
notebooks that run Go (GoNB kernel, GoMLX, gonum/plot). This is the %s, rendered in %s mode on %s.
The lectures can be read here; to run them, download a notebook and open it in Jupyter with the
course's setup (see the course's README). The <a href="references.html">references</a> name the
source material.</p>
<table class="toc">
<thead><tr><th>#</th><th>Notebook</th><th>What it teaches</th>`, audience, html.EscapeString(opts.Mode), opts.Built.UTC().Format("2 January 2006, 15:04 UTC"))
	for _, k := range kinds {
		fmt.Fprintf(&b, "<th>%s</th>", strings.ToUpper(kindName(k)[:1])+kindName(k)[1:])
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range rows {
		fmt.Fprintf(&b, `<tr><td class="number">%d</td><td class="title">%s</td><td class="teaches">%s</td>`, r.number, html.EscapeString(r.title), r.teaches)
		for _, k := range kinds {
			e := r.cells[k]
			if e == nil {
				b.WriteString(`<td class="page none">—</td>`)
				continue
			}
			class := "ok"
			if !e.OK {
				class = "failed"
			}
			fmt.Fprintf(&b, `<td class="page"><a class="%s" href="%s">%s</a><br><span class="status %s">%s, %s</span></td>`,
				kindName(k), e.Href, kindName(k), class, html.EscapeString(e.Status), formatDuration(e.Elapsed))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody></table>\n</main>\n</body>\n</html>\n")
	page := scrub.apply(b.String())
	return safefile.WriteBytes(filepath.Join(opts.Out, "index.html"), []byte(page))
}

func formatDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.0f s", d.Seconds())
	}
	return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
}

// noFavicon keeps browsers from asking the server for a /favicon.ico that
// the site does not have.
const noFavicon = `<link rel="icon" href="data:,">`

// pageHead starts the site's own pages (index, references): title, extra
// head elements.
const pageHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%s</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="klcourse.css">
<script type="text/x-mathjax-config">
MathJax.Hub.Config({tex2jax: {inlineMath: [['$','$'], ['\\(','\\)']], processEscapes: true}});
</script>
<script src="mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"></script>%s
</head>
<body class="klcourse-site">
`

// styleSheet is the site's style: the navigation bar, the site's own pages,
// and tables of the notebooks laid out by their content (JupyterLab's fixed
// layout gives each column the same width, so that a formula wraps over
// three lines in a narrow column beside a mostly empty one).
const styleSheet = `.klcourse-nav {
  display: flex; flex-wrap: wrap; gap: 0.5em 1.5em; align-items: baseline; justify-content: space-between;
  max-width: 1100px; margin: 0.5em auto; padding: 0.6em 1em; border-bottom: 1px solid #ddd;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.klcourse-nav a { color: #0b5cad; text-decoration: none; }
.klcourse-nav a:hover { text-decoration: underline; }
.klcourse-nav .prev, .klcourse-nav .next { flex: 1 1 12em; }
.klcourse-nav .next { text-align: right; }
.jp-RenderedHTMLCommon table { table-layout: auto; width: auto; max-width: 100%; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { vertical-align: top; }
.jp-RenderedHTMLCommon td .MathJax_CHTML, .jp-RenderedHTMLCommon th .MathJax_CHTML { white-space: nowrap; }
body.klcourse-site { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #222; margin: 0; }
body.klcourse-site main { max-width: 1100px; margin: 0 auto; padding: 0 1em 3em; }
table.toc { border-collapse: collapse; width: 100%; }
table.toc th, table.toc td { border-bottom: 1px solid #ddd; padding: 0.5em; text-align: left; vertical-align: top; }
table.toc td.number { font-weight: bold; }
table.toc td.title { font-weight: 600; min-width: 12em; }
table.toc td.page { white-space: nowrap; }
table.toc .status { font-size: 85%; color: #555; }
table.toc .status.failed { color: #b00020; font-weight: bold; }
ol.references li { margin-bottom: 1em; }
`
