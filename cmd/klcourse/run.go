package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/klcourse/klcourse/internal/nbrun"
	"github.com/klcourse/klcourse/internal/verdict"
	"github.com/klcourse/klcourse/pkg/course"
)

func init() {
	register(command{
		name:    "run",
		summary: "execute notebooks headlessly with the GoNB kernel and render them to HTML",
		run:     runRun,
	})
}

func runRun(args []string) error {
	fs := newFlagSet("run", "PATH...")
	quick := fs.Bool("quick", false, "quick mode: set "+course.QuickEnv+"=1 so that every notebook scales its data and epochs down")
	out := fs.String("out", "build", "directory for the executed notebooks and their HTML pages")
	timeout := fs.Duration("timeout", 30*time.Minute, "interrupt and fail a cell that runs longer than this")
	python := fs.String("python", "", "Python interpreter with nbclient and nbconvert (default: found automatically)")
	verbose := fs.Bool("v", false, "print a line for every executed cell")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageError("no notebooks given: name .ipynb files or directories, e.g. `klcourse run --quick notebooks`")
	}
	if *timeout < time.Second {
		return usageError("--timeout %v is too short: want at least 1s", *timeout)
	}
	notebooks, err := nbrun.Find(paths)
	if err != nil {
		return usageError("%v", err)
	}
	opts := nbrun.Options{Timeout: *timeout, OutDir: *out, Python: *python}
	if root, err := moduleRoot(); err == nil {
		opts.Root = root
	}
	if *quick {
		opts.Env = append(opts.Env, course.QuickEnv+"=1")
	} else {
		// A quick setting inherited from the shell would silently shorten the
		// real course: the flag decides, and the run says so.
		opts.Env = append(opts.Env, course.QuickEnv+"=0")
		if course.Quick() {
			fmt.Fprintf(os.Stderr, "klcourse run: %s=%s in the environment is not used: this run is in full mode (hours); add --quick for quick mode\n", course.QuickEnv, os.Getenv(course.QuickEnv))
		}
	}
	if *verbose {
		opts.Progress = os.Stdout
	}
	mode := map[bool]string{true: "quick", false: "full"}[*quick]
	fmt.Printf("klcourse run: %d notebook(s), %s mode, cell timeout %v, output in %s\n", len(notebooks), mode, *timeout, *out)
	start := time.Now()
	// Ctrl-C or SIGTERM stops the run: the notebook that runs has its kernel
	// shut down, and nothing the run started is left behind.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, err := runNotebooks(ctx, notebooks, opts)
	if err != nil {
		return err
	}
	failed := report(os.Stdout, results, time.Since(start))
	if ctx.Err() != nil {
		fmt.Println("\nklcourse run: interrupted; the kernel was shut down")
		return errInterrupted
	}
	if failed > 0 {
		return errSilent
	}
	return nil
}

// runNotebooks runs the notebooks one at a time, printing each one's outcome
// as soon as it is known, so that a long run shows progress.
func runNotebooks(ctx context.Context, notebooks []string, opts nbrun.Options) ([]nbrun.Result, error) {
	var results []nbrun.Result
	for _, nb := range notebooks {
		if ctx.Err() != nil {
			break
		}
		fmt.Printf("  running %s ...\n", nb)
		o := opts
		if isSolution(nb) {
			// A solution whose self-check fails is a failing notebook.
			o.Env = append(append([]string(nil), opts.Env...), verdict.StrictEnv+"=1")
		}
		r, err := nbrun.RunContext(ctx, []string{nb}, o)
		if err != nil {
			return nil, err
		}
		if len(r) == 0 {
			break
		}
		fmt.Printf("  %-7s %s (%.1fs)\n", r[0].Status, nb, r[0].Elapsed.Seconds())
		results = append(results, r...)
	}
	return results, nil
}

// report prints the summary table and the failures, and returns how many
// notebooks failed.
func report(w io.Writer, results []nbrun.Result, elapsed time.Duration) int {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NOTEBOOK\tCELLS\tSECONDS\tSTATUS")
	failed := 0
	for _, r := range results {
		status := string(r.Status)
		if r.Failure != nil && r.Failure.Cell > 0 {
			status += fmt.Sprintf(" at cell %d", r.Failure.Cell)
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%.1f\t%s\n", r.Notebook, r.Ran, r.Cells, r.Elapsed.Seconds(), status)
		if r.Status != nbrun.OK {
			failed++
		}
	}
	fmt.Fprintf(tw, "total\t\t%.1f\t%d of %d notebooks passed\n", elapsed.Seconds(), len(results)-failed, len(results))
	tw.Flush()
	for _, r := range results {
		if r.Failure == nil {
			continue
		}
		where := ""
		if r.Failure.Cell > 0 {
			where = fmt.Sprintf(", cell %d (%s)", r.Failure.Cell, r.Failure.Source)
		}
		fmt.Fprintf(w, "\n%s %s%s:\n%s\n", r.Status, r.Notebook, where, indent(r.Failure.Error, "    "))
		if r.IPYNB != "" {
			fmt.Fprintf(w, "    executed copy: %s\n", r.IPYNB)
		}
	}
	if written := writtenDir(results); written != "" {
		fmt.Fprintf(w, "\nExecuted notebooks and HTML pages are in %s\n", written)
	}
	return failed
}

func writtenDir(results []nbrun.Result) string {
	for _, r := range results {
		if r.HTML != "" {
			return filepath.Dir(r.HTML)
		}
	}
	return ""
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// isSolution reports whether a notebook is one of the course's solutions.
func isSolution(path string) bool {
	root, err := moduleRoot()
	if err != nil {
		return false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(filepath.Join(root, "solutions"), abs)
	return err == nil && !strings.HasPrefix(rel, "..")
}
