package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/nbrun"
	"github.com/klcourse/klcourse/internal/notebook"
)

// needKernel skips the test when notebooks cannot run here, unless
// KLCOURSE_REQUIRE_KERNEL=1.
func needKernel(t *testing.T) {
	t.Helper()
	if _, err := nbrun.FindPython(); err != nil {
		if os.Getenv(requireKernelEnv) == "1" {
			t.Fatalf("%s=1 but notebooks cannot run: %v", requireKernelEnv, err)
		}
		t.Skipf("notebooks cannot run here (%v); run `go run ./cmd/klcourse setup`", err)
	}
}

// writeNotebook writes a GoNB notebook of code cells to dir/name.
func writeNotebook(t *testing.T, dir, name string, cells ...string) {
	t.Helper()
	nb, err := notebook.Parse([]byte(`{"cells": [], "metadata": {"kernelspec": {"display_name": "Go (gonb)", "language": "go", "name": "gonb"}}, "nbformat": 4, "nbformat_minor": 5}`))
	if err != nil {
		t.Fatal(err)
	}
	nb.Cells = append(nb.Cells, notebook.NewCell("markdown", "# "+name))
	for _, c := range cells {
		nb.Cells = append(nb.Cells, notebook.NewCell("code", c))
	}
	if err := nb.Write(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// TestRunReportsBrokenNotebooks runs a good notebook between three broken
// ones — a compile error, a panic, an endless loop — and checks that each
// failure names its notebook and cell while the others still run.
func TestRunReportsBrokenNotebooks(t *testing.T) {
	needKernel(t)
	dir := t.TempDir()
	writeNotebook(t, dir, "a_compile.ipynb", "%%\nfmt.Println(\"fine\")", "%%\nx := 1\nfmt.Println(\"bad\" + x)", "%%\nfmt.Println(\"never\")")
	writeNotebook(t, dir, "b_good.ipynb", "%%\nfmt.Println(\"hello from b\")", "func twice(x int) int { return 2 * x }", "%%\nfmt.Println(twice(21))")
	writeNotebook(t, dir, "c_panic.ipynb", "%%\nvar m map[string]int\nm[\"boom\"] = 1")
	writeNotebook(t, dir, "d_loop.ipynb", "%%\nfor {\n}")
	out := filepath.Join(dir, "out")

	text, code := klcourse(t, dir, nil, "run", "--timeout", "8s", "--out", out, ".")
	if code != 1 {
		t.Errorf("klcourse run exited %d, want 1; output:\n%s", code, text)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`a_compile.ipynb\s+2/3\s+\S+\s+FAILED at cell 3`),
		regexp.MustCompile(`b_good.ipynb\s+3/3\s+\S+\s+ok`),
		regexp.MustCompile(`c_panic.ipynb\s+1/1\s+\S+\s+FAILED at cell 2`),
		regexp.MustCompile(`d_loop.ipynb\s+1/1\s+\S+\s+TIMEOUT at cell 2`),
		regexp.MustCompile(`1 of 4 notebooks passed`),
		regexp.MustCompile(`FAILED a_compile.ipynb, cell 3 \(x := 1\):\n(.*\n)*.*invalid operation: "bad" \+ x`),
		regexp.MustCompile(`FAILED c_panic.ipynb, cell 2 \(var m map\[string\]int\):\n\s+panic: assignment to entry in nil map`),
		regexp.MustCompile(`TIMEOUT d_loop.ipynb, cell 2 \(for \{\):\n\s+cell ran past the timeout of 8s`),
	} {
		if !want.MatchString(text) {
			t.Errorf("output does not match %s:\n%s", want, text)
		}
	}
	// Every notebook, failed or not, has its executed copy and page.
	for _, name := range []string{"a_compile", "b_good", "c_panic", "d_loop"} {
		for _, ext := range []string{".ipynb", ".html"} {
			if _, err := os.Stat(filepath.Join(out, name+ext)); err != nil {
				t.Errorf("no rendered %s%s: %v", name, ext, err)
			}
		}
	}
	// The page is titled after the notebook's heading, not "Notebook".
	if page, err := os.ReadFile(filepath.Join(out, "b_good.html")); err != nil || !strings.Contains(string(page), "<title>b_good.ipynb</title>") {
		t.Errorf("b_good.html is not titled after its heading (%v)", err)
	}
	good, err := notebook.Read(filepath.Join(out, "b_good.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := good.Marshal(); !strings.Contains(string(data), "42") {
		t.Errorf("executed b_good.ipynb lacks the output 42:\n%s", data)
	}
}

// TestRunQuickMode checks that --quick reaches the kernel's environment and
// that a shell's KLCOURSE_QUICK=1 does not leak into a full run.
func TestRunQuickMode(t *testing.T) {
	needKernel(t)
	dir := t.TempDir()
	writeNotebook(t, dir, "mode.ipynb", "%%\nfmt.Printf(\"mode=%s\\n\", os.Getenv(\"KLCOURSE_QUICK\"))")
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		flag string
		want string
	}{{"--quick", "mode=1"}, {"--timeout=60s", "mode=0"}} {
		text, code := klcourse(t, dir, []string{"KLCOURSE_QUICK=1"}, "run", tc.flag, "--out", out, "mode.ipynb")
		if code != 0 {
			t.Fatalf("klcourse run %s: exit %d:\n%s", tc.flag, code, text)
		}
		data, err := os.ReadFile(filepath.Join(out, "mode.ipynb"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), tc.want) {
			t.Errorf("klcourse run %s: executed notebook lacks %q", tc.flag, tc.want)
		}
	}
}
