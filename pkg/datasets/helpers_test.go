package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/klcourse/klcourse/internal/testdata"
)

// sharedData returns the directory of real data set sub ("mnist", "cifar10"),
// or "" when there is none, in which case tests fall back to generated files.
func sharedData(t testing.TB, sub string) string {
	t.Helper()
	return testdata.Find(sub)
}

// requireShared is sharedData for tests that need the real files.
func requireShared(t testing.TB, sub string) string {
	t.Helper()
	dir := sharedData(t, sub)
	if dir == "" {
		t.Skipf("no real %s data: set %s or check out beside shared/data", sub, testdata.Env)
	}
	return dir
}

func dirExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// idxBytes encodes an IDX file of unsigned bytes.
func idxBytes(dims []int, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(0x0800|len(dims)))
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func gunzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	out, err := gunzip("test", b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFile(t testing.TB, path string, b []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// generatedImages returns n grayscale rows×cols images whose pixels encode
// their index and whose labels are index mod classes.
func generatedImages(n, rows, cols, classes int) (pixels, labels []byte) {
	pixels = make([]byte, n*rows*cols)
	labels = make([]byte, n)
	for i := range n {
		for p := range rows * cols {
			pixels[i*rows*cols+p] = byte(i*7 + p)
		}
		labels[i] = byte(i % classes)
	}
	return pixels, labels
}
