package runs

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Stored is a run in a store, as List finds it.
type Stored struct {
	Dir  string
	Card Card
	Size int64 // bytes of its files, card included
	Err  error // why it does not verify (Verify's error), if it does not
}

// List returns the runs of a store, verified, sorted by notebook and name.
// Folders that are not runs (a training in progress, see Leftovers) are
// left out.
func List(store string) ([]Stored, error) {
	entries, err := readStore(store)
	if err != nil {
		return nil, err
	}
	var out []Stored
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir := filepath.Join(store, e.Name())
		c, err := Verify(dir)
		s := Stored{Dir: dir, Card: c, Err: err}
		filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					s.Size += info.Size()
				}
			}
			return nil
		})
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Card, out[j].Card
		if a.Notebook != b.Notebook {
			return a.Notebook < b.Notebook
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Created < b.Created
	})
	return out, nil
}

// Stale reports why a stored run can no longer be found by any cell: the
// code of its packages has changed since it was trained (its key would
// differ), or it does not verify. "" if it is current.
func Stale(s Stored, root string) string {
	if s.Err != nil {
		return s.Err.Error()
	}
	code, err := CodeHash(root, s.Card.Packages)
	if err != nil {
		return err.Error()
	}
	if code != s.Card.CodeHash {
		return "the code of " + strings.Join(s.Card.Packages, ", ") + " (or of a package they import, or go.sum) has changed since it was trained"
	}
	return ""
}

// LeftoverAge is how long a training's or an unpacking's temporary folder
// must have been left unchanged before GC takes it for a leftover of a
// kernel or command that stopped: a younger one may be a training in
// progress in another kernel.
const LeftoverAge = 6 * time.Hour

// Leftovers lists the temporary folders of store (.training-*, .unpack-*)
// that nothing has changed for at least age: left by a kernel or a command
// that stopped before it committed or removed them. With age 0 it lists
// them all, in progress or not.
func Leftovers(store string, age time.Duration) ([]string, error) {
	entries, err := readStore(store)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, ".training-") && !strings.HasPrefix(name, ".unpack-") {
			continue
		}
		dir := filepath.Join(store, name)
		if age > 0 && time.Since(lastChange(dir)) < age {
			continue
		}
		out = append(out, dir)
	}
	return out, nil
}

// lastChange is the latest modification time of dir or anything in it.
func lastChange(dir string) time.Time {
	var last time.Time
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil && info.ModTime().After(last) {
			last = info.ModTime()
		}
		return nil
	})
	return last
}

// GC removes from store the runs that Stale finds stale, and the
// temporary folders left for LeftoverAge or more (see Leftovers), and
// returns them. With dryRun it only returns them.
func GC(store, root string, dryRun bool) (dropped []Stored, leftovers []string, err error) {
	runs, err := List(store)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range runs {
		if Stale(s, root) == "" {
			continue
		}
		if !dryRun {
			if err := os.RemoveAll(s.Dir); err != nil {
				return dropped, nil, err
			}
		}
		dropped = append(dropped, s)
	}
	left, err := Leftovers(store, LeftoverAge)
	if err != nil {
		return dropped, nil, err
	}
	for _, dir := range left {
		if !dryRun {
			if err := os.RemoveAll(dir); err != nil {
				return dropped, leftovers, err
			}
		}
		leftovers = append(leftovers, dir)
	}
	return dropped, leftovers, nil
}

// Pack writes the verified runs of store (all but the exercises' runs,
// Card.OwnOnly, which no shared store serves; or those whose key starts
// with one of keys) to w as a gzip-compressed tar of KEY/FILE entries, and
// returns how many it packed. A run that does not verify is an error: a
// bundle carries only runs that check.
func Pack(w io.Writer, store string, keys []string) (int, error) {
	runs, err := List(store)
	if err != nil {
		return 0, err
	}
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	n := 0
	for _, s := range runs {
		if len(keys) > 0 && !matchesAny(filepath.Base(s.Dir), keys) || len(keys) == 0 && s.Err == nil && s.Card.OwnOnly {
			continue
		}
		if s.Err != nil {
			return n, s.Err
		}
		names := []string{CardFile}
		for name := range s.Card.Files {
			names = append(names, name)
		}
		sort.Strings(names[1:])
		for _, name := range names {
			if err := addFile(tw, filepath.Join(s.Dir, filepath.FromSlash(name)), s.Card.Key+"/"+name); err != nil {
				return n, err
			}
		}
		n++
	}
	if err := tw.Close(); err != nil {
		return n, err
	}
	return n, zw.Close()
}

func matchesAny(key string, prefixes []string) bool {
	for _, p := range prefixes {
		if p != "" && strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

func addFile(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: info.Size(), ModTime: info.ModTime(), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// Unpack reads a bundle made by Pack into store: each run is extracted into
// a temporary folder of the store, verified, and renamed into place; a run
// already there is kept. It returns the keys of the runs it added. A bundle
// with a path outside its runs, or a run that does not verify, is refused
// as a whole, with the entry or the run named: no run of it is added.
func Unpack(r io.Reader, bundle, store string) ([]string, error) {
	tr, err := openBundle(r, bundle)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(store, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(store, ".unpack-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	keys, err := eachEntry(tr, bundle, func(h *tar.Header) error {
		dst := filepath.Join(tmp, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("%s: entry %q: %w", bundle, h.Name, err)
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: entry %q: %w", bundle, h.Name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if _, err := Verify(filepath.Join(tmp, k)); err != nil {
			return nil, fmt.Errorf("%s: %w", bundle, err)
		}
	}
	var added []string
	for _, k := range keys {
		final := filepath.Join(store, k)
		if _, err := Verify(final); err == nil {
			continue
		}
		os.RemoveAll(final)
		if err := os.Rename(filepath.Join(tmp, k), final); err != nil {
			return added, err
		}
		added = append(added, k)
	}
	return added, nil
}

// BundleKeys lists the keys of the runs in a bundle made by Pack, reading
// only its headers; a bundle with an entry that is not a file of a run is
// an error naming it.
func BundleKeys(r io.Reader, bundle string) ([]string, error) {
	tr, err := openBundle(r, bundle)
	if err != nil {
		return nil, err
	}
	return eachEntry(tr, bundle, nil)
}

// openBundle reads a bundle made by Pack: a gzipped tar.
func openBundle(r io.Reader, bundle string) (*tar.Reader, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%s: not a run bundle (gzip): %w", bundle, err)
	}
	return tar.NewReader(zr), nil
}

// eachEntry calls f (when not nil) on every entry of the bundle, each
// checked by entryKey, and returns the keys of the runs they belong to,
// sorted.
func eachEntry(tr *tar.Reader, bundle string, f func(h *tar.Header) error) ([]string, error) {
	seen := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", bundle, err)
		}
		key, err := entryKey(h, bundle)
		if err != nil {
			return nil, err
		}
		seen[key] = true
		if f != nil {
			if err := f(h); err != nil {
				return nil, err
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

// entryKey is the key of the run a bundle's entry belongs to: an entry must
// be a regular file KEY/FILE, with a path that stays inside its run.
func entryKey(h *tar.Header, bundle string) (string, error) {
	key, _, ok := strings.Cut(h.Name, "/")
	if !ok || !fs.ValidPath(h.Name) || len(key) != 64 || h.Typeflag != tar.TypeReg {
		return "", fmt.Errorf("%s: entry %q is not a file of a run (KEY/FILE)", bundle, h.Name)
	}
	return key, nil
}

// readStore returns the entries of a store's folder; a store not made yet
// is empty.
func readStore(store string) ([]os.DirEntry, error) {
	entries, err := os.ReadDir(store)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return entries, err
}
