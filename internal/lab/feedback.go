package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
)

// CourseDir is the directory, in a student's home, that holds the course:
// Sync's copy of the release and the feedback.
const CourseDir = "klcourse"

// A Student is the account that feedback goes to.
type Student struct {
	Name     string
	Home     string
	UID, GID int
}

// LookupStudent finds a local account.
func LookupStudent(name string) (Student, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return Student{}, err
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return Student{}, fmt.Errorf("account %s: %w", name, err)
	}
	return Student{Name: name, Home: u.HomeDir, UID: uid, GID: gid}, nil
}

// Released is one feedback file put into a student's home.
type Released struct {
	Student, Assignment, Path string
}

// ReleaseFeedback copies course/feedback/STUDENT/ASSIGNMENT/* (the layout
// "klcourse grade" writes, nbgrader's) into each student's
// ~/klcourse/feedback/ASSIGNMENT/, owned by the student. lookup finds a
// student's account (LookupStudent). It refuses to write through a
// symbolic link that a student put in the way.
func ReleaseFeedback(course string, lookup func(string) (Student, error)) ([]Released, error) {
	root := filepath.Join(course, "feedback")
	students, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("no feedback to release: %w (run klcourse grade first)", err)
	}
	var out []Released
	var errs []error
	for _, sd := range students {
		if !sd.IsDir() {
			continue
		}
		st, err := lookup(sd.Name())
		if err != nil {
			errs = append(errs, fmt.Errorf("feedback for %s: %w", sd.Name(), err))
			continue
		}
		assignments, err := os.ReadDir(filepath.Join(root, sd.Name()))
		if err != nil {
			return out, err
		}
		for _, ad := range assignments {
			if !ad.IsDir() {
				continue
			}
			files, err := os.ReadDir(filepath.Join(root, sd.Name(), ad.Name()))
			if err != nil {
				return out, err
			}
			dst, err := ownedDir(st, CourseDir, "feedback", ad.Name())
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, f := range files {
				if !f.Type().IsRegular() {
					continue
				}
				target := filepath.Join(dst, f.Name())
				if info, err := os.Lstat(target); err == nil && !info.Mode().IsRegular() {
					errs = append(errs, fmt.Errorf("%s is not a regular file: not replaced", target))
					continue
				}
				if err := copyFile(filepath.Join(root, sd.Name(), ad.Name(), f.Name()), target); err != nil {
					return out, err
				}
				if err := os.Lchown(target, st.UID, st.GID); err != nil {
					return out, err
				}
				out = append(out, Released{Student: st.Name, Assignment: ad.Name(), Path: target})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, errors.Join(errs...)
}

// ownedDir makes st.Home/parts... with every component a real directory
// owned by the student (created as such when missing), and returns it.
func ownedDir(st Student, parts ...string) (string, error) {
	dir := st.Home
	for _, p := range parts {
		dir = filepath.Join(dir, p)
		info, err := os.Lstat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(dir, 0o755); err != nil {
				return "", err
			}
			if err := os.Lchown(dir, st.UID, st.GID); err != nil {
				return "", err
			}
		case err != nil:
			return "", err
		case !info.IsDir():
			return "", fmt.Errorf("%s is not a directory (a link or a file): no feedback written there", dir)
		}
	}
	return dir, nil
}
