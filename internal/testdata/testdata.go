// Package testdata finds the course's real data for tests: the directory
// with mnist/ and cifar10/ that CI checks out beside the repository.
package testdata

import (
	"os"
	"path/filepath"
)

// Env names the environment variable that points the tests at the course's
// real data; without it they look for a shared/data directory beside the
// checkout or one of its parents.
const Env = "KLCOURSE_TESTDATA"

// Find returns the directory of real data set sub ("mnist", "cifar10"), or
// "" when there is none.
func Find(sub string) string {
	if dir := os.Getenv(Env); dir != "" {
		if isDir(filepath.Join(dir, sub)) {
			return filepath.Join(dir, sub)
		}
		return ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if candidate := filepath.Join(dir, "shared", "data", sub); isDir(candidate) {
			return candidate
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// Skip is the test helper's interface of testing.TB that Require uses.
type Skip interface {
	Helper()
	Skipf(format string, args ...any)
}

// Require returns the directory of real data set sub, or skips the test.
func Require(t Skip, sub string) string {
	t.Helper()
	dir := Find(sub)
	if dir == "" {
		t.Skipf("no real %s data (set %s, or check out shared/data beside the repository)", sub, Env)
	}
	return dir
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}
