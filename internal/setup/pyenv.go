package setup

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klcourse/klcourse/internal/safefile"
	"github.com/klcourse/klcourse/pkg/course"
)

// The python step gives the course a Python environment of its own
// (course.PythonEnvDir: KLCOURSE_HOME/venv, or PREFIX/venv with --system),
// with Jupyter pinned by a lock file in the repository: python/requirements.lock
// (JupyterLab 4, Notebook 7, jupyter-server 2, nbclient, nbconvert, nbformat)
// for a user, python/hub.lock (the same and JupyterHub 5 with its idle
// culler) for a lab. pip installs the lock with --require-hashes: every
// version and every file's sha256 is the lock's. Everything the course runs
// (klcourse run, site, the lab, the tests) uses this environment
// (nbrun.FindPython), never whatever python3 is on PATH.

// Python versions the lock files are made for (uv pip compile --universal
// --python-version 3.10).
const minPythonMinor = 10

// pythonLock is the lock file that the setup installs.
func pythonLock(env *setupEnv) string {
	if env.system {
		return filepath.Join(env.root, "python", "hub.lock")
	}
	return filepath.Join(env.root, "python", "requirements.lock")
}

func pythonEnvBin(env *setupEnv, name string) string {
	return filepath.Join(course.PythonEnvDir(env.home), "bin", name)
}

// lockCheckScript compares the distributions installed in the environment
// with a lock file's pins (name==version, with an environment marker where
// the pin applies only to some Pythons, evaluated with pip's own copy of
// packaging). It prints a JSON object: the installed versions of the pinned
// distributions (null when missing) and the pins that apply.
const lockCheckScript = `
import json, re, sys
import importlib.metadata as md
from pip._vendor.packaging.markers import Marker
def norm(n): return re.sub(r"[-_.]+", "-", n).lower()
want = {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.strip()
    if not line or line.startswith("#") or line.startswith("--"):
        continue
    req = line.rstrip("\\").strip()
    spec, _, marker = req.partition(";")
    if "==" not in spec:
        continue
    name, version = [s.strip() for s in spec.split("==", 1)]
    if marker.strip() and not Marker(marker.strip()).evaluate():
        continue
    want[norm(name)] = version
have = {}
for d in md.distributions():
    have[norm(d.metadata["Name"])] = d.version
print(json.dumps({"want": want, "have": {n: have.get(n) for n in want}}))
`

// lockMismatches returns, for the environment's python, what differs from
// the lock: "name: installed X, lock Y" lines, sorted; and the number of
// pins that apply.
func lockMismatches(python, lock string) ([]string, map[string]string, error) {
	out, err := exec.Command(python, "-c", lockCheckScript, lock).CombinedOutput()
	if err != nil {
		return nil, nil, fmt.Errorf("%s cannot compare its packages with %s: %v: %s", python, lock, err, lastLine(string(out)))
	}
	var got struct {
		Want map[string]string  `json:"want"`
		Have map[string]*string `json:"have"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		return nil, nil, fmt.Errorf("%s: comparing with %s: %v", python, lock, err)
	}
	if len(got.Want) == 0 {
		return nil, nil, fmt.Errorf("%s pins nothing", lock)
	}
	var diff []string
	for name, v := range got.Want {
		switch h := got.Have[name]; {
		case h == nil:
			diff = append(diff, fmt.Sprintf("%s: not installed, lock %s", name, v))
		case *h != v:
			diff = append(diff, fmt.Sprintf("%s: installed %s, lock %s", name, *h, v))
		}
	}
	sort.Strings(diff)
	return diff, got.Want, nil
}

func checkPythonEnv(env *setupEnv) (string, error) {
	python := pythonEnvBin(env, "python")
	if _, err := os.Stat(python); err != nil {
		return "", fmt.Errorf("the course's Python environment %s does not exist", course.PythonEnvDir(env.home))
	}
	lock := pythonLock(env)
	diff, want, err := lockMismatches(python, lock)
	if err != nil {
		return "", err
	}
	if len(diff) > 0 {
		if len(diff) > 6 {
			diff = append(diff[:6], fmt.Sprintf("and %d more", len(diff)-6))
		}
		return "", fmt.Errorf("%s differs from %s:\n%s", course.PythonEnvDir(env.home), filepath.Base(lock), strings.Join(diff, "\n"))
	}
	var shown []string
	for _, name := range []string{"jupyterlab", "notebook", "jupyter-server", "nbclient", "nbconvert", "nbformat", "jupyterhub", "jupyterhub-idle-culler"} {
		if v, ok := want[name]; ok {
			shown = append(shown, name+" "+v)
		}
	}
	for _, f := range frontendSettings(env) {
		if got, err := os.ReadFile(f); err != nil || string(got) != frontendOverrides {
			return "", fmt.Errorf("%s is missing or not the one this version writes (JupyterLab would ask students about fetching news, and its completion give up on GoNB after 1 s)", f)
		}
	}
	return fmt.Sprintf("%s: %d packages as %s pins them (%s)", course.PythonEnvDir(env.home), len(want), filepath.Base(lock), strings.Join(shown, ", ")), nil
}

// frontendOverrides are the settings JupyterLab and Notebook 7 start with
// (overrides.json; a student may still change them). The course sends
// nothing anywhere: no Jupyter news feed and no update check (JupyterLab
// would otherwise ask every student whether to fetch them). The completer
// waits up to 30 s for the kernel, not 1 s. GoNB answers a completion request by
// asking gopls, whose first answer after the kernel starts takes seconds
// (it loads the course's packages; GoNB's issue #21): with the default
// 1 s, JupyterLab drops the kernel's answer and Tab offers only the words of
// the notebook.
const frontendOverrides = `{
  "@jupyterlab/apputils-extension:notification": {
    "checkForUpdates": false,
    "fetchNews": "false"
  },
  "@jupyterlab/completer-extension:manager": {
    "providerTimeout": 30000
  }
}
`

// frontendSettings are the overrides.json files of JupyterLab and
// Notebook 7 in the environment.
func frontendSettings(env *setupEnv) []string {
	share := filepath.Join(course.PythonEnvDir(env.home), "share", "jupyter")
	return []string{
		filepath.Join(share, "lab", "settings", "overrides.json"),
		filepath.Join(share, "notebook", "settings", "overrides.json"),
	}
}

func installPythonEnv(env *setupEnv) error {
	python, err := ensurePythonEnv(env)
	if err != nil {
		return err
	}
	lock := pythonLock(env)
	args := []string{"-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "--require-hashes", "--no-deps", "-r", lock}
	fmt.Fprintf(env.out, "           $ %s %s\n", python, strings.Join(args, " "))
	if err := runLogged(env, python, args...); err != nil {
		return fmt.Errorf("installing %s (needs PyPI, or pip's cache): %w", lock, err)
	}
	for _, f := range frontendSettings(env) {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
		if err := safefile.WriteBytes(f, []byte(frontendOverrides)); err != nil {
			return err
		}
		if err := os.Chmod(f, 0o644); err != nil {
			return err
		}
	}
	if env.system {
		// Every student's server runs from it.
		dir := course.PythonEnvDir(env.home)
		if out, err := exec.Command("chmod", "-R", "a+rX", dir).CombinedOutput(); err != nil {
			return fmt.Errorf("chmod -R a+rX %s: %v: %s", dir, err, out)
		}
	}
	return nil
}

// basePythons are the interpreters that may make the environment, in
// order. A lab's environment is used by every student, so it is made from
// the system's Python first (pyenv's, under root's home, is not readable by
// students).
func basePythons(env *setupEnv) []string {
	if env.system {
		return []string{"/usr/bin/python3", "/usr/local/bin/python3", "python3"}
	}
	return []string{"python3", "/usr/bin/python3"}
}

// ensurePythonEnv returns the interpreter of the course's Python environment
// (course.PythonEnvDir under the course's home), creating the environment
// with the venv module of a Python 3.10 or newer when it is missing.
func ensurePythonEnv(env *setupEnv) (string, error) {
	dir := course.PythonEnvDir(env.home)
	python := filepath.Join(dir, "bin", "python")
	if info, err := os.Stat(python); err == nil && !info.IsDir() {
		return python, nil
	}
	var tried []string
	base := ""
	for _, p := range basePythons(env) {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		out, err := exec.Command(path, "-c", fmt.Sprintf("import sys, venv, ensurepip; print(sys.version.split()[0]); sys.exit(sys.version_info < (3, %d))", minPythonMinor)).CombinedOutput()
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s (%s)", path, lastLine(string(out))))
			continue
		}
		base = path
		break
	}
	if base == "" {
		why := "none found"
		if len(tried) > 0 {
			why = "tried " + strings.Join(tried, ", ")
		}
		return "", fmt.Errorf("the course's Python environment (%s) needs Python 3.%d or newer with its venv and ensurepip modules: %s (on Debian or Ubuntu: apt-get install python3-venv; on macOS: Python from python.org or Homebrew)", dir, minPythonMinor, why)
	}
	fmt.Fprintf(env.out, "           $ %s -m venv %s\n", base, dir)
	if out, err := exec.Command(base, "-m", "venv", dir).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("%s -m venv %s: %v: %s", base, dir, err, strings.TrimSpace(string(out)))
	}
	return python, nil
}

// aptInstallCommand returns the command that installs Debian packages here,
// as root or through password-less sudo, after apt-get update (a fresh
// machine has no package lists); nil when apt-get is missing or not allowed.
func aptInstallCommand(packages ...string) []string {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return nil
	}
	apt := "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y " + strings.Join(packages, " ")
	if os.Geteuid() == 0 {
		return []string{"sh", "-c", apt}
	}
	if exec.Command("sudo", "-n", "true").Run() == nil {
		return []string{"sudo", "sh", "-c", apt}
	}
	return nil
}

// runLogged runs a command with its output going to the setup report.
func runLogged(env *setupEnv, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = env.root
	cmd.Stdout, cmd.Stderr = env.out, env.out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// setupCommand is the command that repeats this kind of setup.
func setupCommand(env *setupEnv) string {
	if env.system {
		return "go run ./cmd/klcourse setup --system"
	}
	return "go run ./cmd/klcourse setup"
}
