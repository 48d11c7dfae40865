package layers

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoUpwardImports parses every non-test Go file of the module (the
// packages notebooks and tools run) and fails on an import of a package
// above the importer's layer.
func TestNoUpwardImports(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	fset := token.NewFileSet()
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "build" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		from := filepath.ToSlash(rel)
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			to, ok := strings.CutPrefix(p, Module+"/")
			if !ok {
				continue
			}
			checked++
			if !Allowed(from, to) {
				t.Errorf("%s imports %s: layer %d imports layer %d (see package layers)", fset.Position(imp.Pos()), to, Of(from), Of(to))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("only %d imports of the module's packages found: is the walk looking at the module?", checked)
	}
}

func TestAllowed(t *testing.T) {
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{"pkg/backend", "internal/onnxruntime", false},
		{"pkg/rbm", "internal/rng", true},
		{"pkg/rbm", "pkg/fit", true},
		{"internal/rng", "pkg/course", false},
		{"internal/grade", "pkg/backend", true},
		{"pkg/exercise", "solutions/references", false},
		{"solutions/references", "pkg/flow", true},
		{"solutions/references", "internal/grade", false},
		{"internal/grade", "solutions/references", false},
		{"cmd/klcourse", "solutions/references", true},
	} {
		if got := Allowed(c.from, c.to); got != c.want {
			t.Errorf("Allowed(%s, %s) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}
