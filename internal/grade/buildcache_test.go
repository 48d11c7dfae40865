package grade

import (
	"os"
	"path/filepath"
	"testing"
)

func TestBuildCache(t *testing.T) {
	c, err := newBuildCache()
	if err != nil {
		t.Fatal(err)
	}
	defer c.remove()
	dir := t.TempDir()
	bin := filepath.Join(dir, "built")
	os.WriteFile(bin, []byte("program"), 0o755)
	key := programKey(&program{Main: "package main"})
	if key == programKey(&program{Main: "package main // other"}) {
		t.Fatal("two programs share a key")
	}
	if c.get(key, filepath.Join(dir, "a")) {
		t.Fatal("a hit in an empty cache")
	}
	c.put(key, bin)
	if !c.get(key, filepath.Join(dir, "b", "graded")) {
		t.Fatal("no hit after put")
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "b", "graded")); string(data) != "program" {
		t.Fatalf("copied %q", data)
	}
	// A program that overwrites the cached binary spoils nobody's grade.
	os.WriteFile(c.bins[key].path, []byte("tampered"), 0o755)
	if c.get(key, filepath.Join(dir, "c")) {
		t.Fatal("a tampered binary was handed out")
	}
	if _, err := os.Stat(filepath.Join(dir, "c")); err == nil {
		t.Error("the tampered copy was left behind")
	}
}
