package main

import (
	"fmt"
	"path/filepath"

	"github.com/klcourse/klcourse/internal/results"
)

func init() {
	register(command{
		name:    "results",
		summary: "write docs/results.md from the lectures' recorded results and the bench JSON (--check: fail when it is stale)",
		run:     runResults,
	})
}

func runResults(args []string) error {
	fs := newFlagSet("results", "")
	check := fs.Bool("check", false, "write nothing; fail when "+results.Page+" is not what the recorded results give")
	bench := fs.String("bench", results.BenchJSON, "the JSON of `klcourse bench --compare --json FILE`, relative to the module root")
	if rest, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usageError("no arguments expected, got %q", rest)
	}
	if filepath.IsAbs(*bench) || !filepath.IsLocal(*bench) {
		return usageError("--bench %q: expected a path inside the checkout, relative to its root (the page names it)", *bench)
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	benchPath := filepath.ToSlash(filepath.Clean(*bench))
	if *check {
		if err := results.Check(root, benchPath); err != nil {
			return err
		}
		fmt.Printf("%s is up to date\n", results.Page)
		return nil
	}
	if err := results.Write(root, benchPath); err != nil {
		return err
	}
	fmt.Printf("wrote %s\n", results.Page)
	return nil
}
