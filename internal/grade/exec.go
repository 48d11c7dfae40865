package grade

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/klcourse/klcourse/internal/verdict"
	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
)

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		if len(p) > room {
			b.Buffer.Write(p[:room])
		} else {
			b.Buffer.Write(p)
		}
	}
	return len(p), nil
}

// runGroup runs cmd in a process group of its own and, whatever happens,
// kills the whole group when cmd ends or ctx is done: nothing it started
// outlives it. It returns cmd.Wait's error, or context.DeadlineExceeded when
// ctx ran out.
func runGroup(ctx context.Context, cmd *exec.Cmd) error { return runGroupIn(ctx, cmd, 0) }

// runGroupIn is runGroup with the process in new namespaces (clone flags).
func runGroupIn(ctx context.Context, cmd *exec.Cmd, cloneflags uintptr) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Cloneflags: cloneflags}
	if err := cmd.Start(); err != nil {
		return err
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
		err = ctx.Err()
	}
	syscall.Kill(-pgid, syscall.SIGKILL) // Children left behind by the program.
	return err
}

// workspace is a submission's build directory: a module of its own in a Go
// workspace with the course's module, as GoNB sets it up, so that the program
// imports pkg/ but not internal/.
type workspace struct {
	dir, root string
	cache     *buildCache // Shared by the submissions of a batch; may be nil.
}

func newWorkspace(root string) (*workspace, error) {
	dir, err := os.MkdirTemp("", "klcourse-grade-*")
	if err != nil {
		return nil, err
	}
	ws := &workspace{dir: dir, root: root}
	goVersion := "1.26"
	if data, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "go "); ok {
				goVersion = strings.TrimSpace(v)
			}
		}
	}
	files := map[string]string{
		"src/go.mod":  "module klcoursegraded\n\ngo " + goVersion + "\n",
		"src/go.work": fmt.Sprintf("go %s\n\nuse (\n\t.\n\t%s\n)\n", goVersion, strconv.Quote(root)),
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		// The sources (the hidden tests among them) are the grader's alone.
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			ws.remove()
			return nil, err
		}
	}
	return ws, nil
}

func (ws *workspace) remove() {
	// The program may have made folders read-only; give them back first,
	// to their owner alone (0755 here let another student list the
	// workspace while it was being removed).
	filepath.Walk(ws.dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	os.RemoveAll(ws.dir)
}

// build compiles the program; it returns the compiler's messages on failure.
func (ws *workspace) build(ctx context.Context, p *program) (bin string, messages string, err error) {
	src := filepath.Join(ws.dir, "src")
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(p.Main), 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(filepath.Join(src, "klcourse_main.go"), []byte(mainFile(p.Tests)), 0o644); err != nil {
		return "", "", err
	}
	bin = filepath.Join(ws.dir, "bin", "graded")
	key := programKey(p)
	if ws.cache.get(key, bin) {
		return bin, "", nil
	}
	// Without a symbol table and DWARF the link is faster; panics keep
	// their file:line traces.
	cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Dir = src
	cmd.Env = append(filterEnv(os.Environ(), "GOWORK", "GOFLAGS"), "GOWORK="+filepath.Join(src, "go.work"))
	var out limitedBuffer
	out.max = 64 << 10
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := runGroup(ctx, cmd); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return "", "", err
		}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", out.String(), nil
		}
		return "", "", fmt.Errorf("go build: %v", err)
	}
	ws.cache.put(key, bin)
	return bin, "", nil
}

func filterEnv(env []string, drop ...string) []string {
	var out []string
	for _, kv := range env {
		keep := true
		for _, d := range drop {
			if strings.HasPrefix(kv, d+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

// runLimits bound one test's process.
type runLimits struct {
	Timeout time.Duration
	Memory  int64 // Bytes of address space.
	Env     []string
	Sandbox bool // Run as nobody, no network, private /tmp (see sandboxScript).
}

// SandboxUID and SandboxGID are the account that a sandboxed test runs as:
// nobody, which owns nothing of the course's, the students' or the
// instructor's.
const SandboxUID, SandboxGID = 65534, 65534

// sandboxScript is the tail of the shell script that starts a sandboxed
// test, run as root in new mount and network namespaces (the program sees
// only the loopback, down): world-writable folders get an empty tmpfs of
// their own, so that a submission leaves nothing there for another student
// to read, and the program runs as nobody, with no supplementary groups and
// no way to gain privileges.
//
// The workspace itself (under the temporary folder, usually) is held open
// before the tmpfs mounts and bound back at its path afterwards.
const sandboxScript = `exec 8<"$KLCOURSE_GRADE_WS" || exit 97
mount --make-rprivate / || exit 97
for d in /tmp /var/tmp /dev/shm /run/lock; do
  [ -d "$d" ] && { mount -t tmpfs -o mode=1777,size=256m,nosuid,nodev tmpfs "$d" || exit 97; }
done
mkdir -p "$KLCOURSE_GRADE_WS" && mount --no-canonicalize --bind /proc/self/fd/8 "$KLCOURSE_GRADE_WS" || exit 97
exec 8<&-
unset KLCOURSE_GRADE_WS
exec setpriv --reuid=%d --regid=%d --clear-groups --no-new-privs -- "$0" "$@"`

// CheckSandbox reports why tests cannot run sandboxed here, or nil.
func CheckSandbox() error {
	if os.Geteuid() != 0 {
		return errors.New("the sandbox needs root (it runs each test as nobody in namespaces of its own)")
	}
	for _, tool := range []string{"setpriv", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("the sandbox needs %s (util-linux)", tool)
		}
	}
	return nil
}

// testRun is what one test cell's process did.
type testRun struct {
	Records  []verdict.Record
	Ended    string // How the process ended: "" when it exited with status 0.
	Output   string // Its stdout and stderr, the start of them.
	TimedOut bool
}

// runTest runs test index of the built program in a fresh working directory.
func (ws *workspace) runTest(ctx context.Context, bin string, index int, lim runLimits) (*testRun, error) {
	cwd := filepath.Join(ws.dir, fmt.Sprintf("run%d", index))
	if err := os.MkdirAll(filepath.Join(cwd, "runs"), 0o755); err != nil {
		return nil, err
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	secret := hex.EncodeToString(nonce)
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// The shell applies the limits to itself and then becomes the program.
	script := fmt.Sprintf(`ulimit -v %d 2>/dev/null; ulimit -f %d 2>/dev/null; ulimit -c 0 2>/dev/null; `,
		lim.Memory/1024, int64(1<<30)/512)
	if lim.Sandbox {
		// nobody may enter the workspace (not list it), run the program and
		// write in its own folder; the sources (the hidden tests among
		// them) stay root's.
		for _, d := range []string{ws.dir, filepath.Dir(bin)} {
			if err := os.Chmod(d, 0o711); err != nil {
				return nil, err
			}
		}
		if err := filepath.Walk(cwd, func(p string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, SandboxUID, SandboxGID)
		}); err != nil {
			return nil, err
		}
		script += fmt.Sprintf(sandboxScript, SandboxUID, SandboxGID)
	} else {
		script += `exec "$0" "$@"`
	}
	cmd := exec.Command("/bin/sh", "-c", script, bin, strconv.Itoa(index))
	cmd.Dir = cwd
	env := filterEnv(os.Environ(), verdict.FDEnv, verdict.NonceEnv, verdict.StrictEnv, "KLCOURSE_RUNS")
	cmd.Env = append(env, lim.Env...)
	cmd.Env = append(cmd.Env, "KLCOURSE_RUNS="+filepath.Join(cwd, "runs"), verdict.FDEnv+"=3", verdict.NonceEnv+"="+secret, "HOME="+cwd,
		// No telemetry, whatever the program loads and however it was built.
		onnxruntime.TelemetryEnv+"=1")
	cmd.ExtraFiles = []*os.File{w}
	var out limitedBuffer
	out.max = 32 << 10
	cmd.Stdout, cmd.Stderr = &out, &out
	tctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	records := make(chan []verdict.Record, 1)
	go func() {
		var got []verdict.Record
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var rec verdict.Record
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Nonce == secret && len(got) < 10000 {
				got = append(got, rec)
			}
		}
		records <- got
	}()
	if lim.Sandbox {
		cmd.Env = append(cmd.Env, "KLCOURSE_GRADE_WS="+ws.dir)
		err = runGroupIn(tctx, cmd, syscall.CLONE_NEWNS|syscall.CLONE_NEWNET)
	} else {
		err = runGroup(tctx, cmd)
	}
	w.Close()
	res := &testRun{Output: out.String()}
	// The pipe's writers are all dead now (the group was killed), so the
	// reader sees EOF.
	select {
	case res.Records = <-records:
	case <-time.After(5 * time.Second):
	}
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded):
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		res.TimedOut = true
		res.Ended = fmt.Sprintf("it ran past the timeout of %v and was stopped", lim.Timeout)
	case errors.Is(err, context.Canceled):
		return nil, err
	default:
		res.Ended = describeExit(err, res.Output)
	}
	return res, nil
}

// describeExit says how a program that failed ended.
func describeExit(err error, output string) string {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return err.Error()
	}
	switch {
	case strings.Contains(output, "out of memory") || strings.Contains(output, "cannot allocate memory"):
		return "it ran out of memory (the memory limit was reached)"
	case strings.Contains(output, "panic:") || strings.Contains(output, "fatal error:"):
		return "it panicked: " + firstLines(panicText(output), 6)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("it was killed by signal %v", ws.Signal())
	}
	return fmt.Sprintf("it exited with status %d", exit.ExitCode())
}

func panicText(output string) string {
	for _, marker := range []string{"panic:", "fatal error:"} {
		if i := strings.Index(output, marker); i >= 0 {
			return output[i:]
		}
	}
	return output
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}
