package grade

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// buildCache shares the built program between the submissions of a batch
// whose programs are the same byte for byte — a class hands in many
// untouched stubs and many copies of one right answer — so that each is
// compiled and linked once. A cached binary is copied into the
// submission's own workspace and its SHA-256 checked on the way, so a test
// program that tampers with the cache (its own binary is the cache's copy
// only before any test runs) costs a rebuild, never another student's
// grade.
type buildCache struct {
	mu   sync.Mutex
	dir  string
	bins map[string]cachedBin
}

type cachedBin struct{ path, sha string }

func newBuildCache() (*buildCache, error) {
	dir, err := os.MkdirTemp("", "klcourse-grade-bins-*")
	if err != nil {
		return nil, err
	}
	return &buildCache{dir: dir, bins: map[string]cachedBin{}}, nil
}

func (c *buildCache) remove() {
	if c != nil {
		os.RemoveAll(c.dir)
	}
}

// programKey names a program by its sources.
func programKey(p *program) string {
	h := sha256.New()
	io.WriteString(h, p.Main)
	h.Write([]byte{0})
	io.WriteString(h, mainFile(p.Tests))
	return hex.EncodeToString(h.Sum(nil))
}

// copyFile copies src to dst (mode 0755) and returns the SHA-256 of what it
// copied.
func copyFile(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return hex.EncodeToString(h.Sum(nil)), err
}

// get copies the cached binary of key to dst; false when there is none or
// it was changed.
func (c *buildCache) get(key, dst string) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	b, ok := c.bins[key]
	c.mu.Unlock()
	if !ok {
		return false
	}
	sha, err := copyFile(b.path, dst)
	if err != nil || sha != b.sha {
		c.mu.Lock()
		delete(c.bins, key)
		c.mu.Unlock()
		os.Remove(dst)
		return false
	}
	return true
}

// put keeps a copy of a freshly built binary.
func (c *buildCache) put(key, bin string) {
	if c == nil {
		return
	}
	dst := filepath.Join(c.dir, key)
	sha, err := copyFile(bin, dst)
	if err != nil {
		os.Remove(dst)
		return
	}
	c.mu.Lock()
	c.bins[key] = cachedBin{path: dst, sha: sha}
	c.mu.Unlock()
}
