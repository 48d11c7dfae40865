package download

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var payload = bytes.Repeat([]byte("0123456789abcdef"), 50000) // 800 kB

func shaCheck(want []byte) Check {
	sum := sha256.Sum256(want)
	return func(path string) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if got := sha256.Sum256(b); got != sum {
			return fmt.Errorf("sha256 %x, want %x", got, sum)
		}
		return nil
	}
}

func serve(t *testing.T, h http.HandlerFunc) string {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL + "/file.bin"
}

func whole(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Length", fmt.Sprint(len(payload)))
	w.Write(payload)
}

func brokenMidway(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Length", fmt.Sprint(len(payload)))
	w.Write(payload[:len(payload)/3])
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

func corrupt(w http.ResponseWriter, _ *http.Request) {
	b := bytes.Clone(payload)
	b[12345] ^= 1
	w.Write(b)
}

// noLeftovers checks that dir holds exactly the names given.
func noLeftovers(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("directory holds %v, want %v", got, names)
	}
}

func TestFileFallsBackToWorkingMirror(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "file.bin")
	var log bytes.Buffer
	urls := []string{serve(t, http.NotFound), serve(t, brokenMidway), serve(t, corrupt), serve(t, whole)}
	if err := File(context.Background(), nil, urls, dest, int64(len(payload)), shaCheck(payload), NewProgress(&log)); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, payload) {
		t.Error("the destination does not hold the payload")
	}
	noLeftovers(t, dir, "file.bin")
	// Not a terminal: a line per transfer start and end.
	if !strings.Contains(log.String(), "downloading file.bin (0.8 MB) from "+urls[3]) || !strings.Contains(log.String(), ": downloaded 0.8 MB in ") {
		t.Errorf("progress log:\n%s", log.String())
	}
}

func TestFileFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "file.bin")
	os.WriteFile(dest, []byte("old"), 0o644)
	tooLong := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(payload)+1))
		w.Write(append(bytes.Clone(payload), 0))
	}
	urls := []string{serve(t, brokenMidway), serve(t, corrupt), serve(t, tooLong)}
	err := File(context.Background(), nil, urls, dest, int64(len(payload)), shaCheck(payload), nil)
	if err == nil {
		t.Fatal("no error")
	}
	for i, want := range []string{"transfer broke after 266666 of 800000 bytes", "sha256", "the server offers 800001 bytes, expected 800000"} {
		if !strings.Contains(err.Error(), urls[i]+": ") || !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not report %q for %s:\n%v", want, urls[i], err)
		}
	}
	if got, _ := os.ReadFile(dest); string(got) != "old" {
		t.Error("a failed download touched the destination")
	}
	noLeftovers(t, dir, "file.bin")
}

func TestFileStalls(t *testing.T) {
	old := StallTimeout
	StallTimeout = 100 * time.Millisecond
	defer func() { StallTimeout = old }()
	release := make(chan struct{})
	defer close(release)
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(payload)))
		w.Write(payload[:1000])
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	dir := t.TempDir()
	err := File(context.Background(), nil, []string{url}, filepath.Join(dir, "file.bin"), 0, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "no data for") {
		t.Errorf("got %v, want a stall", err)
	}
	noLeftovers(t, dir)
}

func TestFileInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := File(ctx, nil, []string{serve(t, whole)}, filepath.Join(t.TempDir(), "file.bin"), 0, nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want the cancellation", err)
	}
}

func TestCopyAndWrite(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.WriteFile(src, payload, 0o644)
	dest := filepath.Join(dir, "sub", "dest")
	if err := Copy(src, dest, shaCheck(payload)); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, payload) {
		t.Error("the copy differs")
	}
	rejected := filepath.Join(dir, "sub", "rejected")
	if err := Write(rejected, shaCheck(payload), strings.NewReader("something else")); err == nil {
		t.Error("Write accepted bytes its check rejects")
	}
	noLeftovers(t, filepath.Join(dir, "sub"), "dest")
}
