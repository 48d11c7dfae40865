package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klcourse/klcourse/internal/machine"
	"github.com/klcourse/klcourse/internal/notebook"
)

// LoadEnv lists the class sizes TestLabLoad simulates, one after the other
// on the same hub: "1,5,10,20,40".
const LoadEnv = "KLCOURSE_LOADTEST"

// loadAssignment is the exercise the simulated students work.
const loadAssignment = "03_reverse_kl_fit"

// TestLabLoad measures what a class waits for on this machine: for each
// size in $KLCOURSE_LOADTEST, that many throw-away students log in at once
// (a second apart), start their servers and GoNB kernels and execute the
// exercise's cells up to its first training cell, in quick mode, with
// think time between cells. It logs the table (server and kernel starts,
// p50/p95/max per kind of cell, failures, memory per student, the hub's
// CPU) and writes it as JSON to build/lab-test/loadtest-N.json. It needs
// what TestLabEndToEnd needs (root, setup --system, RequireEnv=1).
func TestLabLoad(t *testing.T) {
	spec := os.Getenv(LoadEnv)
	if spec == "" {
		t.Skipf("the lab's load test runs only with %s=N[,N...] (class sizes), as root, after setup --system", LoadEnv)
	}
	var sizes []int
	most := 0
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 200 {
			t.Fatalf("%s=%q: want class sizes from 1 to 200, such as 1,5,10", LoadEnv, spec)
		}
		sizes = append(sizes, n)
		most = max(most, n)
	}
	root, prefix, out := labInstalled(t, "load")
	klcourse := filepath.Join(prefix, "bin", "klcourse")
	prefixes := make([]string, most)
	for i := range prefixes {
		prefixes[i] = fmt.Sprintf("kll%03d", i)
	}
	lab := newTestLab(t, klcourse, "klcourse-load-", prefixes...)
	stopHub := lab.startHub(t, filepath.Join(out, "hub-load.log"))
	defer stopHub()

	cells := cellsUpToTraining(t, filepath.Join(root, "solutions", loadAssignment+".ipynb"))
	for _, n := range sizes {
		var students []Account
		for _, s := range lab.students[:n] {
			students = append(students, Account{Name: s, Password: lab.passwords[s]})
		}
		cfg := LoadConfig{
			Base: lab.base, Students: students,
			Notebook: CourseDir + "/exercises/" + loadAssignment + ".ipynb", Cells: cells,
			Think: 3 * time.Second, Stagger: time.Second,
			StartTimeout: 5 * time.Minute, KernelTimeout: 3 * time.Minute, CellTimeout: 5 * time.Minute,
			HubPID: hubPID(lab.cfg), Log: testWriter{t},
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		rep, err := RunLoad(ctx, cfg)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("load test, %d students:\n%s", n, rep.Table())
		b, _ := json.MarshalIndent(rep, "", " ")
		os.WriteFile(filepath.Join(out, fmt.Sprintf("loadtest-%d.json", n)), append(b, '\n'), 0o644)
		if n == 1 {
			// One student alone must get through every cell: otherwise the
			// simulation, not the machine, is what failed.
			r := rep.Results[0]
			if r.Error != "" || len(r.Cells) != len(cells) {
				t.Errorf("a student alone did not finish: %+v", r)
			}
			for _, c := range r.Cells {
				if c.Error != "" {
					t.Errorf("a student alone: cell %d (%s) failed: %s", c.Index, c.Kind, c.Error)
				}
			}
		}
		// Every server is stopped before the next size logs in, and the
		// next size waits (up to 3 minutes) for the load average to fall
		// below the number of cores, so that it does not start on the
		// previous class's tail.
		time.Sleep(5 * time.Second)
		for wait := time.Now(); time.Since(wait) < 3*time.Minute && machine.LoadAverage() >= float64(runtime.NumCPU()); {
			time.Sleep(5 * time.Second)
		}
	}
}

// cellsUpToTraining returns the solution's code cells up to and including
// its first training cell: the exercise as a student who has written the
// answer runs it.
func cellsUpToTraining(t *testing.T, path string) []string {
	nb, err := notebook.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	var cells []string
	for _, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		cells = append(cells, c.Source)
		if CellKind(c.Source) == "training" {
			return cells
		}
	}
	t.Fatalf("%s has no training cell", path)
	return nil
}

// hubPID finds the jupyterhub process started with configuration cfg.
func hubPID(cfg string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		args := strings.Split(string(b), "\x00")
		if len(args) > 2 && strings.Contains(strings.Join(args, " "), "jupyterhub -f "+cfg) {
			return pid
		}
	}
	return 0
}

// testWriter sends a load test's log lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestCellKind(t *testing.T) {
	for src, want := range map[string]string{
		"!*rm -f go.work\n%goworkfix":                        "setup",
		"import (\n\t\"fmt\"\n)":                             "declarations",
		"%%\nfmt.Println(course.Mode())":                     "first cell",
		"%%\nexercise.Check(b, \"reverseKL\", f)":            "self-check",
		"%%\nmust.M(plots.Curves(\"x\", \"\", \"\").Show())": "plot",
		"%%\nt := fitFrom(b, mu0, 1)\nplots.Curves()":        "training",
	} {
		if got := CellKind(src); got != want {
			t.Errorf("CellKind(%q) = %q, want %q", src, got, want)
		}
	}
}

func TestLoadSummary(t *testing.T) {
	rep := &LoadReport{Students: 2, Results: []StudentResult{
		{ServerS: 10, KernelS: 2, Cells: []CellTiming{{Kind: "plot", Seconds: 1}, {Kind: "self-check", Seconds: 4}}},
		{ServerS: 20, KernelS: 3, Cells: []CellTiming{{Kind: "plot", Seconds: 3}, {Kind: "self-check", Error: "timed out after 5m0s"}}, Error: "x"},
	}}
	s := rep.Summary()
	if s["plot"].N != 2 || s["plot"].Max != 3 || s["self-check"].TimedOut != 1 || s["server start"].Max != 20 {
		t.Errorf("summary %+v", s)
	}
	table := rep.Table()
	for _, want := range []string{"server start", "self-check", "students who did not finish: 1"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
}
