package datasets

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klcourse/klcourse/internal/download"
)

// extract writes the members of d's archive (at archivePath, already
// verified) into dir, each through a checked temporary file, and records their
// sha256 in dir's SHA256SUMS.
func extract(d *dataset, archivePath, dir string) error {
	a := d.archive
	f, err := os.Open(archivePath)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", archivePath, err)
	}
	tr := tar.NewReader(zr)
	sums, err := readManifest(dir)
	if err != nil {
		return err
	}
	if sums == nil {
		sums = map[string]string{}
	}
	var done []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: reading the tar archive: %w", archivePath, err)
		}
		name, ok := strings.CutPrefix(path.Clean(hdr.Name), a.dir+"/")
		if !ok || hdr.Typeflag != tar.TypeReg || !slices.Contains(a.files, name) {
			continue
		}
		spec := d.file(name)
		h := sha256.New()
		check := func(tmp string) error {
			_, _, err := verifyFile(spec, tmp, "", false)
			return err
		}
		dest := filepath.Join(dir, name)
		if err := download.Write(dest, check, io.TeeReader(tr, h)); err != nil {
			return fmt.Errorf("extracting %s from %s: %w", name, archivePath, err)
		}
		sums[name] = hex.EncodeToString(h.Sum(nil))
		done = append(done, name)
	}
	for _, name := range a.files {
		if !slices.Contains(done, name) {
			return fmt.Errorf("%s: no %s/%s in the archive", archivePath, a.dir, name)
		}
	}
	return download.Write(filepath.Join(dir, cifarManifest), nil, strings.NewReader(string(manifestText(sums))))
}
