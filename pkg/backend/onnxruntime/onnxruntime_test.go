package onnxruntime

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tarball builds a gzip-compressed tar archive holding files (name → content)
// and a symbolic link, as the official release archives do.
func tarball(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: "pkg/lib/libonnxruntime.so", Linkname: "libonnxruntime.so.1", Typeflag: tar.TypeSymlink}); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// server serves path → body, and 404 for anything else.
func server(t *testing.T, files map[string][]byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const libContent = "\x7fELF not really a library, but bytes to verify"

func source(srv *httptest.Server, path string, archive []byte, member, memberSHA string) Source {
	return Source{Name: "test " + path, URL: srv.URL + path, Size: int64(len(archive)), SHA256: hexSHA256(archive), Member: member, MemberSHA256: memberSHA}
}

func TestInstallVerifiesAndWritesManifest(t *testing.T) {
	archive := tarball(t, map[string]string{"pkg/lib/libonnxruntime.so.1": libContent, "pkg/README": "readme"})
	srv := server(t, map[string][]byte{"/ort.tgz": archive})
	home := t.TempDir()
	src := source(srv, "/ort.tgz", archive, "pkg/lib/libonnxruntime.so.1", hexSHA256([]byte(libContent)))
	var log bytes.Buffer
	path, err := Install(context.Background(), srv.Client(), home, []Source{src}, &log)
	if err != nil {
		t.Fatalf("Install: %v\n%s", err, log.String())
	}
	if path != LibraryPath(home) {
		t.Errorf("Install returned %q, want %q", path, LibraryPath(home))
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != libContent {
		t.Fatalf("installed library = %q, %v; want the archive's member", got, err)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm()&0o100 == 0 {
		t.Errorf("installed library mode %v is not executable", info.Mode())
	}
	checked, m, err := Check(home)
	if err != nil || checked != path {
		t.Fatalf("Check after Install = %q, %v", checked, err)
	}
	if m.URL != src.URL || m.SHA256 != hexSHA256([]byte(libContent)) || m.Size != int64(len(libContent)) || m.Version != Version {
		t.Errorf("manifest = %+v", m)
	}
	leftovers, _ := filepath.Glob(filepath.Join(Dir(home), ".*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestInstallFallsBackToTheNextSource(t *testing.T) {
	archive := tarball(t, map[string]string{"package/lib.so": libContent})
	// Same length, one byte changed: only the checksum tells them apart.
	tampered := bytes.Clone(archive)
	tampered[len(tampered)/2] ^= 0xff
	srv := server(t, map[string][]byte{"/good.tgz": archive, "/tampered.tgz": tampered})
	missing := source(srv, "/missing.tgz", archive, "package/lib.so", "")
	// The tampered archive is served where the pinned one should be.
	bad := source(srv, "/tampered.tgz", archive, "package/lib.so", "")
	bad.URL = srv.URL + "/tampered.tgz"
	good := source(srv, "/good.tgz", archive, "package/lib.so", "")
	home := t.TempDir()
	var log bytes.Buffer
	if _, err := Install(context.Background(), srv.Client(), home, []Source{missing, bad, good}, &log); err != nil {
		t.Fatalf("Install: %v", err)
	}
	for _, want := range []string{"404", "SHA-256"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log does not report the %s failure:\n%s", want, log.String())
		}
	}
	_, m, err := Check(home)
	if err != nil || m.URL != good.URL {
		t.Errorf("installed from %q (%v), want %q", m.URL, err, good.URL)
	}
}

func TestInstallRejectsWrongMember(t *testing.T) {
	archive := tarball(t, map[string]string{"package/lib.so": libContent})
	srv := server(t, map[string][]byte{"/a.tgz": archive})
	home := t.TempDir()
	wrongHash := source(srv, "/a.tgz", archive, "package/lib.so", strings.Repeat("0", 64))
	noMember := source(srv, "/a.tgz", archive, "package/other.so", "")
	for _, src := range []Source{wrongHash, noMember} {
		_, err := Install(context.Background(), srv.Client(), home, []Source{src}, io.Discard)
		if err == nil {
			t.Fatalf("Install of %+v succeeded", src)
		}
		if _, statErr := os.Stat(LibraryPath(home)); statErr == nil {
			t.Fatalf("a library was installed although %v", err)
		}
	}
}

func TestCheckDetectsDamage(t *testing.T) {
	archive := tarball(t, map[string]string{"package/lib.so": libContent})
	srv := server(t, map[string][]byte{"/a.tgz": archive})
	home := t.TempDir()
	if _, _, err := Check(home); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("Check of an empty home: %v, want 'not installed'", err)
	}
	if _, err := Install(context.Background(), srv.Client(), home, []Source{source(srv, "/a.tgz", archive, "package/lib.so", "")}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(LibraryPath(home), []byte("truncated"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Check(home); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("Check of a damaged library: %v, want 'damaged'", err)
	}
	// Install repairs it.
	if _, err := Install(context.Background(), srv.Client(), home, []Source{source(srv, "/a.tgz", archive, "package/lib.so", "")}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Check(home); err != nil {
		t.Errorf("Check after repair: %v", err)
	}
}

func TestSourcesArePinned(t *testing.T) {
	for _, platform := range [][2]string{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "arm64"}} {
		srcs := Sources(platform[0], platform[1])
		if len(srcs) != 2 {
			t.Errorf("%s/%s: %d sources, want the GitHub release and npm", platform[0], platform[1], len(srcs))
		}
		for _, s := range srcs {
			if len(s.SHA256) != 64 || s.Size <= 0 || !strings.HasPrefix(s.URL, "https://") || !strings.Contains(s.URL, Version) {
				t.Errorf("%s/%s: source %+v is not pinned", platform[0], platform[1], s)
			}
		}
	}
	if Sources("windows", "amd64") != nil {
		t.Error("windows/amd64 has sources, but none is pinned")
	}
}
