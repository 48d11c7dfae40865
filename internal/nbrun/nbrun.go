// Package nbrun executes Jupyter notebooks headlessly with their kernel (GoNB
// for this course) and renders each to an executed notebook and a static HTML
// page.
//
// Execution is delegated to Jupyter's own nbclient, driven by a small Python
// program embedded here (driver.py), so that notebooks run exactly as they do
// in Jupyter. A notebook stops at its first failing cell: a compile error, a
// panic, an error output, or a cell that runs past the timeout (it is then
// interrupted). Each notebook runs in its own kernel, so one failure never
// stops the others.
package nbrun

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/klcourse/klcourse/internal/notebook"
)

//go:embed driver.py
var driverSource []byte

// Options configure a run.
type Options struct {
	// Timeout bounds the time of each cell. It must be at least a second.
	Timeout time.Duration
	// OutDir receives the executed notebooks and their HTML pages. A notebook
	// under Root keeps its path relative to Root there (notebooks/x.ipynb →
	// OutDir/notebooks/x.ipynb); others are written by base name.
	OutDir, Root string
	// Env is added to the kernel's environment, e.g. KLCOURSE_QUICK=1.
	Env []string
	// Python is a Python interpreter with nbclient and nbconvert; FindPython
	// picks one when empty.
	Python string
	// Progress, when not nil, receives a line per executed cell.
	Progress io.Writer
}

// Status is the outcome of running one notebook.
type Status string

const (
	OK       Status = "ok"
	Failed   Status = "FAILED"  // A cell failed: compile error, panic, error output.
	TimedOut Status = "TIMEOUT" // A cell ran past Options.Timeout.
	Broken   Status = "BROKEN"  // The notebook could not be executed at all.
	// Interrupted: the run was stopped (Ctrl-C, SIGTERM) while the notebook ran.
	Interrupted Status = "INTERRUPTED"
)

// Result reports the run of one notebook.
type Result struct {
	Notebook string // As given to Run.
	Status   Status
	Cells    int // Code cells in the notebook.
	Ran      int // Code cells executed, the failing one included.
	Elapsed  time.Duration
	// Failure describes the failing cell, or why the notebook could not run.
	Failure *Failure
	// IPYNB and HTML are the executed notebook and its page ("" when not written).
	IPYNB, HTML string
}

// Failure describes the cell that stopped a notebook.
type Failure struct {
	Cell   int    // 1-based position of the cell in the notebook (all cells counted, as Jupyter shows them); 0 when no cell ran.
	Source string // The first telling line of the cell's source.
	Error  string // The error text: compiler message, panic and stack, or timeout.
}

// Run executes the notebooks one after the other and returns a result for
// each. It returns an error only when nothing can run (no Python with
// nbclient, no output directory); a failing notebook is reported in its
// Result.
func Run(paths []string, opts Options) ([]Result, error) {
	return RunContext(context.Background(), paths, opts)
}

// RunContext is Run, stopped when ctx is done: the notebook that runs then is
// reported Interrupted (its kernel shut down, nothing of it left running) and
// the notebooks after it are not run.
//
// No process outlives a notebook: each runs its driver and kernel with a
// private temporary folder of its own (TMPDIR, the kernel's connection file,
// GoNB's work folder) and an environment tag; when the driver has exited,
// every process still carrying the tag (a kernel that did not stop, a cell's
// program) is killed and the folder removed.
func RunContext(ctx context.Context, paths []string, opts Options) ([]Result, error) {
	if opts.Timeout < time.Second {
		return nil, fmt.Errorf("cell timeout %v is too short: want at least 1s", opts.Timeout)
	}
	python := opts.Python
	if python == "" {
		var err error
		if python, err = FindPython(); err != nil {
			return nil, err
		}
	}
	driver, err := os.CreateTemp("", "klcourse-driver-*.py")
	if err != nil {
		return nil, err
	}
	defer os.Remove(driver.Name())
	if _, err := driver.Write(driverSource); err != nil {
		return nil, err
	}
	if err := driver.Close(); err != nil {
		return nil, err
	}
	results := make([]Result, 0, len(paths))
	for _, path := range paths {
		if ctx.Err() != nil {
			break
		}
		results = append(results, runOne(ctx, python, driver.Name(), path, opts))
	}
	return results, nil
}

// event is one line of driver.py's report.
type event struct {
	Event   string  `json:"event"`
	Cells   int     `json:"cells"`
	Index   int     `json:"index"`
	Seconds float64 `json:"seconds"`
	Status  string  `json:"status"`
	Error   string  `json:"error"`
	IPYNB   string  `json:"ipynb"`
	HTML    string  `json:"html"`
}

// TagEnv is the variable that marks the processes of one notebook's run (the
// driver, the kernel and everything they start) with the run's private
// folder; KillTagged finds them by it.
const TagEnv = "KLCOURSE_NBRUN"

func runOne(ctx context.Context, python, driver, path string, opts Options) Result {
	start := time.Now()
	res := Result{Notebook: path}
	broken := func(format string, args ...any) Result {
		res.Status = Broken
		res.Elapsed = time.Since(start)
		res.Failure = &Failure{Error: fmt.Sprintf(format, args...)}
		return res
	}
	nb, err := notebook.Read(path)
	if err != nil {
		return broken("%v", err)
	}
	res.Cells = nb.CodeCells()
	kernel := nb.KernelName()
	if kernel == "" {
		kernel = "gonb"
	}
	outBase := outputBase(path, opts)
	if err := os.MkdirAll(filepath.Dir(outBase), 0o755); err != nil {
		return broken("cannot create the output directory: %v", err)
	}
	// Events come over a pipe of their own (fd 3 in the driver): the kernel
	// inherits the driver's stdout and stderr and, if it outlives the driver,
	// would hold them open. Those go to a file for the same reason.
	private, err := os.MkdirTemp("", "klcourse-kernel-*")
	if err != nil {
		return broken("cannot create a temporary folder: %v", err)
	}
	defer func() {
		KillTagged(private)
		os.RemoveAll(private)
	}()
	events, eventsW, err := os.Pipe()
	if err != nil {
		return broken("%v", err)
	}
	defer events.Close()
	logFile, err := os.CreateTemp("", "klcourse-driver-*.log")
	if err != nil {
		eventsW.Close()
		return broken("%v", err)
	}
	defer os.Remove(logFile.Name())
	defer logFile.Close()
	cmd := exec.Command(python, driver,
		"--kernel", kernel,
		"--timeout", fmt.Sprint(int(math.Ceil(opts.Timeout.Seconds()))),
		"--events-fd", "3",
		"--runtime-dir", private,
		"--out-ipynb", outBase+".ipynb",
		"--out-html", outBase+".html",
		path)
	// IPython, which nbclient loads, would otherwise create ~/.ipython.
	cmd.Env = append(append(os.Environ(), opts.Env...), "TMPDIR="+private, TagEnv+"="+private,
		"IPYTHONDIR="+filepath.Join(private, "ipython"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.ExtraFiles = []*os.File{eventsW}
	err = cmd.Start()
	eventsW.Close() // Only the driver writes; EOF comes when it exits.
	if err != nil {
		return broken("cannot start %s: %v", python, err)
	}
	res.Status = OK
	// On interruption, ask the driver to shut its kernel down (it does on
	// SIGTERM), and kill it if it has not exited within a grace period.
	stopped := make(chan struct{})
	defer close(stopped)
	interrupted := make(chan struct{})
	go func() {
		select {
		case <-stopped:
			return
		case <-ctx.Done():
		}
		close(interrupted)
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-stopped:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
		}
	}()
	scanner := bufio.NewScanner(events)
	scanner.Buffer(make([]byte, 1<<20), 16<<20)
	for scanner.Scan() {
		var ev event
		if json.Unmarshal(scanner.Bytes(), &ev) != nil {
			continue // Not ours: a stray print.
		}
		switch ev.Event {
		case "cell":
			res.Ran++
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "  %s cell %d: %s (%.1fs)\n", filepath.Base(path), ev.Index+1, ev.Status, ev.Seconds)
			}
			if ev.Status != "ok" {
				res.Status = Failed
				if ev.Status == "timeout" {
					res.Status = TimedOut
				}
				res.Failure = &Failure{Cell: ev.Index + 1, Source: firstLine(nb.Cells[ev.Index].Source), Error: ev.Error}
			}
		case "fatal":
			res.Status = Broken
			res.Failure = &Failure{Error: explainFatal(ev.Error, kernel)}
		case "saved":
			res.IPYNB, res.HTML = ev.IPYNB, ev.HTML
		case "interrupted":
			res.Status = Interrupted
		}
	}
	waitErr := cmd.Wait()
	res.Elapsed = time.Since(start)
	select {
	case <-interrupted:
		res.Status = Interrupted
		res.Failure = &Failure{Error: "the run was interrupted; the kernel was shut down"}
		return res
	default:
	}
	if waitErr != nil && res.Status == OK {
		log, _ := os.ReadFile(logFile.Name())
		res.Status = Broken
		res.Failure = &Failure{Error: fmt.Sprintf("the notebook driver failed: %v\n%s", waitErr, lastLines(string(log), 20))}
	}
	return res
}

// outputBase is the path, without extension, of the executed copy of the
// notebook at path.
func outputBase(path string, opts Options) string {
	name := filepath.Base(path)
	if abs, err := filepath.Abs(path); err == nil && opts.Root != "" {
		if rel, err := filepath.Rel(opts.Root, abs); err == nil && !strings.HasPrefix(rel, "..") {
			name = rel
		}
	}
	return filepath.Join(opts.OutDir, strings.TrimSuffix(name, ".ipynb"))
}

func explainFatal(msg, kernel string) string {
	if strings.Contains(msg, "NoSuchKernel") {
		return fmt.Sprintf("%s\nthe Jupyter kernel %q is not installed: run `go run ./cmd/klcourse setup`", msg, kernel)
	}
	return msg
}

// firstLine returns the first line of a cell's source that says what the cell
// does, passing over blank lines and GoNB's bare "%%" marker.
func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" && line != "%%" {
			return line
		}
	}
	return ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
