package setup

import (
	"io"
	"os"
	"testing"

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
