package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/klcourse/klcourse/internal/assign"
	"github.com/klcourse/klcourse/internal/nbrun"
	"github.com/klcourse/klcourse/internal/notebook"
	"github.com/klcourse/klcourse/internal/safefile"
)

func init() {
	register(command{
		name:    "assign",
		summary: "generate exercises/*.ipynb from solutions/*.ipynb (--check: fail when they are out of date)",
		run:     runAssign,
	})
}

func runAssign(args []string) error {
	fs := newFlagSet("assign", "[SOLUTION.ipynb...]")
	check := fs.Bool("check", false, "write nothing; fail when an exercise is missing, out of date, or has no solution")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	solDir, exDir := filepath.Join(root, "solutions"), filepath.Join(root, "exercises")
	if len(paths) == 0 {
		paths = []string{solDir}
	}
	solutions, err := nbrun.Find(paths)
	if err != nil {
		return usageError("%v", err)
	}
	var problems []string
	want := map[string]bool{}
	for _, sol := range solutions {
		exercise := filepath.Join(exDir, filepath.Base(sol))
		want[exercise] = true
		generated, err := generateExercise(root, sol)
		if err != nil {
			return err
		}
		current, _ := os.ReadFile(exercise)
		if bytes.Equal(current, generated) {
			continue
		}
		rel, _ := filepath.Rel(root, exercise)
		if *check {
			problems = append(problems, fmt.Sprintf("%s is out of date", rel))
			continue
		}
		if err := os.MkdirAll(exDir, 0o755); err != nil {
			return err
		}
		if err := safefile.WriteBytes(exercise, generated); err != nil {
			return err
		}
		fmt.Printf("wrote %s\n", rel)
	}
	if *check && containsDir(paths, solDir) {
		// An exercise whose solution is gone would never be regenerated.
		existing, _ := filepath.Glob(filepath.Join(exDir, "*.ipynb"))
		for _, ex := range existing {
			if !want[ex] {
				rel, _ := filepath.Rel(root, ex)
				problems = append(problems, fmt.Sprintf("%s has no solution in solutions/", rel))
			}
		}
	}
	if len(problems) > 0 {
		fmt.Printf("%s\nrun `go run ./cmd/klcourse assign` to regenerate the exercises\n", strings.Join(problems, "\n"))
		return errSilent
	}
	return nil
}

// generateExercise returns the exercise notebook for the solution at path,
// as it would be written.
func generateExercise(root, path string) ([]byte, error) {
	nb, err := notebook.Read(path)
	if err != nil {
		return nil, err
	}
	abs, _ := filepath.Abs(path)
	rel, err := filepath.Rel(root, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = path
	}
	ex, err := assign.Generate(nb, filepath.ToSlash(rel))
	if err != nil {
		return nil, err
	}
	return ex.Marshal()
}

func containsDir(paths []string, dir string) bool {
	for _, p := range paths {
		if abs, _ := filepath.Abs(p); abs == dir {
			return true
		}
	}
	return false
}
