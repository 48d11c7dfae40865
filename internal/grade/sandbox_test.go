package grade

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSandbox runs, sandboxed, a program that tries what a malicious
// submission would: read the grader's sources (the hidden tests), leave a
// file in /tmp for another student to pick up, reach the network. It runs
// as nobody, cannot read the sources, and writes only into a /tmp of its
// own, with no network interface but the loopback.
func TestSandbox(t *testing.T) {
	if err := CheckSandbox(); err != nil {
		t.Skip(err)
	}
	root, _ := filepath.Abs("../..")
	ws, err := newWorkspace(root)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.remove()
	if err := os.WriteFile(filepath.Join(ws.dir, "src", "klcourse_main.go"), []byte("// hidden tests\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(ws.dir, "bin", "graded")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	mark := "klcourse-sandbox-leak-" + filepath.Base(ws.dir)
	script := `#!/bin/sh
echo "uid=$(id -u)"
cat ../src/klcourse_main.go 2>/dev/null && echo READ-SOURCES
echo leak > /tmp/` + mark + ` && echo WROTE-PRIVATE-TMP
echo "net=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"
`
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	run, err := ws.runTest(context.Background(), bin, 0, runLimits{Timeout: time.Minute, Memory: 1 << 30, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	out := run.Output
	if !strings.Contains(out, "uid=65534") {
		t.Errorf("the sandboxed program did not run as nobody:\n%s", out)
	}
	if strings.Contains(out, "READ-SOURCES") {
		t.Errorf("the sandboxed program read the grader's sources:\n%s", out)
	}
	if !strings.Contains(out, "WROTE-PRIVATE-TMP") {
		t.Errorf("the sandboxed program had no /tmp to write in:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join("/tmp", mark)); err == nil {
		os.Remove(filepath.Join("/tmp", mark))
		t.Errorf("the sandboxed program left /tmp/%s for others to read", mark)
	}
	if !strings.Contains(out, "net=lo \n") && !strings.Contains(out, "net=lo ") {
		t.Errorf("the sandboxed program sees network interfaces besides the loopback:\n%s", out)
	}
}
