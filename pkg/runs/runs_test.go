package runs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeModule makes a module root with the course's module path and one
// package, pkg/trainer, whose source the code hash reads.
func fakeModule(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	write(t, filepath.Join(root, "go.mod"), "module "+Module+"\n\ngo 1.26\n")
	write(t, filepath.Join(root, "pkg", "trainer", "train.go"), "package trainer\n\nconst Rate = 0.1\n")
	write(t, filepath.Join(root, "pkg", "trainer", "train_test.go"), "package trainer\n")
	return root
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

type config struct {
	Epochs int     `json:"epochs"`
	Seed   uint64  `json:"seed"`
	Rate   float64 `json:"rate"`
}

func spec(seed uint64) Spec {
	return Spec{Notebook: "04_rbm", Name: "CD-1", Config: config{Epochs: 3, Seed: seed, Rate: 0.01}, Packages: []string{"pkg/trainer"}}
}

// train is the "training": it writes the weights and returns its metric.
func train(t *testing.T, r *Run, weights string) {
	t.Helper()
	write(t, r.File("weights.json"), weights)
	write(t, r.File("history/loss.json"), "[3,2,1]")
	if err := r.Commit(map[string]float64{"loss": 1}, "test backend"); err != nil {
		t.Fatal(err)
	}
}

func isolate(t *testing.T) {
	t.Setenv(RunsEnv, t.TempDir())
	t.Setenv(StoresEnv, "")
	t.Setenv(RetrainEnv, "")
}

// TestHitLoadsWhatTrainingWrote: a second Open of the same run finds it, with
// the same files and a card that says where and how it was made.
func TestHitLoadsWhatTrainingWrote(t *testing.T) {
	isolate(t)
	root := fakeModule(t)
	r, err := open(spec(1), root)
	if err != nil {
		t.Fatal(err)
	}
	if r.Found || !strings.Contains(r.Provenance(), "no stored run") {
		t.Fatalf("a new store found the run: %+v", r)
	}
	train(t, r, `{"w":[0.25,-1.5]}`)
	if filepath.Base(r.Dir) != r.Card.Key || r.Card.Machine.CPU == "" || r.Card.Created == "" {
		t.Errorf("committed run: dir %s, card %+v", r.Dir, r.Card)
	}
	again, err := open(spec(1), root)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Found || again.Shared {
		t.Fatalf("the committed run is not found in the own store: %+v", again)
	}
	got, _ := os.ReadFile(again.File("weights.json"))
	if string(got) != `{"w":[0.25,-1.5]}` {
		t.Errorf("loaded weights %q", got)
	}
	if again.Card.Metrics["loss"] != 1 || !strings.Contains(again.Provenance(), "from your own runs") {
		t.Errorf("card %+v, provenance %q", again.Card, again.Provenance())
	}
	// A later cell finds it, even when retraining is asked for (Find never
	// trains); a run nobody trained is an error that says what to do.
	t.Setenv(RetrainEnv, "1")
	if f, err := find(spec(1), root); err != nil || f.Dir != again.Dir {
		t.Errorf("find: %v, %v", f, err)
	}
	if _, err := find(spec(9), root); err == nil || !strings.Contains(err.Error(), "run the cell that trains it first") {
		t.Errorf("find of a run never trained: %v", err)
	}
}

// TestChangesMiss: another seed, configuration, name, code of a package or
// extra source each give another key.
func TestChangesMiss(t *testing.T) {
	isolate(t)
	root := fakeModule(t)
	r, _ := open(spec(1), root)
	train(t, r, "w")
	key := r.Card.Key
	misses := map[string]func() (*Run, error){
		"seed": func() (*Run, error) { return open(spec(2), root) },
		"epochs": func() (*Run, error) {
			s := spec(1)
			s.Config = config{Epochs: 4, Seed: 1, Rate: 0.01}
			return open(s, root)
		},
		"name": func() (*Run, error) { s := spec(1); s.Name = "PCD"; return open(s, root) },
		"source": func() (*Run, error) {
			s := spec(1)
			s.Source = []string{"func answer() {}"}
			return open(s, root)
		},
		"code": func() (*Run, error) {
			other := fakeModule(t)
			write(t, filepath.Join(other, "pkg", "trainer", "train.go"), "package trainer\n\nconst Rate = 0.2\n")
			return open(spec(1), other)
		},
	}
	for what, f := range misses {
		m, err := f()
		if err != nil {
			t.Fatal(what, err)
		}
		if m.Found || m.Card.Key == key {
			t.Errorf("a change of %s found the old run (key %s)", what, short(m.Card.Key))
		}
		m.Discard()
	}
	// A test file is not the code that trains: changing it keeps the key.
	write(t, filepath.Join(root, "pkg", "trainer", "train_test.go"), "package trainer // changed\n")
	if m, _ := open(spec(1), root); !m.Found {
		t.Errorf("changing a _test.go file changed the key")
	}
}

// TestCorruptRunIsRejected: a changed weight file, or a card whose key does
// not match what it says, is rejected with the file named, and the cell
// trains again.
func TestCorruptRunIsRejected(t *testing.T) {
	isolate(t)
	root := fakeModule(t)
	r, _ := open(spec(1), root)
	train(t, r, "weights")
	dir := r.Dir
	write(t, filepath.Join(dir, "weights.json"), "weightz")
	again, err := open(spec(1), root)
	if err != nil {
		t.Fatal(err)
	}
	if again.Found || !strings.Contains(again.Why, "weights.json is corrupt") {
		t.Errorf("a corrupt weight file: found %v, why %q", again.Found, again.Why)
	}
	if !strings.Contains(again.Provenance(), "Training CD-1") {
		t.Errorf("provenance %q", again.Provenance())
	}
	// Training again replaces the corrupt run.
	train(t, again, "weights")
	if _, err := Verify(dir); err != nil {
		t.Errorf("after retraining: %v", err)
	}

	// A card edited to claim another configuration.
	var c Card
	b, _ := os.ReadFile(filepath.Join(dir, CardFile))
	json.Unmarshal(b, &c)
	c.Config = json.RawMessage(`{"epochs":300,"rate":0.01,"seed":1}`)
	b, _ = json.Marshal(c)
	write(t, filepath.Join(dir, CardFile), string(b))
	if _, err := Verify(dir); err == nil || !strings.Contains(err.Error(), CardFile) {
		t.Errorf("an edited card verifies: %v", err)
	}
	write(t, filepath.Join(dir, CardFile), "{not json")
	if _, err := Verify(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, CardFile)) {
		t.Errorf("a broken card: %v", err)
	}
}

// TestRetrain: $KLCOURSE_RETRAIN makes the cell train although the run is
// stored, for every run or the runs it names.
func TestRetrain(t *testing.T) {
	isolate(t)
	root := fakeModule(t)
	r, _ := open(spec(1), root)
	train(t, r, "w")
	for v, want := range map[string]bool{"1": false, "CD-1": false, "PCD,CD-1": false, "PCD": true, "0": true} {
		t.Setenv(RetrainEnv, v)
		m, _ := open(spec(1), root)
		if m.Found != want {
			t.Errorf("%s=%s: found %v, want %v", RetrainEnv, v, m.Found, want)
		}
		m.Discard()
	}
}

// TestCodeHash: the key follows the module's packages that a listed
// package imports, directly or not, and go.sum; a comment or layout edit
// keeps it, a code edit changes it.
func TestCodeHash(t *testing.T) {
	root := fakeModule(t)
	write(t, filepath.Join(root, "pkg", "trainer", "train.go"), "package trainer\n\nimport (\n\t\"fmt\"\n\n\t\""+Module+"/pkg/graph\"\n)\n\nvar Rate = graph.Scale * 0.1\n\nvar _ = fmt.Sprint\n")
	write(t, filepath.Join(root, "pkg", "graph", "graph.go"), "package graph\n\nimport \""+Module+"/internal/rng\"\n\nvar Scale = rng.Seed\n")
	write(t, filepath.Join(root, "internal", "rng", "rng.go"), "package rng\n\n// Seed seeds.\nconst Seed = 1\n")
	write(t, filepath.Join(root, "internal", "rng", "rng_test.go"), "package rng\n\nconst x = 1\n")
	write(t, filepath.Join(root, "go.sum"), "gonum.org/v1/gonum v0.16.0 h1:abc=\n")
	hash := func() string {
		t.Helper()
		h, err := CodeHash(root, []string{"pkg/trainer"})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := hash()
	edits := []struct {
		what, file, src string
		same            bool
	}{
		{"a comment edit of the listed package", "pkg/trainer/train.go", "package trainer\n\nimport (\n\t\"fmt\"\n\n\t\"" + Module + "/pkg/graph\"\n)\n\n// Rate is the learning rate.\nvar Rate = graph.Scale * 0.1 // scaled\n\nvar _ = fmt.Sprint\n", true},
		{"a comment edit two imports down", "internal/rng/rng.go", "package rng\n\n// Seed seeds the course's generators.\n\nconst Seed = 1 // one\n", true},
		{"a layout edit", "pkg/graph/graph.go", "package graph\n\nimport \"" + Module + "/internal/rng\"\n\nvar   Scale   =   rng.Seed\n", true},
		{"a test file", "internal/rng/rng_test.go", "package rng\n\nconst x = 2\n", true},
		{"a code edit two imports down", "internal/rng/rng.go", "package rng\n\nconst Seed = 2\n", false},
		{"a code edit of an imported package", "pkg/graph/graph.go", "package graph\n\nimport \"" + Module + "/internal/rng\"\n\nvar Scale = rng.Seed + 1\n", false},
		{"a dependency's version", "go.sum", "gonum.org/v1/gonum v0.16.1 h1:abd=\n", false},
	}
	for _, e := range edits {
		write(t, filepath.Join(root, filepath.FromSlash(e.file)), e.src)
		got := hash()
		if (got == base) != e.same {
			t.Errorf("%s: the code hash changed %v, want %v", e.what, got != base, !e.same)
		}
		base = got
	}
	if _, err := CodeHash(root, []string{"pkg/missing"}); err == nil {
		t.Error("a package that does not exist was hashed")
	}
}

// TestRetrainReplacesTheRun: a run trained again with $KLCOURSE_RETRAIN
// replaces the stored one, files and card; the next Open loads the new one.
func TestRetrainReplacesTheRun(t *testing.T) {
	isolate(t)
	root := fakeModule(t)
	r, _ := open(spec(1), root)
	train(t, r, "old weights")
	t.Setenv(RetrainEnv, "1")
	again, err := open(spec(1), root)
	if err != nil || again.Found {
		t.Fatalf("retrain: %v, found %v", err, again.Found)
	}
	write(t, again.File("weights.json"), "new weights")
	if err := again.Commit(map[string]float64{"loss": 0.25}, "test backend"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(again.File("weights.json")); string(b) != "new weights" || again.Card.Metrics["loss"] != 0.25 {
		t.Errorf("after retraining: Dir holds %q, card metrics %v", b, again.Card.Metrics)
	}
	t.Setenv(RetrainEnv, "")
	loaded, err := open(spec(1), root)
	if err != nil || !loaded.Found {
		t.Fatalf("the retrained run is not found: %v", err)
	}
	if b, _ := os.ReadFile(loaded.File("weights.json")); string(b) != "new weights" || loaded.Card.Metrics["loss"] != 0.25 {
		t.Errorf("stored after retraining: %q, card metrics %v", b, loaded.Card.Metrics)
	}
	own, _ := OwnStore()
	if entries, _ := os.ReadDir(own); len(entries) != 1 {
		t.Errorf("the store holds %d entries, want the one run", len(entries))
	}
}

// TestRaceKeepsTheWinnersCard: a run another kernel committed while this
// one trained is kept, and Commit returns its card, not this training's.
func TestRaceKeepsTheWinnersCard(t *testing.T) {
	isolate(t)
	root := fakeModule(t)
	a, _ := open(spec(1), root)
	b, _ := open(spec(1), root)
	train(t, a, "first")
	write(t, b.File("weights.json"), "second")
	if err := b.Commit(map[string]float64{"loss": 9}, "other"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(b.File("weights.json"))
	if string(got) != "first" || b.Card.Metrics["loss"] != 1 || b.Card.Files["weights.json"] != a.Card.Files["weights.json"] {
		t.Errorf("the loser's run: files %q, card %+v", got, b.Card)
	}
}

// TestSharedStore: a run packed from one store and unpacked into a read-only
// shared store is found there by another student; two students training the
// same run at once each commit to their own store without corrupting it.
func TestSharedStore(t *testing.T) {
	root := fakeModule(t)
	isolate(t)
	r, _ := open(spec(1), root)
	train(t, r, "weights of the lab")
	own, _ := OwnStore()
	var bundle bytes.Buffer
	if n, err := Pack(&bundle, own, nil); err != nil || n != 1 {
		t.Fatalf("Pack: %d runs, %v", n, err)
	}
	shared := filepath.Join(t.TempDir(), "lab-runs")
	added, err := Unpack(bytes.NewReader(bundle.Bytes()), "bundle.tgz", shared)
	if err != nil || len(added) != 1 {
		t.Fatalf("Unpack: %v, %v", added, err)
	}
	if os.Getuid() != 0 { // root writes through any mode
		os.Chmod(shared, 0o555)
		defer os.Chmod(shared, 0o755)
	}

	// Another student: an empty own store, the lab's store shared.
	isolate(t)
	t.Setenv(StoresEnv, shared)
	s, err := open(spec(1), root)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Found || !s.Shared || !strings.Contains(s.Provenance(), "the shared runs in "+shared) {
		t.Fatalf("the shared run was not found: %+v %q", s, s.Provenance())
	}
	// Both train another run at once: both look it up (and miss) before
	// either stores it.
	var wg, opened sync.WaitGroup
	errs := make(chan error, 2)
	opened.Add(2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := open(spec(7), root)
			opened.Done()
			if err != nil {
				errs <- err
				return
			}
			opened.Wait()
			if err := os.WriteFile(r.File("weights.json"), bytes.Repeat([]byte("x"), 1<<16), 0o644); err != nil {
				errs <- err
				return
			}
			errs <- r.Commit(nil, "")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	ownNow, _ := OwnStore()
	list, _ := List(ownNow)
	if len(list) != 1 || list[0].Err != nil {
		t.Errorf("after two concurrent trainings the own store holds %+v", list)
	}
	entries, _ := os.ReadDir(ownNow)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind in the store: %s", e.Name())
		}
	}
	if l, _ := List(shared); len(l) != 1 {
		t.Errorf("the shared store changed: %+v", l)
	}
}

// TestBundleRefusesBadEntries: a bundle with a tampered file, or a path
// outside its runs, is refused and leaves nothing in the store.
func TestBundleRefusesBadEntries(t *testing.T) {
	isolate(t)
	root := fakeModule(t)
	r, _ := open(spec(1), root)
	train(t, r, "weights")
	own, _ := OwnStore()
	write(t, r.File("weights.json"), "tampered")
	var b bytes.Buffer
	if _, err := Pack(&b, own, nil); err == nil || !strings.Contains(err.Error(), "weights.json") {
		t.Errorf("Pack of a corrupt run: %v", err)
	}
	write(t, r.File("weights.json"), "weights")
	b.Reset()
	if _, err := Pack(&b, own, nil); err != nil {
		t.Fatal(err)
	}
	// Change the weights inside the bundle (file data is outside the tar
	// headers' checksums).
	raw := gunzip(t, b.Bytes())
	i := bytes.Index(raw, []byte("weights\x00"))
	if i < 0 {
		t.Fatal("the weights are not in the bundle")
	}
	tampered := append([]byte(nil), raw...)
	copy(tampered[i:], "WEIGHTS")
	dst := t.TempDir()
	if _, err := Unpack(bytes.NewReader(gzipped(t, tampered)), "lab.tgz", dst); err == nil || !strings.Contains(err.Error(), "lab.tgz") || !strings.Contains(err.Error(), "weights.json") {
		t.Errorf("a tampered bundle: %v", err)
	}
	var evil bytes.Buffer
	tw := tar.NewWriter(&evil)
	tw.WriteHeader(&tar.Header{Name: "../../evil.json", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	if _, err := Unpack(bytes.NewReader(gzipped(t, evil.Bytes())), "evil.tgz", dst); err == nil || !strings.Contains(err.Error(), "not a file of a run") {
		t.Errorf("a bundle with a path outside: %v", err)
	}
	if entries, _ := os.ReadDir(dst); len(entries) != 0 {
		t.Errorf("refused bundles left %v", entries)
	}
}

// TestGC drops the runs whose code has changed.
func TestGC(t *testing.T) {
	isolate(t)
	root := fakeModule(t)
	r, _ := open(spec(1), root)
	train(t, r, "w")
	own, _ := OwnStore()
	if d, _, _ := GC(own, root, false); len(d) != 0 {
		t.Fatalf("GC dropped a current run: %+v", d)
	}
	write(t, filepath.Join(root, "pkg", "trainer", "train.go"), "package trainer\n\nconst Rate = 0.3\n")
	if d, _, _ := GC(own, root, true); len(d) != 1 {
		t.Fatalf("GC --dry-run found %d stale runs, want 1", len(d))
	}
	if l, _ := List(own); len(l) != 1 {
		t.Fatal("a dry run removed a run")
	}
	if d, _, _ := GC(own, root, false); len(d) != 1 {
		t.Fatalf("GC dropped %d runs, want 1", len(d))
	}
	if l, _ := List(own); len(l) != 0 {
		t.Errorf("left after GC: %+v", l)
	}
}

// TestGCLeftovers: GC removes the folders of a training or an unpacking
// left unfinished for LeftoverAge, not a younger one (a training in
// progress in another kernel); Leftovers counts them all.
func TestGCLeftovers(t *testing.T) {
	isolate(t)
	root := fakeModule(t)
	own, _ := OwnStore()
	old := filepath.Join(own, ".training-0123-456")
	oldUnpack := filepath.Join(own, ".unpack-789")
	live := filepath.Join(own, ".training-abcd-999")
	for _, dir := range []string{old, oldUnpack, live} {
		write(t, filepath.Join(dir, "w.json"), "[1]")
	}
	long := time.Now().Add(-LeftoverAge - time.Hour)
	for _, p := range []string{old, filepath.Join(old, "w.json"), oldUnpack, filepath.Join(oldUnpack, "w.json")} {
		if err := os.Chtimes(p, long, long); err != nil {
			t.Fatal(err)
		}
	}
	if all, _ := Leftovers(own, 0); len(all) != 3 {
		t.Errorf("Leftovers(0) = %v, want all three", all)
	}
	_, left, err := GC(own, root, true)
	if err != nil || len(left) != 2 {
		t.Fatalf("GC --dry-run: %v, %v", left, err)
	}
	if _, err := os.Stat(old); err != nil {
		t.Error("a dry run removed a leftover")
	}
	if _, left, err = GC(own, root, false); err != nil || len(left) != 2 {
		t.Fatalf("GC: %v, %v", left, err)
	}
	entries, _ := os.ReadDir(own)
	if len(entries) != 1 || entries[0].Name() != filepath.Base(live) {
		t.Errorf("after GC the store holds %v, want the training in progress", entries)
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
