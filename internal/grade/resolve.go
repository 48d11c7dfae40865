package grade

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// The answer-key check works on the program the grader built, type-checked
// with go/types: every identifier is resolved to the object it denotes, so
// an import under another name, a dot import, an alias, a function value, a
// method value or a helper (the student's, the instructor's, or a function of
// the course's own packages) that calls the reference all lead to the same
// object. A question scores zero when the functions it grades — the
// declarations of its answer cell and every declaration of the student's
// that its test cells use — reach an object the question forbids, and only
// then: a forbidden name used by another question's answer costs that
// question only.

// depPackage is one package of `go list -export -deps`.
type depPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
	Standard   bool
	Module     *struct{ Path string }
}

// listDeps returns the dependencies of the program in src, with their export
// data (compiled, or taken from the build cache, by go list).
func listDeps(ctx context.Context, src string) ([]depPackage, error) {
	cmd := exec.Command("go", "list", "-e", "-export", "-deps", "-json=ImportPath,Dir,GoFiles,Export,Standard,Module", ".")
	cmd.Dir = src
	cmd.Env = append(filterEnv(os.Environ(), "GOWORK", "GOFLAGS"), "GOWORK="+filepath.Join(src, "go.work"))
	var out, errOut limitedBuffer
	out.max, errOut.max = 64<<20, 16<<10
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := runGroup(ctx, cmd); err != nil {
		return nil, fmt.Errorf("go list -export: %v\n%s", err, firstLines(errOut.String(), 10))
	}
	var deps []depPackage
	dec := json.NewDecoder(&out.Buffer)
	for {
		var d depPackage
		if err := dec.Decode(&d); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list -export: %v", err)
		}
		deps = append(deps, d)
	}
	return deps, nil
}

// objKey names a package-level object (or a method) across type-checking
// runs: "path.Name" or "path.Type.Method".
func objKey(obj types.Object) string {
	if obj == nil || obj.Pkg() == nil {
		return ""
	}
	if f, ok := obj.(*types.Func); ok {
		f = f.Origin()
		if sig, ok := f.Type().(*types.Signature); ok && sig.Recv() != nil {
			t := sig.Recv().Type()
			if p, ok := t.(*types.Pointer); ok {
				t = p.Elem()
			}
			if n, ok := t.(*types.Named); ok {
				return f.Pkg().Path() + "." + n.Obj().Name() + "." + f.Name()
			}
			return "" // An interface's method: not resolvable statically.
		}
		return f.Pkg().Path() + "." + f.Name()
	}
	if v, ok := obj.(*types.Var); ok {
		v = v.Origin()
		if v.Parent() != v.Pkg().Scope() {
			return "" // Local variables, fields, parameters.
		}
		return v.Pkg().Path() + "." + v.Name()
	}
	if obj.Parent() != obj.Pkg().Scope() {
		return ""
	}
	return obj.Pkg().Path() + "." + obj.Name()
}

// forbidMatcher tells whether an object's key is one a question forbids.
type forbidMatcher struct{ forbid []string }

// match returns the forbid entry that key matches, or "". "pkg.Name" matches
// a package-level object of a package whose import path is pkg or ends in
// /pkg (or whose default name is pkg); "pkg.Type.Method" a method; a plain
// identifier an object declared at the top level of the graded program.
func (m forbidMatcher) match(key string) string {
	for _, f := range m.forbid {
		parts := strings.Split(f, ".")
		if len(parts) == 1 {
			if key == "main."+f {
				return f
			}
			continue
		}
		// The package part is everything up to the last one or two dots.
		for n := 1; n <= 2 && n < len(parts); n++ {
			pkgPart := strings.Join(parts[:len(parts)-n], ".")
			name := strings.Join(parts[len(parts)-n:], ".")
			if !strings.HasSuffix(key, "."+name) {
				continue
			}
			p := strings.TrimSuffix(key, "."+name)
			if p == pkgPart || strings.HasSuffix(p, "/"+pkgPart) || defaultName(p) == pkgPart {
				return f
			}
		}
	}
	return ""
}

// taintCache remembers, per compiled package (its export data file, which
// names its content) and forbid list, the keys of its objects that reach a
// forbidden object.
var taintCache sync.Map // string → map[string]string

// declIndex maps the package-level objects of a type-checked package (and
// methods) to their declarations, and records who writes each variable.
type declIndex struct {
	decls   map[string][]ast.Node // key → declaration (FuncDecl, or ValueSpec)
	writers map[string][]string   // variable key → keys of the functions that assign it
}

func indexDecls(files []*ast.File, info *types.Info) *declIndex {
	ix := &declIndex{decls: map[string][]ast.Node{}, writers: map[string][]string{}}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				key := objKey(info.Defs[d.Name])
				if d.Name.Name == "init" && d.Recv == nil {
					key = fmt.Sprintf("%s.init#%d", info.Defs[d.Name].Pkg().Path(), d.Pos())
				}
				if key == "" {
					continue
				}
				ix.decls[key] = append(ix.decls[key], d)
				// A function that assigns a package-level variable: whoever
				// reaches the variable reaches what the function stores.
				ast.Inspect(d, func(n ast.Node) bool {
					if as, ok := n.(*ast.AssignStmt); ok {
						for _, l := range as.Lhs {
							if id, ok := ast.Unparen(l).(*ast.Ident); ok {
								if vk := objKey(info.Uses[id]); vk != "" {
									ix.writers[vk] = append(ix.writers[vk], key)
								}
							}
						}
					}
					return true
				})
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if k := objKey(info.Defs[n]); k != "" {
								ix.decls[k] = append(ix.decls[k], s)
							}
						}
					case *ast.TypeSpec:
						if k := objKey(info.Defs[s.Name]); k != "" {
							ix.decls[k] = append(ix.decls[k], s)
						}
					}
				}
			}
		}
	}
	return ix
}

// reacher walks declarations to the objects they use.
type reacher struct {
	info    *types.Info
	ix      *declIndex
	forbid  forbidMatcher
	tainted func(key string) string // a key of another package → the forbidden name it reaches
	edges   map[string][]string
}

// uses returns the keys of the objects that key's declarations use, and the
// functions that write it when it is a variable.
func (r *reacher) uses(key string) []string {
	if e, ok := r.edges[key]; ok {
		return e
	}
	var out []string
	seen := map[string]bool{}
	for _, d := range r.ix.decls[key] {
		ast.Inspect(d, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				if k := objKey(r.info.Uses[id]); k != "" && !seen[k] {
					seen[k] = true
					out = append(out, k)
				}
			}
			return true
		})
	}
	for _, w := range r.ix.writers[key] {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	r.edges[key] = out
	return out
}

// reach returns the forbidden names that the object key reaches.
func (r *reacher) reach(root string) []string {
	var found []string
	seen := map[string]bool{root: true}
	queue := []string{root}
	for len(queue) > 0 {
		key := queue[0]
		queue = queue[1:]
		f := r.forbid.match(key)
		if f == "" {
			if _, local := r.ix.decls[key]; !local && r.tainted != nil {
				f = r.tainted(key)
			}
		}
		if f != "" {
			if !slicesContains(found, f) {
				found = append(found, f)
			}
			continue
		}
		for _, k := range r.uses(key) {
			if !seen[k] {
				seen[k] = true
				queue = append(queue, k)
			}
		}
	}
	return found
}

// packageTaint type-checks a package of the course from its source (its
// dependencies from their export data) and returns its objects that reach a
// forbidden object, each with the forbidden name.
func packageTaint(fset *token.FileSet, imp types.Importer, d depPackage, m forbidMatcher, other func(string) string) (map[string]string, error) {
	cacheKey := d.Export + "\x00" + strings.Join(m.forbid, ",")
	if v, ok := taintCache.Load(cacheKey); ok && d.Export != "" {
		return v.(map[string]string), nil
	}
	var files []*ast.File
	for _, name := range d.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(d.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: imp, Error: func(error) {}}
	if _, err := conf.Check(d.ImportPath, fset, files, info); err != nil {
		return nil, fmt.Errorf("type-checking %s: %v", d.ImportPath, err)
	}
	ix := indexDecls(files, info)
	r := &reacher{info: info, ix: ix, forbid: m, tainted: other, edges: map[string][]string{}}
	taint := map[string]string{}
	keys := make([]string, 0, len(ix.decls))
	for k := range ix.decls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if fs := r.reach(k); len(fs) > 0 {
			taint[k] = fs[0]
		}
	}
	if d.Export != "" {
		taintCache.Store(cacheKey, taint)
	}
	return taint, nil
}

// exportImporter imports packages from the export data go list reported.
func exportImporter(fset *token.FileSet, deps []depPackage) types.Importer {
	exports := map[string]string{}
	for _, d := range deps {
		if d.Export != "" {
			exports[d.ImportPath] = d.Export
		}
	}
	return importer.ForCompiler(fset, "gc", func(p string) (io.ReadCloser, error) {
		f, ok := exports[p]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", p)
		}
		return os.Open(f)
	})
}

// resolveViolations type-checks the built program and returns, for each
// question, the forbidden names its graded functions reach.
func (ws *workspace) resolveViolations(ctx context.Context, spec *Spec, p *program) (map[string][]string, error) {
	anyForbid := false
	for _, q := range spec.Questions {
		anyForbid = anyForbid || len(q.Forbid) > 0
	}
	if !anyForbid {
		return nil, nil
	}
	src := filepath.Join(ws.dir, "src")
	deps, err := listDeps(ctx, src)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	imp := exportImporter(fset, deps)
	var files []*ast.File
	for _, name := range []string{"main.go", "klcourse_main.go"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, filepath.Join(src, name), data, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: imp, Error: func(error) {}}
	if _, err := conf.Check("main", fset, files, info); err != nil {
		return nil, fmt.Errorf("type-checking the graded program: %v", err)
	}
	ix := indexDecls(files, info)
	courseModule := modulePath(ws.root)
	out := map[string][]string{}
	for _, q := range spec.Questions {
		if len(q.Forbid) == 0 {
			continue
		}
		m := forbidMatcher{q.Forbid}
		// The course's packages, in dependency order (go list -deps lists a
		// package after its dependencies).
		taint := map[string]string{}
		other := func(k string) string { return taint[k] }
		for _, d := range deps {
			if d.Standard || d.Module == nil || d.Module.Path != courseModule || d.ImportPath == "klcoursegraded" {
				continue
			}
			t, err := packageTaint(fset, imp, d, m, other)
			if err != nil {
				return nil, err
			}
			for k, f := range t {
				taint[k] = f
			}
		}
		r := &reacher{info: info, ix: ix, forbid: m, tainted: other, edges: map[string][]string{}}
		for _, root := range gradedRoots(fset, files, info, p, q) {
			for _, f := range r.reach(root) {
				if !slicesContains(out[q.ID], f) {
					out[q.ID] = append(out[q.ID], f)
				}
			}
		}
	}
	return out, nil
}

// gradedRoots returns the keys of the functions question q grades: the
// declarations of its answer cell, and the student's declarations that its
// test cells use.
func gradedRoots(fset *token.FileSet, files []*ast.File, info *types.Info, p *program, q Question) []string {
	var roots []string
	add := func(k string) {
		if k != "" && !slicesContains(roots, k) {
			roots = append(roots, k)
		}
	}
	// //line directives name the cells; go/scanner makes the names relative
	// to the program's folder.
	fileOf := func(pos token.Pos) string { return filepath.Base(fset.Position(pos).Filename) }
	studentFile := func(pos token.Pos) bool { return p.studentFiles[fileOf(pos)] }
	answerFile := cellFile(q.Cell)
	tests := map[string]bool{}
	for _, t := range p.Tests {
		if t.Question == q.ID {
			tests[fmt.Sprintf("klcourseTest%d", t.Index)] = true
		}
	}
	for _, f := range files {
		for _, d := range f.Decls {
			pos := d.Pos()
			if fd, ok := d.(*ast.FuncDecl); ok && tests[fd.Name.Name] {
				ast.Inspect(fd, func(n ast.Node) bool {
					if id, ok := n.(*ast.Ident); ok {
						if obj := info.Uses[id]; obj != nil && obj.Pkg() != nil && obj.Pkg().Path() == "main" && studentFile(obj.Pos()) {
							add(objKey(obj))
						}
					}
					return true
				})
				continue
			}
			if fileOf(pos) != answerFile || !p.studentFiles[answerFile] {
				continue
			}
			switch d := d.(type) {
			case *ast.FuncDecl:
				add(objKey(info.Defs[d.Name]))
				if d.Name.Name == "init" && d.Recv == nil {
					add(fmt.Sprintf("main.init#%d", d.Pos()))
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							add(objKey(info.Defs[n]))
						}
					case *ast.TypeSpec:
						add(objKey(info.Defs[s.Name]))
					}
				}
			}
		}
	}
	return roots
}

// modulePath reads the module path from root/go.mod.
func modulePath(root string) string {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return ""
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("module ")); ok {
			return strings.Trim(string(bytes.TrimSpace(rest)), `"`)
		}
	}
	return ""
}
