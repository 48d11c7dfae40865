package browser

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrowser loads a page that requests one file that exists and one that
// does not, and checks the requests, the failure, evaluation, typing,
// clicking and the screenshot.
func TestBrowser(t *testing.T) {
	Need(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<!doctype html><title>t</title><img src="/present.svg"><img src="/missing.png">
<input id="in"><button id="b" onclick="document.title = document.getElementById('in').value">go</button>`))
		case "/present.svg":
			w.Header().Set("Content-Type", "image/svg+xml")
			w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	b, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Load(srv.URL + "/"); err != nil {
		t.Fatal(err)
	}
	failed := b.FailedRequests()
	if len(failed) != 1 || !strings.HasSuffix(failed[0].URL, "/missing.png") || !strings.Contains(failed[0].Reason, "404") {
		t.Errorf("failed requests %v, want only /missing.png with 404", failed)
	}
	if reqs := strings.Join(b.Requests(), " "); !strings.Contains(reqs, "/present.svg") {
		t.Errorf("requests %s lack /present.svg", reqs)
	}
	var width int
	if err := b.Eval(`document.images[0].naturalWidth`, &width); err != nil || width != 10 {
		t.Errorf("naturalWidth of present.svg: %d, %v; want 10", width, err)
	}
	if err := b.Type("#in", "typed"); err != nil {
		t.Fatal(err)
	}
	if err := b.Click("#b"); err != nil {
		t.Fatal(err)
	}
	var title string
	if err := b.Eval(`document.title`, &title); err != nil || title != "typed" {
		t.Errorf("title after typing and clicking: %q, %v", title, err)
	}
	if err := b.Eval(`nosuchfunction()`, nil); err == nil {
		t.Error("evaluating an undefined function did not fail")
	}
	shot := filepath.Join(t.TempDir(), "shot.png")
	if err := b.Screenshot(shot); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(shot); err != nil || len(data) < 100 || string(data[1:4]) != "PNG" {
		t.Errorf("screenshot: %d bytes, %v", len(data), err)
	}
}

// Chromium puts a folder of its own in $TMPDIR (org.chromium.Chromium.*)
// and leaves it behind: Start gives it a temporary folder that Close
// removes, so nothing outlives the browser.
func TestCloseLeavesNoTemporaryFiles(t *testing.T) {
	Need(t)
	// A short folder: Chromium's socket path in it must stay under 108
	// bytes, also when the test runs under a long $TMPDIR (klcourse test
	// gives each step a folder of its own).
	parent := os.TempDir()
	if len(parent)+len("/klbt0123456789") > 28 { // see Start: its folder must go in ours
		parent = "/tmp"
	}
	tmp, err := os.MkdirTemp(parent, "klbt")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	t.Setenv("TMPDIR", tmp)
	b, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Load("about:blank"); err != nil {
		t.Fatal(err)
	}
	during, _ := os.ReadDir(tmp)
	b.Close()
	after, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range after {
		left = append(left, e.Name())
	}
	if len(left) > 0 {
		t.Errorf("after Close, %s holds %v", tmp, left)
	}
	if len(during) == 0 {
		t.Errorf("while the browser ran, %s was empty: it did not use the temporary folder", tmp)
	}
}

// Under a $TMPDIR too long for Chromium's socket path, the browser still
// starts (its folder goes to /tmp).
func TestStartUnderALongTMPDIR(t *testing.T) {
	Need(t)
	long := filepath.Join(t.TempDir(), strings.Repeat("x", 60))
	if err := os.Mkdir(long, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", long)
	b, err := Start(Options{})
	if err != nil {
		t.Fatalf("Start under TMPDIR=%s: %v", long, err)
	}
	if err := b.Load("about:blank"); err != nil {
		t.Error(err)
	}
	b.Close()
}
