// Package notebook reads, edits and writes Jupyter notebooks (nbformat 4)
// without losing fields it does not know about.
//
// A notebook is kept as generic JSON so that metadata written by Jupyter,
// GoNB or other tools survives a round trip. It is written the way nbformat
// writes it — keys sorted, one-space indentation, a final newline — so that a
// notebook edited by klcourse and one saved by Jupyter produce small diffs.
package notebook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/klcourse/klcourse/internal/safefile"
)

// Notebook is a Jupyter notebook in nbformat 4.
type Notebook struct {
	Cells []*Cell
	// rest holds the top-level fields other than "cells" (metadata,
	// nbformat, nbformat_minor), unchanged.
	rest map[string]any
}

// Cell is one cell of a notebook.
type Cell struct {
	// Type is "code", "markdown" or "raw".
	Type string
	// Source is the cell's text.
	Source string
	// fields holds every field of the cell, including the ones above as read;
	// Type and Source override them when the cell is written.
	fields map[string]any
}

// NewCell returns a cell of the given type ("code", "markdown", "raw") with
// the fields nbformat 4 requires.
func NewCell(typ, source string) *Cell {
	fields := map[string]any{"metadata": map[string]any{}}
	if typ == "code" {
		fields["outputs"] = []any{}
		fields["execution_count"] = nil
	}
	return &Cell{Type: typ, Source: source, fields: fields}
}

// Read reads the notebook at path.
func Read(path string) (*Notebook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	nb, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return nb, nil
}

// Parse parses a notebook from its JSON text.
func Parse(data []byte) (*Notebook, error) {
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a Jupyter notebook: invalid JSON: %w", err)
	}
	if v, ok := raw["nbformat"].(json.Number); !ok || v.String() != "4" {
		return nil, fmt.Errorf("not an nbformat 4 notebook: nbformat is %v, want 4", raw["nbformat"])
	}
	rawCells, ok := raw["cells"].([]any)
	if !ok {
		return nil, fmt.Errorf("not a Jupyter notebook: no \"cells\" list")
	}
	nb := &Notebook{rest: raw}
	delete(raw, "cells")
	for i, rc := range rawCells {
		fields, ok := rc.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("cell %d is not a JSON object", i+1)
		}
		typ, _ := fields["cell_type"].(string)
		if typ != "code" && typ != "markdown" && typ != "raw" {
			return nil, fmt.Errorf("cell %d has cell_type %q, want code, markdown or raw", i+1, fields["cell_type"])
		}
		source, err := joinSource(fields["source"])
		if err != nil {
			return nil, fmt.Errorf("cell %d: %w", i+1, err)
		}
		nb.Cells = append(nb.Cells, &Cell{Type: typ, Source: source, fields: fields})
	}
	return nb, nil
}

// joinSource accepts both forms nbformat allows for multi-line text: one
// string, or a list of strings (lines that keep their "\n").
func joinSource(v any) (string, error) {
	switch s := v.(type) {
	case nil:
		return "", nil
	case string:
		return s, nil
	case []any:
		var b strings.Builder
		for _, line := range s {
			str, ok := line.(string)
			if !ok {
				return "", fmt.Errorf("source has a non-string line %v", line)
			}
			b.WriteString(str)
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("source is %T, want a string or a list of strings", v)
}

// splitSource splits text into lines that keep their "\n", the form Jupyter
// saves, so that diffs of notebooks show changed lines.
func splitSource(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if lines == nil {
		lines = []string{}
	}
	return lines
}

// Marshal returns the notebook's JSON text in nbformat's layout.
func (nb *Notebook) Marshal() ([]byte, error) {
	top := make(map[string]any, len(nb.rest)+1)
	for k, v := range nb.rest {
		top[k] = v
	}
	cells := make([]any, len(nb.Cells))
	for i, c := range nb.Cells {
		fields := make(map[string]any, len(c.fields)+2)
		for k, v := range c.fields {
			fields[k] = v
		}
		fields["cell_type"] = c.Type
		fields["source"] = splitSource(c.Source)
		if _, ok := fields["metadata"]; !ok {
			fields["metadata"] = map[string]any{}
		}
		cells[i] = fields
	}
	top["cells"] = cells
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(top); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes the notebook to path through a temporary file in the same
// directory, so that an interrupted write never leaves a truncated notebook.
func (nb *Notebook) Write(path string) error {
	data, err := nb.Marshal()
	if err != nil {
		return err
	}
	return safefile.WriteBytes(path, data)
}

// KernelName returns the name of the kernel the notebook asks for
// (metadata.kernelspec.name), or "" when it names none.
func (nb *Notebook) KernelName() string {
	md, _ := nb.rest["metadata"].(map[string]any)
	ks, _ := md["kernelspec"].(map[string]any)
	name, _ := ks["name"].(string)
	return name
}

// CodeCells returns the number of code cells.
func (nb *Notebook) CodeCells() int {
	n := 0
	for _, c := range nb.Cells {
		if c.Type == "code" {
			n++
		}
	}
	return n
}

// Tags returns the cell's tags (metadata.tags).
func (c *Cell) Tags() []string {
	md, _ := c.fields["metadata"].(map[string]any)
	raw, _ := md["tags"].([]any)
	var tags []string
	for _, t := range raw {
		if s, ok := t.(string); ok {
			tags = append(tags, s)
		}
	}
	return tags
}

// SetMetadata sets a top-level metadata field of the notebook.
func (nb *Notebook) SetMetadata(key string, value any) {
	md, ok := nb.rest["metadata"].(map[string]any)
	if !ok {
		md = map[string]any{}
		nb.rest["metadata"] = md
	}
	md[key] = value
}

// ID returns the cell's id (nbformat 4.5), or "".
func (c *Cell) ID() string {
	id, _ := c.fields["id"].(string)
	return id
}

// Metadata returns the cell's metadata (an empty map when it has none); changes
// to it are kept.
func (c *Cell) Metadata() map[string]any {
	md, ok := c.fields["metadata"].(map[string]any)
	if !ok {
		md = map[string]any{}
		c.fields["metadata"] = md
	}
	return md
}

// Metadata returns the notebook's metadata (an empty map when it has none).
func (nb *Notebook) Metadata() map[string]any {
	md, _ := nb.rest["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
	}
	return md
}

// OutputText is the text a code cell printed: its stream outputs and the
// text/plain of its other outputs, in order.
func (c *Cell) OutputText() string {
	outputs, _ := c.fields["outputs"].([]any)
	var b strings.Builder
	for _, o := range outputs {
		m, _ := o.(map[string]any)
		if text, ok := m["text"]; ok {
			s, _ := joinSource(text)
			b.WriteString(s)
		}
		if data, ok := m["data"].(map[string]any); ok {
			if plain, ok := data["text/plain"]; ok {
				s, _ := joinSource(plain)
				b.WriteString(s)
			}
		}
	}
	return b.String()
}
