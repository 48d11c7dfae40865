package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/klcourse/klcourse/internal/lab"
)

// loadReport is a class of n students whose self-checks took selfCheck
// seconds each, with unfinished of them failing to start.
func loadReport(n int, selfCheck float64, unfinished int) lab.LoadReport {
	r := lab.LoadReport{Students: n, Load1Start: 0.4, CPU: "Test CPU", Cores: 2, MemGiB: 24, Date: "2026-12-06", ThinkS: 3}
	for i := range n {
		s := lab.StudentResult{Name: fmt.Sprint("s", i), ServerS: 9, KernelS: 0.2, PeakRSSMiB: 900 + float64(i)*10, KernelStart: true,
			Cells: []lab.CellTiming{{Index: 0, Kind: "declarations", Seconds: 1}, {Index: 1, Kind: "self-check", Seconds: selfCheck}}}
		if i < unfinished {
			s.Error = "server did not start"
			s.Cells = nil
		}
		r.Results = append(r.Results, s)
	}
	return r
}

func writeReport(t *testing.T, root string, r lab.LoadReport) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, CapacityDir, fmt.Sprintf("loadtest-%d.json", r.Students)), string(b))
}

func TestCapacitySection(t *testing.T) {
	root := checkout(t)
	writeFile(t, filepath.Join(root, CapacityPage), "# Capacity\n\nText.\n\n"+CapacityBegin+"\nold\n"+CapacityEnd+"\n\n## Limits\n")
	writeReport(t, root, loadReport(1, 2, 0))
	writeReport(t, root, loadReport(10, 8, 0))
	writeReport(t, root, loadReport(20, 14, 2))
	if err := Write(root, BenchJSON); err != nil {
		t.Fatal(err)
	}
	if err := Check(root, BenchJSON); err != nil {
		t.Errorf("Check right after Write: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(root, CapacityPage))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		"# Capacity\n\nText.\n\n" + CapacityBegin, // the hand-written part is kept
		"\n## Limits\n",
		"Test CPU (2 cores, 24 GiB), 2026-12-06",
		"| 10 | 0.4 |",
		"had 10 students on 2 cores (self-check p95 8.0 s)", // 20 students broke the budget
		"with 20 students the p95 was 14.0 s and 2 of them did not finish",
		"**5 students per core**",
		"peaked at 1090 MiB at most, so plan **1.5 GiB per student**",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the capacity page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "old\n") {
		t.Errorf("the generated section kept the old text:\n%s", page)
	}
	// A new measurement makes the committed page stale.
	writeReport(t, root, loadReport(5, 4, 0))
	if err := Check(root, BenchJSON); !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), CapacityPage) {
		t.Errorf("Check after a new load test: got %v, want %s stale", err, CapacityPage)
	}
}

func TestCapacityBadInputIsNamed(t *testing.T) {
	root := checkout(t)
	writeFile(t, filepath.Join(root, CapacityPage), "# Capacity, without the markers\n")
	if err := Write(root, BenchJSON); err == nil || !strings.Contains(err.Error(), CapacityPage) || !strings.Contains(err.Error(), "generated section") {
		t.Errorf("a page without its markers: got %v, want an error naming %s and the markers", err, CapacityPage)
	}
	writeFile(t, filepath.Join(root, CapacityPage), CapacityBegin+"\n"+CapacityEnd+"\n")
	writeFile(t, filepath.Join(root, CapacityDir, "loadtest-3.json"), `{"students": 3, "results": []}`)
	if err := Write(root, BenchJSON); err == nil || !strings.Contains(err.Error(), "loadtest-3.json") || !strings.Contains(err.Error(), "one result per student") {
		t.Errorf("a report without its students: got %v, want an error naming the file", err)
	}
}

// TestKubernetesGuaranteesAreTheMeasuredSizing checks that the Zero to
// JupyterHub values reserve for each student what the committed load tests
// measured: the memory per student and a core shared by that many students.
func TestKubernetesGuaranteesAreTheMeasuredSizing(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	reps, err := LoadReports(root)
	if err != nil {
		t.Fatal(err)
	}
	perCore, gib, ok := Sizing(reps)
	if !ok {
		t.Skipf("no responsive class in %s", CapacityDir)
	}
	var values struct {
		Singleuser struct {
			Memory struct{ Guarantee string }  `yaml:"memory"`
			CPU    struct{ Guarantee float64 } `yaml:"cpu"`
		} `yaml:"singleuser"`
	}
	path := filepath.Join(root, "deploy", "kubernetes", "values.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if want := strconv.FormatFloat(gib, 'f', -1, 64) + "G"; values.Singleuser.Memory.Guarantee != want {
		t.Errorf("%s: singleuser.memory.guarantee %q, want the measured %s per student (%s)", path, values.Singleuser.Memory.Guarantee, want, CapacityPage)
	}
	if want := math.Round(100/perCore) / 100; math.Abs(values.Singleuser.CPU.Guarantee-want) > 1e-9 {
		t.Errorf("%s: singleuser.cpu.guarantee %g, want 1/%.0f core, the measured students per core (%s)", path, values.Singleuser.CPU.Guarantee, perCore, CapacityPage)
	}
}
