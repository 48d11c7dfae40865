package main

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// Tests run klcourse as a separate process — the test binary itself, which
// becomes klcourse when this variable is set — to see its real output and
// exit status.
const asKlcourseEnv = "KLCOURSE_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asKlcourseEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// klcourse runs the command line args in dir and returns its combined output
// and exit status.
func klcourse(t *testing.T, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), asKlcourseEnv+"=1"), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if exitErr, ok := err.(*exec.ExitError); ok {
		return out.String(), exitErr.ExitCode()
	}
	if err != nil {
		t.Fatalf("klcourse %q: %v", args, err)
	}
	return out.String(), 0
}

func TestUsage(t *testing.T) {
	out, code := klcourse(t, ".", nil, "frobnicate")
	if code != 2 || !bytes.Contains([]byte(out), []byte(`unknown command "frobnicate"`)) {
		t.Errorf("klcourse frobnicate: exit %d, output:\n%s", code, out)
	}
	out, code = klcourse(t, ".", nil, "run")
	if code != 2 || !bytes.Contains([]byte(out), []byte("no notebooks given")) {
		t.Errorf("klcourse run without paths: exit %d, output:\n%s", code, out)
	}
	out, code = klcourse(t, ".", nil, "run", "no/such/dir")
	if code != 2 || !bytes.Contains([]byte(out), []byte("no/such/dir")) {
		t.Errorf("klcourse run no/such/dir: exit %d, output:\n%s", code, out)
	}
}
