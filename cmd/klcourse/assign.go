package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the expected values are computed on the pure-Go backend

	"github.com/klcourse/klcourse/internal/assign"
	"github.com/klcourse/klcourse/internal/nbrun"
	"github.com/klcourse/klcourse/internal/notebook"
	"github.com/klcourse/klcourse/internal/safefile"
	ex "github.com/klcourse/klcourse/pkg/exercise"
	"github.com/klcourse/klcourse/solutions/references"
)

func init() {
	register(command{
		name:    "assign",
		summary: "generate exercises/*.ipynb, and the expected values of their self-checks (exercises/*.checks.json), from solutions/ (--check: fail when they are out of date)",
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
		outputs := map[string][]byte{exercise: generated}
		name := strings.TrimSuffix(filepath.Base(sol), ".ipynb")
		if _, ok := references.Exercises[name]; ok {
			checks := filepath.Join(exDir, name+ex.ChecksSuffix)
			want[checks] = true
			if outputs[checks], err = generateExpected(root, sol, name); err != nil {
				return err
			}
		}
		for _, path := range slices.Sorted(maps.Keys(outputs)) {
			current, _ := os.ReadFile(path)
			if bytes.Equal(current, outputs[path]) {
				continue
			}
			rel, _ := filepath.Rel(root, path)
			if *check {
				problems = append(problems, fmt.Sprintf("%s is out of date", rel))
				continue
			}
			if err := os.MkdirAll(exDir, 0o755); err != nil {
				return err
			}
			if err := safefile.WriteBytes(path, outputs[path]); err != nil {
				return err
			}
			fmt.Printf("wrote %s\n", rel)
		}
	}
	if *check && containsDir(paths, solDir) {
		// An exercise whose solution is gone would never be regenerated.
		existing, _ := filepath.Glob(filepath.Join(exDir, "*.ipynb"))
		expected, _ := filepath.Glob(filepath.Join(exDir, "*"+ex.ChecksSuffix))
		for _, ex := range append(existing, expected...) {
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

// generateExpected returns the expected values of the self-checks of the
// exercise generated from the solution at path (see solutions/references and
// exercise.ExpectedFile), computed on GoMLX's pure-Go backend so that they do
// not depend on the machine.
func generateExpected(root, path, name string) ([]byte, error) {
	b, err := compute.NewWithConfig("go:ops_sequential")
	if err != nil {
		return nil, fmt.Errorf("the expected values of %s: %w", path, err)
	}
	defer b.Finalize()
	checks, err := references.Exercises[name](b)
	if err != nil {
		return nil, fmt.Errorf("the expected values of %s: %w", path, err)
	}
	abs, _ := filepath.Abs(path)
	rel, err := filepath.Rel(root, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = path
	}
	return ex.MarshalExpected(filepath.ToSlash(rel), checks)
}

func containsDir(paths []string, dir string) bool {
	for _, p := range paths {
		if abs, _ := filepath.Abs(p); abs == dir {
			return true
		}
	}
	return false
}
