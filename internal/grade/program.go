package grade

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Submitted is the code a submission contributes: its code cells by id, and
// the ids in the order they appear.
type Submitted struct {
	Cells map[string]string
	Order []string
	// Markdown are the Markdown cells by id (written answers).
	Markdown map[string]string
}

// test is one test cell of the graded program.
type test struct {
	Index    int // Argument that selects it.
	CellID   string
	Question string
	Hidden   bool
}

// program is the Go program built for one submission.
type program struct {
	Main  string // main.go
	Tests []test
	Notes []string
	// Violations maps a question to the forbidden names its graded
	// functions reach (resolveViolations, after the build).
	Violations map[string][]string
	// studentFiles are the //line file names of the student's cells.
	studentFiles map[string]bool
}

// cellFile names a cell in compiler messages (through //line directives).
func cellFile(id string) string { return "cell-" + id + ".go" }

// testsFile names a test cell in compiler messages.
func testsFile(id string) string { return "tests-" + id + ".go" }

// cleanCell blanks GoNB's special lines (%goworkfix, !shell) so that line
// numbers stay those of the cell, and splits it at "%%" into declarations and
// a main body. bodyLine is the 1-based line of the "%%" (0 when there is none).
func cleanCell(src string) (decls, body string, bodyLine int) {
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "%%" {
			return strings.Join(blankSpecial(lines[:i]), "\n"), strings.Join(blankSpecial(lines[i+1:]), "\n"), i + 1
		}
	}
	return strings.Join(blankSpecial(lines), "\n"), "", 0
}

func blankSpecial(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "%") || strings.HasPrefix(t, "!") {
			continue
		}
		out[i] = l
	}
	return out
}

type importSpec struct{ name, path string }

func (s importSpec) local() string {
	if s.name != "" {
		return s.name
	}
	return defaultName(s.path)
}

// defaultName guesses a package's name from its import path: its last
// element, passing over a major version suffix.
func defaultName(p string) string {
	base := path.Base(p)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" {
		base = path.Base(path.Dir(p))
	}
	return strings.TrimPrefix(base, "go-")
}

// entry is one top-level declaration.
type entry struct {
	keys    []string
	text    string
	file    string
	line    int
	student bool
	cell    string
	node    ast.Decl
}

// cellDecls parses a cell's declarations.
func cellDecls(id, decls string, student bool) ([]entry, []importSpec, error) {
	src := "package main\n" + decls
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, cellFile(id), src, parser.ParseComments)
	if err != nil {
		// Report lines of the cell, not of src.
		if list, ok := err.(interface{ Error() string }); ok {
			return nil, nil, fmt.Errorf("%s", shiftLines(list.Error(), cellFile(id)))
		}
		return nil, nil, err
	}
	var imports []importSpec
	var entries []entry
	for _, d := range f.Decls {
		start := d.Pos()
		var keys []string
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Doc != nil {
				start = d.Doc.Pos()
			}
			key := d.Name.Name
			if d.Recv != nil && len(d.Recv.List) > 0 {
				key = "method " + recvName(d.Recv.List[0].Type) + "." + key
			}
			keys = append(keys, key)
		case *ast.GenDecl:
			if d.Doc != nil {
				start = d.Doc.Pos()
			}
			if d.Tok == token.IMPORT {
				for _, s := range d.Specs {
					is := s.(*ast.ImportSpec)
					p, _ := strconv.Unquote(is.Path.Value)
					spec := importSpec{path: p}
					if is.Name != nil {
						spec.name = is.Name.Name
					}
					imports = append(imports, spec)
				}
				continue
			}
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					keys = append(keys, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.Name != "_" {
							keys = append(keys, n.Name)
						}
					}
				}
			}
		}
		from, to := fset.Position(start), fset.Position(d.End())
		entries = append(entries, entry{
			keys: keys, text: src[from.Offset:to.Offset], file: cellFile(id), line: from.Line - 1,
			student: student, cell: id, node: d,
		})
	}
	return entries, imports, nil
}

// shiftLines rewrites "file:L:C" positions in a parser message to the cell's
// lines (the parsed text has one line more, the package clause).
func shiftLines(msg, file string) string {
	var out []string
	for _, part := range strings.Split(msg, "\n") {
		if rest, ok := strings.CutPrefix(part, file+":"); ok {
			if i := strings.Index(rest, ":"); i > 0 {
				if n, err := strconv.Atoi(rest[:i]); err == nil {
					part = fmt.Sprintf("%s:%d:%s", file, n-1, rest[i+1:])
				}
			}
		}
		out = append(out, part)
	}
	return strings.Join(out, "\n")
}

func recvName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return recvName(e.X)
	case *ast.Ident:
		return e.Name
	case *ast.IndexExpr:
		return recvName(e.X)
	case *ast.IndexListExpr:
		return recvName(e.X)
	}
	return "?"
}

// cellError is a student's cell that does not parse.
type cellError struct {
	Cell string
	Err  error
}

func (e *cellError) Error() string { return e.Err.Error() }

// stdImports are the standard packages added when a cell uses one without
// importing it, as GoNB's goimports does.
var stdImports = map[string]string{
	"fmt": "fmt", "math": "math", "os": "os", "strings": "strings", "sort": "sort", "slices": "slices",
	"errors": "errors", "strconv": "strconv", "time": "time", "rand": "math/rand", "maps": "maps",
	"sync": "sync", "io": "io", "exec": "os/exec", "filepath": "path/filepath", "bytes": "bytes", "cmplx": "math/cmplx", "bits": "math/bits",
}

// buildProgram assembles the graded program. stubbed lists the answer cells
// to replace by the exercise's stub (their own code does not compile);
// dropped the student's extra cells to leave out. withHidden includes the
// hidden tests.
func buildProgram(spec *Spec, sub *Submitted, stubbed, dropped map[string]bool, withHidden bool) (*program, error) {
	p := &program{}
	var entries []entry
	var imports []importSpec
	instructorKeys := map[string]bool{}
	add := func(es []entry) {
		for _, e := range es {
			clash := ""
			for _, k := range e.keys {
				if k == "main" || strings.HasPrefix(k, "klcourseTest") {
					clash = k
				}
				if e.student && instructorKeys[k] {
					clash = k
				}
			}
			if clash != "" {
				p.Notes = append(p.Notes, fmt.Sprintf("cell %s redefines `%s`, which the exercise's own cells declare: the exercise's version was used", e.cell, clash))
				continue
			}
			// A later declaration of a name replaces the earlier one, as in GoNB;
			// an instructor's declaration replaces a student's.
			kept := entries[:0]
			for _, old := range entries {
				replaced := false
				for _, k := range old.keys {
					if slicesContains(e.keys, k) {
						replaced = true
					}
				}
				if replaced && old.student && !e.student {
					p.Notes = append(p.Notes, fmt.Sprintf("cell %s redefines `%s`, which the exercise's own cells declare: the exercise's version was used", old.cell, strings.Join(old.keys, ", ")))
				}
				if !replaced {
					kept = append(kept, old)
				}
			}
			entries = append(kept, e)
			if !e.student {
				for _, k := range e.keys {
					instructorKeys[k] = true
				}
			}
		}
	}
	var tests strings.Builder
	known := map[string]bool{}
	for _, c := range spec.Cells {
		known[c.ID] = true
		src, student := c.Source, false
		switch c.Kind {
		case "skip":
			continue
		case "answer":
			if s, ok := sub.Cells[c.ID]; ok && !stubbed[c.ID] {
				src, student = s, true
			} else {
				src = c.Stub
			}
		case "hidden":
			if !withHidden {
				continue
			}
		}
		decls, body, bodyLine := cleanCell(src)
		es, is, err := cellDecls(c.ID, decls, student)
		if err != nil {
			if student {
				return nil, &cellError{Cell: c.ID, Err: err}
			}
			return nil, fmt.Errorf("the solution's cell %s does not parse: %v", c.ID, err)
		}
		add(es)
		imports = append(imports, is...)
		if c.Kind == "visible" || c.Kind == "hidden" {
			if bodyLine == 0 {
				return nil, fmt.Errorf("the solution's test cell %s has no %%%% line: a test cell is a main body that calls exercise.Check", c.ID)
			}
			t := test{Index: len(p.Tests), CellID: c.ID, Question: c.Question, Hidden: c.Kind == "hidden"}
			p.Tests = append(p.Tests, t)
			fmt.Fprintf(&tests, "\n//line %s:%d\nfunc klcourseTest%d() {\n%s\n}\n", testsFile(c.ID), bodyLine, t.Index, body)
		}
	}
	// Cells the student added: their declarations count, their main bodies do not.
	for _, id := range sub.Order {
		if known[id] || dropped[id] {
			continue
		}
		decls, _, _ := cleanCell(sub.Cells[id])
		if strings.TrimSpace(decls) == "" {
			continue
		}
		es, is, err := cellDecls(id, decls, true)
		if err != nil {
			return nil, &cellError{Cell: id, Err: err}
		}
		add(es)
		imports = append(imports, is...)
	}
	p.studentFiles = map[string]bool{}
	for _, e := range entries {
		if e.student {
			p.studentFiles[e.file] = true
		}
	}
	var body strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&body, "\n//line %s:%d\n%s\n", e.file, e.line, e.text)
	}
	body.WriteString(tests.String())
	p.Main = "package main\n\n" + importBlock(imports, body.String(), instructorKeys) + body.String()
	return p, nil
}

// importBlock returns the imports the code uses, each once, and the standard
// packages it uses without importing them.
func importBlock(imports []importSpec, code string, declared map[string]bool) string {
	used := map[string]bool{}
	fset := token.NewFileSet()
	if f, err := parser.ParseFile(fset, "", "package main\n"+code, parser.SkipObjectResolution); err == nil {
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok {
					used[id.Name] = true
				}
			}
			return true
		})
	} else {
		for _, is := range imports { // Let the compiler report the error.
			used[is.local()] = true
		}
	}
	have := map[string]bool{}
	var lines []string
	for _, is := range imports {
		name := is.local()
		if is.name == "_" || is.name == "." {
			lines = append(lines, fmt.Sprintf("\t%s %q", is.name, is.path))
			continue
		}
		if have[name] || !used[name] {
			continue
		}
		have[name] = true
		lines = append(lines, fmt.Sprintf("\t%s %q", name, is.path))
	}
	for name, p := range stdImports {
		if used[name] && !have[name] && !declared[name] {
			lines = append(lines, fmt.Sprintf("\t%s %q", name, p))
		}
	}
	sort.Strings(lines)
	if len(lines) == 0 {
		return ""
	}
	return "import (\n" + strings.Join(lines, "\n") + "\n)\n"
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mainFile selects a test by its index, the program's only argument.
func mainFile(tests []test) string {
	var b strings.Builder
	b.WriteString("package main\n\nimport klcourseos \"os\"\n\nfunc main() {\n\tif len(klcourseos.Args) != 2 {\n\t\tklcourseos.Exit(2)\n\t}\n\tswitch klcourseos.Args[1] {\n")
	for _, t := range tests {
		fmt.Fprintf(&b, "\tcase %q:\n\t\tklcourseTest%d()\n", strconv.Itoa(t.Index), t.Index)
	}
	b.WriteString("\tdefault:\n\t\tklcourseos.Exit(2)\n\t}\n}\n")
	return b.String()
}
