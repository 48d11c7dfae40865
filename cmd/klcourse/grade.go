package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/klcourse/klcourse/internal/grade"
	"github.com/klcourse/klcourse/internal/safefile"
	"github.com/klcourse/klcourse/pkg/course"
)

func init() {
	register(command{
		name:    "grade",
		summary: "grade submitted notebooks against a solution: grades.csv, grades.json, feedback pages",
		run:     runGrade,
	})
	register(command{
		name:    "validate",
		summary: "run an exercise's self-checks exactly as the grader does and print the points they give",
		run:     runValidate,
	})
}

type gradeFlags struct {
	quick          *bool
	timeout, total *time.Duration
	memoryMiB      *int64
	backend        *string
	sandbox        *bool
}

func addGradeFlags(fs interface {
	Bool(string, bool, string) *bool
	Duration(string, time.Duration, string) *time.Duration
	Int64(string, int64, string) *int64
	String(string, string, string) *string
}) gradeFlags {
	return gradeFlags{
		quick:     fs.Bool("quick", false, "quick mode for the tests' programs ("+course.QuickEnv+"=1)"),
		timeout:   fs.Duration("timeout", 2*time.Minute, "time limit of each test cell's program (and of each build)"),
		total:     fs.Duration("submission-timeout", 10*time.Minute, "time limit of one submission, build and tests together"),
		memoryMiB: fs.Int64("memory", 4096, "memory limit of each test's program, in MiB of address space"),
		backend:   fs.String("backend", "go", "GOMLX_BACKEND for the tests (the solution's reference values are computed on the same)"),
		sandbox:   fs.Bool("sandbox", false, "run each test's program as nobody, without network, with private temporary folders (needs root; the lab's way to grade untrusted submissions)"),
	}
}

func (g gradeFlags) options(root string) grade.Options {
	opts := grade.Options{Root: root, Timeout: *g.timeout, Total: *g.total, Memory: *g.memoryMiB << 20,
		Env: []string{"GOMLX_BACKEND=" + *g.backend, course.QuickEnv + "=0"}, Sandbox: *g.sandbox}
	if *g.quick {
		opts.Env[1] = course.QuickEnv + "=1"
	}
	return opts
}

func runGrade(args []string) error {
	if len(args) > 0 && args[0] == "serve" {
		return runGradeServe(args[1:])
	}
	fs := newFlagSet("grade", "--solution solutions/NAME.ipynb --out DIR SUBMISSION...  (or: grade serve --out DIR)")
	gf := addGradeFlags(fs)
	solution := fs.String("solution", "", "the instructor's solution notebook (required)")
	out := fs.String("out", "", "output folder: results/, grades.csv, grades.json, feedback/ (required)")
	jobs := fs.Int("j", 2, "submissions graded at the same time")
	force := fs.Bool("force", false, "grade again submissions that already have a result in --out")
	students := fs.String("student", "", "grade only these students (comma-separated), e.g. to regrade one")
	of := addOutputFlags(fs)
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	oo, err := of.options()
	if err != nil {
		return err
	}
	oo.Root, _ = moduleRoot()
	if *solution == "" || *out == "" {
		return usageError("grade needs --solution solutions/NAME.ipynb and --out DIR")
	}
	if len(paths) == 0 {
		return usageError("no submissions given: name files or folders (nbgrader's submitted/ or a folder of LMS downloads)")
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	spec, err := grade.LoadSpec(*solution)
	if err != nil {
		return err
	}
	subs, err := grade.Discover(paths, *out)
	if err != nil {
		return usageError("%v", err)
	}
	if *students != "" {
		want := map[string]bool{}
		for _, s := range strings.Split(*students, ",") {
			want[strings.TrimSpace(s)] = true
		}
		var kept []grade.Submission
		for _, s := range subs {
			if want[s.Student] {
				kept = append(kept, s)
			}
		}
		if len(kept) == 0 {
			return usageError("--student %s matches none of the %d submissions", *students, len(subs))
		}
		subs = kept
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := gf.options(root)
	if opts.Sandbox {
		if err := grade.CheckSandbox(); err != nil {
			return usageError("--sandbox: %v", err)
		}
	}
	// The grades and every student's feedback: the instructor's alone.
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	start := time.Now()
	ref, err := reference(ctx, spec, opts, *out)
	if err != nil {
		return err
	}
	fmt.Printf("klcourse grade: %d submission(s) of %s, %d at a time, %v per test, results in %s\n", len(subs), spec.Name, *jobs, opts.Timeout, *out)
	_, err = grade.Batch(ctx, spec, ref, subs, opts, *jobs, *out, *force, os.Stdout)
	if err != nil {
		return err
	}
	all, warnings, err := grade.WriteOutputs(spec, *out, oo)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Println("roster:", w)
	}
	grade.Summary(os.Stdout, spec, all)
	if sim, _ := grade.ReadSimilarity(*out); sim != nil && len(sim.Pairs) > 0 {
		fmt.Printf("\n%d pair(s) of similar answers flagged (see %s, or `klcourse grade serve --out %s`): a flag to look at, not a score\n", len(sim.Pairs), filepath.Join(*out, grade.SimilarFile), *out)
	}
	fmt.Printf("\nwrote %s, %s and %s (%.0fs)\n", filepath.Join(*out, "grades.csv"), filepath.Join(*out, "grades.json"),
		filepath.Join(*out, "feedback", "*.html"), time.Since(start).Seconds())
	return nil
}

// reference returns the solution's evaluations of its tests, from the cache
// in dir when it is for the same solution and settings.
func reference(ctx context.Context, spec *grade.Spec, opts grade.Options, dir string) (*grade.Reference, error) {
	path := filepath.Join(dir, "reference.json")
	key := spec.SHA256 + " " + strings.Join(opts.Env, " ")
	if data, err := os.ReadFile(path); err == nil {
		var cached struct {
			Key string
			Ref *grade.Reference
		}
		if json.Unmarshal(data, &cached) == nil && cached.Key == key && cached.Ref != nil {
			return cached.Ref, nil
		}
	}
	fmt.Printf("running the solution's tests for the reference values ...\n")
	ref, err := grade.BuildReference(ctx, spec, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Path, err)
	}
	data, _ := json.Marshal(struct {
		Key string
		Ref *grade.Reference
	}{key, ref})
	return ref, safefile.WriteBytes(path, data)
}

func runValidate(args []string) error {
	fs := newFlagSet("validate", "exercises/NAME.ipynb")
	gf := addGradeFlags(fs)
	solution := fs.String("solution", "", "the solution notebook (default: the one the exercise was generated from)")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(paths) != 1 {
		return usageError("validate takes one notebook, e.g. `klcourse validate exercises/02_cifar10_kl_losses.ipynb`")
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if *solution == "" {
		*solution = filepath.Join(root, "solutions", filepath.Base(paths[0]))
	}
	spec, err := grade.LoadSpec(*solution)
	if err != nil {
		return err
	}
	opts := gf.options(root)
	opts.VisibleOnly = true
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cache, err := os.MkdirTemp("", "klcourse-validate-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(cache)
	ref, err := grade.BuildReference(ctx, spec, opts)
	if err != nil {
		return err
	}
	r := grade.Grade(ctx, spec, ref, grade.Submission{Student: "you", Path: paths[0]}, opts)
	fmt.Printf("%s: %s\n", paths[0], r.Status)
	if r.Message != "" {
		fmt.Println(indent(r.Message, "  "))
	}
	visibleMax := 0.0
	for _, q := range r.Questions {
		if q.Written {
			state := "no answer yet"
			if q.Answer != "" {
				state = "answered"
			}
			fmt.Printf("\n%s: a written answer (%s), marked by a person out of %.2f points\n", q.ID, state, q.Max)
			continue
		}
		qmax := 0.0
		for _, t := range q.Tests {
			qmax += t.Max
		}
		visibleMax += q.Points
		fmt.Printf("\n%s: %.2f of the %.2f points of its self-checks (the grader's hidden tests decide the rest of its %.2f)\n", q.ID, q.Points, qmax, spec.Question(q.ID).Points)
		if q.Reason != "" {
			fmt.Println(indent(q.Reason, "  "))
		}
		for _, t := range q.Tests {
			mark := "pass"
			if !t.Passed {
				mark = "FAIL " + t.Detail
			}
			fmt.Printf("  %s — %s: %s\n", t.Check, t.Case, mark)
		}
	}
	for _, n := range r.Notes {
		fmt.Println("note:", n)
	}
	fmt.Printf("\nself-checks: %.2f points\n", r.Total)
	_ = visibleMax
	return nil
}

type outputFlags struct {
	due, penalty, cap, extensions, roster *string
	grace                                 *time.Duration
}

func addOutputFlags(fs interface {
	Duration(string, time.Duration, string) *time.Duration
	String(string, string, string) *string
}) outputFlags {
	return outputFlags{
		due:        fs.String("due", "", "the deadline: 2026-12-01T23:59:00Z (RFC 3339) or \"2026-12-01 23:59\" (UTC); none when empty"),
		penalty:    fs.String("late-penalty", "10%/day", "what lateness costs, per started day or hour after the grace period: 10%/day, 2%/hour"),
		cap:        fs.String("late-cap", "100%", "the largest penalty"),
		grace:      fs.Duration("grace", 0, "late by less than this is on time"),
		roster:     fs.String("roster", "", "class list, a CSV with the columns student,id,email,section: maps file names to students, lists who submitted nothing, fills canvas.csv and moodle.csv"),
		extensions: fs.String("extensions", "", "CSV of per-student deadlines: student,due (a time) or student,extra (a duration such as 48h)"),
	}
}

func (f outputFlags) options() (grade.OutputOptions, error) {
	var oo grade.OutputOptions
	if *f.roster != "" {
		var err error
		if oo.Roster, err = grade.ReadRoster(*f.roster); err != nil {
			return oo, usageError("%v", err)
		}
	}
	if *f.due == "" {
		if *f.extensions != "" {
			return oo, usageError("--extensions needs --due")
		}
		return oo, nil
	}
	due, err := grade.ParseTimestamp(*f.due)
	if err != nil {
		return oo, usageError("--due: %v", err)
	}
	rate, unit, err := grade.ParsePenalty(*f.penalty)
	if err != nil {
		return oo, usageError("%v", err)
	}
	capped, err := grade.ParseCap(*f.cap)
	if err != nil {
		return oo, usageError("%v", err)
	}
	if *f.grace < 0 {
		return oo, usageError("--grace %v is negative", *f.grace)
	}
	lp := &grade.LatePolicy{Due: due, Grace: *f.grace, Rate: rate, Unit: unit, Cap: capped}
	if *f.extensions != "" {
		if lp.Extensions, err = grade.ReadExtensions(*f.extensions, due); err != nil {
			return oo, usageError("%v", err)
		}
	}
	oo.Late = lp
	return oo, nil
}

// runGradeServe serves the marking page of written answers until interrupted.
func runGradeServe(args []string) error {
	fs := newFlagSet("grade serve", "--out DIR")
	out := fs.String("out", "", "the output folder of `klcourse grade` (required)")
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on (a loopback address; port 0 picks a free one)")
	remote := fs.Bool("remote", false, "allow an --addr that is not loopback (the page holds students' answers; its token is its only lock)")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *out == "" || len(paths) > 0 {
		return usageError("grade serve takes --out DIR, the folder `klcourse grade` wrote, and nothing else")
	}
	srv, err := grade.NewServer(*out)
	if err != nil {
		return err
	}
	l, err := grade.Listen(*addr, *remote)
	if err != nil {
		return usageError("%v", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	fmt.Printf("marking the written answers in %s: open\n\n  %s\n\nmarks are saved to %s as you go; the next `klcourse grade --out %s …` merges them. Ctrl-C stops.\n",
		*out, srv.URL(l), filepath.Join(*out, grade.MarksFile), *out)
	if err := hs.Serve(l); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}
