package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/klcourse/klcourse/internal/nbrun"
)

// cellModel is the row group of the GoNB cells: how long a student waits
// for a cell in a running kernel (python/bench/cells.py), with the modes
// trivial (a print), plot (a bar chart) and graph (a small GoMLX graph on the
// course's backend). Each is one cell, a step in the table's terms: cells/s,
// ms per cell, and the first execution after the kernel started.
const cellModel = "gonb-cell"

// cellModes are the cells, in the order cells.py runs them.
var cellModes = []string{"trivial", "plot", "graph"}

// cellBench runs python/bench/cells.py through the course's GoNB kernel
// (the one `klcourse setup` installed, as Jupyter runs it) and returns a
// speed per cell kind: the median of repeats executions after the first.
func cellBench(root string, repeats int, progress io.Writer) (map[string]speed, []string, error) {
	python, err := nbrun.FindPython()
	if err != nil {
		return nil, nil, err
	}
	// Like klcourse run: a private folder for the kernel's connection file,
	// GoNB's work folder and TMPDIR, and a tag on every process, so that
	// nothing outlives the measurement.
	private, err := os.MkdirTemp("", "klcourse-cells-*")
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		nbrun.KillTagged(private)
		os.RemoveAll(private)
	}()
	// One more execution than asked: the first (cold, after the kernel
	// started) is reported on its own.
	cmd := exec.Command(python, filepath.Join(root, "python", "bench", "cells.py"),
		"--cwd", filepath.Join(root, "notebooks"), "--repeats", strconv.Itoa(repeats+1))
	cmd.Env = append(os.Environ(), "TMPDIR="+private, nbrun.TagEnv+"="+private, "JUPYTER_RUNTIME_DIR="+private,
		"IPYTHONDIR="+filepath.Join(private, "ipython"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("the GoNB cell measurement (python/bench/cells.py with %s) failed: %v\n%s", python, err, tailLines(errOut.String(), 20))
	}
	speeds, err := parseCellOutput(&out)
	if err != nil {
		return nil, nil, fmt.Errorf("python/bench/cells.py: %w", err)
	}
	for _, m := range cellModes {
		fmt.Fprintf(progress, "  cell %s: %.0f ms (CPU %.0f ms), first %.2f s\n", m, speeds[m].MsPerStep, speeds[m].CPUMsPerStep, speeds[m].FirstStepS)
	}
	return speeds, cellModes, nil
}

// parseCellOutput turns cells.py's lines into a speed per cell kind: the
// medians of the executions after the first, which is the first step.
func parseCellOutput(r io.Reader) (map[string]speed, error) {
	speeds := map[string]speed{}
	s := bufio.NewScanner(r)
	for s.Scan() {
		var line struct {
			Cell       string    `json:"cell"`
			Seconds    []float64 `json:"seconds"`
			CPUSeconds []float64 `json:"cpu_seconds"`
		}
		if err := json.Unmarshal(s.Bytes(), &line); err != nil {
			return nil, fmt.Errorf("printed %q: %v", s.Text(), err)
		}
		if !slices.Contains(cellModes, line.Cell) || len(line.Seconds) < 2 || len(line.CPUSeconds) != len(line.Seconds) {
			return nil, fmt.Errorf("printed %q: want a cell of %v with at least 2 times and as many CPU times", s.Text(), cellModes)
		}
		wall, cpu := median(line.Seconds[1:]), median(line.CPUSeconds[1:])
		if wall <= 0 {
			return nil, fmt.Errorf("printed %q: a cell took no time", s.Text())
		}
		speeds[line.Cell] = speed{PerS: 1 / wall, Unit: "cells", MsPerStep: wall * 1e3, FirstStepS: line.Seconds[0], Items: 1, CPUMsPerStep: cpu * 1e3}
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	for _, m := range cellModes {
		if _, ok := speeds[m]; !ok {
			return nil, fmt.Errorf("no time for the %s cell", m)
		}
	}
	return speeds, nil
}

// median is the median of x (the mean of the middle two for an even count).
func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
