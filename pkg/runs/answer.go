package runs

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
)

// Answer returns the source of the named top-level declarations of the
// calling program — in a notebook, the program GoNB composed from the cells
// run so far — and of every top-level declaration of the program they use,
// transitively, each as its Go tokens (no comments, no layout). An
// exercise's run gives it as Spec.Source, naming the functions the student
// writes, so that the run's key covers the student's answer: a run trained
// with another answer is never found for it, while a rerun of the same
// answer is (and Spec.OwnOnly keeps a shared store, which may hold the
// solution's run, out of the lookup). Only what the named functions reach
// counts, so later cells, another cell's main or an edited comment or
// blank line do not change the key.
//
// Call it from the notebook's own code (a cell, or a function declared in
// one): the program's source is found beside the caller's file.
func Answer(names ...string) ([]string, error) {
	_, file, _, ok := runtime.Caller(1)
	if !ok || !filepath.IsAbs(file) {
		return nil, errors.New("runs: the calling program's source cannot be found (built with -trimpath?)")
	}
	return answer(filepath.Dir(file), names)
}

// AnswerOf is Answer for the functions given as values (top-level
// functions of the calling program, such as the losses a helper of the
// notebook is passed): their names come from the program's symbol table.
func AnswerOf(fns ...any) ([]string, error) {
	_, file, _, ok := runtime.Caller(1)
	if !ok || !filepath.IsAbs(file) {
		return nil, errors.New("runs: the calling program's source cannot be found (built with -trimpath?)")
	}
	names, err := funcNames(fns)
	if err != nil {
		return nil, err
	}
	return answer(filepath.Dir(file), names)
}

// funcNames names top-level functions given as values.
func funcNames(fns []any) ([]string, error) {
	var names []string
	for _, fn := range fns {
		v := reflect.ValueOf(fn)
		if v.Kind() != reflect.Func || v.IsNil() {
			return nil, fmt.Errorf("runs: AnswerOf wants functions, got %T", fn)
		}
		f := runtime.FuncForPC(v.Pointer())
		if f == nil {
			return nil, fmt.Errorf("runs: AnswerOf: no name for the function %T", fn)
		}
		full := f.Name() // main.klLoss, or main.main.func1 for a function literal
		name := full[strings.LastIndex(full, "/")+1:]
		_, name, _ = strings.Cut(name, ".")
		if !token.IsIdentifier(name) {
			return nil, fmt.Errorf("runs: AnswerOf: %s is not a top-level function of the program (a function literal or a method?): give the function by its name", full)
		}
		names = append(names, name)
	}
	return names, nil
}

// answer is Answer for the Go files of the program in dir.
func answer(dir string, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, errors.New("runs: Answer needs the names of the functions the student writes")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("runs: reading the program's source: %w", err)
	}
	fset := token.NewFileSet()
	// decls maps a top-level name to what declares it: a function, a
	// method (as Type.Method, also listed under its type), or one spec of a
	// var, const or type declaration.
	decls := map[string][]ast.Node{}
	kinds := map[ast.Node]token.Token{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("runs: the program's source: %w", err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				kinds[d] = token.FUNC
				if d.Recv != nil && len(d.Recv.List) == 1 {
					if t := receiverType(d.Recv.List[0].Type); t != "" {
						decls[t] = append(decls[t], d)
						decls[t+"."+d.Name.Name] = append(decls[t+"."+d.Name.Name], d)
					}
					continue
				}
				decls[d.Name.Name] = append(decls[d.Name.Name], d)
			case *ast.GenDecl:
				for _, s := range d.Specs {
					kinds[s] = d.Tok
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							decls[n.Name] = append(decls[n.Name], s)
						}
					case *ast.TypeSpec:
						decls[s.Name.Name] = append(decls[s.Name.Name], s)
					}
				}
			}
		}
	}
	seen := map[ast.Node]bool{}
	var queue []ast.Node
	for _, n := range names {
		if n == "main" || len(decls[n]) == 0 {
			return nil, fmt.Errorf("runs: the program declares no %s to key the run with (run the cell that declares it first)", n)
		}
		queue = append(queue, decls[n]...)
	}
	var out []string
	for len(queue) > 0 {
		node := queue[0]
		queue = queue[1:]
		if seen[node] {
			continue
		}
		seen[node] = true
		ast.Inspect(node, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id.Name != "main" {
				queue = append(queue, decls[id.Name]...)
			}
			return true
		})
		src, err := printUncommented(fset, node, kinds[node])
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	sort.Strings(out)
	return out, nil
}

// receiverType is the name of a method's receiver type: T, *T, T[P].
func receiverType(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.ParenExpr:
			e = t.X
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}

// printUncommented prints a declaration as gofmt does, without its doc
// comment (comments inside a body are not part of the syntax tree).
func printUncommented(fset *token.FileSet, node ast.Node, tok token.Token) (string, error) {
	var buf bytes.Buffer
	switch n := node.(type) {
	case *ast.FuncDecl:
		c := *n
		c.Doc = nil
		node = &c
	case *ast.ValueSpec:
		c := *n
		c.Doc, c.Comment = nil, nil
		node = &c
	case *ast.TypeSpec:
		c := *n
		c.Doc, c.Comment = nil, nil
		node = &c
	}
	if tok != token.FUNC {
		buf.WriteString(tok.String() + " ")
	}
	if err := printer.Fprint(&buf, fset, node); err != nil {
		return "", fmt.Errorf("runs: printing the program's source: %w", err)
	}
	return tokens(buf.Bytes()), nil
}
