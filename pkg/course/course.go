// Package course holds what every notebook of the course shares: the run mode
// (quick or full) and the course's directories on this machine.
//
// A notebook runs in quick mode when KLCOURSE_QUICK=1 is set in its kernel's
// environment (klcourse run --quick sets it). Quick mode exists so that the
// whole course executes on two CPU cores in CI: every notebook then scales its
// data and epochs down with Pick. Without it a notebook runs the real course.
package course

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// QuickEnv is the environment variable that selects quick mode.
const QuickEnv = "KLCOURSE_QUICK"

// HomeEnv overrides where the course keeps its tools (GoNB, goimports, ONNX Runtime).
const HomeEnv = "KLCOURSE_HOME"

// Quick reports whether the course runs in quick mode: KLCOURSE_QUICK set to a
// true value ("1", "true", ...). An unparsable value counts as false.
func Quick() bool { return parseBool(os.Getenv(QuickEnv)) }

// parseBool reads a true value ("1", "true", ...); anything else is false.
func parseBool(s string) bool {
	v, err := strconv.ParseBool(s)
	return err == nil && v
}

// Pick returns quick in quick mode and full otherwise. Notebooks use it for
// every size that quick mode scales down:
//
//	epochs := course.Pick(25, 2)
func Pick[T any](full, quick T) T {
	if Quick() {
		return quick
	}
	return full
}

// Mode names the run mode, "quick" or "full", for printing.
func Mode() string {
	return Pick("full", "quick")
}

// Home is the directory where the course installs its tools: $KLCOURSE_HOME
// when set, otherwise $XDG_DATA_HOME/klcourse, otherwise ~/.local/share/klcourse.
func Home() (string, error) {
	if dir := os.Getenv(HomeEnv); dir != "" {
		return filepath.Abs(dir)
	}
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" {
		return filepath.Join(dir, "klcourse"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share", "klcourse"), nil
}

// PythonEnvDir is the course's own Python virtual environment under the
// course's home (Home, or the lab's install prefix): Jupyter, and on machines
// with an NVIDIA GPU the CUDA PJRT plugin that GoMLX's XLA backend loads.
func PythonEnvDir(home string) string { return filepath.Join(home, "venv") }

// RunsEnv overrides where notebooks keep the results of training runs.
const RunsEnv = "KLCOURSE_RUNS"

// RunDir returns the directory where a notebook keeps the training run
// called name (weights, history), so that later cells — which GoNB runs as
// new programs — load it instead of training again. Runs live under
// $KLCOURSE_RUNS, or the user's cache directory (~/.cache/klcourse/runs),
// never in the checkout: separately for quick and full mode, and for the
// notebook's directory (notebooks, solutions, exercises: an exercise and its
// solution share their file name but not their runs).
func RunDir(name string) (string, error) {
	root, err := runsRoot()
	if err != nil {
		return "", err
	}
	// GoNB sets GONB_DIR to the directory of the notebook it runs.
	if dir := os.Getenv("GONB_DIR"); dir != "" {
		return filepath.Join(root, Mode(), filepath.Base(dir), name), nil
	}
	return filepath.Join(root, Mode(), name), nil
}

// runsRoot is the folder under which RunDir keeps the runs.
func runsRoot() (string, error) {
	if root := os.Getenv(RunsEnv); root != "" {
		return root, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "klcourse", "runs"), nil
}

// RunLabel names a folder of RunDir's for printing, without the machine's
// path: "the runs folder's quick/notebooks/04_rbm/CD-1". A notebook's output
// (and the page rendered from it) shows no folder of the machine that ran
// it; the README says where the runs folder is. Another path is named by
// its last element.
func RunLabel(dir string) string {
	root, err := runsRoot()
	if err == nil {
		if rel, err := filepath.Rel(root, dir); err == nil && rel != "." && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel) {
			return "the runs folder's " + filepath.ToSlash(rel)
		}
	}
	return filepath.Base(dir)
}
