package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/assign"
	"github.com/klcourse/klcourse/internal/nbrun"
	"github.com/klcourse/klcourse/internal/notebook"
	"github.com/klcourse/klcourse/internal/nothingleft"
	"github.com/klcourse/klcourse/internal/setup"
	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
	"github.com/klcourse/klcourse/pkg/course"
)

// privateRun runs klcourse args in dir as a student's machine would, with
// HOME and TMPDIR empty folders of its own and nothing about telemetry in
// its environment (the test binary has ORT_DISABLE_TELEMETRY=1 from
// pkg/backend/onnxruntime's init: it is taken out). The installed tools stay
// where they are: Go's caches, the course home (GoNB, ONNX Runtime), the
// Jupyter kernel spec and Python. Under strace when it can trace here.
// It fails the test on anything left in HOME or TMPDIR, beyond the
// README's caches, and on any connection outside the loopback.
func privateRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	home, tmp := t.TempDir(), t.TempDir()
	courseHome, err := course.Home()
	if err != nil {
		t.Fatal(err)
	}
	goEnv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	gv := strings.Fields(string(goEnv))
	python, err := nbrun.FindPython()
	if err != nil {
		t.Fatal(err)
	}
	jupyterData, err := setup.JupyterDataDir()
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "HOME", k == "TMPDIR", k == onnxruntime.TelemetryEnv, strings.HasPrefix(k, "XDG_"), strings.HasPrefix(k, "JUPYTER"):
			continue
		}
		env = append(env, kv)
	}
	env = append(env, asKlcourseEnv+"=1", "HOME="+home, "TMPDIR="+tmp,
		"GOCACHE="+gv[0], "GOMODCACHE="+gv[1], "GOPATH="+gv[2], "GOPROXY=off",
		course.HomeEnv+"="+courseHome, nbrun.PythonEnv+"="+python, "JUPYTER_PATH="+jupyterData)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir, cmd.Env = dir, env
	trace := filepath.Join(t.TempDir(), "trace")
	traced := nothingleft.Trace(cmd, trace)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("klcourse %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	// What a run may leave in the home directory: the caches the README
	// names and nothing else.
	if left := nothingleft.Files(home, documentedCaches...); len(left) > 0 {
		t.Errorf("klcourse %s left in HOME:\n  %s", args[0], strings.Join(left, "\n  "))
	}
	if left := nothingleft.Files(tmp); len(left) > 0 {
		t.Errorf("klcourse %s left in TMPDIR:\n  %s", args[0], strings.Join(left, "\n  "))
	}
	if traced {
		foreign, err := nothingleft.ForeignConnects(trace)
		if err != nil {
			t.Fatal(err)
		}
		if len(foreign) > 0 {
			t.Errorf("klcourse %s connected outside this machine:\n  %s", args[0], strings.Join(foreign, "\n  "))
		}
	} else {
		t.Log("strace is not available: connections were not watched")
	}
	return out.String()
}

// TestNotebookSendsNothingLeavesNothing runs a notebook that computes on
// ONNX Runtime through klcourse run, as a student's machine would.
func TestNotebookSendsNothingLeavesNothing(t *testing.T) {
	needKernel(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := onnxruntime.Check(mustCourseHome(t)); err != nil {
		t.Skipf("ONNX Runtime is not installed (%v): run `go run ./cmd/klcourse setup`", err)
	}
	// Beside the course's notebooks, so that its first cell finds the module
	// one level up, as theirs do.
	dir, err := os.MkdirTemp(root, ".privacy-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	writeNotebook(t, dir, "onnx.ipynb",
		"!*rm -f go.work && go work init && go work use . \"${GONB_DIR}/..\"\n%goworkfix\n%noautoget",
		"import (\n\t. \"github.com/gomlx/gomlx/core/graph\"\n\t\"github.com/klcourse/klcourse/pkg/backend\"\n)\n\n%%\nb, desc := backend.MustNew()\nfmt.Println(desc)\nfmt.Println(MustExecOnce(b, func(x *Node) *Node { return AddScalar(x, 2) }, float32(1)))")
	outDir := filepath.Join(dir, "out")
	text := privateRun(t, dir, "run", "--timeout", "10m", "--out", outDir, "onnx.ipynb")
	// Under the module, the executed copy keeps its path relative to it.
	executed, err := os.ReadFile(filepath.Join(outDir, filepath.Base(dir), "onnx.ipynb"))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if !bytes.Contains(executed, []byte("backend: onnx, ONNX Runtime")) || !bytes.Contains(executed, []byte("float32(3)")) {
		t.Errorf("the notebook did not compute on ONNX Runtime:\n%s", executed)
	}
}

// TestGradingSendsNothingLeavesNothing grades a submission of exercise 03
// (the solution's answers) with the tests' programs on ONNX Runtime.
func TestGradingSendsNothingLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and grades a submission")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := onnxruntime.Check(mustCourseHome(t)); err != nil {
		t.Skipf("ONNX Runtime is not installed (%v): run `go run ./cmd/klcourse setup`", err)
	}
	const name = "03_reverse_kl_fit"
	sol, err := notebook.Read(filepath.Join(root, "solutions", name+".ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := notebook.Read(filepath.Join(root, "exercises", name+".ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := assign.Fill(ex, assign.Answers(sol), assign.Stubs(sol)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := ex.Write(filepath.Join(dir, "submitted", "alice", name, name+".ipynb")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "graded")
	text := privateRun(t, root, "grade", "--quick", "--backend", "onnx", "--solution", filepath.Join("solutions", name+".ipynb"),
		"--out", out, filepath.Join(dir, "submitted"))
	if !strings.Contains(text, "alice") {
		t.Errorf("klcourse grade did not grade alice:\n%s", text)
	}
}

// documentedCaches are what the README says the course leaves in a home
// directory (relative to it): the training runs, and Go's own caches and
// local telemetry counters (Go writes them for every go command; its
// telemetry uploads nothing unless a user runs "go telemetry on").
var documentedCaches = []string{".cache/klcourse/runs", ".cache/go-build", ".cache/gopls", ".cache/goimports", ".config/go/telemetry"}

func mustCourseHome(t *testing.T) string {
	home, err := course.Home()
	if err != nil {
		t.Fatal(err)
	}
	return home
}

// TestTestStepsLeaveNothing: the README's test command runs each step with
// an empty temporary folder of its own, and a step that leaves something
// there fails, naming it.
func TestTestStepsLeaveNothing(t *testing.T) {
	root := t.TempDir()
	var out bytes.Buffer
	if err := runStepLeavingNothing(root, []string{"sh", "-c", `f=$(mktemp); echo "$f"; rm "$f"`}, &out, &out); err != nil {
		t.Errorf("a step that cleans up: %v", err)
	}
	if !strings.Contains(out.String(), "klcourse-test-") {
		t.Errorf("the step did not get a temporary folder of its own: mktemp made %q", out.String())
	}
	err := runStepLeavingNothing(root, []string{"sh", "-c", `touch "$TMPDIR/mat-debug-1.log"`}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "mat-debug-1.log") {
		t.Errorf("a step that leaves mat-debug-1.log: got %v, want an error naming it", err)
	}
}

// TestBenchSendsNothingLeavesNothing measures one model on ONNX Runtime
// (its benchmark runs in a go test process of its own) the same way.
func TestBenchSendsNothingLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a benchmark")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := onnxruntime.Check(mustCourseHome(t)); err != nil {
		t.Skipf("ONNX Runtime is not installed (%v): run `go run ./cmd/klcourse setup`", err)
	}
	text := privateRun(t, root, "bench", "--models", "hmc", "--steps", "1", "--rounds", "1", "--backend", "onnx",
		"--json", filepath.Join(t.TempDir(), "bench.json"))
	if !strings.Contains(text, "hmc") {
		t.Errorf("klcourse bench did not measure hmc:\n%s", text)
	}
}
