package setup

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/module"
)

// The gopls-cache step is in place once the cache's stamp names the
// checkout's go.sum; another go.sum warms it again; a lab skips it.
func TestGoplsCacheStamp(t *testing.T) {
	root, err := module.Root()
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	t.Setenv("GOPLSCACHE", cache)
	env := &setupEnv{root: root, home: t.TempDir(), out: &bytes.Buffer{}}
	if _, err := checkGoplsCache(env); err == nil || !strings.Contains(err.Error(), cache) {
		t.Fatalf("an empty cache passed: %v", err)
	}
	want, err := goSumStamp(env)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(cache, seedStamp), []byte(want+"\n"), 0o644)
	if what, err := checkGoplsCache(env); err != nil || !strings.Contains(what, cache) {
		t.Errorf("a warmed cache: %q, %v", what, err)
	}
	os.WriteFile(filepath.Join(cache, seedStamp), []byte("go.sum 0000\n"), 0o644)
	if _, err := checkGoplsCache(env); err == nil {
		t.Error("a cache warmed for another go.sum passed")
	}
	env.system = true
	if _, err := checkGoplsCache(env); err != nil {
		t.Errorf("a lab: %v", err)
	}
}
