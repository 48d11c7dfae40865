package onnxruntime

import "os"

// TelemetryEnv is the variable that turns off the telemetry of ONNX Runtime
// 1.30: without it, every process that loads the library starts Microsoft's
// 1DS telemetry SDK, which creates a persistent device identifier and an
// event store under ~/.cache/Microsoft/DeveloperTools/.onnxruntime/, leaves a
// mat-debug-PID.log in the temporary folder and may upload usage events.
// The library reads it when it initialises; "1" (or "true") turns the
// telemetry off, and any other value, "0" or "" included, leaves it on.
// (ORT_TELEMETRY_DISABLED, a name one might guess, does nothing.)
const TelemetryEnv = "ORT_DISABLE_TELEMETRY"

// DisableTelemetry sets TelemetryEnv to "1" in this process's environment,
// overriding any other value, so that ONNX Runtime, loaded later in this
// process or in any process it starts, sends and records nothing. With cgo
// the setting reaches the C library's environment, where ONNX Runtime reads
// it.
func DisableTelemetry() {
	if os.Getenv(TelemetryEnv) != "1" {
		os.Setenv(TelemetryEnv, "1")
	}
}

// The course sends nothing anywhere: every program that imports this
// package (pkg/backend, hence every notebook, the grader's programs, the
// bench, klcourse) has the telemetry off before its main function runs, and
// before the init of any package that imports this one — so before anything
// could load ONNX Runtime through the course.
func init() { DisableTelemetry() }
