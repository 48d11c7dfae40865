package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/notebook"
)

func TestStrip(t *testing.T) {
	dir := t.TempDir()
	executed := `{"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [{"name": "stdout", "output_type": "stream", "text": "1\n"}], "source": "%%\nfmt.Println(1)"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`
	path := filepath.Join(dir, "x.ipynb")
	if err := os.WriteFile(path, []byte(executed), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := klcourse(t, dir, nil, "strip", "--check", ".")
	if code != 1 || !strings.Contains(out, "x.ipynb: cell 1 has 1 output(s); cell 1 has execution count 1") {
		t.Errorf("strip --check on an executed notebook: exit %d, output:\n%s", code, out)
	}
	out, code = klcourse(t, dir, nil, "strip", "x.ipynb")
	if code != 0 || !strings.Contains(out, "stripped x.ipynb") {
		t.Errorf("strip: exit %d, output:\n%s", code, out)
	}
	out, code = klcourse(t, dir, nil, "strip", "--check", ".")
	if code != 0 {
		t.Errorf("strip --check after strip: exit %d, output:\n%s", code, out)
	}
}

// TestCommittedNotebooksAreClean enforces the convention that committed
// notebooks carry no outputs and no execution counts.
func TestCommittedNotebooksAreClean(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range []string{"notebooks", "exercises", "solutions"} {
		paths, _ := filepath.Glob(filepath.Join(root, dir, "*.ipynb"))
		for _, path := range paths {
			n++
			nb, err := notebook.Read(path)
			if err != nil {
				t.Error(err)
				continue
			}
			if dirt := nb.Dirt(); len(dirt) > 0 {
				t.Errorf("%s is committed with outputs (%s): run `go run ./cmd/klcourse strip %s`", path, strings.Join(dirt, "; "), path)
			}
		}
	}
	if n == 0 {
		t.Fatal("no notebooks found under notebooks/, exercises/, solutions/")
	}
}
