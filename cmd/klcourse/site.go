package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/klcourse/klcourse/internal/nbrun"
	"github.com/klcourse/klcourse/internal/site"
	"github.com/klcourse/klcourse/pkg/course"
	"github.com/klcourse/klcourse/pkg/datasets"
	"github.com/klcourse/klcourse/pkg/runs"
)

// The site command builds the course as a static web site: it runs the
// notebooks as `run` does, then writes the pages with an index, navigation,
// references and MathJax into one folder that works from any web server or
// from disk, offline.
func init() {
	register(command{
		name:    "site",
		summary: "run the course and build it as a static web site (students' or, with --instructors, instructors' edition)",
		run:     runSite,
	})
}

func runSite(args []string) error {
	fs := newFlagSet("site", "[PATH...]")
	instructors := fs.Bool("instructors", false, "the instructors' edition: lectures, exercises and solutions (default: lectures and exercises)")
	quick := fs.Bool("quick", false, "quick mode: set "+course.QuickEnv+"=1 so that every notebook scales its data and epochs down")
	out := fs.String("out", "", "the site's folder (default: site, or site-instructors with --instructors); an earlier site there is replaced")
	timeout := fs.Duration("timeout", 30*time.Minute, "interrupt and fail a cell that runs longer than this")
	python := fs.String("python", "", "Python interpreter with nbclient and nbconvert (default: found automatically)")
	mathjax := fs.String("mathjax", site.DefaultMathJax, "folder of MathJax 2.7, copied into the site (Debian: libjs-mathjax)")
	verbose := fs.Bool("v", false, "print a line for every executed cell")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *timeout < time.Second {
		return usageError("--timeout %v is too short: want at least 1s", *timeout)
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if *out == "" {
		*out = map[bool]string{false: "site", true: "site-instructors"}[*instructors]
	}
	if len(paths) == 0 {
		for _, kind := range []string{site.Lecture, site.Exercise, site.Solution} {
			if kind == site.Solution && !*instructors {
				continue
			}
			paths = append(paths, filepath.Join(root, kind))
		}
	}
	notebooks, err := nbrun.Find(paths)
	if err != nil {
		return usageError("%v", err)
	}
	for _, nb := range notebooks {
		kind := filepath.Base(filepath.Dir(nb))
		if kind != site.Lecture && kind != site.Exercise && kind != site.Solution {
			return usageError("%s: a course notebook lives in notebooks/, exercises/ or solutions/", nb)
		}
		if kind == site.Solution && !*instructors {
			return usageError("%s: solutions go into the instructors' edition only (--instructors)", nb)
		}
	}
	if _, err := os.Stat(filepath.Join(*mathjax, "MathJax.js")); err != nil {
		return fmt.Errorf("MathJax 2.7 not found in %s: install Debian's libjs-mathjax (apt-get install libjs-mathjax) or point --mathjax at an unpacked MathJax 2.7", *mathjax)
	}
	work, err := os.MkdirTemp("", "klcourse-site-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// Each kind renders into a folder of its own: a lecture, its exercise and
	// its solution may share their file name.
	opts := nbrun.Options{Timeout: *timeout, Python: *python}
	opts.Env = append(opts.Env, course.QuickEnv+"="+map[bool]string{false: "0", true: "1"}[*quick])
	if *verbose {
		opts.Progress = os.Stdout
	}
	mode := map[bool]string{true: "quick", false: "full"}[*quick]
	fmt.Printf("klcourse site: %d notebook(s), %s mode, cell timeout %v, site in %s\n", len(notebooks), mode, *timeout, *out)
	start := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var results []nbrun.Result
	for _, nb := range notebooks {
		one := opts
		one.OutDir = filepath.Join(work, filepath.Base(filepath.Dir(nb)))
		r, err := runNotebooks(ctx, []string{nb}, one)
		if err != nil {
			return err
		}
		results = append(results, r...)
	}
	failed := report(os.Stdout, results, time.Since(start))
	if ctx.Err() != nil {
		fmt.Println("\nklcourse site: interrupted; no site written")
		return errInterrupted
	}
	var pages []site.Page
	for _, r := range results {
		if r.HTML == "" {
			fmt.Printf("klcourse site: %s has no page (it could not run); left out of the site\n", r.Notebook)
			continue
		}
		status := string(r.Status)
		if r.Failure != nil && r.Failure.Cell > 0 {
			status += fmt.Sprintf(" at cell %d", r.Failure.Cell)
		}
		pages = append(pages, site.Page{
			Kind: filepath.Base(filepath.Dir(r.Notebook)), Source: r.Notebook,
			Executed: r.IPYNB, HTML: r.HTML, Status: status, OK: r.Status == nbrun.OK, Elapsed: r.Elapsed,
		})
	}
	err = site.Build(pages, site.Options{
		Out: *out, MathJax: *mathjax, Instructors: *instructors, Mode: mode, Built: start,
		Paths: localPaths(root, work),
	})
	if err != nil {
		return err
	}
	fmt.Printf("\nThe site is in %s: open %s\n", *out, filepath.Join(*out, "index.html"))
	if failed > 0 {
		return errSilent
	}
	return nil
}

// localPaths maps the paths of this machine that notebooks may print to what
// the site shows instead.
func localPaths(root, work string) map[string]string {
	paths := map[string]string{root: "klcourse", work: "build", os.TempDir(): "$TMPDIR"}
	if home, err := os.UserHomeDir(); err == nil {
		paths[home] = "~"
	}
	if data, err := datasets.Root(); err == nil {
		paths[data] = "$" + datasets.DataEnv
	}
	if runs, err := course.RunDir(""); err == nil {
		// RunDir("") is the runs folder of this mode; its parent is the root.
		paths[filepath.Dir(filepath.Clean(runs))] = "$" + course.RunsEnv
	}
	// A shared store's provenance lines name it ("Loaded … from the shared
	// runs in /opt/klcourse/runs"): the page names the variable instead.
	for i, store := range runs.SharedStores() {
		paths[filepath.Clean(store)] = fmt.Sprintf("$%s[%d]", runs.StoresEnv, i)
	}
	for k := range paths {
		if resolved, err := filepath.EvalSymlinks(k); err == nil && resolved != k {
			paths[resolved] = paths[k]
		}
	}
	return paths
}
