// Package lab is the course in a computer lab: the course material copied into
// each student's home and kept up to date without touching the student's
// work, submissions through an nbgrader-style exchange, collection into the
// layout that "klcourse grade" reads, and feedback released to each student.
package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/klcourse/klcourse/internal/safefile"
)

// SyncStateFile is the file, at the root of a student's copy, in which Sync
// records the SHA-256 of every file as it was last copied from the course.
const SyncStateFile = ".klcourse-sync.json"

// SyncReport says what Sync did, by path relative to the student's copy.
type SyncReport struct {
	Added    []string // new in the course, copied
	Updated  []string // changed in the course, unchanged by the student: replaced
	Restored []string // deleted by the student: copied again
	Kept     []string // changed by the student: left as the student has it
}

// Sync merges the course release in src into the student's copy dst, the
// way nbgitpuller does: a file the student never changed follows the
// course, a file the student changed is never overwritten, a file the
// student deleted comes back, and files of the student's own are never
// touched. "Changed by the student" means: different from what Sync copied
// last time, as recorded in dst/.klcourse-sync.json; a file that exists in
// dst but was never copied by Sync counts as the student's.
func Sync(src, dst string) (SyncReport, error) {
	var rep SyncReport
	info, err := os.Stat(src)
	if err != nil {
		return rep, fmt.Errorf("the course release %s: %w", src, err)
	}
	if !info.IsDir() {
		return rep, fmt.Errorf("the course release %s is not a directory", src)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return rep, err
	}
	statePath := filepath.Join(dst, SyncStateFile)
	state := map[string]string{}
	if data, err := os.ReadFile(statePath); err == nil {
		if err := json.Unmarshal(data, &state); err != nil {
			return rep, fmt.Errorf("%s is damaged (%v): delete it, and files that differ from the course will be kept as the student's", statePath, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return rep, err
	}
	var files []string
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(src, path)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	sort.Strings(files)
	for _, rel := range files {
		want, err := safefile.SHA256(filepath.Join(src, rel))
		if err != nil {
			return rep, err
		}
		target := filepath.Join(dst, rel)
		info, err := os.Lstat(target)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if _, copied := state[rel]; copied {
				rep.Restored = append(rep.Restored, rel)
			} else {
				rep.Added = append(rep.Added, rel)
			}
		case err != nil:
			return rep, err
		case !info.Mode().IsRegular():
			rep.Kept = append(rep.Kept, rel) // the student put something else there
			continue
		default:
			have, err := safefile.SHA256(target)
			if err != nil {
				return rep, err
			}
			if have == want {
				state[rel] = want
				continue
			}
			if last, copied := state[rel]; !copied || last != have {
				rep.Kept = append(rep.Kept, rel)
				continue
			}
			rep.Updated = append(rep.Updated, rel)
		}
		if err := copyFile(filepath.Join(src, rel), target); err != nil {
			return rep, err
		}
		state[rel] = want
	}
	data, err := json.MarshalIndent(state, "", " ")
	if err != nil {
		return rep, err
	}
	return rep, safefile.WriteBytes(statePath, append(data, '\n'))
}

// copyFile copies src to dst through a temporary file and a rename, creating
// dst's directory; dst is readable by its owner and everyone.
func copyFile(src, dst string) error {
	// Never through a link: a student may swap a file of theirs for a link
	// to something only root can read, between the listing and the copy.
	in, err := os.OpenFile(src, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	if info, err := in.Stat(); err != nil {
		return err
	} else if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return safefile.Write(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	}, nil)
}
