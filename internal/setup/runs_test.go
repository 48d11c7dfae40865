package setup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/pkg/runs"
)

// labRun is a small run keyed by this checkout's pkg/runs.
var labRun = runs.Spec{Notebook: "99_setup_test", Name: "shared run", Config: map[string]int{"seed": 1}, Packages: []string{"pkg/runs"}}

// packBundle trains labRun into a scratch store and packs it.
func packBundle(t *testing.T) string {
	t.Helper()
	t.Setenv(runs.RunsEnv, t.TempDir())
	t.Setenv(runs.StoresEnv, "")
	t.Setenv(runs.RetrainEnv, "")
	r, err := runs.Ensure(labRun, "test", func(dir string) (map[string]float64, error) {
		return map[string]float64{"loss": 0.25}, os.WriteFile(filepath.Join(dir, "weights.json"), []byte("[0.5,-1]"), 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	own, _ := runs.OwnStore()
	bundle := filepath.Join(t.TempDir(), "lab-runs.tar.gz")
	f, err := os.Create(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := runs.Pack(f, own, []string{r.Card.Key}); err != nil || n != 1 {
		t.Fatalf("pack: %d runs, %v", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return bundle
}

// TestSystemRuns: --runs installs a bundle into PREFIX/runs, verified,
// readable and not writable by students; the kernel's environment names the
// store, and a student's lookup (an empty own store) loads the shared run.
func TestSystemRuns(t *testing.T) {
	bundle := packBundle(t)
	prefix := studentReachableDir(t)
	out := &bytes.Buffer{}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	env := &setupEnv{root: root, home: prefix, system: true, out: out, kernelEnv: map[string]string{}}

	// No bundle, no store: the step is in place (each student trains).
	if what, err := checkRuns(env); err != nil || !strings.Contains(what, "no shared runs") || env.kernelEnv[runs.StoresEnv] != "" {
		t.Fatalf("a lab without shared runs: %q, %v, %v", what, err, env.kernelEnv)
	}
	env.runsBundle = bundle
	if _, err := checkRuns(env); err == nil || !strings.Contains(err.Error(), bundle) {
		t.Fatalf("a bundle not installed passed: %v", err)
	}
	if !runSetupStep(env, setupStep{name: "runs", check: checkRuns, install: installRuns, fix: fixRuns}) {
		t.Fatalf("the runs step failed:\n%s", out)
	}
	store := filepath.Join(prefix, "runs")
	if what, err := checkRuns(env); err != nil || !strings.Contains(what, "1 shared run(s) (1 trained by this checkout's code)") {
		t.Errorf("the check after the install: %q, %v", what, err)
	}
	if env.kernelEnv[runs.StoresEnv] != store {
		t.Errorf("kernel environment %v, want %s=%s", env.kernelEnv, runs.StoresEnv, store)
	}
	// Read-only for students: folders 0755, files 0644 (the run's weights
	// were written 0600 by the training).
	n := 0
	filepath.WalkDir(store, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		info, _ := d.Info()
		want := os.FileMode(0o644)
		if d.IsDir() {
			want = 0o755
		} else {
			n++
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, info.Mode().Perm(), want)
		}
		return nil
	})
	if n != 2 {
		t.Errorf("the store holds %d files, want the card and the weights", n)
	}

	// A student: an empty own store, the lab's store in the search path.
	t.Setenv(runs.RunsEnv, t.TempDir())
	t.Setenv(runs.StoresEnv, env.kernelEnv[runs.StoresEnv])
	r, err := runs.Find(labRun)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(r.File("weights.json")); !r.Shared || string(got) != "[0.5,-1]" || r.Card.Metrics["loss"] != 0.25 {
		t.Errorf("the student's lookup: %+v, weights %q", r, got)
	}
	if p := r.Provenance(); !strings.Contains(p, "from the shared runs in "+store) {
		t.Errorf("provenance %q", p)
	}

	// A file students could write, or a corrupted run, fails the check; the
	// install repairs the modes, drops the corrupt run and unpacks it again.
	weights := r.File("weights.json")
	os.Chmod(weights, 0o666)
	if _, err := checkRuns(env); err == nil || !strings.Contains(err.Error(), weights) {
		t.Errorf("a file writable by students passed: %v", err)
	}
	os.WriteFile(weights, []byte("[9,9]"), 0o644)
	if _, err := checkRuns(env); err == nil || !strings.Contains(err.Error(), "weights.json") {
		t.Errorf("a corrupt shared run passed: %v", err)
	}
	if !runSetupStep(env, setupStep{name: "runs", check: checkRuns, install: installRuns, fix: fixRuns}) {
		t.Fatalf("the runs step did not repair the store:\n%s", out)
	}
	if got, _ := os.ReadFile(weights); string(got) != "[0.5,-1]" {
		t.Errorf("after the repair the weights are %q", got)
	}

	// A setup stopped while unpacking leaves a temporary folder (0700, as
	// os.MkdirTemp makes it): the check names it, the install removes it.
	left, err := os.MkdirTemp(store, ".unpack-")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(left, "half"), []byte("x"), 0o600)
	if _, err := checkRuns(env); err == nil || !strings.Contains(err.Error(), left) {
		t.Errorf("a leftover unpacking passed: %v", err)
	}
	if !runSetupStep(env, setupStep{name: "runs", check: checkRuns, install: installRuns, fix: fixRuns}) {
		t.Fatalf("the runs step did not remove the leftover:\n%s", out)
	}
	if _, err := os.Stat(left); err == nil {
		t.Errorf("%s is still there after the install", left)
	}
}

// TestSystemRunsRefusesATamperedBundle: a bundle whose run does not verify
// installs nothing and says which file is wrong.
func TestSystemRunsRefusesATamperedBundle(t *testing.T) {
	bundle := packBundle(t)
	// Rewrite the bundle with the weights changed: unpack it, edit, pack
	// without verifying (a tar of the edited folder).
	tmp := t.TempDir()
	f, _ := os.Open(bundle)
	keys, err := runs.BundleKeys(f, bundle)
	f.Close()
	if err != nil || len(keys) != 1 {
		t.Fatalf("bundle keys %v, %v", keys, err)
	}
	f, _ = os.Open(bundle)
	if _, err := runs.Unpack(f, bundle, tmp); err != nil {
		t.Fatal(err)
	}
	f.Close()
	os.WriteFile(filepath.Join(tmp, keys[0], "weights.json"), []byte("[0.5,-2]"), 0o644)
	tampered := filepath.Join(t.TempDir(), "tampered.tar.gz")
	writeTarGz(t, tampered, tmp)

	prefix := t.TempDir()
	os.Chmod(prefix, 0o755)
	env := &setupEnv{home: prefix, system: true, out: &bytes.Buffer{}, kernelEnv: map[string]string{}, runsBundle: tampered}
	err = installRuns(env)
	if err == nil || !strings.Contains(err.Error(), "tampered.tar.gz") || !strings.Contains(err.Error(), "weights.json") {
		t.Errorf("a tampered bundle: %v", err)
	}
	if l, _ := runs.List(filepath.Join(prefix, "runs")); len(l) != 0 {
		t.Errorf("a tampered bundle installed %d run(s)", len(l))
	}
	if _, err := runsFlag(bundle, false); err == nil || !strings.Contains(err.Error(), "--system") {
		t.Errorf("--runs without --system: %v", err)
	}
	if _, err := runsFlag(filepath.Join(tmp, "none.tar.gz"), true); err == nil || !strings.Contains(err.Error(), "none.tar.gz") {
		t.Errorf("--runs of a missing file: %v", err)
	}
}

// writeTarGz writes the runs under dir as a bundle (KEY/FILE entries)
// without verifying them.
func writeTarGz(t *testing.T, path, dir string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// studentReachableDir returns a new folder, removed after the test, that
// every user can enter, as a lab's PREFIX is: in /tmp, since $TMPDIR (and so
// t.TempDir) may sit in a folder only its owner can enter ("klcourse test"
// gives each run its own, mode 0700).
func studentReachableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "klcourse-runs-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
