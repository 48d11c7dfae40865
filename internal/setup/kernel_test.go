package setup

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/module"
	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
)

// TestKernelSpecTurnsTelemetryOff: the kernel spec that setup writes, for
// one user and for the lab (--system), turns ONNX Runtime's telemetry off
// in every kernel, whatever a cell's program loads.
func TestKernelSpecTurnsTelemetryOff(t *testing.T) {
	user := &setupEnv{home: t.TempDir(), out: io.Discard, kernelEnv: map[string]string{}}
	system := &setupEnv{checkOnly: true, out: io.Discard, kernelEnv: map[string]string{}}
	t.Setenv("KLCOURSE_DATA", os.Getenv("KLCOURSE_DATA")) // prepareSystem may set it
	if err := prepareSystem(system, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	for name, env := range map[string]*setupEnv{"user": user, "system": system} {
		spec, err := wantKernelSpec(env)
		if err != nil {
			t.Fatal(err)
		}
		if got := spec.Env[onnxruntime.TelemetryEnv]; got != "1" {
			t.Errorf("%s kernel spec: %s=%q, want \"1\"", name, onnxruntime.TelemetryEnv, got)
		}
	}
}

// TestCellGoFlags builds a cell as GoNB does (a module of its own in a
// workspace with the course's) with the kernel's GOFLAGS, and runs it: Go's
// internal linker must link the course's cgo backends, the program must run
// a graph, and a panic must still say the file and line.
func TestCellGoFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and links a program")
	}
	spec, err := wantKernelSpec(&setupEnv{home: t.TempDir(), kernelEnv: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if spec.Env["GOFLAGS"] != cellGoFlags {
		t.Fatalf("the kernel spec sets GOFLAGS=%q, want %q", spec.Env["GOFLAGS"], cellGoFlags)
	}
	root, err := module.Root()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":  "module cell\n\ngo 1.26\n",
		"go.work": "go 1.26.8\n\nuse (\n\t.\n\t" + root + "\n)\n",
		"main.go": `package main

import (
	"fmt"
	"os"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/klcourse/klcourse/pkg/backend"
)

func main() {
	b, _ := backend.MustNew()
	fmt.Println(graph.MustExecOnce(b, func(x *graph.Node) *graph.Node { return graph.ReduceAllSum(graph.Mul(x, x)) }, []float32{1, 2, 3}))
	if len(os.Args) > 1 {
		var s []int
		_ = s[len(os.Args)]
	}
}
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build := exec.Command("go", "build", "-o", "cell")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS="+cellGoFlags, "GOWORK="+filepath.Join(dir, "go.work"))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build with GOFLAGS=%s: %v\n%s", cellGoFlags, err, out)
	}
	out, err := exec.Command(filepath.Join(dir, "cell")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "14") {
		t.Fatalf("the cell printed %q (%v), want the graph's 14", out, err)
	}
	out, _ = exec.Command(filepath.Join(dir, "cell"), "panic").CombinedOutput()
	if !strings.Contains(string(out), "main.go:16") {
		t.Errorf("the panic's trace lacks main.go:16:\n%s", out)
	}
}
