package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klcourse/klcourse/internal/nbrun"
)

// leftovers returns what a run with TMPDIR=tmp and JUPYTER_RUNTIME_DIR=runtime
// left behind: processes it started (found by the run's environment tag, and
// independently, kernels whose connection file lies under tmp), files under
// tmp (GoNB's work folder, connection files, the driver) and connection files
// in Jupyter's runtime folder.
func leftovers(t *testing.T, tmp, runtime string) []string {
	t.Helper()
	var found []string
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		if filepath.Base(d) == fmt.Sprint(os.Getpid()) {
			continue
		}
		env, _ := os.ReadFile(filepath.Join(d, "environ"))
		cmdline, _ := os.ReadFile(filepath.Join(d, "cmdline"))
		if bytes.Contains(env, []byte(nbrun.TagEnv+"="+tmp)) || bytes.Contains(cmdline, []byte(tmp)) {
			found = append(found, "process "+filepath.Base(d)+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	for _, dir := range []string{tmp, runtime} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			found = append(found, "file "+filepath.Join(dir, e.Name()))
		}
	}
	return found
}

// TestRunLeavesNothing checks that no kernel, cell program, connection file
// or GoNB folder outlives `klcourse run`, on every path: a notebook that
// succeeds, one whose cell fails, one whose cell times out, and a run stopped
// by SIGINT (Ctrl-C) or SIGTERM while a cell runs.
func TestRunLeavesNothing(t *testing.T) {
	needKernel(t)
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc: cannot look for leftover processes here")
	}
	dir := t.TempDir()
	writeNotebook(t, dir, "ok.ipynb", "%%\nfmt.Println(\"fine\")")
	writeNotebook(t, dir, "fail.ipynb", "%%\nvar m map[string]int\nm[\"boom\"] = 1")
	writeNotebook(t, dir, "slow.ipynb", "%%\nfor {\n}")
	writeNotebook(t, dir, "sleep.ipynb", "%%\nos.WriteFile(os.Getenv(\"KLCOURSE_TEST_MARK\"), nil, 0o644)\ntime.Sleep(time.Hour)")

	setup := func(t *testing.T) (tmp, runtime string, env []string) {
		tmp, runtime = t.TempDir(), t.TempDir()
		return tmp, runtime, []string{"TMPDIR=" + tmp, "JUPYTER_RUNTIME_DIR=" + runtime}
	}
	check := func(t *testing.T, tmp, runtime string) {
		t.Helper()
		// The run has returned: what is left now is leaked (give a killed
		// process a moment to be reaped by init).
		var left []string
		for i := 0; i < 20; i++ {
			if left = leftovers(t, tmp, runtime); len(left) == 0 {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("klcourse run left behind:\n  %s", strings.Join(left, "\n  "))
	}
	for _, tc := range []struct {
		name, notebook string
		code           int
	}{{"success", "ok.ipynb", 0}, {"failing cell", "fail.ipynb", 1}, {"timed-out cell", "slow.ipynb", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			tmp, runtime, env := setup(t)
			text, code := klcourse(t, dir, env, "run", "--timeout", "5s", "--out", filepath.Join(t.TempDir(), "out"), tc.notebook)
			if code != tc.code {
				t.Errorf("klcourse run %s: exit %d, want %d:\n%s", tc.notebook, code, tc.code, text)
			}
			check(t, tmp, runtime)
		})
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run("interrupted by "+sig.String(), func(t *testing.T) {
			tmp, runtime, env := setup(t)
			mark := filepath.Join(t.TempDir(), "started")
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(exe, "run", "--out", filepath.Join(t.TempDir(), "out"), "sleep.ipynb")
			cmd.Dir = dir
			cmd.Env = append(append(os.Environ(), asKlcourseEnv+"=1", "KLCOURSE_TEST_MARK="+mark), env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			deadline := time.After(3 * time.Minute)
		wait:
			for {
				select {
				case err := <-done:
					t.Fatalf("klcourse run ended before its cell started: %v\n%s", err, out.String())
				case <-deadline:
					cmd.Process.Kill()
					t.Fatalf("the cell never started:\n%s", out.String())
				case <-time.After(100 * time.Millisecond):
					if _, err := os.Stat(mark); err == nil {
						break wait
					}
				}
			}
			cmd.Process.Signal(sig)
			select {
			case <-done:
			case <-time.After(time.Minute):
				cmd.Process.Kill()
				t.Fatalf("klcourse run did not stop within a minute of %v:\n%s", sig, out.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(out.String(), "INTERRUPTED") {
				t.Errorf("klcourse run stopped by %v: exit %d, want 130 and the notebook INTERRUPTED:\n%s", sig, code, out.String())
			}
			check(t, tmp, runtime)
		})
	}
}

// TestRunEnvironmentWins checks that a variable set when running overrides
// the value the kernel spec sets (setup writes KLCOURSE_DATA there), while the
// spec's other variables still reach the kernel.
func TestRunEnvironmentWins(t *testing.T) {
	needKernel(t)
	python, err := nbrun.FindPython()
	if err != nil {
		t.Fatal(err)
	}
	argv, err := exec.Command(python, "-c", "import json; from jupyter_client.kernelspec import KernelSpecManager as M; s = M().get_kernel_spec('gonb'); print(json.dumps(s.argv)); print(json.dumps(s.env.get('PATH', '${PATH}')))").Output()
	if err != nil {
		t.Skipf("no gonb kernel spec: %v", err)
	}
	// A kernel spec of our own, beside the installed one: the same GoNB with
	// an environment of its own.
	jupyterPath := t.TempDir()
	lines := strings.SplitN(strings.TrimSpace(string(argv)), "\n", 2)
	if len(lines) != 2 {
		t.Fatalf("unexpected kernel spec query output %q", argv)
	}
	spec := fmt.Sprintf(`{"argv": %s, "display_name": "env test", "language": "go",
 "env": {"KLCOURSE_TEST_WINS": "from the spec", "KLCOURSE_TEST_SPEC_ONLY": "spec only", "PATH": %s}}`,
		lines[0], lines[1])
	if err := os.MkdirAll(filepath.Join(jupyterPath, "kernels", "klcourse-envtest"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(jupyterPath, "kernels", "klcourse-envtest", "kernel.json"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeNotebook(t, dir, "env.ipynb", "%%\nfmt.Printf(\"wins=%s|only=%s\\n\", os.Getenv(\"KLCOURSE_TEST_WINS\"), os.Getenv(\"KLCOURSE_TEST_SPEC_ONLY\"))")
	data, err := os.ReadFile(filepath.Join(dir, "env.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte(`"name": "gonb"`), []byte(`"name": "klcourse-envtest"`), 1)
	if err := os.WriteFile(filepath.Join(dir, "env.ipynb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	text, code := klcourse(t, dir, []string{"JUPYTER_PATH=" + jupyterPath, "KLCOURSE_TEST_WINS=from the environment"},
		"run", "--timeout", "60s", "--out", out, "env.ipynb")
	if code != 0 {
		t.Fatalf("klcourse run: exit %d:\n%s", code, text)
	}
	executed, err := os.ReadFile(filepath.Join(out, "env.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "wins=from the environment|only=spec only"; !strings.Contains(string(executed), want) {
		t.Errorf("executed notebook lacks %q:\n%s", want, executed)
	}
}
