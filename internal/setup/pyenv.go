package setup

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/klcourse/klcourse/pkg/course"
)

// ensurePythonEnv returns the interpreter of the course's Python environment
// (course.PythonEnvDir under the course's home), creating the environment
// with python3's venv module when it is missing.
func ensurePythonEnv(env *setupEnv) (string, error) {
	dir := course.PythonEnvDir(env.home)
	python := filepath.Join(dir, "bin", "python")
	if info, err := os.Stat(python); err == nil && !info.IsDir() {
		return python, nil
	}
	base, err := exec.LookPath("python3")
	if err != nil {
		return "", fmt.Errorf("no python3 on PATH: the course's Python environment (%s) needs Python 3.10 or newer with its venv module", dir)
	}
	fmt.Fprintf(env.out, "           $ %s -m venv %s\n", base, dir)
	if out, err := exec.Command(base, "-m", "venv", dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s -m venv %s: %v: %s (on Debian: apt-get install python3-venv)", base, dir, err, strings.TrimSpace(string(out)))
	}
	return python, nil
}
