package nbrun

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"

	"github.com/klcourse/klcourse/pkg/course"
	"path/filepath"
	"sort"
	"strings"
)

// Find expands paths into the notebooks to run: a file must be an .ipynb
// notebook; a directory contributes every notebook below it, in lexical
// order, except Jupyter's .ipynb_checkpoints copies.
func Find(paths []string) ([]string, error) {
	var notebooks []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("notebook path %s: %w", p, err)
		}
		if !info.IsDir() {
			if filepath.Ext(p) != ".ipynb" {
				return nil, fmt.Errorf("%s is not a notebook: want an .ipynb file or a directory of them", p)
			}
			notebooks = append(notebooks, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == ".ipynb_checkpoints" {
				return filepath.SkipDir
			}
			if !d.IsDir() && filepath.Ext(path) == ".ipynb" {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("directory %s holds no .ipynb notebooks", p)
		}
		sort.Strings(found)
		notebooks = append(notebooks, found...)
	}
	return notebooks, nil
}

// PythonEnv names a Python interpreter to use instead of searching for one.
const PythonEnv = "KLCOURSE_PYTHON"

// pythonModules are what executing and rendering notebooks needs.
var pythonModules = []string{"nbclient", "nbconvert", "nbformat", "jupyter_client"}

// FindPython returns the Python interpreter that runs notebooks:
// $KLCOURSE_PYTHON when set, else the course's own Python environment
// (course.PythonEnvDir under course.Home: what `klcourse setup` installs
// from python/requirements.lock). Never whatever python3 is on PATH: its
// Jupyter, if any, is not the one the course pins.
func FindPython() (string, error) {
	if p := os.Getenv(PythonEnv); p != "" {
		if err := CheckPython(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", PythonEnv, p, err)
		}
		return p, nil
	}
	home, err := course.Home()
	if err != nil {
		return "", fmt.Errorf("cannot find the course's Python environment: %w (set %s)", err, course.HomeEnv)
	}
	p := filepath.Join(course.PythonEnvDir(home), "bin", "python")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("the course's Python environment %s is missing: run `go run ./cmd/klcourse setup`", course.PythonEnvDir(home))
	}
	if err := CheckPython(p); err != nil {
		return "", fmt.Errorf("%w: run `go run ./cmd/klcourse setup`", err)
	}
	return p, nil
}

// CheckPython reports whether python can import what running notebooks needs.
func CheckPython(python string) error {
	out, err := exec.Command(python, "-c", "import "+strings.Join(pythonModules, ", ")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s cannot import %s: %s", python, strings.Join(pythonModules, ", "), lastLines(strings.TrimSpace(string(out)), 1))
	}
	return nil
}
