package nbrun

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
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

// FindPython returns a Python interpreter that can import nbclient and
// nbconvert: $KLCOURSE_PYTHON when set, else the one that runs the jupyter
// command on PATH, else python3 on PATH, else /usr/bin/python3 (Debian's
// Jupyter packages install there even when another python3 comes first on
// PATH).
func FindPython() (string, error) {
	if p := os.Getenv(PythonEnv); p != "" {
		if err := CheckPython(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", PythonEnv, p, err)
		}
		return p, nil
	}
	var tried []string
	for _, p := range pythonCandidates() {
		if err := CheckPython(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	return "", fmt.Errorf("no Python with %s found (tried %s): run `go run ./cmd/klcourse setup`",
		strings.Join(pythonModules, ", "), strings.Join(tried, ", "))
}

func pythonCandidates() []string {
	var list []string
	seen := map[string]bool{}
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			list = append(list, p)
		}
	}
	if jupyter, err := exec.LookPath("jupyter"); err == nil {
		add(shebangInterpreter(jupyter))
	}
	if p, err := exec.LookPath("python3"); err == nil {
		add(p)
	}
	add("/usr/bin/python3")
	return list
}

// shebangInterpreter returns the interpreter named on the "#!" line of the
// script at path, or "" when it has none or names it through env.
func shebangInterpreter(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	buf := make([]byte, 256)
	n, _ := f.Read(buf)
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	rest, ok := strings.CutPrefix(line, "#!")
	if !ok {
		return ""
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 || filepath.Base(fields[0]) == "env" {
		return ""
	}
	return fields[0]
}

// CheckPython reports whether python can import what running notebooks needs.
func CheckPython(python string) error {
	out, err := exec.Command(python, "-c", "import "+strings.Join(pythonModules, ", ")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s cannot import %s: %s", python, strings.Join(pythonModules, ", "), lastLines(strings.TrimSpace(string(out)), 1))
	}
	return nil
}
