package datasets

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klcourse/klcourse/internal/safefile"
)

// A Report says what was found of one data set: every file checked, how it
// verified or why it failed, and which complete sets of files are there.
type Report struct {
	Name  string // the data set
	Dir   string // its directory
	Files []FileStatus
	// Complete names the complete sets of files found: "full" (the whole
	// published data set) and, for CIFAR-10, "quick" (the prefix files that
	// quick mode accepts).
	Complete []string
}

// FileStatus is the verdict on one file.
type FileStatus struct {
	Path     string // where the file is
	Verified string // how it was verified, when it was: "sha256 of the published file", ...
	Err      error  // why it is rejected, when it is
}

// String formats the report a line a file.
func (r *Report) String() string {
	var b strings.Builder
	for _, f := range r.Files {
		if f.Err != nil {
			fmt.Fprintf(&b, "  BAD  %v\n", f.Err)
		} else {
			fmt.Fprintf(&b, "  ok   %s (%s)\n", f.Path, f.Verified)
		}
	}
	if len(r.Complete) == 0 {
		fmt.Fprintf(&b, "  no complete set of files\n")
	} else {
		fmt.Fprintf(&b, "  complete: %s\n", strings.Join(r.Complete, ", "))
	}
	return b.String()
}

// Err returns an error naming every rejected file, or nil when there is none.
func (r *Report) Err() error {
	var errs []error
	for _, f := range r.Files {
		if f.Err != nil {
			errs = append(errs, f.Err)
		}
	}
	return errors.Join(errs...)
}

// Verify checks the data set name in dir without changing anything and
// without the network: every file of it that is there must pass its checks,
// and at least one complete set of files (the full data set or, for CIFAR-10,
// quick mode's prefix files) must be there.
//
// A file passes when its sha256 is the published one (or, for a gzipped file,
// when its uncompressed content's sha256 is) and its structure is right: the
// IDX magic number, dimensions and label range; the CIFAR-10 record size,
// record count and label range; ten class names in batches.meta.txt. The
// extracted CIFAR-10 batches have no published checksum: they are checked
// against the SHA256SUMS written when they were extracted from the verified
// tarball, if it is there, and data_batch_1.bin and test_batch.bin against the
// pinned checksums of their first records.
//
// The error names every bad file, and what was expected and found.
func Verify(name, dir string) (*Report, error) {
	d, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return verify(d, dir)
}

func verify(d *dataset, dir string) (*Report, error) {
	name := d.name
	rep := &Report{Name: name, Dir: dir}
	sums, err := readManifest(dir)
	if err != nil {
		rep.Files = append(rep.Files, FileStatus{Path: filepath.Join(dir, cifarManifest), Err: err})
	}
	good := map[string]bool{}
	for _, f := range d.files {
		path := locate(dir, f.name)
		if path == "" {
			continue
		}
		st := FileStatus{Path: path}
		st.Verified, _, st.Err = verifyFile(f, path, sums[f.name], false)
		rep.Files = append(rep.Files, st)
		good[f.name] = st.Err == nil
	}
	if a := d.archive; a != nil {
		if path := filepath.Join(dir, a.name); exists(path) {
			st := FileStatus{Path: path, Verified: "sha256 of the published file"}
			st.Err = verifyArchive(a, path)
			rep.Files = append(rep.Files, st)
		}
	}
	rep.Complete = completeVariants(d, good, true)
	if err := rep.Err(); err != nil {
		return rep, fmt.Errorf("%s in %s: %w", name, dir, err)
	}
	if len(rep.Complete) == 0 {
		return rep, fmt.Errorf("%s: no complete set of files in %s; missing: %s (run: klcourse data fetch %s --dir %s)",
			name, dir, strings.Join(missingFiles(d, d.variants[0], good), ", "), name, dir)
	}
	return rep, nil
}

// completeVariants names the variants of d whose files are all good (an
// optional file may be absent, but not bad).
func completeVariants(d *dataset, good map[string]bool, quick bool) []string {
	var names []string
	for _, v := range d.variants {
		if v.quickOnly && !quick {
			continue
		}
		if len(missingFiles(d, v, good)) == 0 {
			names = append(names, v.name)
		}
	}
	return names
}

// missingFiles lists the files of variant v that are not good: absent
// required files, and bad files whether required or not.
func missingFiles(d *dataset, v variant, good map[string]bool) []string {
	var missing []string
	for _, name := range v.files {
		ok, seen := good[name]
		if !ok && (seen || !d.file(name).optional) {
			missing = append(missing, name)
		}
	}
	return missing
}

// locate returns the path of file name in dir: name itself, or for a gzipped
// file its uncompressed copy (name without ".gz"); "" when neither is there.
func locate(dir, name string) string {
	path := filepath.Join(dir, name)
	if exists(path) {
		return path
	}
	if raw, ok := strings.CutSuffix(path, ".gz"); ok && exists(raw) {
		return raw
	}
	return ""
}

func exists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// verifyFile checks the file at path against f, with recorded the sha256
// recorded in a manifest ("" if none). It returns how the file verified and,
// when keep is set, its uncompressed content.
func verifyFile(f *fileSpec, path, recorded string, keep bool) (how string, content []byte, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	sum := sha256Hex(raw)
	content = raw
	if isGzip(raw) {
		if content, err = gunzip(path, raw); err != nil {
			return "", nil, err
		}
	}
	switch {
	case f.sha256 != "" && sum == f.sha256:
		how = "sha256 of " + f.originName()
	case f.contentSHA256 != "" && sha256Hex(content) == f.contentSHA256:
		how = "sha256 of the published uncompressed content"
	case f.sha256 != "":
		if err := f.structure(path, content); err != nil {
			return "", nil, err
		}
		expected := f.sha256 + " (" + f.originName() + ")"
		if f.contentSHA256 != "" {
			expected += " or uncompressed content " + f.contentSHA256
		}
		return "", nil, &FileError{Path: path, What: "sha256", Expected: expected, Found: sum}
	case recorded != "":
		if sum != recorded {
			return "", nil, &FileError{Path: path, What: "sha256", Expected: recorded + " (recorded in " + cifarManifest + " when it was extracted from the verified tarball)", Found: sum}
		}
		how = "sha256 recorded at extraction from the verified tarball"
	case f.prefix != nil:
		n := min(f.prefix.bytes, len(content))
		if got := sha256Hex(content[:n]); n < f.prefix.bytes || got != f.prefix.sha256 {
			return "", nil, &FileError{Path: path, What: fmt.Sprintf("sha256 of the first %d bytes", f.prefix.bytes),
				Expected: f.prefix.sha256 + " (that of " + f.prefix.source + ")", Found: fmt.Sprintf("%s of %d bytes", got, n)}
		}
		how = "structure, and its first records match " + f.prefix.source
	default:
		how = "structure only: no checksum is published"
	}
	if err := f.structure(path, content); err != nil {
		return "", nil, err
	}
	if !keep {
		content = nil
	}
	return how, content, nil
}

func (f *fileSpec) originName() string {
	if f.origin != "" {
		return f.origin
	}
	return "the published file"
}

func verifyArchive(a *archive, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.Size() != a.size {
		return fileErrorf(path, "size", fmt.Sprintf("%d bytes", a.size), "%d bytes", info.Size())
	}
	sum, err := safefile.SHA256(path)
	if err != nil {
		return err
	}
	if sum != a.sha256 {
		return &FileError{Path: path, What: "sha256", Expected: a.sha256 + " (the published file)", Found: sum}
	}
	return nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// readManifest reads dir's SHA256SUMS, if any: file name → sha256.
func readManifest(dir string) (map[string]string, error) {
	path := filepath.Join(dir, cifarManifest)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 || len(fields[0]) != 64 {
			return nil, fileErrorf(path, fmt.Sprintf("line %d", line), "SHA256 NAME, as sha256sum writes it", "%q", sc.Text())
		}
		sums[strings.TrimPrefix(fields[1], "*")] = fields[0]
	}
	return sums, nil
}

// manifestText formats sums as sha256sum does, sorted by name.
func manifestText(sums map[string]string) []byte {
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	slices.Sort(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "%s  %s\n", sums[n], n)
	}
	return b.Bytes()
}
