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
	"time"

	"github.com/klcourse/klcourse/internal/nbrun"
	"github.com/klcourse/klcourse/internal/safefile"
	"github.com/klcourse/klcourse/pkg/course"
	"github.com/klcourse/klcourse/pkg/runs"
)

func init() {
	register(command{
		name:    "runs",
		summary: "the run store: build, list, verify, pack, unpack and clean trained runs",
		run:     runRuns,
	})
}

const runsUsage = `Usage: klcourse runs SUBCOMMAND [FLAGS] [ARGS]

The run store keeps every training a notebook does, with a key (notebook, run,
configuration, the code that trains it) and a card (when, how long, on what,
final metrics, the files' SHA-256). A cell that would train loads a stored run
with the same key instead, and prints where it came from. See pkg/runs.

  build [--store DIR] [PATH...]   execute notebooks (default: notebooks/ and solutions/) in full mode,
                                  keeping their runs in DIR (default: your own store)
  list [--store DIR]              every run: key, notebook, run, when, how long, size
  verify [--store DIR]            recompute every file's SHA-256 and check every card
  pack --out FILE [--store DIR] [KEY...]
                                  a bundle (tar.gz) of the store's runs, to hand to a lab
                                  (an exercise's runs only when their KEY is named)
  unpack [--store DIR] FILE       add a bundle's runs to a store, each verified first
  gc [--store DIR] [--dry-run]    drop the runs whose training code has changed, and the
                                  folders of trainings left unfinished for 6h or more

DIR defaults to your own store (` + "$" + runs.RunsEnv + `/store, or ~/.cache/klcourse/runs/store).
Shared read-only stores are listed in ` + "$" + runs.StoresEnv + `; ` + "$" + runs.RetrainEnv + `=1 trains again.
A lab installs a bundle for every student with: klcourse setup --system --runs FILE
`

func runRuns(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, runsUsage)
		if len(args) == 0 {
			return usageError("a subcommand is needed")
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	fs := newFlagSet("runs "+sub, "")
	store := fs.String("store", "", "the store (default: your own)")
	var out *string
	var dryRun *bool
	switch sub {
	case "pack":
		out = fs.String("out", "", "the bundle to write (a .tar.gz)")
	case "gc":
		dryRun = fs.Bool("dry-run", false, "only list what would be dropped")
	case "build", "list", "verify", "unpack":
	default:
		return usageError("unknown subcommand %q (see klcourse runs help)", sub)
	}
	pos, err := parseFlags(fs, rest)
	if err != nil {
		return err
	}
	if *store == "" {
		if *store, err = runs.OwnStore(); err != nil {
			return err
		}
	}
	switch sub {
	case "build":
		return runsBuild(*store, pos)
	case "list":
		return runsList(os.Stdout, *store)
	case "verify":
		return runsVerify(os.Stdout, *store)
	case "pack":
		if *out == "" {
			return usageError("pack needs --out FILE")
		}
		return runsPack(*out, *store, pos)
	case "unpack":
		if len(pos) != 1 {
			return usageError("unpack needs one bundle, got %d arguments", len(pos))
		}
		return runsUnpack(os.Stdout, pos[0], *store)
	default: // gc
		root, err := moduleRoot()
		if err != nil {
			return err
		}
		dropped, leftovers, err := runs.GC(*store, root, *dryRun)
		verb := "dropped"
		if *dryRun {
			verb = "would drop"
		}
		for _, s := range dropped {
			fmt.Printf("%s %s %s/%s: %s\n", verb, shortKey(s.Dir), s.Card.Notebook, s.Card.Name, runs.Stale(s, root))
		}
		for _, dir := range leftovers {
			fmt.Printf("%s %s: a training or unpacking left unfinished for %.0f hours or more\n", verb, filepath.Base(dir), runs.LeftoverAge.Hours())
		}
		if err == nil {
			fmt.Printf("klcourse runs gc: %d run(s) stale, %d unfinished folder(s) left over, in %s\n", len(dropped), len(leftovers), *store)
		}
		return err
	}
}

func shortKey(dir string) string {
	k := filepath.Base(dir)
	if len(k) > 12 {
		return k[:12]
	}
	return k
}

func runsList(w io.Writer, store string) error {
	list, err := runs.List(store)
	if err != nil {
		return err
	}
	var total int64
	fmt.Fprintf(w, "%-12s  %-22s %-30s %-20s %9s %9s\n", "key", "notebook", "run", "trained", "took", "size")
	for _, s := range list {
		total += s.Size
		if s.Err != nil {
			fmt.Fprintf(w, "%-12s  BROKEN: %v\n", shortKey(s.Dir), s.Err)
			continue
		}
		took := (time.Duration(s.Card.Seconds) * time.Second).String()
		fmt.Fprintf(w, "%-12s  %-22s %-30s %-20s %9s %9s\n", shortKey(s.Dir), s.Card.Notebook, s.Card.Name,
			strings.Replace(s.Card.Created, "T", " ", 1), took, mib(s.Size))
	}
	fmt.Fprintf(w, "%d run(s), %s, in %s\n", len(list), mib(total), store)
	all, err := runs.Leftovers(store, 0)
	if err != nil {
		return err
	}
	if len(all) > 0 {
		old, _ := runs.Leftovers(store, runs.LeftoverAge)
		fmt.Fprintf(w, "%d unfinished training or unpacking folder(s) (.training-*, .unpack-*): %d in progress or recent, %d left %.0f hours or more (klcourse runs gc removes those)\n",
			len(all), len(all)-len(old), len(old), runs.LeftoverAge.Hours())
	}
	return nil
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func runsVerify(w io.Writer, store string) error {
	list, err := runs.List(store)
	if err != nil {
		return err
	}
	bad := 0
	for _, s := range list {
		if s.Err != nil {
			bad++
			fmt.Fprintf(w, "  BROKEN  %v\n", s.Err)
			continue
		}
		fmt.Fprintf(w, "  ok      %s %s/%s (%d files)\n", shortKey(s.Dir), s.Card.Notebook, s.Card.Name, len(s.Card.Files))
	}
	fmt.Fprintf(w, "klcourse runs verify: %d run(s), %d broken, in %s\n", len(list), bad, store)
	if bad > 0 {
		return errSilent
	}
	return nil
}

func runsPack(out, store string, keys []string) error {
	n := 0
	err := safefile.Write(out, func(w io.Writer) error {
		var err error
		n, err = runs.Pack(w, store, keys)
		return err
	}, nil)
	if err != nil {
		return err
	}
	if n == 0 {
		os.Remove(out)
		return fmt.Errorf("no runs to pack in %s", store)
	}
	info, _ := os.Stat(out)
	fmt.Printf("klcourse runs pack: %d run(s) from %s in %s (%s)\n", n, store, out, mib(info.Size()))
	return nil
}

func runsUnpack(w io.Writer, bundle, store string) error {
	f, err := os.Open(bundle)
	if err != nil {
		return err
	}
	defer f.Close()
	added, err := runs.Unpack(f, bundle, store)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "klcourse runs unpack: %d run(s) added to %s from %s, each verified\n", len(added), store, bundle)
	return nil
}

// runsBuild executes notebooks in full mode with the store as their own
// store, so that every training they do is kept there.
func runsBuild(store string, paths []string) error {
	if filepath.Base(store) != "store" {
		return usageError("--store %s: a store built by notebooks is the store/ folder of a runs folder (%s): name a folder called store", store, runs.RunsEnv)
	}
	if len(paths) == 0 {
		// The lectures, and the solutions: lecture 2 is rendered from its
		// solution. An exercise's runs are keyed by the answer, so the
		// solutions' runs never stand in for a student's.
		paths = []string{"notebooks", "solutions"}
	}
	notebooks, err := nbrun.Find(paths)
	if err != nil {
		return usageError("%v", err)
	}
	opts := nbrun.Options{Timeout: 3 * time.Hour, OutDir: filepath.Join("build", "runs")}
	if root, err := moduleRoot(); err == nil {
		opts.Root = root
	}
	opts.Env = append(opts.Env, course.QuickEnv+"=0", runs.RunsEnv+"="+filepath.Dir(store))
	before, _ := runs.List(store)
	fmt.Printf("klcourse runs build: %d notebook(s) in full mode, runs kept in %s\n", len(notebooks), store)
	start := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, err := runNotebooks(ctx, notebooks, opts)
	if err != nil {
		return err
	}
	failed := report(os.Stdout, results, time.Since(start))
	after, _ := runs.List(store)
	fmt.Printf("klcourse runs build: the store holds %d run(s), %d before\n", len(after), len(before))
	if ctx.Err() != nil {
		return errInterrupted
	}
	if failed > 0 {
		return errSilent
	}
	return nil
}
