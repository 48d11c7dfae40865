package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klcourse/klcourse/internal/download"
	"github.com/klcourse/klcourse/pkg/course"
)

// A Fetcher finds the data sets on this machine and fetches what is missing.
//
// A file already in the data set's directory that verifies (see Verify) is
// used as it is: the network is never touched for it. A missing file comes from
// a packaged copy on this machine (Debian's /usr/share/datasets/fashion-mnist),
// else from the network, from the official location or a well-known mirror.
// Downloads go to a temporary file in the directory that gets its real name
// only once its sha256 is verified; CIFAR-10's tarball is verified, then
// extracted. A file that fails verification is downloaded again, or, offline,
// reported: never used. When the files cannot be had, the error says which
// files to place where, and where to get them.
type Fetcher struct {
	// Client makes the downloads; nil for one with connect and stall timeouts.
	Client *http.Client
	// Offline keeps the Fetcher off the network.
	Offline bool
	// Quick accepts quick mode's subset where a data set has one: CIFAR-10's
	// prefix files (4000 training and 1000 test images). See course.Quick.
	Quick bool
	// Log receives download progress bars and notes on what was fetched; nil
	// for silence. In a GoNB notebook the progress bars are drawn in the
	// notebook instead.
	Log io.Writer

	// systemDirs overrides the packaged copies' directories (for tests).
	systemDirs func(d *dataset) []string
}

// DefaultFetcher returns the Fetcher that notebooks use: quick when
// course.Quick() (KLCOURSE_QUICK=1), offline when KLCOURSE_OFFLINE=1, and
// reporting progress on standard error (in a notebook, in the notebook).
func DefaultFetcher() *Fetcher {
	return &Fetcher{Offline: offlineFromEnv(), Quick: course.Quick(), Log: os.Stderr}
}

// Load returns the training and test sets of the data set name, from
// DefaultFetcher and Dir(name).
func Load(name string) (train, test *Images, err error) {
	dir, err := Dir(name)
	if err != nil {
		return nil, nil, err
	}
	return DefaultFetcher().Load(context.Background(), name, dir)
}

// LoadMNIST returns MNIST's 60000 training and 10000 test images (28×28 gray), see Load.
func LoadMNIST() (train, test *Images, err error) { return Load(MNIST) }

// LoadFashionMNIST returns Fashion-MNIST's 60000 training and 10000 test images (28×28 gray), see Load.
func LoadFashionMNIST() (train, test *Images, err error) { return Load(FashionMNIST) }

// LoadCIFAR10 returns CIFAR-10's training and test images (32×32 RGB), see
// Load: the full 50000 and 10000, or in quick mode the first 4000 of
// data_batch_1 and the first 1000 of test_batch, which the prefix files in
// the data directory provide without the full set (CI's data).
func LoadCIFAR10() (train, test *Images, err error) { return Load(CIFAR10) }

// Load returns the training and test sets of the data set name kept in dir,
// fetching what is missing. Packaged copies on this machine are read where
// they are. In quick mode (f.Quick) CIFAR-10 gives its quick subset.
func (f *Fetcher) Load(ctx context.Context, name, dir string) (train, test *Images, err error) {
	d, err := lookup(name)
	if err != nil {
		return nil, nil, err
	}
	return f.load(ctx, d, dir)
}

// Fetch makes the data set name complete and verified in dir: packaged copies
// are copied there, missing or corrupt files downloaded. In quick mode
// CIFAR-10's prefix files count as complete. The report lists the files used.
func (f *Fetcher) Fetch(ctx context.Context, name, dir string) (*Report, error) {
	d, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return f.fetch(ctx, d, dir)
}

// Find reports whether the data set name can be used from dir or a packaged
// copy on this machine, as Load would use it, without changing anything and
// without the network. Its error says what is missing and how to fix it.
func (f *Fetcher) Find(name, dir string) (*Report, error) {
	d, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return f.find(d, dir)
}

func (f *Fetcher) load(ctx context.Context, d *dataset, dir string) (train, test *Images, err error) {
	content, _, err := f.ensure(ctx, d, dir, modeLoad)
	if err != nil {
		return nil, nil, err
	}
	return d.load(content, f.Quick)
}

func (f *Fetcher) fetch(ctx context.Context, d *dataset, dir string) (*Report, error) {
	_, rep, err := f.ensure(ctx, d, dir, modeFetch)
	return rep, err
}

func (f *Fetcher) find(d *dataset, dir string) (*Report, error) {
	_, rep, err := f.ensure(context.Background(), d, dir, modeFind)
	return rep, err
}

type mode int

const (
	modeFind  mode = iota // look and verify; change nothing, no network
	modeLoad              // also fetch what is missing; use packaged copies in place
	modeFetch             // also copy packaged copies into the directory
)

// found is a verified file.
type found struct {
	path, how string
	content   []byte
}

// ensure finds a complete variant of d, fetching files when m allows, and
// returns the content of its files (for modeLoad) and a report.
func (f *Fetcher) ensure(ctx context.Context, d *dataset, dir string, m mode) (map[string][]byte, *Report, error) {
	sc, err := f.newScanner(d, dir, m)
	if err != nil {
		return nil, nil, err
	}
	if v, ok := sc.complete(); ok {
		return sc.contents(v), sc.report(), nil
	}
	if m == modeFind || f.Offline {
		reason := "the network is not used (offline)"
		if m == modeFind {
			reason = "nothing was fetched"
		}
		return nil, sc.report(), f.placementError(d, dir, sc.good, sc.bad, reason, nil)
	}

	// Download what the full set lacks.
	var fetchErr error
	if d.archive != nil {
		fetchErr = f.fetchArchive(ctx, d, dir)
	} else {
		for _, name := range d.variants[0].files {
			if _, ok := sc.good[name]; ok {
				continue
			}
			spec := d.file(name)
			dest := filepath.Join(dir, name)
			check := func(tmp string) error { _, _, err := verifyFile(spec, tmp, "", false); return err }
			if err := download.File(ctx, f.Client, spec.urls, dest, spec.size, check, download.NewProgress(f.Log)); err != nil {
				fetchErr = errors.Join(fetchErr, err)
				if errors.Is(err, download.ErrUnreachable) {
					break // the other files would fail the same way
				}
			}
		}
	}
	if ctx.Err() != nil {
		return nil, nil, fetchErr
	}
	if sc, err = f.newScanner(d, dir, m); err != nil {
		return nil, nil, err
	}
	if v, ok := sc.complete(); ok {
		return sc.contents(v), sc.report(), nil
	}
	return nil, sc.report(), f.placementError(d, dir, sc.good, sc.bad, "the download failed", fetchErr)
}

// A scanner verifies the files of a data set as they are needed.
type scanner struct {
	f    *Fetcher
	d    *dataset
	dir  string
	m    mode
	sums map[string]string // dir's SHA256SUMS
	good map[string]*found
	bad  map[string]error
}

func (f *Fetcher) newScanner(d *dataset, dir string, m mode) (*scanner, error) {
	sums, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	return &scanner{f: f, d: d, dir: dir, m: m, sums: sums, good: map[string]*found{}, bad: map[string]error{}}, nil
}

// complete scans the variants in the order of preference (in quick mode the
// quick ones first) and returns the first that is complete.
func (sc *scanner) complete() (variant, bool) {
	order := sc.d.variants
	if sc.f.Quick {
		order = append(quickFirst(order), order...)
	}
	for _, v := range order {
		if v.quickOnly && !sc.f.Quick {
			continue
		}
		for _, name := range v.files {
			sc.scan(name)
		}
		if len(missingFiles(sc.d, v, sc.verdicts())) == 0 {
			return v, true
		}
	}
	return variant{}, false
}

// scan verifies file name in the directory and, when it is not good there,
// in the packaged copies: used in place, or with modeFetch copied into dir.
func (sc *scanner) scan(name string) {
	if _, ok := sc.good[name]; ok {
		return
	}
	if _, ok := sc.bad[name]; ok {
		return
	}
	spec := sc.d.file(name)
	keep := sc.m == modeLoad
	if path := locate(sc.dir, name); path != "" {
		how, content, err := verifyFile(spec, path, sc.sums[name], keep)
		if err == nil {
			sc.good[name] = &found{path, how, content}
			return
		}
		sc.bad[name] = err
	}
	for _, sys := range sc.f.packaged(sc.d) {
		src := locate(sys, name)
		if src == "" {
			continue
		}
		how, content, err := verifyFile(spec, src, "", keep)
		if err != nil {
			sc.f.logf("not using %v\n", err)
			continue
		}
		if sc.m != modeFetch {
			sc.good[name] = &found{src, how + ", packaged copy", content}
			delete(sc.bad, name)
			return
		}
		dest := filepath.Join(sc.dir, filepath.Base(src))
		check := func(tmp string) error { _, _, err := verifyFile(spec, tmp, "", false); return err }
		if err := download.Copy(src, dest, check); err != nil {
			sc.f.logf("could not copy %s to %s: %v\n", src, dest, err)
			continue
		}
		sc.f.logf("copied %s to %s\n", src, dest)
		sc.good[name] = &found{dest, how, content}
		delete(sc.bad, name)
		return
	}
}

// verdicts maps each scanned file to whether it is good.
func (sc *scanner) verdicts() map[string]bool {
	ok := map[string]bool{}
	for name := range sc.good {
		ok[name] = true
	}
	for name := range sc.bad {
		ok[name] = false
	}
	return ok
}

func (sc *scanner) contents(v variant) map[string][]byte {
	content := map[string][]byte{}
	for _, name := range v.files {
		if g, ok := sc.good[name]; ok && g.content != nil {
			content[name] = g.content
		}
	}
	return content
}

func (sc *scanner) report() *Report {
	rep := &Report{Name: sc.d.name, Dir: sc.dir}
	for _, spec := range sc.d.files {
		if g, ok := sc.good[spec.name]; ok {
			rep.Files = append(rep.Files, FileStatus{Path: g.path, Verified: g.how})
		} else if err, ok := sc.bad[spec.name]; ok {
			rep.Files = append(rep.Files, FileStatus{Path: filepath.Join(sc.dir, spec.name), Err: err})
		}
	}
	rep.Complete = completeVariants(sc.d, sc.verdicts(), sc.f.Quick)
	return rep
}

func (f *Fetcher) packaged(d *dataset) []string {
	if f.systemDirs != nil {
		return f.systemDirs(d)
	}
	return d.systemDirs
}

func quickFirst(vs []variant) []variant {
	var q []variant
	for _, v := range vs {
		if v.quickOnly {
			q = append(q, v)
		}
	}
	return q
}

// fetchArchive extracts d's archive into dir: from dir's own copy when it
// verifies, else from a download that is removed after extraction.
func (f *Fetcher) fetchArchive(ctx context.Context, d *dataset, dir string) error {
	a := d.archive
	path := filepath.Join(dir, a.name)
	downloaded := false
	if err := verifyArchive(a, path); err != nil {
		if exists(path) {
			f.logf("not using %v\n", err)
		}
		check := func(tmp string) error { return verifyArchive(a, tmp) }
		if err := download.File(ctx, f.Client, a.urls, path, a.size, check, download.NewProgress(f.Log)); err != nil {
			return err
		}
		downloaded = true
	}
	f.logf("extracting %s into %s\n", path, dir)
	if err := extract(d, path, dir); err != nil {
		return err
	}
	if downloaded {
		return os.Remove(path)
	}
	return nil
}

func (f *Fetcher) logf(format string, args ...any) {
	if f.Log != nil {
		fmt.Fprintf(f.Log, format, args...)
	}
}

// IncompleteError reports a data set that cannot be used: files missing or
// rejected and none to be had. Its message says which files to place where and
// where to get them. It wraps the rejections (FileErrors) and the cause of a
// failed download.
type IncompleteError struct {
	Name, Dir string
	Reason    string  // why nothing was fetched: offline, the download failed, ...
	Rejected  []error // the files that failed verification
	Cause     error   // the failed download, if any
	Fix       string  // what to do by hand
}

func (e *IncompleteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s is not complete in %s and %s.\n", e.Name, e.Dir, e.Reason)
	if e.Cause != nil {
		fmt.Fprintf(&b, "%v\n", e.Cause)
	}
	for _, err := range e.Rejected {
		fmt.Fprintf(&b, "Rejected: %v\n", err)
	}
	b.WriteString(e.Fix)
	return strings.TrimRight(b.String(), "\n")
}

func (e *IncompleteError) Unwrap() []error {
	if e.Cause != nil {
		return append(slices.Clone(e.Rejected), e.Cause)
	}
	return e.Rejected
}

// placementError explains what is missing from dir and how to put it there by hand.
func (f *Fetcher) placementError(d *dataset, dir string, good map[string]*found, bad map[string]error, reason string, cause error) error {
	e := &IncompleteError{Name: d.name, Dir: dir, Reason: reason, Cause: cause}
	for _, spec := range d.files {
		if err, ok := bad[spec.name]; ok {
			e.Rejected = append(e.Rejected, err)
		}
	}
	var b strings.Builder
	if a := d.archive; a != nil {
		fmt.Fprintf(&b, "To fix it by hand, download %s (%d bytes, sha256 %s) from\n  %s\n", a.name, a.size, a.sha256, strings.Join(a.urls, "\n  "))
		fmt.Fprintf(&b, "place it at %s and run: klcourse data fetch %s --dir %s\n(which verifies it and extracts %s from its %s/ directory).\n",
			filepath.Join(dir, a.name), d.name, dir, strings.Join(a.files, ", "), a.dir)
		for _, v := range d.variants {
			if v.quickOnly {
				fmt.Fprintf(&b, "Quick mode (%s=1) can do with %s in %s instead.\n", course.QuickEnv, strings.Join(requiredFiles(d, v), " and "), dir)
			}
		}
	} else {
		fmt.Fprintf(&b, "To fix it by hand, place these files (the published ones; checked by sha256):\n")
		for _, name := range d.variants[0].files {
			if _, ok := good[name]; ok {
				continue
			}
			spec := d.file(name)
			fmt.Fprintf(&b, "  %s (%d bytes, sha256 %s), from\n      %s\n", filepath.Join(dir, name), spec.size, spec.sha256, strings.Join(spec.urls, "\n   or "))
		}
		if len(d.systemDirs) > 0 {
			fmt.Fprintf(&b, "or install the packaged copy in %s (Debian: apt-get install dataset-%s).\n", strings.Join(d.systemDirs, " or "), d.name)
		}
		fmt.Fprintf(&b, "Then check them with: klcourse data verify %s --dir %s\n", d.name, dir)
	}
	e.Fix = b.String()
	return e
}

func requiredFiles(d *dataset, v variant) []string {
	var names []string
	for _, n := range v.files {
		if !d.file(n).optional {
			names = append(names, n)
		}
	}
	return names
}
