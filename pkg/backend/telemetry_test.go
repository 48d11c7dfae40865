package backend

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/nothingleft"
	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
)

// TestNoTelemetry runs a program that uses the course's backend as a
// notebook cell does — on ONNX Runtime, with nothing set in its
// environment about telemetry, HOME and TMPDIR empty folders of their own —
// and fails on anything it leaves there (ONNX Runtime's telemetry leaves a
// device id and an event store under ~/.cache/Microsoft and a
// mat-debug-PID.log in TMPDIR) and, where strace can watch it, on any
// connection outside the loopback.
func TestNoTelemetry(t *testing.T) {
	lib := realLibrary(t)
	courseHome := t.TempDir()
	installLink(t, courseHome, lib)
	home, tmp := t.TempDir(), t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// A clean environment: not even the test's own ORT_DISABLE_TELEMETRY
	// (this package's init set it in the test binary too).
	cmd.Env = []string{childEnv + "=1", "PATH=" + os.Getenv("PATH"), "KLCOURSE_HOME=" + courseHome,
		"HOME=" + home, "TMPDIR=" + tmp}
	trace := filepath.Join(t.TempDir(), "trace")
	traced := nothingleft.Trace(cmd, trace)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("child failed: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "backend: onnx, ONNX Runtime") || !strings.Contains(out.String(), "1+2=3") {
		t.Fatalf("the child did not compute on ONNX Runtime:\n%s", out.String())
	}
	if left := nothingleft.Files(home); len(left) > 0 {
		t.Errorf("a program on ONNX Runtime left in HOME (%s=1 was not in force):\n  %s",
			onnxruntime.TelemetryEnv, strings.Join(left, "\n  "))
	}
	if left := nothingleft.Files(tmp); len(left) > 0 {
		t.Errorf("a program on ONNX Runtime left in TMPDIR:\n  %s", strings.Join(left, "\n  "))
	}
	if !traced {
		t.Log("strace is not available: connections were not watched")
		return
	}
	foreign, err := nothingleft.ForeignConnects(trace)
	if err != nil {
		t.Fatal(err)
	}
	if len(foreign) > 0 {
		t.Errorf("a program on ONNX Runtime connected outside this machine:\n  %s", strings.Join(foreign, "\n  "))
	}
}
