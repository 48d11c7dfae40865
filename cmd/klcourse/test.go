package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/klcourse/klcourse/internal/nothingleft"
)

func init() {
	register(command{
		name:    "test",
		summary: "run every check of the course: go vet, the unit tests, clean committed notebooks, exercises up to date, every notebook in quick mode and its page in a browser",
		run:     runTest,
	})
}

// requireKernelEnv makes tests that need Jupyter and the GoNB kernel fail,
// instead of skipping, when those are missing. klcourse test sets it.
const requireKernelEnv = "KLCOURSE_REQUIRE_KERNEL"

// PagesEnv names a folder of rendered pages (`klcourse run --out DIR`, with
// notebooks/, exercises/, solutions/ inside) for TestRenderedPages; `klcourse
// test` sets it to the quick-mode pages it has just rendered.
const PagesEnv = "KLCOURSE_PAGES"

// courseDirs are the directories of notebooks that the tests execute.
var courseDirs = []string{"notebooks", "solutions", "exercises"}

func runTest(args []string) error {
	fs := newFlagSet("test", "")
	timeout := fs.Duration("timeout", 20*time.Minute, "cell timeout for the notebook runs")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var dirs []string
	for _, d := range courseDirs {
		if entries, _ := os.ReadDir(filepath.Join(root, d)); len(entries) > 0 {
			dirs = append(dirs, d)
		}
	}
	steps := [][]string{
		{"go", "vet", "./..."},
		// Tests that execute notebooks must not skip here: the kernel is
		// required.
		// cmd/klcourse's tests run notebooks (the leak, site and browser
		// tests among them): more than go test's default 10 minutes on a
		// loaded 2-core machine.
		{"env", requireKernelEnv + "=1", "go", "test", "-timeout", "40m", "./..."},
		append([]string{self, "strip", "--check"}, dirs...),
	}
	if slices.Contains(dirs, "solutions") {
		steps = append(steps, []string{self, "assign", "--check"})
	}
	steps = append(steps, append([]string{self, "run", "--quick", "--timeout", timeout.String(), "--out", "build/quick"}, dirs...))
	// The pages just rendered, in headless Chromium: no raw Markdown table,
	// no image out of its data's shape, no path of this machine, no
	// exercise showing its answer's code (TestRenderedPages).
	steps = append(steps, []string{"env", PagesEnv + "=build/quick", "go", "test", "-count=1", "-timeout", "20m", "-run", "^TestRenderedPages$", "./cmd/klcourse"})
	for _, step := range steps {
		fmt.Printf("\n==> %s\n", strings.Join(step, " "))
		if err := runStepLeavingNothing(root, step, os.Stdout, os.Stderr); err != nil {
			fmt.Printf("\nklcourse test: FAILED at `%s`: %v\n", strings.Join(step, " "), err)
			return errSilent
		}
	}
	fmt.Println("\nklcourse test: all checks passed")
	return nil
}

// runStepLeavingNothing runs one step of the test command in root with a
// temporary folder of its own (TMPDIR), empty when the step starts, and
// fails when the step leaves anything in it: every test and every notebook
// run must leave the temporary folder as it found it. The folder is removed
// afterwards either way.
func runStepLeavingNothing(root string, step []string, stdout, stderr io.Writer) error {
	tmp, err := os.MkdirTemp("", "klcourse-test-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(step[0], step[1:]...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return err
	}
	if left := nothingleft.Files(tmp); len(left) > 0 {
		if len(left) > 20 {
			left = append(left[:20], fmt.Sprintf("... and %d more", len(left)-20))
		}
		return fmt.Errorf("it left in the temporary folder (TMPDIR=%s):\n  %s", tmp, strings.Join(left, "\n  "))
	}
	return nil
}
