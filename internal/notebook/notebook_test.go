package notebook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// executed is a notebook as Jupyter saves it after a run: outputs, execution
// counts, timing metadata, and a field klcourse does not know ("id").
const executed = `{
 "cells": [
  {
   "cell_type": "markdown",
   "id": "m1",
   "metadata": {},
   "source": ["# Title\n", "Some <b>math</b> & text."]
  },
  {
   "cell_type": "code",
   "execution_count": 3,
   "id": "c1",
   "metadata": {"execution": {"iopub.status.busy": "2026-01-01"}, "tags": ["keep"]},
   "outputs": [{"name": "stdout", "output_type": "stream", "text": ["hello\n"]}],
   "source": "%%\nfmt.Println(\"hello\")"
  }
 ],
 "metadata": {"kernelspec": {"display_name": "Go (gonb)", "language": "go", "name": "gonb"}},
 "nbformat": 4,
 "nbformat_minor": 5
}`

func TestStripRoundTrip(t *testing.T) {
	nb, err := Parse([]byte(executed))
	if err != nil {
		t.Fatal(err)
	}
	if got := nb.KernelName(); got != "gonb" {
		t.Errorf("KernelName() = %q, want gonb", got)
	}
	if got := nb.CodeCells(); got != 1 {
		t.Errorf("CodeCells() = %d, want 1", got)
	}
	if got, want := nb.Cells[0].Source, "# Title\nSome <b>math</b> & text."; got != want {
		t.Errorf("markdown source = %q, want %q", got, want)
	}
	dirt := nb.Dirt()
	if len(dirt) != 2 || !strings.Contains(dirt[0], "cell 2 has 1 output") || !strings.Contains(dirt[1], "execution count 3") {
		t.Errorf("Dirt() = %q, want the output and the execution count of cell 2", dirt)
	}
	if !nb.Strip() {
		t.Fatal("Strip() = false on an executed notebook")
	}
	if d := nb.Dirt(); len(d) != 0 {
		t.Errorf("Dirt() after Strip = %q", d)
	}
	if nb.Strip() {
		t.Error("Strip() = true on a stripped notebook")
	}

	path := filepath.Join(t.TempDir(), "nb.ipynb")
	if err := nb.Write(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	text := string(data)
	for _, want := range []string{
		`"id": "c1"`,                         // Unknown fields survive.
		`"tags": [`,                          // Cell metadata survives...
		`"source": [` + "\n" + `    "%%\n",`, // ... sources are saved as lines...
		`<b>math</b> & text`,                 // ... without HTML escaping.
		`"execution_count": null`,
		`"outputs": []`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("written notebook lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "iopub") {
		t.Errorf("written notebook keeps execution timing:\n%s", text)
	}
	again, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.Cells[1].Source != nb.Cells[1].Source || len(again.Cells) != 2 {
		t.Errorf("round trip changed the cells: %q", again.Cells[1].Source)
	}
	data2, _ := again.Marshal()
	if string(data2) != text {
		t.Errorf("a second write differs from the first:\n%s\n---\n%s", data2, text)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`{"cells": [`, "invalid JSON"},
		{`{"cells": [], "nbformat": 3}`, "nbformat is 3"},
		{`{"nbformat": 4}`, `no "cells" list`},
		{`{"cells": [{"cell_type": "python"}], "nbformat": 4}`, `cell 1 has cell_type "python"`},
		{`{"cells": [{"cell_type": "code", "source": 7}], "nbformat": 4}`, "source is json.Number"},
	} {
		_, err := Parse([]byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s) error = %v, want one containing %q", tc.text, err, tc.want)
		}
	}
}

func TestNewCell(t *testing.T) {
	nb, err := Parse([]byte(`{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`))
	if err != nil {
		t.Fatal(err)
	}
	nb.Cells = append(nb.Cells, NewCell("markdown", "text"), NewCell("code", "x := 1\n"))
	data, err := nb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(data)
	if err != nil {
		t.Fatalf("a notebook with new cells does not parse: %v\n%s", err, data)
	}
	if len(again.Dirt()) != 0 || again.CodeCells() != 1 || again.Cells[1].Source != "x := 1\n" {
		t.Errorf("new cells did not survive a round trip:\n%s", data)
	}
}
