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
	root := os.Getenv(RunsEnv)
	if root == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		root = filepath.Join(cache, "klcourse", "runs")
	}
	// GoNB sets GONB_DIR to the directory of the notebook it runs.
	if dir := os.Getenv("GONB_DIR"); dir != "" {
		return filepath.Join(root, Mode(), filepath.Base(dir), name), nil
	}
	return filepath.Join(root, Mode(), name), nil
}
