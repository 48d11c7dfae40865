package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klcourse/klcourse/internal/testdata"
)

// sharedData finds the course's real data set sub, or skips the test.
func sharedData(t *testing.T, sub string) string { return testdata.Require(t, sub) }

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// captureStderr runs f with os.Stderr redirected and returns what it wrote.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan []byte)
	go func() {
		var b bytes.Buffer
		b.ReadFrom(r)
		done <- b.Bytes()
	}()
	f()
	os.Stderr = old
	w.Close()
	return string(<-done)
}

func TestDataVerify(t *testing.T) {
	for _, name := range []string{"mnist", "cifar10"} {
		dir := sharedData(t, name)
		var out bytes.Buffer
		if err := runData([]string{"verify", name, "--dir", dir}, &out); err != nil {
			t.Errorf("verify %s: %v\n%s", name, err, out.String())
		}
		if !strings.Contains(out.String(), "complete: ") {
			t.Errorf("verify %s printed:\n%s", name, out.String())
		}
	}
}

// TestDataVerifyTruncated truncates one file of a copy: verify exits 1 and
// names the file.
func TestDataVerifyTruncated(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"mnist", "train-labels-idx1-ubyte.gz"},
		{"cifar10", "data_batch_1.first4000.bin"},
	} {
		dir := copyDir(t, sharedData(t, tc.name))
		path := filepath.Join(dir, tc.file)
		b, _ := os.ReadFile(path)
		os.WriteFile(path, b[:len(b)-1000], 0o644)
		var code int
		stderr := captureStderr(t, func() {
			code = dispatch([]string{"data", "verify", tc.name, "--dir", dir}, os.Stderr)
		})
		if code != 1 || !strings.Contains(stderr, path) {
			t.Errorf("verify %s with %s truncated: exit %d, stderr:\n%s", tc.name, tc.file, code, stderr)
		}
	}
}

func TestDataUsage(t *testing.T) {
	for _, args := range [][]string{
		{"verify"},
		{"verify", "imagenet"},
		{"frobnicate", "mnist"},
		{"verify", "mnist", "cifar10", "--dir", "/tmp"},
	} {
		if err := runData(args, &bytes.Buffer{}); !errors.Is(err, errUsage) {
			t.Errorf("klcourse data %v: got %v, want a usage error", args, err)
		}
	}
	var out bytes.Buffer
	t.Setenv("KLCOURSE_DATA", "/some/where")
	if err := runData([]string{"path", "mnist", "cifar10"}, &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "/some/where/mnist\n/some/where/cifar10\n"; got != want {
		t.Errorf("path printed %q, want %q", got, want)
	}
}

func TestDataFetchOfflineQuick(t *testing.T) {
	dir := copyDir(t, sharedData(t, "cifar10"))
	var out bytes.Buffer
	if err := runData([]string{"fetch", "cifar10", "--dir", dir, "--quick", "--offline"}, &out); err != nil {
		t.Errorf("quick fetch with the prefix present: %v\n%s", err, out.String())
	}
	err := runData([]string{"fetch", "cifar10", "--dir", dir, "--quick=false", "--offline"}, &out)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "cifar-10-binary.tar.gz")) {
		t.Errorf("full fetch offline: got %v, want where to place the tarball", err)
	}
}
