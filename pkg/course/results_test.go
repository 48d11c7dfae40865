package course

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestRecordOnlyInRecordingFullMode(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(ResultsDirEnv, dir)
	tab := Table{Title: "coverage", Header: []string{"data", "modes"}}
	tab.AddRow("8-ring", "8/8")
	for _, env := range [][2]string{{"1", "1"}, {"0", "0"}, {"0", ""}} {
		t.Setenv(QuickEnv, env[0])
		t.Setenv(RecordEnv, env[1])
		if err := Record("07_x", "cov", tab); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "07_x.json")); !os.IsNotExist(err) {
			t.Fatalf("quick=%q record=%q: Record wrote a file (%v)", env[0], env[1], err)
		}
	}
	t.Setenv(QuickEnv, "0")
	t.Setenv(RecordEnv, "1")
	if err := Record("07_x", "cov", tab); err != nil {
		t.Fatal(err)
	}
	other := Table{Header: []string{"a"}, Recorded: "ONNX Runtime"}
	other.AddRow(1.5)
	if err := Record("07_x", "other", other); err != nil {
		t.Fatal(err)
	}
	got, err := FullResult("07_x", "cov")
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows[0][1] != "8/8" || !strings.HasPrefix(got.Recorded, "full mode, 20") {
		t.Errorf("read back %+v", got)
	}
	if !strings.Contains(got.Machine, runtime.GOOS+"/"+runtime.GOARCH+", ") || !strings.Contains(got.Machine, " CPUs") {
		t.Errorf("the recorded machine is %q", got.Machine)
	}
	got, err = FullResult("07_x", "other")
	if err != nil || got.Rows[0][0] != "1.5" || !strings.HasSuffix(got.Recorded, ", ONNX Runtime") {
		t.Errorf("second table: %+v, %v", got, err)
	}
	if _, err := FullResult("07_x", "missing"); err == nil || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("missing key: %v", err)
	}
	if err := Record("../x", "k", tab); err == nil {
		t.Error("a notebook name with a path was accepted")
	}
	t.Setenv(QuickEnv, "1")
	note := QuickNote("07_x", "cov", "2 of 8 modes here.")
	if !strings.HasPrefix(note, "Quick mode: 2 of 8 modes here. Full mode gave:\ncoverage\n") || !strings.Contains(note, "8/8") {
		t.Errorf("note:\n%s", note)
	}
	if _, err := FullResult("08_none", "cov"); err == nil || strings.Contains(err.Error(), dir) {
		t.Errorf("missing file: %v (the error must not show the machine's path)", err)
	}
	if note := QuickNote("07_x", "nothing", "x."); !strings.Contains(note, "no full-mode results") || strings.Contains(note, dir) {
		t.Errorf("note without results: %s", note)
	}
	t.Setenv(QuickEnv, "0")
	if note := QuickNote("07_x", "cov", "x."); note != "" {
		t.Errorf("full mode printed a quick note: %s", note)
	}
}

func TestTableAligned(t *testing.T) {
	tab := Table{Header: []string{"data", "modes", "energy"}}
	tab.AddRow("two clusters", "2/2", 0.00012)
	tab.AddRow("8-ring", "8/8", 0.5)
	lines := strings.Split(strings.TrimRight(tab.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%q", lines)
	}
	for _, l := range lines[1:] {
		if len([]rune(l)) != len([]rune(lines[0])) {
			t.Errorf("misaligned:\n%s", tab)
		}
	}
	if !strings.HasPrefix(lines[2], "8-ring ") {
		t.Errorf("first column not left-aligned: %q", lines[2])
	}
}
