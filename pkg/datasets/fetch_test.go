package datasets

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fileServer serves files by name, each in a mode: "ok", "missing" (404),
// "broken" (announces the full length, sends half, drops the connection) or
// "corrupt" (the right length, wrong bytes). It counts the requests.
type fileServer struct {
	*httptest.Server
	mu       sync.Mutex
	files    map[string][]byte
	mode     map[string]string
	requests []string
}

func newFileServer(t *testing.T, files map[string][]byte, mode string) *fileServer {
	s := &fileServer{files: files, mode: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := filepath.Base(r.URL.Path)
		s.mu.Lock()
		s.requests = append(s.requests, name)
		m, ok := s.mode[name]
		if !ok {
			m = mode
		}
		b, exists := s.files[name]
		s.mu.Unlock()
		if !exists || m == "missing" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		switch m {
		case "broken":
			w.Write(b[:len(b)/2])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		case "corrupt":
			c := slices.Clone(b)
			c[len(c)/2] ^= 0x55
			w.Write(c)
		default:
			w.Write(b)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *fileServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// noNetwork is a client that fails the test on any request.
func noNetwork(t *testing.T) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("the network was used: %s", r.URL)
		return nil, errors.New("no network in this test")
	})}
}

// redirectTo is a client that sends every request to server, whatever its
// host: the real catalog's URLs are served by a test server.
func redirectTo(server *httptest.Server) *http.Client {
	target, _ := url.Parse(server.URL)
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = target.Scheme, target.Host, target.Host
		return http.DefaultTransport.RoundTrip(r)
	})}
}

// tinyIDX returns a small IDX data set built like MNIST's spec (20 training
// and 5 test images of 4×4), its files' bytes, and it lists URLs from mirrors.
func tinyIDX(t *testing.T, mirrors ...string) (*dataset, map[string][]byte) {
	files := map[string][]byte{}
	var specs []*fileSpec
	for _, part := range []struct {
		prefix string
		n      int
	}{{"train", 20}, {"t10k", 5}} {
		pixels, labels := generatedImages(part.n, 4, 4, 10)
		n := part.n
		for _, f := range []struct {
			name      string
			raw       []byte
			structure func(string, []byte) error
		}{
			{part.prefix + "-images-idx3-ubyte.gz", idxBytes([]int{n, 4, 4}, pixels), func(p string, c []byte) error { return checkIDXImages(p, c, n, 4, 4) }},
			{part.prefix + "-labels-idx1-ubyte.gz", idxBytes([]int{n}, labels), func(p string, c []byte) error { return checkIDXLabels(p, c, n, 10) }},
		} {
			gz := gzipBytes(t, f.raw)
			files[f.name] = gz
			spec := &fileSpec{name: f.name, size: int64(len(gz)), sha256: sha256Hex(gz), contentSHA256: sha256Hex(f.raw), structure: f.structure}
			for _, m := range mirrors {
				spec.urls = append(spec.urls, m+"/"+f.name)
			}
			specs = append(specs, spec)
		}
	}
	return &dataset{
		name: "tiny", title: "a tiny IDX data set", files: specs,
		variants: []variant{{name: "full", files: []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}}},
		load:     loadIDX("tiny", MNISTClasses),
	}, files
}

func noPackages(*dataset) []string { return nil }

func partFiles(t *testing.T, dir string) []string {
	t.Helper()
	parts, _ := filepath.Glob(filepath.Join(dir, ".*.part"))
	return parts
}

func TestFetchFromMirrors(t *testing.T) {
	gone := newFileServer(t, nil, "missing")
	var files map[string][]byte
	broken := newFileServer(t, nil, "broken")
	good := newFileServer(t, nil, "ok")
	d, files := tinyIDX(t, gone.URL, broken.URL, good.URL)
	broken.files, good.files = files, files

	dir := filepath.Join(t.TempDir(), "tiny")
	f := &Fetcher{systemDirs: noPackages}
	train, test, err := f.load(context.Background(), d, dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 20 || test.Len() != 5 {
		t.Errorf("loaded %d + %d images, want 20 + 5", train.Len(), test.Len())
	}
	for name, b := range files {
		if got := readFile(t, filepath.Join(dir, name)); !bytes.Equal(got, b) {
			t.Errorf("%s differs from the served file", name)
		}
	}
	if gone.count() != 4 || broken.count() != 4 || good.count() != 4 {
		t.Errorf("requests: %d, %d, %d; want each mirror asked for each of the 4 files", gone.count(), broken.count(), good.count())
	}
	if parts := partFiles(t, dir); len(parts) != 0 {
		t.Errorf("temporary files left: %v", parts)
	}

	// Now that the files are there, the network is not used again.
	f.Client = noNetwork(t)
	if _, _, err := f.load(context.Background(), d, dir); err != nil {
		t.Fatal(err)
	}
}

func TestFetchRejectsBadDownloads(t *testing.T) {
	corrupt := newFileServer(t, nil, "corrupt")
	broken := newFileServer(t, nil, "broken")
	d, files := tinyIDX(t, corrupt.URL, broken.URL)
	corrupt.files, broken.files = files, files

	dir := filepath.Join(t.TempDir(), "tiny")
	f := &Fetcher{systemDirs: noPackages}
	_, err := f.fetch(context.Background(), d, dir)
	if err == nil {
		t.Fatal("fetching from a corrupt and a broken mirror succeeded")
	}
	msg := err.Error()
	for _, want := range []string{
		corrupt.URL + "/train-images-idx3-ubyte.gz", "sha256", // the corrupt mirror's verdict
		broken.URL + "/train-images-idx3-ubyte.gz", "transfer broke", // the broken one's
		filepath.Join(dir, "train-images-idx3-ubyte.gz"), // where to place it by hand
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not mention %q:\n%s", want, msg)
		}
	}
	for name := range files {
		if exists(filepath.Join(dir, name)) {
			t.Errorf("%s exists after failed downloads", name)
		}
	}
	if parts := partFiles(t, dir); len(parts) != 0 {
		t.Errorf("temporary files left: %v", parts)
	}
	t.Log(msg)
}

func TestCorruptCachedFile(t *testing.T) {
	good := newFileServer(t, nil, "ok")
	d, files := tinyIDX(t, good.URL)
	good.files = files
	dir := t.TempDir()
	for name, b := range files {
		writeFile(t, filepath.Join(dir, name), b)
	}
	// A valid gzip of the wrong content: structure fine, checksum wrong.
	raw := gunzipBytes(t, files["t10k-images-idx3-ubyte.gz"])
	raw[len(raw)-1] ^= 1
	corruptPath := writeFile(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), gzipBytes(t, raw))
	corrupt := readFile(t, corruptPath)

	// Offline: reported, named, untouched, never used.
	offline := &Fetcher{Offline: true, Client: noNetwork(t), systemDirs: noPackages}
	_, _, err := offline.load(context.Background(), d, dir)
	if err == nil || !strings.Contains(err.Error(), corruptPath) || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("offline load of a corrupt file: got %v, want an error naming %s and its sha256", err, corruptPath)
	}
	if !bytes.Equal(readFile(t, corruptPath), corrupt) {
		t.Error("the offline load changed the corrupt file")
	}
	_, err = verify(d, dir)
	checkFileError(t, err, corruptPath, "sha256", d.file("t10k-images-idx3-ubyte.gz").sha256)

	// Online: downloaded again.
	online := &Fetcher{systemDirs: noPackages}
	if _, _, err := online.load(context.Background(), d, dir); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, corruptPath), files["t10k-images-idx3-ubyte.gz"]) {
		t.Error("the corrupt file was not replaced by the published one")
	}
	if good.count() != 1 {
		t.Errorf("%d requests, want 1 (only the corrupt file)", good.count())
	}
}

func TestOfflineMissingSaysWhereToPlace(t *testing.T) {
	d, _ := tinyIDX(t, "https://mirror.example/a", "https://mirror.example/b")
	dir := filepath.Join(t.TempDir(), "tiny")
	f := &Fetcher{Offline: true, Client: noNetwork(t), systemDirs: noPackages}
	_, _, err := f.load(context.Background(), d, dir)
	if err == nil {
		t.Fatal("loading with no files and no network succeeded")
	}
	for _, spec := range d.files {
		for _, want := range append([]string{filepath.Join(dir, spec.name), spec.sha256}, spec.urls...) {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the error does not mention %s:\n%v", want, err)
			}
		}
	}
	t.Log(err)
}

func TestPackagedCopy(t *testing.T) {
	d, files := tinyIDX(t, "https://mirror.example")
	sys := t.TempDir()
	for name, b := range files {
		// Like Debian's: same content, another gzip header.
		var repacked bytes.Buffer
		zw := gzip.NewWriter(&repacked)
		zw.Name = "repacked"
		zw.Write(gunzipBytes(t, b))
		zw.Close()
		writeFile(t, filepath.Join(sys, name), repacked.Bytes())
	}
	dir := filepath.Join(t.TempDir(), "tiny")
	f := &Fetcher{Client: noNetwork(t), systemDirs: func(*dataset) []string { return []string{sys} }}
	train, _, err := f.load(context.Background(), d, dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 20 {
		t.Errorf("%d training images, want 20", train.Len())
	}
	if dirExists(dir) {
		t.Error("Load copied the packaged files instead of reading them in place")
	}
	rep, err := f.fetch(context.Background(), d, dir)
	if err != nil {
		t.Fatal(err)
	}
	for name := range files {
		if !exists(filepath.Join(dir, name)) {
			t.Errorf("Fetch did not copy %s", name)
		}
	}
	for _, st := range rep.Files {
		if !strings.Contains(st.Verified, "uncompressed content") {
			t.Errorf("%s verified by %q, want by its uncompressed content", st.Path, st.Verified)
		}
	}
}

// tinyArchive is a data set like CIFAR-10's: two record files and a class
// list that come out of a tar.gz archive served by a mirror.
func tinyArchive(t *testing.T, mirror string) (*dataset, []byte) {
	members := map[string][]byte{
		"train.bin": cifarRecords(3), "test.bin": cifarRecords(2),
		"batches.meta.txt": []byte(strings.Join(CIFAR10Classes, "\n") + "\n"),
	}
	var tarball bytes.Buffer
	zw := gzip.NewWriter(&tarball)
	tw := tar.NewWriter(zw)
	for _, name := range []string{"readme.html", "train.bin", "test.bin", "batches.meta.txt"} {
		b := members[name]
		if name == "readme.html" {
			b = []byte("<html></html>")
		}
		if err := tw.WriteHeader(&tar.Header{Name: "tiny-batches/" + name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	tw.Close()
	zw.Close()
	records := func(n int) func(string, []byte) error {
		return func(p string, b []byte) error { return checkCIFAR(p, b, n, 10) }
	}
	d := &dataset{
		name: "tinyarchive", title: "a tiny archived data set",
		files: []*fileSpec{
			{name: "train.bin", structure: records(3)},
			{name: "test.bin", structure: records(2)},
			{name: "batches.meta.txt", optional: true, structure: func(p string, b []byte) error { _, err := parseClassNames(p, b, 10); return err }},
		},
		variants: []variant{{name: "full", files: []string{"train.bin", "test.bin", "batches.meta.txt"}}},
		archive: &archive{name: "tiny.tar.gz", size: int64(tarball.Len()), sha256: sha256Hex(tarball.Bytes()),
			urls: []string{mirror + "/tiny.tar.gz"}, dir: "tiny-batches", files: []string{"train.bin", "test.bin", "batches.meta.txt"}},
		load: func(content map[string][]byte, _ bool) (*Images, *Images, error) {
			train, err := decodeCIFAR("train", CIFAR10Classes, []string{"train.bin"}, [][]byte{content["train.bin"]})
			if err != nil {
				return nil, nil, err
			}
			test, err := decodeCIFAR("test", CIFAR10Classes, []string{"test.bin"}, [][]byte{content["test.bin"]})
			return train, test, err
		},
	}
	return d, tarball.Bytes()
}

func TestFetchArchive(t *testing.T) {
	server := newFileServer(t, nil, "ok")
	d, tarball := tinyArchive(t, server.URL)
	server.files = map[string][]byte{"tiny.tar.gz": tarball}
	dir := filepath.Join(t.TempDir(), "tinyarchive")

	f := &Fetcher{systemDirs: noPackages}
	train, test, err := f.load(context.Background(), d, dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 3 || test.Len() != 2 {
		t.Errorf("loaded %d + %d images, want 3 + 2", train.Len(), test.Len())
	}
	if exists(filepath.Join(dir, "tiny.tar.gz")) || exists(filepath.Join(dir, "readme.html")) {
		t.Error("the downloaded archive or an unneeded member was left in the directory")
	}
	sums, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256Hex(cifarRecords(3)); sums["train.bin"] != want {
		t.Errorf("SHA256SUMS has %q for train.bin, want %s", sums["train.bin"], want)
	}

	// The recorded checksums catch a later change that the structure cannot.
	f.Client = noNetwork(t)
	rep, err := f.find(d, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range rep.Files {
		if !strings.Contains(st.Verified, "recorded at extraction") {
			t.Errorf("%s verified by %q", st.Path, st.Verified)
		}
	}
	changed := cifarRecords(3)
	changed[100]++
	trainPath := writeFile(t, filepath.Join(dir, "train.bin"), changed)
	_, err = f.find(d, dir)
	checkFileError(t, err, trainPath, "sha256", "recorded in SHA256SUMS")

	// A placed archive is used without the network, and kept.
	os.Remove(trainPath)
	writeFile(t, filepath.Join(dir, "tiny.tar.gz"), tarball)
	f.Offline = false // would download, but the placed archive verifies
	if _, _, err := f.load(context.Background(), d, dir); err != nil {
		t.Fatal(err)
	}
	if !exists(filepath.Join(dir, "tiny.tar.gz")) {
		t.Error("the placed archive was removed")
	}
}
