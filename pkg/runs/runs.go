// Package runs is the course's run store: a training run that a lecture does
// once is kept with a key and a card, so that the next time — in the same
// student's kernel, or for a whole class from a lab's shared store — the cell
// loads it instead of training again, and says where it came from.
//
// A run's key is a SHA-256 over what determines its result:
//
//	key = SHA-256( notebook, name, the configuration as canonical JSON,
//	               the code hash of the course packages that train it,
//	               the extra source that trains it, whether it is an
//	               exercise's run, looked up in the own store only )
//
// The configuration is everything the run depends on (data, sizes, epochs,
// seed, optimiser); the code hash covers every non-test Go file of the listed
// packages and of the module's packages they import, as Go tokens (a comment
// edit does not count), and go.sum (the dependencies' versions); the extra source is, for an exercise, the student's answer (the
// functions the training calls, see Answer), so that a run trained with one
// answer never stands in for another. Change
// any of them and the key changes: a stale run is never found.
//
// A run is a folder named by its key, in a store:
//
//	<store>/<key>/run.json    the card: key, configuration, code hash, course
//	                          version, when, how long, on what, final metrics,
//	                          and the size and SHA-256 of every file
//	<store>/<key>/...         the files the training wrote (weights, history)
//
// Lookup searches the student's own store first ($KLCOURSE_RUNS/store, or
// ~/.cache/klcourse/runs/store), then the shared read-only stores listed in
// $KLCOURSE_RUN_STORES (a lab's, installed by "klcourse setup --system
// --runs BUNDLE"). Every candidate is verified (card, key, every file's sum)
// before it is used; one that fails is skipped, and the reason is given.
// $KLCOURSE_RETRAIN=1 (or a comma-separated list of run names) skips the
// lookup: the cell trains, and the new run replaces the stored one in the
// student's own store.
// Writes go only to the own store, through a temporary folder renamed into
// place, so two kernels training the same run at once never leave a half
// run behind.
package runs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/scanner"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// Environment variables of the store.
const (
	// RunsEnv is the folder of the course's runs (pkg/course's RunDir uses it
	// too); the own store is its store/ subfolder.
	RunsEnv = "KLCOURSE_RUNS"
	// StoresEnv lists shared, read-only stores (os.PathListSeparator between
	// them), searched after the own store.
	StoresEnv = "KLCOURSE_RUN_STORES"
	// RetrainEnv makes Open train again: "1"/"true"/"all" for every run, or
	// a comma-separated list of run names.
	RetrainEnv = "KLCOURSE_RETRAIN"
	// RootEnv names the course's module root, where the code hash reads the
	// packages' source, when this package's own source path does not lead
	// there (a build with -trimpath).
	RootEnv = "KLCOURSE_ROOT"
)

// CardFile is the name of a run's card in its folder (not fit's card.json:
// a run may hold fit's checkpoints, each with its own card).
const CardFile = "run.json"

// Module is the course's module path: Spec.Packages are given relative to it.
const Module = "github.com/klcourse/klcourse"

// Spec says what determines a run's result.
type Spec struct {
	// Notebook is the notebook's base name without extension ("04_rbm").
	Notebook string
	// Name names the run within the notebook ("CD-1").
	Name string
	// Config is everything else that determines the result: data, sizes,
	// epochs, seed, optimiser. It must encode to JSON.
	Config any
	// Packages are the course packages whose code trains the run, relative
	// to the module ("pkg/rbm", "pkg/fit").
	Packages []string
	// Source is extra source text that trains the run (an exercise: the
	// student's answer, see Answer).
	Source []string
	// OwnOnly: the run is an exercise's, looked up in the student's own
	// store only. A shared store (which may hold the solution's run) never
	// stands in for the student's work, nor tells whether an answer is the
	// solution's; Pack leaves such runs out unless their keys are named.
	OwnOnly bool
}

// FileSum is a file's size and SHA-256, as a card records them.
type FileSum struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Machine is what a run was trained on.
type Machine struct {
	CPU     string `json:"cpu"`
	Cores   int    `json:"cores"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
	Backend string `json:"backend,omitempty"`
}

// Card describes a run: what determined it, where it was made, what it
// measured, and its files.
type Card struct {
	Key        string          `json:"key"`
	Notebook   string          `json:"notebook"`
	Name       string          `json:"name"`
	Config     json.RawMessage `json:"config"`
	Packages   []string        `json:"packages"`
	CodeHash   string          `json:"code_hash"`
	SourceHash string          `json:"source_hash,omitempty"`
	// OwnOnly: an exercise's run, never looked up in a shared store.
	OwnOnly bool `json:"own_only,omitempty"`
	// Course is the course's version: the commit the code was built from
	// when Go's build information knows it, else the code hash.
	Course  string             `json:"course"`
	Created string             `json:"created"` // RFC 3339, UTC
	Seconds float64            `json:"seconds"`
	Machine Machine            `json:"machine"`
	Metrics Metrics            `json:"metrics,omitempty"`
	Files   map[string]FileSum `json:"files"`
}

// keyInput is what the key hashes, as canonical JSON.
type keyInput struct {
	Notebook   string          `json:"notebook"`
	Name       string          `json:"name"`
	Config     json.RawMessage `json:"config"`
	CodeHash   string          `json:"code_hash"`
	SourceHash string          `json:"source_hash,omitempty"`
	OwnOnly    bool            `json:"own_only,omitempty"`
}

// identity computes what a Spec's card records about its identity: the
// canonical configuration, the code hash, the source hash and the key.
func identity(spec Spec, root string) (Card, error) {
	if spec.Notebook == "" || spec.Name == "" {
		return Card{}, errors.New("runs: a run needs a notebook and a name")
	}
	cfg, err := canonicalJSON(spec.Config)
	if err != nil {
		return Card{}, fmt.Errorf("runs: the configuration of run %q does not encode to JSON: %w", spec.Name, err)
	}
	pkgs := append([]string(nil), spec.Packages...)
	sort.Strings(pkgs)
	code, err := CodeHash(root, pkgs)
	if err != nil {
		return Card{}, err
	}
	c := Card{Notebook: spec.Notebook, Name: spec.Name, Config: cfg, Packages: pkgs, CodeHash: code, OwnOnly: spec.OwnOnly}
	if len(spec.Source) > 0 {
		h := sha256.New()
		for _, s := range spec.Source {
			fmt.Fprintf(h, "%d\x00%s", len(s), s)
		}
		c.SourceHash = hex.EncodeToString(h.Sum(nil))
	}
	c.Key = c.computeKey()
	return c, nil
}

func (c Card) computeKey() string {
	b, _ := json.Marshal(keyInput{Notebook: c.Notebook, Name: c.Name, Config: c.Config, CodeHash: c.CodeHash, SourceHash: c.SourceHash, OwnOnly: c.OwnOnly})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// canonicalJSON encodes v with sorted object keys and no spaces, so that
// equal configurations give equal bytes.
func canonicalJSON(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return nil, err
	}
	return json.Marshal(generic) // maps encode with sorted keys
}

// CodeHash hashes the code that trains a run: every non-test Go file of the
// given packages (relative to the module root) and of every package of the
// module they import, directly or not, each with its path and as its Go
// tokens (comments and layout do not count, see tokens); and the module's
// go.sum, which pins the versions of its dependencies (GoMLX, gonum).
func CodeHash(root string, packages []string) (string, error) {
	pkgs, err := modulePackages(root, packages)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, p := range pkgs {
		for _, f := range p.files {
			src := tokens(f.src)
			fmt.Fprintf(h, "%s/%s\x00%d\x00%s", p.rel, f.name, len(src), src)
		}
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("runs: reading the module's go.sum to key the run: %w", err)
	}
	fmt.Fprintf(h, "go.sum\x00%d\x00", len(sum))
	h.Write(sum)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// sourceFile is a non-test Go file of a package.
type sourceFile struct {
	name string
	src  []byte
}

// modulePackage is a package of the module, by its path relative to the
// root, with its non-test Go files sorted by name.
type modulePackage struct {
	rel   string
	files []sourceFile
}

// modulePackages reads the given packages and, transitively, every package
// of the module their non-test files import; sorted by path.
func modulePackages(root string, roots []string) ([]modulePackage, error) {
	seen := map[string]bool{}
	queue := []string{}
	for _, p := range roots {
		if strings.Contains(p, "..") || filepath.IsAbs(p) || p == "" {
			return nil, fmt.Errorf("runs: package %q: want a path inside the module, such as pkg/rbm", p)
		}
		p = strings.TrimSuffix(filepath.ToSlash(p), "/")
		if !seen[p] {
			seen[p] = true
			queue = append(queue, p)
		}
	}
	var out []modulePackage
	for len(queue) > 0 {
		rel := queue[0]
		queue = queue[1:]
		dir := filepath.Join(root, filepath.FromSlash(rel))
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("runs: reading the source of %s to key the run: %w", rel, err)
		}
		p := modulePackage{rel: rel}
		fset := token.NewFileSet()
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			path := filepath.Join(dir, name)
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("runs: reading %s: %w", path, err)
			}
			f, err := parser.ParseFile(fset, path, b, parser.ImportsOnly)
			if err != nil {
				return nil, fmt.Errorf("runs: reading the imports of %s: %w", path, err)
			}
			for _, imp := range f.Imports {
				ip, err := strconv.Unquote(imp.Path.Value)
				if err != nil {
					continue
				}
				if dep, ok := strings.CutPrefix(ip, Module+"/"); ok && !seen[dep] {
					seen[dep] = true
					queue = append(queue, dep)
				}
			}
			p.files = append(p.files, sourceFile{name: name, src: b})
		}
		if len(p.files) == 0 {
			return nil, fmt.Errorf("runs: package %s has no Go source in %s", rel, dir)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	return out, nil
}

// tokens is src as its Go tokens, one space between them: blank lines,
// layout and comments do not count. It is the one normalisation of source
// the keys use: CodeHash for the course's packages, Answer for a student's
// answer.
func tokens(src []byte) string {
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(src)), src, nil, 0)
	var out []string
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if lit == "" || tok == token.SEMICOLON {
			lit = tok.String()
		}
		out = append(out, lit)
	}
	return strings.Join(out, " ")
}

// ModuleRoot finds the course's module root, whose packages' source the code
// hash reads: $KLCOURSE_ROOT, else the module this package's own source file
// lies in.
func ModuleRoot() (string, error) {
	if root := os.Getenv(RootEnv); root != "" {
		return checkRoot(root)
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", fmt.Errorf("runs: the course's source cannot be found from this program (built with -trimpath?): set %s to the course's checkout", RootEnv)
	}
	return checkRoot(filepath.Dir(filepath.Dir(filepath.Dir(file))))
}

func checkRoot(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("runs: %s is not the course's checkout: %w", root, err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	if strings.TrimSpace(first) != "module "+Module {
		return "", fmt.Errorf("runs: %s/go.mod is not the course's module (%s)", root, Module)
	}
	return root, nil
}

// Verify checks the run in dir: its card reads, its key is the hash of what
// the card says determined it, the folder is named by the key, and every file
// the card lists has its size and SHA-256. The error names the file.
func Verify(dir string) (Card, error) {
	var c Card
	path := filepath.Join(dir, CardFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("run %s: no card: %w", dir, err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: not a run card: %w", path, err)
	}
	if c.Key == "" || len(c.Files) == 0 {
		return c, fmt.Errorf("%s: a card needs a key and its files", path)
	}
	if got := c.computeKey(); got != c.Key {
		return c, fmt.Errorf("%s: the key %s is not the hash of what the card says determined the run (%s)", path, short(c.Key), short(got))
	}
	if filepath.Base(dir) != c.Key {
		return c, fmt.Errorf("%s: the run's folder is not named by its key %s", path, short(c.Key))
	}
	names := make([]string, 0, len(c.Files))
	for name := range c.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := c.Files[name]
		if !fs.ValidPath(name) || name == CardFile {
			return c, fmt.Errorf("%s: the card lists a file %q outside the run", path, name)
		}
		got, err := sumFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return c, fmt.Errorf("run %s: %w", short(c.Key), err)
		}
		if got != want {
			return c, fmt.Errorf("run %s: %s is corrupt: %d bytes with SHA-256 %s, the card says %d bytes with %s",
				short(c.Key), filepath.Join(dir, name), got.Size, short(got.SHA256), want.Size, short(want.SHA256))
		}
	}
	return c, nil
}

func sumFile(path string) (FileSum, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileSum{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return FileSum{}, fmt.Errorf("reading %s: %w", path, err)
	}
	return FileSum{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// sumFiles lists and sums every file under dir except the card.
func sumFiles(dir string) (map[string]FileSum, error) {
	files := map[string]FileSum{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if rel == CardFile {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: a run holds regular files only", path)
		}
		s, err := sumFile(path)
		if err != nil {
			return err
		}
		files[rel] = s
		return nil
	})
	return files, err
}

func short(key string) string {
	if len(key) > 12 {
		return key[:12]
	}
	return key
}
