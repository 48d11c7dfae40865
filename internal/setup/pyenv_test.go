package setup

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lockMismatches reports what is missing or at another version, and skips
// pins whose marker does not apply to this Python.
func TestLockMismatches(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	out, err := exec.Command(python, "-c", "import pip; print(pip.__version__)").Output()
	if err != nil {
		t.Skip("python3 has no pip")
	}
	pipVersion := strings.TrimSpace(string(out))
	lock := filepath.Join(t.TempDir(), "x.lock")
	os.WriteFile(lock, []byte("pip=="+pipVersion+" \\\n    --hash=sha256:00\n"+
		"klcourse-no-such-package==1.0 \\\n    --hash=sha256:00\n"+
		"klcourse-old-python-only==2.0 ; python_full_version < '3.0' \\\n    --hash=sha256:00\n"+
		"    # via -r x.in\n"), 0o644)
	diff, want, err := lockMismatches(python, lock)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 2 || want["pip"] != pipVersion {
		t.Errorf("pins that apply: %v, want pip and klcourse-no-such-package", want)
	}
	if len(diff) != 1 || diff[0] != "klcourse-no-such-package: not installed, lock 1.0" {
		t.Errorf("differences %q", diff)
	}
	os.WriteFile(lock, []byte("pip==0.0.1\n"), 0o644)
	if diff, _, _ := lockMismatches(python, lock); len(diff) != 1 || !strings.Contains(diff[0], "installed "+pipVersion+", lock 0.0.1") {
		t.Errorf("a different version: %q", diff)
	}
}

// The locks in the repository pin what the issue asks for, and nothing
// unpinned.
func TestPythonLocksPin(t *testing.T) {
	for lock, names := range map[string][]string{
		"../../python/requirements.lock": {"jupyterlab==4.", "notebook==7.", "jupyter-server==2.", "nbclient==", "nbconvert==", "nbformat=="},
		"../../python/hub.lock":          {"jupyterlab==4.", "jupyterhub==5.", "jupyterhub-idle-culler=="},
	} {
		data, err := os.ReadFile(lock)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if !strings.Contains(string(data), "\n"+n) {
				t.Errorf("%s does not pin %s", lock, n)
			}
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line != "" && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "#") && !strings.Contains(line, "==") {
				t.Errorf("%s: unpinned line %q", lock, line)
			}
		}
	}
}
