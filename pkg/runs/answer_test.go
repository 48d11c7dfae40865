package runs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// program writes a notebook's program (as GoNB composes it: every cell's
// declarations and the running cell's main) and returns its folder.
func program(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "main.go"), src)
	return dir
}

const notebookProgram = `package main

import "fmt"

const epsilon = 1e-7

// scale is used by the answer.
var scale, unused = 2.0, 3.0

type pair struct{ a, b float64 }

func (p pair) sum() float64 { return p.a + p.b }

// klLoss is the student's answer.
func klLoss(p, q float64) float64 {
	// a comment inside
	loss := helper(p) * scale * pair{a: p, b: q}.sum()
	return loss + pair{p, q}.a
}

func helper(x float64) float64 { return x + epsilon }

func other() {}

func main() {
	fmt.Println(klLoss(1, 2))
}
`

// TestAnswerCoversWhatTheAnswerUses: the key source holds the named
// function and what it reaches (helpers, variables, constants, types and
// their methods), not the rest of the program.
func TestAnswerCoversWhatTheAnswerUses(t *testing.T) {
	got, err := answer(program(t, notebookProgram), []string{"klLoss"})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"func klLoss", "func helper", "const epsilon", "var scale", "type pair", "func ( p pair ) sum"} {
		if !strings.Contains(all, want) {
			t.Errorf("the answer's source lacks %q:\n%s", want, all)
		}
	}
	for _, not := range []string{"func other", "func main", "comment", "student's answer"} {
		if strings.Contains(all, not) {
			t.Errorf("the answer's source has %q:\n%s", not, all)
		}
	}
	if _, err := answer(program(t, notebookProgram), []string{"sampleLatent"}); err == nil || !strings.Contains(err.Error(), "sampleLatent") {
		t.Errorf("an undeclared answer: %v", err)
	}
}

// TestAnswerKeys: the same answer in another cell's program (another main,
// more cells, other comments and blank lines) keys the same run; a changed
// answer, or a changed helper it calls, keys another.
func TestAnswerKeys(t *testing.T) {
	isolate(t)
	root := fakeModule(t)
	key := func(src string) string {
		t.Helper()
		s, err := answer(program(t, src), []string{"klLoss"})
		if err != nil {
			t.Fatal(err)
		}
		sp := spec(1)
		sp.Source = s
		id, err := identity(sp, root)
		if err != nil {
			t.Fatal(err)
		}
		return id.Key
	}
	base := key(notebookProgram)
	laterCell := strings.Replace(notebookProgram, "fmt.Println(klLoss(1, 2))", `fmt.Println("plots")`, 1) +
		"\nfunc reverseKL(p float64) float64 { return -p }\n"
	// A later cell declares top-level names that the answer uses only as a
	// local, a field, a struct literal's key or a selector's name.
	sameNames := notebookProgram + "\nvar loss = 3.0\n\nfunc a() float64 { return 1 }\n\nconst b = 2\n\nfunc sum() {}\n"
	recommented := strings.Replace(notebookProgram, "// a comment inside", "// another comment,\n\n\t// on three lines", 1)
	for name, src := range map[string]string{"a later cell": laterCell, "other comments": recommented, "a later cell with the same names": sameNames} {
		if key(src) != base {
			t.Errorf("%s changed the key", name)
		}
	}
	for name, src := range map[string]string{
		"another answer":  strings.Replace(notebookProgram, "helper(p) * scale", "helper(q) * scale", 1),
		"another helper":  strings.Replace(notebookProgram, "return x + epsilon", "return x - epsilon", 1),
		"another epsilon": strings.Replace(notebookProgram, "1e-7", "1e-8", 1),
		"another method":  strings.Replace(notebookProgram, "p.a + p.b", "p.a * p.b", 1),
	} {
		if key(src) == base {
			t.Errorf("%s kept the key", name)
		}
	}
}

// TestAnswerFromCaller: Answer reads the calling program's own files (here
// the test's package).
func TestAnswerFromCaller(t *testing.T) {
	got, err := Answer("answer")
	if err != nil {
		t.Fatal(err)
	}
	if all := strings.Join(got, "\n"); !strings.Contains(all, "func answer ( dir string") || !strings.Contains(all, "func receiverType") {
		t.Errorf("Answer(answer) of this package:\n%.300s", all)
	}
}

// TestEnsure: the first call trains and commits, the second loads without
// training; a training that fails leaves no run and no folder behind, and
// the next call trains again.
func TestEnsure(t *testing.T) {
	isolate(t)
	root := fakeModule(t)
	trained := 0
	trainFn := func(dir string) (map[string]float64, error) {
		trained++
		return map[string]float64{"loss": 0.5}, os.WriteFile(filepath.Join(dir, "w.json"), []byte("[1,2]"), 0o644)
	}
	r, err := ensure(spec(1), root, "test", trainFn)
	if err != nil || r.Found || trained != 1 || !strings.HasPrefix(r.Provenance(), "Training CD-1: no stored run") {
		t.Fatalf("first Ensure: %v, %+v, trained %d times", err, r, trained)
	}
	again, err := ensure(spec(1), root, "test", trainFn)
	if err != nil || !again.Found || trained != 1 || again.Card.Metrics["loss"] != 0.5 {
		t.Fatalf("second Ensure: %v, %+v, trained %d times", err, again, trained)
	}
	if b, _ := os.ReadFile(again.File("w.json")); string(b) != "[1,2]" {
		t.Errorf("loaded %q", b)
	}
	if !strings.HasPrefix(again.Provenance(), "Loaded CD-1 from your own runs") {
		t.Errorf("provenance %q", again.Provenance())
	}
	boom := errors.New("out of memory")
	_, err = ensure(spec(2), root, "test", func(dir string) (map[string]float64, error) {
		os.WriteFile(filepath.Join(dir, "half.json"), []byte("["), 0o644)
		return nil, boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `"CD-1"`) {
		t.Errorf("a failed training: %v", err)
	}
	own, _ := OwnStore()
	if entries, _ := os.ReadDir(own); len(entries) != 1 {
		t.Errorf("the store holds %d entries after a failed training, want the one run", len(entries))
	}
	// A training that panics (a must.* in the cell's closure) leaves no
	// folder either, and the panic goes on.
	func() {
		defer func() {
			if p := recover(); p != "must: out of memory" {
				t.Errorf("the panic of a training: %v", p)
			}
		}()
		ensure(spec(3), root, "test", func(dir string) (map[string]float64, error) {
			os.WriteFile(filepath.Join(dir, "half.json"), []byte("["), 0o644)
			panic("must: out of memory")
		})
	}()
	if entries, _ := os.ReadDir(own); len(entries) != 1 {
		t.Errorf("the store holds %d entries after a training panicked, want the one run", len(entries))
	}
	if _, err := ensure(spec(2), root, "test", trainFn); err != nil || trained != 2 {
		t.Errorf("Ensure after a failed training: %v, trained %d times", err, trained)
	}
}

func helperForNames(x float64) float64 { return x }

// callerProgramForTest calls callerProgram as Answer does, one frame down.
func callerProgramForTest() (string, string, error) { return callerProgram() }

// TestFuncNames: top-level functions given as values are named; a
// function literal or a method value is refused.
func TestFuncNames(t *testing.T) {
	const pkg = Module + "/pkg/runs"
	got, err := funcNames([]any{helperForNames, answer}, pkg)
	if err != nil || strings.Join(got, ",") != "helperForNames,answer" {
		t.Errorf("names %v, %v", got, err)
	}
	for _, bad := range []any{func() {}, (&Run{}).Provenance, 3, (func())(nil), strings.ToUpper} {
		if _, err := funcNames([]any{bad}, pkg); err == nil {
			t.Errorf("%T was named", bad)
		}
	}
	// A function of another package (a course package's loss) is not the
	// program's: in a notebook only main's functions are.
	if _, err := funcNames([]any{helperForNames}, "main"); err == nil || !strings.Contains(err.Error(), "package main") {
		t.Errorf("a function of another package: %v", err)
	}
	if dir, pkg, err := callerProgramForTest(); err != nil || pkg != Module+"/pkg/runs" || !strings.HasSuffix(dir, filepath.FromSlash("pkg/runs")) {
		t.Errorf("callerProgram: %q, %q, %v", dir, pkg, err)
	}
}
