package onnxruntime

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Timeouts that keep an offline machine from waiting on a download: no
// connection within connectTimeout, no response headers within headerTimeout
// or no data for stallTimeout abandons a source.
const (
	connectTimeout = 10 * time.Second
	headerTimeout  = 30 * time.Second
)

var stallTimeout = 60 * time.Second // a variable for tests

// NewClient returns the HTTP client Install uses: it honours the proxy
// environment variables and gives up quickly on unreachable hosts.
func NewClient() *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: connectTimeout}).DialContext
	transport.TLSHandshakeTimeout = connectTimeout
	transport.ResponseHeaderTimeout = headerTimeout
	return &http.Client{Transport: transport}
}

// Install downloads the pinned library from the first of sources that works,
// verifies it and installs it under home. It reports progress to log and
// returns the library's path. A library that is already installed and intact
// is kept.
func Install(ctx context.Context, client *http.Client, home string, sources []Source, log io.Writer) (string, error) {
	if path, _, err := Check(home); err == nil {
		return path, nil
	}
	if len(sources) == 0 {
		return "", fmt.Errorf("the course pins no ONNX Runtime build for this platform; set ONNXRUNTIME_SHARED_LIBRARY_PATH to a libonnxruntime %s you installed yourself", Version)
	}
	dir := Dir(home)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var errs []error
	for _, src := range sources {
		fmt.Fprintf(log, "downloading ONNX Runtime %s from %s: %s\n", Version, src.Name, src.URL)
		path, err := installFrom(ctx, client, home, src)
		if err == nil {
			return path, nil
		}
		fmt.Fprintf(log, "  failed: %v\n", err)
		errs = append(errs, fmt.Errorf("%s: %w", src.Name, err))
		if ctx.Err() != nil {
			break
		}
	}
	return "", fmt.Errorf("could not install ONNX Runtime %s: %w", Version, errors.Join(errs...))
}

// installFrom downloads src's archive into a temporary file in the install
// directory, verifies it, extracts the library into another temporary file,
// verifies that too, and renames it and its manifest into place.
func installFrom(ctx context.Context, client *http.Client, home string, src Source) (string, error) {
	dir := Dir(home)
	archive, err := os.CreateTemp(dir, ".archive-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(archive.Name())
	defer archive.Close()

	if err := download(ctx, client, src.URL, archive); err != nil {
		return "", err
	}
	if _, err := archive.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	size, sum, err := readerSHA256(archive)
	if err != nil {
		return "", err
	}
	if size != src.Size || sum != src.SHA256 {
		return "", fmt.Errorf("archive is %d bytes with SHA-256 %s, expected %d bytes with SHA-256 %s", size, sum, src.Size, src.SHA256)
	}
	if _, err := archive.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	lib, libSize, libSum, err := extract(archive, src.Member, dir)
	if err != nil {
		return "", err
	}
	defer os.Remove(lib) // a no-op once renamed
	if src.MemberSHA256 != "" && libSum != src.MemberSHA256 {
		return "", fmt.Errorf("%s in the archive has SHA-256 %s, expected %s", src.Member, libSum, src.MemberSHA256)
	}
	path := LibraryPath(home)
	if err := os.Rename(lib, path); err != nil {
		return "", err
	}
	m := Manifest{
		Version: Version, Source: src.Name, URL: src.URL, ArchiveSHA256: src.SHA256,
		Member: src.Member, Size: libSize, SHA256: libSum,
	}
	if err := writeManifest(dir, m); err != nil {
		return "", err
	}
	return path, nil
}

// download writes the body of url to w. It gives up when the server sends no
// data for stallTimeout.
func download(ctx context.Context, client *http.Client, url string, w io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	watchdog := time.AfterFunc(stallTimeout, cancel)
	defer watchdog.Stop()
	body := &stallReader{r: resp.Body, watchdog: watchdog}
	if _, err := io.Copy(w, body); err != nil {
		if ctx.Err() != nil && !watchdog.Stop() {
			return fmt.Errorf("GET %s: no data for %v", url, stallTimeout)
		}
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// stallReader restarts its watchdog every time data arrives.
type stallReader struct {
	r        io.Reader
	watchdog *time.Timer
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.watchdog.Reset(stallTimeout)
	}
	return n, err
}

// extract copies member out of the gzip-compressed tar archive r into a
// temporary file in dir, returning that file's name, size and SHA-256.
func extract(r io.Reader, member, dir string) (string, int64, string, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return "", 0, "", fmt.Errorf("archive is not gzip-compressed: %w", err)
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return "", 0, "", fmt.Errorf("archive has no regular file %s", member)
		}
		if err != nil {
			return "", 0, "", fmt.Errorf("reading archive: %w", err)
		}
		if strings.TrimPrefix(hdr.Name, "./") != member || hdr.Typeflag != tar.TypeReg {
			continue
		}
		f, err := os.CreateTemp(dir, ".lib-*")
		if err != nil {
			return "", 0, "", err
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(f, h), tr)
		if err == nil {
			err = f.Chmod(0o755)
		}
		if closeErr := f.Close(); err == nil {
			err = closeErr
		}
		if err == nil && n != hdr.Size {
			err = fmt.Errorf("%s: read %d of %d bytes", member, n, hdr.Size)
		}
		if err != nil {
			os.Remove(f.Name())
			return "", 0, "", err
		}
		return f.Name(), n, hex.EncodeToString(h.Sum(nil)), nil
	}
}

func writeManifest(dir string, m Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".manifest-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Chmod(0o644)
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, manifestName))
}

func fileSHA256(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	return readerSHA256(f)
}

func readerSHA256(r io.Reader) (int64, string, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
