package lab

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSuperviseStopsOrphans runs, under Supervise, a "server" that starts a
// daemon in a session of its own (as GoNB starts gopls) and one that ignores
// SIGTERM, then exits with status 3: Supervise must pass on the 3, and
// neither daemon may outlive it.
func TestSuperviseStopsOrphans(t *testing.T) {
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	// Each daemon records its pid once it is what it will be (the trap
	// set); the server exits only after both have.
	script := `setsid sh -c 'echo $$ >> "$1"; exec sleep 300' sh "$1" &
setsid sh -c 'trap "" TERM; echo $$ >> "$1"; while :; do sleep 0.05; done' sh "$1" &
while [ "$(wc -l 2>/dev/null < "$1")" != 2 ]; do sleep 0.01; done
exit 3`
	var log bytes.Buffer
	start := time.Now()
	code, err := Supervise("/bin/sh", []string{"-c", script, "sh", pids}, os.Environ(), 500*time.Millisecond, &log)
	if err != nil {
		t.Fatal(err)
	}
	if code != 3 {
		t.Errorf("exit status %d, want the server's 3", code)
	}
	b, err := os.ReadFile(pids)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		t.Fatalf("the script recorded %q, want two pids", b)
	}
	for _, f := range fields {
		pid, _ := strconv.Atoi(f)
		if _, state, ok := procStat(pid); ok && state != 'Z' {
			// Still there: kill it so the test leaves nothing behind.
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d outlived the supervised server", pid)
		}
	}
	if len(Descendants(os.Getpid())) != 0 {
		t.Errorf("descendants left: %v", Descendants(os.Getpid()))
	}
	if !strings.Contains(log.String(), "did not stop in 500ms: killed") {
		t.Errorf("the log does not report the process that ignored SIGTERM:\n%s", log.String())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Supervise took %s", d)
	}
}

// TestSupervisePassesSignals: the hub stops a server with SIGINT/SIGTERM sent
// to the process it started (Supervise); the server must receive it.
func TestSupervisePassesSignals(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	script := `trap 'exit 7' TERM; touch "$1"; while :; do sleep 0.05; done`
	go func() {
		for i := 0; i < 200; i++ {
			if _, err := os.Stat(ready); err == nil {
				syscall.Kill(os.Getpid(), syscall.SIGTERM)
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
	}()
	var log bytes.Buffer
	code, err := Supervise("/bin/sh", []string{"-c", script, "sh", ready}, os.Environ(), time.Second, &log)
	if err != nil {
		t.Fatal(err)
	}
	if code != 7 {
		t.Errorf("exit status %d, want 7 (the server's TERM trap)\n%s", code, log.String())
	}
}
