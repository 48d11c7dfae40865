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
	dir, _, err := callerProgram()
	if err != nil {
		return nil, err
	}
	return answer(dir, names)
}

// AnswerOf is Answer for the functions given as values (top-level
// functions of the calling program, such as the losses a helper of the
// notebook is passed): their names come from the program's symbol table.
func AnswerOf(fns ...any) ([]string, error) {
	dir, pkg, err := callerProgram()
	if err != nil {
		return nil, err
	}
	names, err := funcNames(fns, pkg)
	if err != nil {
		return nil, err
	}
	return answer(dir, names)
}

// callerProgram is the folder of the source of the program that called
// Answer or AnswerOf, and the package the calling function belongs to
// ("main" in a notebook).
func callerProgram() (dir, pkg string, err error) {
	pc, file, _, ok := runtime.Caller(2)
	if !ok || !filepath.IsAbs(file) {
		return "", "", errors.New("runs: the calling program's source cannot be found (built with -trimpath?)")
	}
	if f := runtime.FuncForPC(pc); f != nil {
		pkg, _ = splitFuncName(f.Name())
	}
	return filepath.Dir(file), pkg, nil
}

// splitFuncName splits a function's full name (main.klLoss,
// github.com/x/y.F, main.main.func1) into its package path and the rest.
func splitFuncName(full string) (pkg, name string) {
	slash := strings.LastIndex(full, "/") + 1
	dot := strings.Index(full[slash:], ".")
	if dot < 0 {
		return "", full
	}
	return full[:slash+dot], full[slash+dot+1:]
}

// funcNames names top-level functions of package pkg given as values.
func funcNames(fns []any, pkg string) ([]string, error) {
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
		p, name := splitFuncName(full)
		if p != pkg {
			return nil, fmt.Errorf("runs: AnswerOf: %s is not a function of the program (package %s): give the functions the student writes", full, pkg)
		}
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
	// pkgScope holds the objects of the files' package scopes: an
	// identifier that resolves to one of them, or to nothing in its file
	// (a declaration of another file, or a predeclared name), may name a
	// top-level declaration; one that resolves to a local, a parameter or
	// a field does not.
	pkgScope := map[*ast.Object]bool{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			return nil, fmt.Errorf("runs: the program's source: %w", err)
		}
		for _, obj := range f.Scope.Objects {
			pkgScope[obj] = true
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
		for _, name := range references(node, pkgScope) {
			queue = append(queue, decls[name]...)
		}
		src, err := printUncommented(fset, node, kinds[node])
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	sort.Strings(out)
	return out, nil
}

// references lists the names in node that may refer to a top-level
// declaration of the program: identifiers that resolve to the package scope
// or to nothing in their file, but not a selector's name (x.loss, fmt.Sprint),
// a method's or field's name, a field's name as a struct literal's key
// (pair{a: 1}; the keys of a map or array literal are followed), a local or
// a parameter.
func references(node ast.Node, pkgScope map[*ast.Object]bool) []string {
	skip := map[*ast.Ident]bool{}
	var out []string
	ast.Inspect(node, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			skip[n.Name] = true
		case *ast.SelectorExpr:
			skip[n.Sel] = true
		case *ast.CompositeLit:
			switch n.Type.(type) {
			case *ast.MapType, *ast.ArrayType:
				// A map's or an array's keys are values: k in map[string]int{k: 1}.
			default:
				// A struct's keys are its fields' names.
				for _, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok {
							skip[id] = true
						}
					}
				}
			}
		case *ast.Ident:
			if !skip[n] && n.Name != "main" && (n.Obj == nil || pkgScope[n.Obj]) {
				out = append(out, n.Name)
			}
		}
		return true
	})
	return out
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
