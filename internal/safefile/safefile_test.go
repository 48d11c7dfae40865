package safefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "f.txt")
	if err := WriteBytes(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(path, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "two" {
		t.Errorf("content %q, want two", data)
	}
	assertOnly(t, filepath.Dir(path), "f.txt")
}

// A failing fill or check leaves the old file and no temporary file behind.
func TestWriteFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	if err := WriteBytes(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	broken := errors.New("broken")
	err := Write(path, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return broken
	}, nil)
	if !errors.Is(err, broken) {
		t.Errorf("fill failure: err = %v", err)
	}
	err = Write(path, func(w io.Writer) error {
		_, err := w.Write([]byte("complete but wrong"))
		return err
	}, func(tmp string) error {
		if data, _ := os.ReadFile(tmp); string(data) != "complete but wrong" {
			t.Errorf("check sees %q", data)
		}
		return broken
	})
	if !errors.Is(err, broken) {
		t.Errorf("check failure: err = %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "old" {
		t.Errorf("content %q after failed writes, want old", data)
	}
	assertOnly(t, dir, "f.txt")
}

func assertOnly(t *testing.T, dir, name string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want only %s", names, name)
	}
}

func TestSHA256(t *testing.T) {
	path := filepath.Join(t.TempDir(), "abc")
	if err := os.WriteFile(path, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The FIPS 180-2 test vector for "abc".
	got, err := SHA256(path)
	if want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; err != nil || got != want {
		t.Errorf("SHA256 = %q, %v; want %s", got, err, want)
	}
	if _, err := SHA256(path + ".missing"); err == nil {
		t.Error("a missing file has no error")
	}
}

func TestJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.json")
	type v struct{ A []float64 }
	if err := WriteJSON(path, v{A: []float64{1, 2.5}}); err != nil {
		t.Fatal(err)
	}
	var got v
	if err := ReadJSON(path, &got); err != nil || len(got.A) != 2 || got.A[1] != 2.5 {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if err := WriteBytes(path, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if err := ReadJSON(path, &got); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a broken file: %v, want an error naming it", err)
	}
}
