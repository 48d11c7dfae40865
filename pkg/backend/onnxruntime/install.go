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
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/klcourse/klcourse/internal/download"
	"github.com/klcourse/klcourse/internal/safefile"
)

// Install downloads the pinned library from the first of sources that works,
// verifies it and installs it under home. It reports progress to log and
// returns the library's path. A library that is already installed and intact
// is kept.
//
// client may be nil for download.NewClient, which gives up quickly on
// unreachable hosts and on transfers that stall.
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
		path, err := installFrom(ctx, client, home, src, download.NewProgress(log))
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
func installFrom(ctx context.Context, client *http.Client, home string, src Source, progress download.Progress) (string, error) {
	dir := Dir(home)
	// The archive is downloaded and checked as a whole before anything is
	// extracted from it, and removed afterwards.
	archivePath := filepath.Join(dir, "."+path.Base(src.URL))
	defer os.Remove(archivePath)
	check := func(path string) error {
		size, sum, err := fileSHA256(path)
		if err != nil {
			return err
		}
		if size != src.Size || sum != src.SHA256 {
			return fmt.Errorf("archive is %d bytes with SHA-256 %s, expected %d bytes with SHA-256 %s", size, sum, src.Size, src.SHA256)
		}
		return nil
	}
	if err := download.File(ctx, client, []string{src.URL}, archivePath, src.Size, check, progress); err != nil {
		return "", err
	}
	archive, err := os.Open(archivePath)
	if err != nil {
		return "", err
	}
	defer archive.Close()
	lib, libSize, libSum, err := extract(archive, src.Member, dir)
	if err != nil {
		return "", err
	}
	defer os.Remove(lib) // a no-op once renamed
	if src.MemberSHA256 != "" && libSum != src.MemberSHA256 {
		return "", fmt.Errorf("%s in the archive has SHA-256 %s, expected %s", src.Member, libSum, src.MemberSHA256)
	}
	installed := LibraryPath(home)
	if err := os.Rename(lib, installed); err != nil {
		return "", err
	}
	m := Manifest{
		Version: Version, Source: src.Name, URL: src.URL, ArchiveSHA256: src.SHA256,
		Member: src.Member, Size: libSize, SHA256: libSum,
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	if err := safefile.WriteBytes(filepath.Join(dir, manifestName), append(data, '\n')); err != nil {
		return "", err
	}
	return installed, nil
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
